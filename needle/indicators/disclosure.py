"""Disclosure control: which results an audience may see, and how exactly.

Needle publishes numbers about young people to audiences who must never be able to work out
a small number: how many young people of one ethnicity live in one ward, how many new people
a partner reached this quarter. Hiding the small numbers themselves (*primary suppression*)
is not enough, because the published numbers are tied together: the groups of a breakdown
add up to the headline, the 19 ethnic groups add up to the 5 broad groups, this quarter's
cumulative reach minus last quarter's is the number of new people. Anyone who subtracts can
recover a hidden cell unless enough other cells are hidden with it (*secondary
suppression*). This module does both, for every indicator of a results table at once.

How it works, and why it is built this way:

* Every count cell gets the linear **relations** a knowledgeable reader can use against it
  (:func:`_relations`): equalities (a headline equals the sum of a person dimension's
  groups; a broad ethnic group equals the sum of its detailed groups; for additive events
  the "all" period equals the sum of the periods, and every breakdown adds up) and
  inequalities (a cumulative count never falls; a period's distinct people are at most the
  whole span's, and the whole span's at most the sum of the periods'; a partner's people
  are at most the headline).
* The reader is modelled as an attacker who propagates **interval bounds** through those
  relations until nothing changes (:func:`_bounds`): a hidden cell of a relation is the
  total minus the published parts minus whatever the other hidden parts can be. That is the
  usual "subtract the margins" attack, generalised to chains of relations and one-sided
  bounds, and is computed with array operations over all relations at once, so a national
  results table of a million cells is protected in seconds, not with one linear programme
  per cell.
* Secondary suppression is then the fixpoint of a simple repair: while some hidden cell's
  interval is narrower than the threshold (or a small cell's upper bound shows it is small),
  hide one more published cell of a relation that binds it, preferring the smallest part
  that gives enough room and a total only when nothing else does (:func:`_secondary`).
  This includes the textbook rules: a relation never has exactly one hidden cell, and the
  hidden cells of a relation with a published total add up to at least the threshold.
* The fast repair is then checked by the exact attacker (:mod:`needle.indicators.audit`):
  linear programmes over every connected component of hidden cells of up to
  ``AUDIT_LIMIT`` cells (larger ones per period). Where it pins a hidden cell down, one
  more cell of a relation that binds it is hidden and the component is audited again
  (:func:`_suppress`).
* Cumulative series get one more rule: two published consecutive values differ by 0 or by
  at least the threshold, because the difference is a count of new young people.
* Rates and statistics inherit the suppression of the count they ``follow`` and are then
  protected on their own ``n`` (and, for rates, their denominator), because a group's
  numerator can be recovered from the margins just like a count.
* Rounding (public outputs) happens last, on published cells only: the attacker's
  intervals only widen when the published numbers become ranges, so rounding never undoes
  the protection.

tests/indicators/test_disclosure.py checks the result with an exact attacker whose
relations are written independently (tests/indicators/attack.py, on the same solver core)
on hand-made and random tables.
docs/guides/disclosure-control.md explains the rules for the people who set thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from needle.indicators.audit import audit_hidden
from needle.indicators.schema import (
    ALL_PERIODS,
    AUDIENCES,
    DIMENSIONS,
    HEADLINE,
    PUBLISHED,
    RESULT_SCHEMA,
    SUPPRESSED_DENOMINATOR,
    SUPPRESSED_SECONDARY,
    SUPPRESSED_SMALL,
    UNKNOWN,
    conform,
)

__all__ = [
    "COUNT_KINDS",
    "KINDS",
    "PUBLIC_ROUNDING",
    "MeasureInfo",
    "protect",
    "rounding_for",
]

KINDS = ("events", "people", "cumulative_people", "rate", "statistic")
COUNT_KINDS = ("events", "people", "cumulative_people")
PUBLIC_ROUNDING = 5  # public counts are rounded to the nearest 5

_MAX_ITERATIONS = 500  # repair rounds; each hides at least one cell, so this is a guard only
_MAX_AUDITS = 200  # exact audit rounds; each hides at least one cell, so a guard only
_MAX_PROPAGATION = 200  # interval propagation rounds per repair round
_EPS = 1e-9

# Status codes while working (small integers are cheaper than strings in numpy).
_PUB, _SMALL, _SECONDARY, _DENOMINATOR = 0, 1, 2, 3
_STATUS_NAMES = {
    _PUB: PUBLISHED,
    _SMALL: SUPPRESSED_SMALL,
    _SECONDARY: SUPPRESSED_SECONDARY,
    _DENOMINATOR: SUPPRESSED_DENOMINATOR,
}
_SEP = "\x1f"


@dataclass(frozen=True)
class MeasureInfo:
    """What kind of number an indicator is, which decides the relations between its cells.

    ``kind``:

    * ``events``: additive counts (sessions, attendances, contact hours): every breakdown
      adds up to the headline and the periods add up to ``all``.
    * ``people``: distinct young people. Within a period the groups of a person dimension
      add up to the headline (and nested groups to their parent group); partner and
      provision category groups overlap, so each is only at most the headline, and each
      period is at most ``all``.
    * ``cumulative_people``: distinct young people up to and including the period: never
      falls from one period to the next, and ``all`` equals the last period.
    * ``rate``: value = numerator / denominator, ``n`` the numerator.
    * ``statistic``: a mean, median, effect size...; ``n`` the units it rests on.

    ``follows`` (rates and statistics only) names the count indicator whose suppression
    the number must share: a rate of young people reached who achieved an outcome must be
    hidden wherever the reach count is, or the reach could be recovered from it.
    """

    kind: str
    follows: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown measure kind {self.kind!r}; one of {KINDS}")
        if self.follows is not None and self.kind in COUNT_KINDS:
            raise ValueError(f"a {self.kind} count cannot follow another indicator")


def rounding_for(audience: str) -> int:
    """The rounding base for ``audience``: public outputs round counts to 5, others none."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}; one of {AUDIENCES}")
    return PUBLIC_ROUNDING if audience == "public" else 0


def protect(
    results: pl.DataFrame,
    measures: dict[str, MeasureInfo],
    *,
    threshold: int,
    rounding: int = 0,
    audience: str,
    nesting: dict[str, dict[str, str]] | None = None,
) -> pl.DataFrame:
    """``results`` protected for ``audience``: the same rows plus ``status``.

    ``threshold`` is the audience's smallest publishable count (``DisclosureConfig``); 0
    publishes everything unchanged (the backbone). Suppressed rows keep their key and
    status but lose value, numerator, denominator, n, lower and upper. ``rounding`` (a base
    such as 5) is applied after suppression and only for the public audience: the other
    audiences are trusted with exact numbers that add up. ``nesting`` maps a nested
    dimension's groups to its parent's (``{"ethnicity": {"white_british": "white"}}``),
    built by the caller from the standard's code lists; groups it does not list belong to
    the parent's ``unknown`` group. Every indicator needs an entry in ``measures``.
    """
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}; one of {AUDIENCES}")
    if threshold < 0 or rounding < 0:
        raise ValueError("threshold and rounding must be 0 or more")
    frame = conform(results)
    missing = sorted(set(frame["indicator"].unique().to_list()) - set(measures))
    if missing:
        raise ValueError(f"no MeasureInfo for indicator(s) {', '.join(missing)}")
    unknown = sorted(set(frame["breakdown"].unique().to_list()) - set(DIMENSIONS) - {HEADLINE})
    if unknown:
        raise ValueError(
            f"unknown breakdown(s) {', '.join(unknown)}: disclosure control must know how "
            "a dimension's groups relate; add it to needle.indicators.schema.DIMENSIONS"
        )
    if frame.select(
        pl.struct(*("indicator", "period", "breakdown", "group")).is_duplicated().any()
    ).item():
        raise ValueError("results have two rows for the same indicator, period, breakdown, group")
    if threshold == 0 or frame.height == 0:
        return frame.with_columns(pl.lit(PUBLISHED).alias("status"))

    kinds = {name: info.kind for name, info in measures.items()}
    cells = frame.with_row_index("_cell").with_columns(
        pl.col("_cell").cast(pl.Int64),
        pl.col("indicator").replace_strict(kinds, return_dtype=pl.String).alias("_kind"),
    )
    status = _protect_counts(cells, threshold, nesting or {})
    status = _protect_derived(cells, measures, status, threshold, nesting or {})

    out = frame.with_columns(
        pl.Series("status", status).replace_strict(_STATUS_NAMES, return_dtype=pl.String)
    )
    hidden = pl.col("status") != PUBLISHED
    out = out.with_columns(
        pl.when(hidden).then(None).otherwise(pl.col(c)).alias(c)
        for c in ("value", "numerator", "denominator", "n", "lower", "upper")
    )
    base = rounding if audience == "public" else 0
    if base > 0:
        out = _round(out, kinds, base)
    return out


# --- the relations a reader can use ------------------------------------------------------


@dataclass(frozen=True)
class _Relations:
    """Relations between cells, as flat arrays over cell ids (row numbers).

    ``rel``/``cell``/``total``: one row per member of an equality relation ``total = sum
    of parts`` (or, where ``cover`` is true, of a relation ``total <= sum of parts``);
    ``lo``/``hi``: inequalities ``value[lo] <= value[hi]``; ``series_lo``/
    ``series_hi``: consecutive cells of a cumulative series, whose published difference is
    itself a count; ``series``: each cell's cumulative series (``-1`` for none), hidden
    or published as a whole; ``period``: each cell's period (a code), which the exact
    audit uses to split components too big to audit whole.
    """

    rel: np.ndarray
    cell: np.ndarray
    total: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    series_lo: np.ndarray
    series_hi: np.ndarray
    series: np.ndarray | None = None
    cover: np.ndarray | None = None
    period: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.cover is None:
            object.__setattr__(self, "cover", np.zeros(self.rel.size, dtype=bool))


def _dimension_table() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "breakdown": list(DIMENSIONS),
            "_person": [d.person for d in DIMENSIONS.values()],
            "_parent": [d.parent for d in DIMENSIONS.values()],
        },
        schema={"breakdown": pl.String, "_person": pl.Boolean, "_parent": pl.String},
    )


def _relations(cells: pl.DataFrame, shape: str, nesting: dict[str, dict[str, str]]) -> _Relations:
    """The relations between the cells of ``cells`` (columns ``_cell``, ``indicator``,
    ``period``, ``breakdown``, ``group``) for indicators of ``shape``: a count kind, or
    ``derived`` for the ``n`` of rates and statistics (person dimensions add up, nothing
    else is assumed)."""
    key = ["indicator", "period"]
    c = cells.select("_cell", "indicator", "period", "breakdown", "group").join(
        _dimension_table(), on="breakdown", how="left"
    )
    headline = c.filter(pl.col("breakdown") == HEADLINE).select(
        *key, pl.col("_cell").alias("_total")
    )
    members: list[pl.DataFrame] = []

    def add(parts: pl.DataFrame, *label: pl.Expr) -> None:
        # A label starting with "c" marks a relation total <= sum of parts.
        rel = pl.concat_str(label, separator=_SEP).alias("_rel")
        parts = parts.with_columns(rel)
        members.append(parts.select("_rel", "_cell", pl.lit(False).alias("_is_total")))
        members.append(
            parts.select(
                "_rel", pl.col("_total").alias("_cell"), pl.lit(True).alias("_is_total")
            ).unique()
        )

    # A headline is the sum of the groups of every additive dimension in the same period.
    additive = pl.col("_person") if shape != "events" else pl.lit(True)
    margin = c.filter(
        (pl.col("breakdown") != HEADLINE) & (pl.col("breakdown") != "period") & additive
    ).join(headline, on=key, how="inner")
    add(margin, pl.lit("m"), pl.col("indicator"), pl.col("period"), pl.col("breakdown"))

    # A parent group is the sum of its nested groups.
    nest_rows = [
        (dim, child, parent)
        for dim, mapping in nesting.items()
        for child, parent in mapping.items()
    ]
    nest = pl.DataFrame(
        nest_rows, schema=["breakdown", "group", "_parent_group"], orient="row"
    ).with_columns(pl.all().cast(pl.String))
    children = (
        c.filter(pl.col("_parent").is_not_null() & pl.col("breakdown").is_in(list(nesting)))
        .join(nest, on=["breakdown", "group"], how="left")
        .with_columns(pl.col("_parent_group").fill_null(UNKNOWN))
    )
    parents = c.select(
        *key,
        pl.col("breakdown").alias("_parent"),
        pl.col("group").alias("_parent_group"),
        pl.col("_cell").alias("_total"),
    )
    nested = children.join(parents, on=[*key, "_parent", "_parent_group"], how="inner")
    add(
        nested,
        pl.lit("n"),
        pl.col("indicator"),
        pl.col("period"),
        pl.col("breakdown"),
        pl.col("_parent_group"),
    )

    series_key = ["indicator", "breakdown", "group"]
    alls = c.filter(pl.col("period") == ALL_PERIODS).select(
        *series_key, pl.col("_cell").alias("_total")
    )
    periods = c.filter(pl.col("period") != ALL_PERIODS)
    if shape == "events":
        # Events in "all" are the events of every period.
        add(
            periods.join(alls, on=series_key, how="inner"),
            pl.lit("p"),
            *(pl.col(k) for k in series_key),
        )
    lo: list[pl.Series] = []
    hi: list[pl.Series] = []
    series_lo = series_hi = np.empty(0, dtype=np.int64)
    series = None
    if shape == "cumulative_people":
        ids = c.select("_cell", pl.struct(series_key).rank("dense").cast(pl.Int64).alias("s"))
        series = np.full(int(cells["_cell"].max()) + 1, -1, dtype=np.int64)
        series[ids["_cell"].to_numpy()] = ids["s"].to_numpy()
        ordered = periods.sort([*series_key, "period"])
        steps = ordered.select(
            pl.col("_cell").shift(1).over(series_key).alias("lo"), pl.col("_cell").alias("hi")
        ).drop_nulls()
        lo.append(steps["lo"])
        hi.append(steps["hi"])
        series_lo = steps["lo"].to_numpy().astype(np.int64)
        series_hi = steps["hi"].to_numpy().astype(np.int64)
        # "all" is everyone up to the end: the last period.
        last = ordered.group_by(series_key, maintain_order=True).agg(pl.col("_cell").last())
        add(last.join(alls, on=series_key, how="inner"), pl.lit("l"), *map(pl.col, series_key))
    if shape == "people":
        # A period's distinct people are among the whole span's.
        within = periods.join(alls, on=series_key, how="inner")
        lo.append(within["_cell"])
        hi.append(within["_total"])
        # Everyone in the whole span was in at least one period.
        add(within, pl.lit("c"), *map(pl.col, series_key))
    if shape in ("people", "cumulative_people"):
        # A partner's (or provision category's) young people are among the headline's.
        overlap = c.filter(
            (pl.col("breakdown") != HEADLINE)
            & (pl.col("breakdown") != "period")
            & ~pl.col("_person").fill_null(False)
        ).join(headline, on=key, how="inner")
        lo.append(overlap["_cell"])
        hi.append(overlap["_total"])

    mem = (
        pl.concat(members)
        .unique(["_rel", "_cell"])
        .with_columns(
            pl.col("_rel").str.starts_with("c").alias("_cover"),
            pl.col("_rel").rank("dense").cast(pl.Int64) - 1,
        )
    )
    codes = c.select("_cell", pl.col("period").rank("dense").cast(pl.Int64).alias("p"))
    period = np.zeros(int(cells["_cell"].max()) + 1, dtype=np.int64)
    period[codes["_cell"].to_numpy()] = codes["p"].to_numpy()
    return _Relations(
        rel=mem["_rel"].to_numpy(),
        cell=mem["_cell"].to_numpy().astype(np.int64),
        total=mem["_is_total"].to_numpy(),
        lo=np.concatenate([s.to_numpy() for s in lo]).astype(np.int64) if lo else series_lo,
        hi=np.concatenate([s.to_numpy() for s in hi]).astype(np.int64) if hi else series_hi,
        series_lo=series_lo,
        series_hi=series_hi,
        series=series,
        cover=mem["_cover"].to_numpy(),
        period=period,
    )


# --- the attacker's intervals ------------------------------------------------------------


def _derived(
    r: _Relations, keep: np.ndarray, lower: np.ndarray, upper: np.ndarray, n_rel: int
) -> tuple[np.ndarray, np.ndarray]:
    """For every kept relation member, the interval its relation gives it from the current
    intervals of the other members (a part is the total minus the other parts)."""
    rel, cell, total, cover = r.rel[keep], r.cell[keep], r.total[keep], r.cover[keep]
    lo_m, up_m = lower[cell], upper[cell]
    inf = np.isinf(up_m)
    fin = np.where(inf, 0.0, up_m)
    part = ~total
    sum_lo = np.bincount(rel[part], weights=lo_m[part], minlength=n_rel)
    sum_up = np.bincount(rel[part], weights=fin[part], minlength=n_rel)
    n_inf = np.bincount(rel[part], weights=inf[part], minlength=n_rel)
    tot_lo = np.zeros(n_rel)
    tot_up = np.zeros(n_rel)
    tot_lo[rel[total]] = lo_m[total]
    tot_up[rel[total]] = up_m[total]
    others_lo = sum_lo[rel] - lo_m
    others_up = np.where(n_inf[rel] - inf > 0, np.inf, sum_up[rel] - fin)
    with np.errstate(invalid="ignore"):
        # A cover relation (total <= parts) bounds its total above and its parts below.
        d_lo = np.where(total, np.where(cover, 0.0, sum_lo[rel]), tot_lo[rel] - others_up)
        d_up = np.where(
            total,
            np.where(n_inf[rel] > 0, np.inf, sum_up[rel]),
            np.where(cover, np.inf, tot_up[rel] - others_lo),
        )
    return d_lo, d_up


def _bounds(
    r: _Relations, v: np.ndarray, hidden: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The intervals an attacker can give every cell by propagating bounds through the
    relations until they stop tightening. Published cells are exact; hidden ones start at
    [0, infinity). Returns lower, upper, the kept member mask and their derived intervals."""
    n_rel = int(r.rel.max()) + 1 if r.rel.size else 0
    hidden_members = np.bincount(r.rel, weights=hidden[r.cell], minlength=n_rel)
    keep = hidden_members[r.rel] > 0
    pair = hidden[r.lo] | hidden[r.hi]
    lo, hi = r.lo[pair], r.hi[pair]
    lower = np.where(hidden, 0.0, v)
    upper = np.where(hidden, np.inf, v)
    d_lo = d_up = np.empty(0)
    for _ in range(_MAX_PROPAGATION):
        d_lo, d_up = _derived(r, keep, lower, upper, n_rel)
        new_lower, new_upper = lower.copy(), upper.copy()
        cell = r.cell[keep]
        np.maximum.at(new_lower, cell, d_lo)
        np.minimum.at(new_upper, cell, d_up)
        np.maximum.at(new_lower, hi, lower[lo])
        np.minimum.at(new_upper, lo, upper[hi])
        new_lower = np.where(hidden, new_lower, v)
        new_upper = np.where(hidden, np.maximum(new_upper, new_lower), v)
        changed = np.any(new_lower > lower + _EPS) or np.any(new_upper < upper - _EPS)
        lower, upper = new_lower, new_upper
        if not changed:
            break
    return lower, upper, keep, d_lo, d_up


def _secondary(
    r: _Relations, v: np.ndarray, primary: np.ndarray, hidden: np.ndarray, threshold: int
) -> np.ndarray:
    """``hidden`` grown until every hidden cell's attacker interval is at least
    ``threshold`` wide (and, for a primary cell, reaches the threshold) and every pair of
    published consecutive cumulative values differs by 0 or at least the threshold."""
    hidden = _whole_series(r, hidden.copy())
    if r.rel.size == 0 and r.lo.size == 0:
        return hidden
    t = float(threshold)
    for _ in range(_MAX_ITERATIONS):
        # New young people between two published cumulative values: 0 or enough.
        step = v[r.series_hi] - v[r.series_lo]
        bad_step = ~hidden[r.series_lo] & ~hidden[r.series_hi] & (step > _EPS) & (step < t - _EPS)
        add = [r.series_lo[bad_step]]

        lower, upper, keep, d_lo, d_up = _bounds(r, v, hidden)
        width = upper - lower
        weak = hidden & ((width < t - _EPS) | (primary & (upper < t - _EPS)))
        if weak.any():
            need = np.where(weak, np.maximum(t - width, np.where(primary, t - upper, 0.0)), 0.0)
            add.append(_repairs(r, v, hidden, weak, need, lower, upper, keep, d_lo, d_up))
        chosen = np.unique(np.concatenate(add))
        chosen = chosen[~hidden[chosen]]
        if chosen.size == 0:
            break
        hidden[chosen] = True
        hidden = _whole_series(r, hidden)
    return hidden


def _suppress(
    r: _Relations,
    v: np.ndarray,
    primary: np.ndarray,
    hidden: np.ndarray,
    threshold: int,
    passed: set[bytes] | None = None,
) -> np.ndarray:
    """Secondary suppression checked by the exact attacker: the fast repair
    (:func:`_secondary`), then an exact audit of every component of hidden cells up to
    :data:`~needle.indicators.audit.AUDIT_LIMIT` cells (:func:`audit_hidden`); for each
    component that fails, one more published cell of a relation binding its weakest cell
    is hidden, the fast repair runs again and the changed components are audited again.
    ``passed`` remembers the components that passed (for one ``r``, ``v`` and ``primary``)
    across calls."""
    hidden = _secondary(r, v, primary, hidden, threshold)
    if r.rel.size == 0 and r.lo.size == 0:
        return hidden
    passed = set() if passed is None else passed
    for _ in range(_MAX_AUDITS):
        weak = audit_hidden(r, v, hidden, primary, threshold, passed=passed)
        chosen = [_pick(w.candidates, w.totals, v, w.need) for w in weak]
        chosen = [c for c in chosen if c >= 0 and not hidden[c]]
        if not chosen:
            break
        hidden = hidden.copy()
        hidden[np.array(chosen)] = True
        hidden = _secondary(r, v, primary, hidden, threshold)
    return hidden


def _pick(candidates: np.ndarray, totals: np.ndarray, v: np.ndarray, need: float) -> int:
    """The cell to hide among ``candidates``, as :func:`_repairs` chooses: a part before a
    total, then the smallest that gives ``need`` room, else the biggest (-1 for none)."""
    if candidates.size == 0:
        return -1
    values = v[candidates]
    enough = values >= max(need, 1.0) - _EPS
    size = np.where(enough, values, -values)
    return int(candidates[np.lexsort((candidates, size, ~enough, totals))[0]])


def _whole_series(r: _Relations, hidden: np.ndarray) -> np.ndarray:
    """``hidden`` with every cumulative series that has a hidden cell hidden throughout.

    Why whole series: a hidden stretch between two published values of a cumulative
    series is pinned between them, and together with the other hidden cells of its period
    (whose own totals are known from the period's margins) it can be narrowed to the few
    new young people of a period. A series hidden from start to end offers no such anchor:
    the attacker only learns the sum of the hidden series, period by period.
    """
    if r.series is None:
        return hidden
    sid = np.full(hidden.size, -1, dtype=np.int64)
    sid[: r.series.size] = r.series
    member = sid >= 0
    touched = np.bincount(sid[member], weights=hidden[member], minlength=int(sid.max()) + 1) > 0
    out = hidden.copy()
    out[member] |= touched[sid[member]]
    return out


def _repairs(
    r: _Relations,
    v: np.ndarray,
    hidden: np.ndarray,
    weak: np.ndarray,
    need: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    keep: np.ndarray,
    d_lo: np.ndarray,
    d_up: np.ndarray,
) -> np.ndarray:
    """One published cell to hide for each weak cell: from a relation that binds the weak
    cell's interval, the smallest part big enough to give it room (else the biggest),
    a relation's total only when it has no published part left.

    A weak cell whose binding relations have no published member passes the search on to
    the hidden cells it is bound with (up to a few steps away)."""
    rel, cell, total = r.rel[keep], r.cell[keep], r.total[keep]
    # Members whose relation gives them their lower or upper bound.
    binding = ((d_up <= upper[cell] + _EPS) & np.isfinite(d_up)) | (
        (d_lo >= lower[cell] - _EPS) & (lower[cell] > _EPS)
    )
    members = pl.DataFrame({"_rel": rel, "_other": cell, "_total": total})
    chosen: list[np.ndarray] = []
    searching = np.flatnonzero(weak)
    seen = np.zeros_like(weak)
    for _ in range(4):
        if searching.size == 0:
            break
        seen[searching] = True
        is_searching = np.zeros_like(weak)
        is_searching[searching] = True
        rows = is_searching[cell] & binding
        # Candidates from equality relations: the other members of a binding relation.
        pairs = (
            pl.DataFrame({"_rel": rel[rows], "_weak": cell[rows]})
            .join(members, on="_rel", how="inner")
            .filter(pl.col("_other") != pl.col("_weak"))
        )
        weak_of = pairs["_weak"].to_numpy()
        other = pairs["_other"].to_numpy()
        is_total = pairs["_total"].to_numpy()
        behind = np.unique(other[hidden[other]])
        published = ~hidden[other]
        # Candidates from inequalities whose published side gives the bound.
        pair_lo = is_searching[r.hi] & ~hidden[r.lo] & (lower[r.hi] > _EPS)
        pair_lo &= v[r.lo] >= lower[r.hi] - _EPS
        pair_hi = is_searching[r.lo] & ~hidden[r.hi] & (v[r.hi] <= upper[r.lo] + _EPS)
        w = np.concatenate([weak_of[published], r.hi[pair_lo], r.lo[pair_hi]])
        c = np.concatenate([other[published], r.lo[pair_lo], r.hi[pair_hi]])
        t = np.concatenate(
            [is_total[published], np.zeros(int(pair_lo.sum() + pair_hi.sum()), dtype=bool)]
        )
        found = np.empty(0, dtype=np.int64)
        if c.size:
            enough = v[c] >= np.maximum(need[w], 1.0) - _EPS
            size = np.where(enough, v[c], -v[c])
            # Sort keys, most significant last: weak cell, total, not enough, size.
            pick = np.lexsort((c, size, ~enough, t, w))
            w_sorted = w[pick]
            first = np.ones(w_sorted.size, dtype=bool)
            first[1:] = w_sorted[1:] != w_sorted[:-1]
            chosen.append(c[pick][first])
            found = w_sorted[first]
        if np.isin(searching, found).all():
            break
        # Weak cells bound only by hidden cells: look one step further, from those cells.
        searching = behind[~seen[behind]]
    return np.concatenate(chosen) if chosen else np.empty(0, dtype=np.int64)


# --- putting it together -----------------------------------------------------------------


def _protect_counts(
    cells: pl.DataFrame, threshold: int, nesting: dict[str, dict[str, str]]
) -> np.ndarray:
    """Statuses for every row; count rows decided, the others published for now."""
    status = np.zeros(cells.height, dtype=np.int8)
    v = (
        cells.select(pl.coalesce("n", "numerator", "value").cast(pl.Float64).fill_null(0.0))
        .to_series()
        .to_numpy()
        .copy()
    )
    for shape in COUNT_KINDS:
        part = cells.filter(pl.col("_kind") == shape)
        if part.height == 0:
            continue
        ids = part["_cell"].to_numpy()
        small = np.zeros(cells.height, dtype=bool)
        small[ids] = (v[ids] > 0) & (v[ids] < threshold)
        hidden = _suppress(_relations(part, shape, nesting), v, small, small, threshold)
        status[ids] = np.where(small[ids], _SMALL, np.where(hidden[ids], _SECONDARY, _PUB))
    return status


def _protect_derived(
    cells: pl.DataFrame,
    measures: dict[str, MeasureInfo],
    status: np.ndarray,
    threshold: int,
    nesting: dict[str, dict[str, str]],
) -> np.ndarray:
    """Statuses of rates and statistics: their own small numbers, then the suppression of
    the count they follow, then secondary suppression on their ``n`` and denominator."""
    part = cells.filter(pl.col("_kind").is_in(["rate", "statistic"]))
    if part.height == 0:
        return status
    status = status.copy()
    t = threshold
    follows = {k: m.follows for k, m in measures.items() if m.follows is not None}
    unknown = sorted({f for f in follows.values() if f not in measures})
    if unknown:
        raise ValueError(f"follows names unknown indicator(s) {', '.join(unknown)}")
    ids = part["_cell"].to_numpy()
    n = part["n"].cast(pl.Float64).fill_null(part["numerator"]).fill_null(0.0).to_numpy()
    den = part["denominator"].cast(pl.Float64).to_numpy()
    is_rate = (part["_kind"] == "rate").to_numpy()
    small_den = is_rate & ~np.isnan(den) & (den < t)
    small_n = n < t
    status[ids] = np.where(small_den, _DENOMINATOR, np.where(small_n, _SMALL, _PUB))

    if follows:
        counts = cells.select(
            pl.col("indicator").alias("_follows"),
            "period",
            "breakdown",
            "group",
            pl.Series("_count_status", status),
        )
        inherited = (
            part.select(
                "_cell",
                pl.col("indicator").replace_strict(follows, default=None).alias("_follows"),
                "period",
                "breakdown",
                "group",
            )
            .join(counts, on=["_follows", "period", "breakdown", "group"], how="inner")
            .filter(pl.col("_count_status") != _PUB)
        )["_cell"].to_numpy()
        status[inherited] = np.where(status[inherited] == _PUB, _SECONDARY, status[inherited])

    r = _relations(part, "derived", nesting)
    full_n = np.zeros(cells.height)
    full_n[ids] = n
    full_den = np.zeros(cells.height)
    full_den[ids] = np.nan_to_num(den, nan=0.0)
    has_den = np.zeros(cells.height, dtype=bool)
    has_den[ids] = is_rate & ~np.isnan(den)
    hidden = status != _PUB
    in_part = np.zeros(cells.height, dtype=bool)
    in_part[ids] = True
    passed_n: set[bytes] = set()
    passed_den: set[bytes] = set()
    for _ in range(4):
        before = hidden.copy()
        hidden = _suppress(r, full_n, in_part & (status == _SMALL), hidden, t, passed_n)
        if has_den.any():
            primary_den = in_part & (status == _DENOMINATOR)
            hidden = _suppress(r, full_den, primary_den, hidden, t, passed_den)
        if np.array_equal(before, hidden):
            break
    newly = in_part & hidden & (status == _PUB)
    status[newly] = _SECONDARY
    return status


def _round(out: pl.DataFrame, kinds: dict[str, str], base: int) -> pl.DataFrame:
    """Counts to the nearest ``base`` (a published non-zero count never becomes 0); rates
    and their confidence limits to one decimal, statistics to two."""
    kind = pl.col("indicator").replace_strict(kinds, return_dtype=pl.String)

    def nearest(col: str) -> pl.Expr:
        x = pl.col(col)
        r = ((x / base) + 0.5).floor() * base
        return pl.when(x > 0).then(pl.max_horizontal(r, pl.lit(float(base)))).otherwise(r)

    is_count = kind.is_in(list(COUNT_KINDS))
    is_rate = kind == "rate"
    exprs = []
    for col in ("value", "numerator", "denominator", "lower", "upper"):
        decimals = pl.when(is_rate).then(pl.col(col).round(1)).otherwise(pl.col(col).round(2))
        if col in ("numerator", "denominator"):
            exprs.append(nearest(col).alias(col))
        else:
            exprs.append(pl.when(is_count).then(nearest(col)).otherwise(decimals).alias(col))
    exprs.append(nearest("n").cast(RESULT_SCHEMA["n"]).alias("n"))
    return out.with_columns(exprs)
