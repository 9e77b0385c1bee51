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
  per cell. Relations are identified by integers (:func:`_with_codes`); propagation runs
  only over relations with a hidden member, and after the first repair round only over
  the components of hidden cells that a newly hidden cell joined (:func:`_bounds`).
* Secondary suppression is then the fixpoint of a simple repair: while some hidden cell's
  interval is narrower than the threshold (or a small cell's upper bound shows it is small),
  hide one more published cell of a relation that binds it, preferring the smallest part
  that gives enough room and a total only when nothing else does (:func:`_secondary`;
  each binding relation's best part is found by binary search, :class:`_PublishedParts`,
  not by pairing every weak cell with every member of a 7,000-ward margin).
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
  protected on their own ``n`` (and, for rates, their denominator, with relations among
  the rows that have one), because a group's numerator can be recovered from the
  margins just like a count.
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
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

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
    kinds = {name: info.kind for name, info in measures.items()}
    cells = _with_codes(
        frame.with_row_index("_cell").with_columns(
            pl.col("_cell").cast(pl.Int64),
            pl.col("indicator").replace_strict(kinds, return_dtype=pl.String).alias("_kind"),
        )
    )
    if frame.height and cells["_key"].is_duplicated().any():
        raise ValueError("results have two rows for the same indicator, period, breakdown, group")
    if threshold == 0 or frame.height == 0:
        return frame.with_columns(pl.lit(PUBLISHED).alias("status"))

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


# Relation kinds, part of a relation's id: margins, nested groups, periods adding up to
# "all", the last cumulative period equal to "all", and "all" covered by the periods.
_MARGIN, _NESTED, _PERIODS, _LAST, _COVER = range(5)

# Breakdowns as small integers: 0 the headline, then DIMENSIONS in order.
_DIM_CODE = {HEADLINE: 0, **{name: i + 1 for i, name in enumerate(DIMENSIONS)}}
_PERSON = {i + 1: d.person for i, d in enumerate(DIMENSIONS.values())}
_PARENT = {i + 1: d.parent for i, d in enumerate(DIMENSIONS.values()) if d.parent}


def _with_codes(cells: pl.DataFrame) -> pl.DataFrame:
    """``cells`` with integer keys, so that relations are found by joining integers, not
    strings: ``_dim`` (the breakdown), ``_ip`` (indicator and period: a cross-section),
    ``_ibg`` (indicator, breakdown and group: a series over the periods) and ``_key``
    (all four)."""
    if "_ip" in cells.columns:
        return cells

    def code(col: str) -> pl.Expr:
        return pl.col(col).cast(pl.Categorical).to_physical().cast(pl.Int64)

    codes = cells.select(
        code("indicator").alias("_i"),
        code("period").alias("_p"),
        code("group").alias("_g"),
        pl.col("breakdown")
        .replace_strict(_DIM_CODE, default=len(_DIM_CODE), return_dtype=pl.Int64)
        .alias("_dim"),
    )
    n_p = int(codes["_p"].max() or 0) + 1
    n_g = int(codes["_g"].max() or 0) + 1
    n_b = len(_DIM_CODE) + 1
    ibg = (codes["_i"] * n_b + codes["_dim"]) * n_g + codes["_g"]
    return cells.with_columns(
        codes["_dim"],
        (codes["_i"] * n_p + codes["_p"]).alias("_ip"),
        ibg.alias("_ibg"),
        (ibg * n_p + codes["_p"]).alias("_key"),  # the whole key, for duplicates
    )


def _relations(cells: pl.DataFrame, shape: str, nesting: dict[str, dict[str, str]]) -> _Relations:
    """The relations between the cells of ``cells`` (columns ``_cell``, ``indicator``,
    ``period``, ``breakdown``, ``group``) for indicators of ``shape``: a count kind, or
    ``derived`` for the ``n`` of rates and statistics (person dimensions add up, nothing
    else is assumed)."""
    cells = _with_codes(cells)
    c = cells.select("_cell", "_ip", "_ibg", "_dim", "period", "breakdown", "group").with_columns(
        pl.col("_dim")
        .replace_strict(_PERSON, default=False, return_dtype=pl.Boolean)
        .alias("_person")
    )
    headline = c.filter(pl.col("_dim") == 0).select("_ip", pl.col("_cell").alias("_total"))
    members: list[pl.DataFrame] = []
    n_cells = int(cells["_cell"].max()) + 1
    n_dims = len(_DIM_CODE) + 1

    def add(parts: pl.DataFrame, kind: int, by_breakdown: bool) -> None:
        # A relation is identified by its kind, its total's cell and, where one total has
        # a relation per breakdown (margins, nested groups), the parts' breakdown: integer
        # ids, far cheaper to build and rank than labels made of strings.
        dim = pl.col("_dim") if by_breakdown else pl.lit(0, dtype=pl.Int64)
        rel = ((kind * n_dims + dim) * n_cells + pl.col("_total").cast(pl.Int64)).alias("_rel")
        parts = parts.with_columns(rel)
        members.append(parts.select("_rel", "_cell", pl.lit(False).alias("_is_total")))
        members.append(
            parts.select(
                "_rel", pl.col("_total").alias("_cell"), pl.lit(True).alias("_is_total")
            ).unique()
        )

    period_code = _DIM_CODE["period"]
    # A headline is the sum of the groups of every additive dimension in the same period.
    additive = pl.col("_person") if shape != "events" else pl.lit(True)
    margin = c.filter((pl.col("_dim") != 0) & (pl.col("_dim") != period_code) & additive).join(
        headline, on="_ip", how="inner"
    )
    add(margin, _MARGIN, by_breakdown=True)

    # A parent group is the sum of its nested groups.
    nested_dims = [d for d in nesting if d in DIMENSIONS and DIMENSIONS[d].parent]
    if nested_dims:
        nest_rows = [
            (dim, child, parent)
            for dim, mapping in nesting.items()
            for child, parent in mapping.items()
        ]
        nest = pl.DataFrame(
            nest_rows, schema=["breakdown", "group", "_parent_group"], orient="row"
        ).with_columns(pl.all().cast(pl.String))
        children = (
            c.filter(pl.col("breakdown").is_in(nested_dims))
            .join(nest, on=["breakdown", "group"], how="left")
            .with_columns(
                pl.col("_parent_group").fill_null(UNKNOWN),
                pl.col("breakdown")
                .replace_strict({d: DIMENSIONS[d].parent for d in nested_dims})
                .alias("_parent"),
            )
        )
        parent_dims = sorted({DIMENSIONS[d].parent for d in nested_dims})
        parents = c.filter(pl.col("breakdown").is_in(parent_dims)).select(
            "_ip",
            pl.col("breakdown").alias("_parent"),
            pl.col("group").alias("_parent_group"),
            pl.col("_cell").alias("_total"),
        )
        nested = children.join(parents, on=["_ip", "_parent", "_parent_group"], how="inner")
        add(nested, _NESTED, by_breakdown=True)

    alls = c.filter(pl.col("period") == ALL_PERIODS).select("_ibg", pl.col("_cell").alias("_total"))
    periods = c.filter(pl.col("period") != ALL_PERIODS)
    if shape == "events":
        # Events in "all" are the events of every period.
        add(periods.join(alls, on="_ibg", how="inner"), _PERIODS, by_breakdown=False)
    lo: list[pl.Series] = []
    hi: list[pl.Series] = []
    series_lo = series_hi = np.empty(0, dtype=np.int64)
    series = None
    if shape == "cumulative_people":
        ids = c.select("_cell", pl.col("_ibg").rank("dense").cast(pl.Int64).alias("s"))
        series = np.full(n_cells, -1, dtype=np.int64)
        series[ids["_cell"].to_numpy()] = ids["s"].to_numpy()
        ordered = periods.sort(["_ibg", "period"])
        steps = ordered.select(
            pl.col("_cell").shift(1).over("_ibg").alias("lo"), pl.col("_cell").alias("hi")
        ).drop_nulls()
        lo.append(steps["lo"])
        hi.append(steps["hi"])
        series_lo = steps["lo"].to_numpy().astype(np.int64)
        series_hi = steps["hi"].to_numpy().astype(np.int64)
        # "all" is everyone up to the end: the last period.
        last = ordered.group_by("_ibg", maintain_order=True).agg(pl.col("_cell").last())
        add(last.join(alls, on="_ibg", how="inner"), _LAST, by_breakdown=False)
    if shape == "people":
        # A period's distinct people are among the whole span's.
        within = periods.join(alls, on="_ibg", how="inner")
        lo.append(within["_cell"])
        hi.append(within["_total"])
        # Everyone in the whole span was in at least one period.
        add(within, _COVER, by_breakdown=False)
    if shape in ("people", "cumulative_people"):
        # A partner's (or provision category's) young people are among the headline's.
        overlap = c.filter(
            (pl.col("_dim") != 0) & (pl.col("_dim") != period_code) & ~pl.col("_person")
        ).join(headline, on="_ip", how="inner")
        lo.append(overlap["_cell"])
        hi.append(overlap["_total"])

    mem = (
        pl.concat(members)
        .unique(["_rel", "_cell"])
        .with_columns(
            (pl.col("_rel") // (n_dims * n_cells) == _COVER).alias("_cover"),
            pl.col("_rel").rank("dense").cast(pl.Int64) - 1,
        )
    )
    period = np.zeros(n_cells, dtype=np.int64)
    period[c["_cell"].to_numpy()] = (c["_ip"] - c["_ip"].min()).to_numpy() if c.height else 0
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
    rel: np.ndarray,
    cell: np.ndarray,
    total: np.ndarray,
    cover: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    n_rel: int,
) -> tuple[np.ndarray, np.ndarray]:
    """For every relation member (``rel``, ``cell``, ``total``, ``cover``), the interval
    its relation gives it from the current intervals of the other members (a part is the
    total minus the other parts)."""
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


def _renumber(n: int, *ids: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """The distinct ids (below ``n``) in ``ids``, sorted, and each array of ``ids``
    renumbered to positions in them (a sort-free ``np.unique(..., return_inverse=True)``)."""
    seen = np.zeros(n, dtype=bool)
    for a in ids:
        seen[a] = True
    distinct = np.flatnonzero(seen)
    position = np.zeros(n, dtype=np.int64)
    position[distinct] = np.arange(distinct.size)
    return distinct, tuple(position[a] for a in ids)


@dataclass(frozen=True)
class _Intervals:
    """The attacker's intervals for one ``hidden`` pattern (:func:`_bounds`): per cell
    ``lower``/``upper``; per relation member whether its relation has a hidden member
    (``keep``) and, where it has, the interval the relation gives it (``d_lo``/``d_up``,
    NaN elsewhere)."""

    hidden: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    keep: np.ndarray
    d_lo: np.ndarray
    d_up: np.ndarray


def _propagate(
    r: _Relations, v: np.ndarray, hidden: np.ndarray, members: np.ndarray, pairs: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Interval propagation over the relation members ``members`` (whole relations) and
    the inequalities ``pairs`` (masks): the cells involved, their lower and upper bounds,
    which of ``members`` belong to a relation with a hidden member, and those members'
    derived intervals.

    Only relations with a hidden member can tighten anything, so the propagation runs on
    those alone, over the cells they touch (renumbered): in a national table most
    relations have no hidden member at all."""
    n_rel = int(r.rel.max()) + 1 if r.rel.size else 0
    m_rel_ids, m_cell = r.rel[members], r.cell[members]
    hidden_members = np.bincount(m_rel_ids, weights=hidden[m_cell], minlength=n_rel)
    keep = hidden_members[m_rel_ids] > 0
    pair = pairs & (hidden[r.lo] | hidden[r.hi])
    # The cells involved, renumbered 0..m-1, and the kept relations renumbered too.
    k_cell, lo, hi = m_cell[keep], r.lo[pair], r.hi[pair]
    involved, (cell, lo, hi) = _renumber(v.size, k_cell, lo, hi)
    used, (rel,) = _renumber(n_rel, m_rel_ids[keep])
    total, cover = r.total[members][keep], r.cover[members][keep]
    is_hidden = hidden[involved]
    value = v[involved]
    low = np.where(is_hidden, 0.0, value)
    up = np.where(is_hidden, np.inf, value)
    d_lo = d_up = np.empty(0)
    for _ in range(_MAX_PROPAGATION):
        d_lo, d_up = _derived(rel, cell, total, cover, low, up, used.size)
        new_low, new_up = low.copy(), up.copy()
        np.maximum.at(new_low, cell, d_lo)
        np.minimum.at(new_up, cell, d_up)
        np.maximum.at(new_low, hi, low[lo])
        np.minimum.at(new_up, lo, up[hi])
        new_low = np.where(is_hidden, new_low, value)
        new_up = np.where(is_hidden, np.maximum(new_up, new_low), value)
        changed = np.any(new_low > low + _EPS) or np.any(new_up < up - _EPS)
        low, up = new_low, new_up
        if not changed:
            break
    return involved, low, up, keep, d_lo, d_up


def _bounds(
    r: _Relations, v: np.ndarray, hidden: np.ndarray, before: _Intervals | None = None
) -> _Intervals:
    """The intervals an attacker can give every cell by propagating bounds through the
    relations until they stop tightening. Published cells are exact; hidden ones start at
    [0, infinity).

    ``before`` (the intervals for fewer hidden cells) makes it incremental: a hidden
    cell's interval depends only on its *component* (the hidden cells linked to it by
    relations; published cells are constants and link nothing), so only the components
    that now contain a newly hidden cell are propagated again; every other interval is
    kept. Repairs hide a few cells at a time, so this saves most of the work of each
    round after the first."""
    lower = np.where(hidden, 0.0, v)
    upper = np.where(hidden, np.inf, v)
    keep = np.zeros(r.rel.size, dtype=bool)
    d_lo = np.full(r.rel.size, np.nan)
    d_up = np.full(r.rel.size, np.nan)
    members = np.ones(r.rel.size, dtype=bool)
    pairs = np.ones(r.lo.size, dtype=bool)
    if before is not None and not (before.hidden & ~hidden).any():
        newly = hidden & ~before.hidden
        members = _dirty(r, hidden, newly)[r.rel]
        # The hidden cells of the dirty components (of their relations, newly hidden, and
        # joined to those by inequalities), and the inequalities touching them.
        dirty_cell = np.zeros(v.size, dtype=bool)
        dirty_cell[r.cell[members]] = True
        dirty_cell = _spread(r, hidden, (dirty_cell | newly) & hidden)
        pairs = dirty_cell[r.lo] | dirty_cell[r.hi]
        lower, upper = before.lower.copy(), before.upper.copy()
        lower[newly] = 0.0
        upper[newly] = np.inf
        keep, d_lo, d_up = before.keep.copy(), before.d_lo.copy(), before.d_up.copy()
    involved, low, up, kept, sub_lo, sub_up = _propagate(r, v, hidden, members, pairs)
    lower[involved] = low
    upper[involved] = up
    at = np.flatnonzero(members)
    keep[at] = kept
    d_lo[at] = np.nan
    d_up[at] = np.nan
    d_lo[at[kept]] = sub_lo
    d_up[at[kept]] = sub_up
    return _Intervals(hidden.copy(), lower, upper, keep, d_lo, d_up)


def _dirty(r: _Relations, hidden: np.ndarray, newly: np.ndarray) -> np.ndarray:
    """Per relation, whether it belongs to a component of hidden cells that contains a
    cell of ``newly``: the connected components of the graph of hidden cells and the
    relations they belong to, plus inequalities between two hidden cells."""
    n_rel = int(r.rel.max()) + 1 if r.rel.size else 0
    n = hidden.size
    member = hidden[r.cell]
    pair = hidden[r.lo] & hidden[r.hi]
    rows = np.concatenate([r.cell[member], r.lo[pair]])
    cols = np.concatenate([n + r.rel[member], r.hi[pair]])
    graph = coo_matrix((np.ones(rows.size, dtype=np.int8), (rows, cols)), shape=(n + n_rel,) * 2)
    _, labels = connected_components(graph, directed=False)
    touched = np.zeros(int(labels.max()) + 1, dtype=bool)
    touched[labels[:n][newly]] = True
    return touched[labels[n:]]


def _spread(r: _Relations, hidden: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """``cells`` with the hidden cells joined to them by chains of inequalities between
    hidden cells (relations are already whole in a dirty component)."""
    out = cells.copy()
    pair = hidden[r.lo] & hidden[r.hi]
    lo, hi = r.lo[pair], r.hi[pair]
    while True:
        grow = np.zeros_like(out)
        grow[hi[out[lo]]] = True
        grow[lo[out[hi]]] = True
        grow &= ~out
        if not grow.any():
            return out
        out |= grow


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
    intervals: _Intervals | None = None
    for _ in range(_MAX_ITERATIONS):
        # New young people between two published cumulative values: 0 or enough.
        step = v[r.series_hi] - v[r.series_lo]
        bad_step = ~hidden[r.series_lo] & ~hidden[r.series_hi] & (step > _EPS) & (step < t - _EPS)
        add = [r.series_lo[bad_step]]

        intervals = _bounds(r, v, hidden, intervals)
        lower, upper, keep = intervals.lower, intervals.upper, intervals.keep
        width = upper - lower
        weak = hidden & ((width < t - _EPS) | (primary & (upper < t - _EPS)))
        if weak.any():
            need = np.where(weak, np.maximum(t - width, np.where(primary, t - upper, 0.0)), 0.0)
            d_lo, d_up = intervals.d_lo[keep], intervals.d_up[keep]
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


class _PublishedParts:
    """The published parts (not totals) of every relation, sorted by value, to find a
    relation's best part to hide for a given need quickly: the smallest part of at least
    the need, else the biggest (ties to the lowest cell id), as :func:`_repairs` ranks
    them."""

    def __init__(
        self,
        rel: np.ndarray,
        cell: np.ndarray,
        total: np.ndarray,
        v: np.ndarray,
        hidden: np.ndarray,
        n_rel: int,
    ) -> None:
        published = ~hidden[cell]
        self.total_of = np.full(n_rel, -1, dtype=np.int64)
        is_total = published & total
        self.total_of[rel[is_total]] = cell[is_total]
        part = published & ~total
        p_rel, p_cell = rel[part], cell[part]
        order = np.lexsort((p_cell, v[p_cell], p_rel))
        self.rel, self.cell = p_rel[order], p_cell[order]
        self.value = v[self.cell]
        bounds = np.searchsorted(self.rel, np.arange(n_rel + 1))
        self.start, self.end = bounds[:-1], bounds[1:]
        # Each relation's biggest part: the first of the parts equal to the last one.
        last = np.where(self.end > self.start, self.end - 1, 0)
        top = self.value[last] if self.value.size else np.zeros(n_rel)
        self.biggest = np.where(
            self.end > self.start, self._first_at_least(self.start, self.end, top), -1
        )

    def _first_at_least(self, start: np.ndarray, end: np.ndarray, q: np.ndarray) -> np.ndarray:
        """Per query, the first position in ``[start, end)`` whose value is ``>= q``
        (``end`` if none): a binary search over all queries at once."""
        lo, hi = start.copy(), end.copy()
        while True:
            open_ = lo < hi
            if not open_.any():
                return lo
            mid = (lo + hi) // 2
            below = np.zeros(lo.size, dtype=bool)
            below[open_] = self.value[mid[open_]] < q[open_]
            lo = np.where(open_ & below, mid + 1, lo)
            hi = np.where(open_ & ~below, mid, hi)

    def best(self, rel: np.ndarray, q: np.ndarray) -> np.ndarray:
        """Per query (a relation and a need ``q``), the cell of its best published part,
        ``-1`` when it has none."""
        start, end = self.start[rel], self.end[rel]
        at = self._first_at_least(start, end, q)
        out = np.full(rel.size, -1, dtype=np.int64)
        enough = at < end
        out[enough] = self.cell[at[enough]]
        fallback = ~enough & (end > start)
        out[fallback] = self.cell[self.biggest[rel[fallback]]]
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
    n_rel = int(r.rel.max()) + 1 if r.rel.size else 0
    # Members whose relation gives them their lower or upper bound.
    binding = ((d_up <= upper[cell] + _EPS) & np.isfinite(d_up)) | (
        (d_lo >= lower[cell] - _EPS) & (lower[cell] > _EPS)
    )
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
        # Candidates from equality relations: for each binding relation of a searching
        # cell, its best published part and its total (if published). The best of a
        # weak cell's candidates is the best of these per-relation bests, so this is the
        # choice among all published members, without pairing every member with every
        # weak cell of a relation (quadratic in a margin of 7,000 wards).
        weak_of, q_rel = cell[rows], rel[rows]
        touched = np.zeros(n_rel, dtype=bool)
        touched[q_rel] = True
        in_touched = touched[rel]
        parts = _PublishedParts(
            rel[in_touched], cell[in_touched], total[in_touched], v, hidden, n_rel
        )
        best = parts.best(q_rel, np.maximum(need[weak_of], 1.0) - _EPS)
        tot = parts.total_of[q_rel]
        has_part, has_total = best >= 0, tot >= 0
        # Hidden cells bound with the searching ones, for the next step of the search.
        nearby = in_touched & hidden[cell]
        behind = np.unique(cell[nearby])
        # Candidates from inequalities whose published side gives the bound.
        pair_lo = is_searching[r.hi] & ~hidden[r.lo] & (lower[r.hi] > _EPS)
        pair_lo &= v[r.lo] >= lower[r.hi] - _EPS
        pair_hi = is_searching[r.lo] & ~hidden[r.hi] & (v[r.hi] <= upper[r.lo] + _EPS)
        w = np.concatenate([weak_of[has_part], weak_of[has_total], r.hi[pair_lo], r.lo[pair_hi]])
        c = np.concatenate([best[has_part], tot[has_total], r.lo[pair_lo], r.hi[pair_hi]])
        t = np.concatenate(
            [
                np.zeros(int(has_part.sum()), dtype=bool),
                np.ones(int(has_total.sum()), dtype=bool),
                np.zeros(int(pair_lo.sum() + pair_hi.sum()), dtype=bool),
            ]
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
    # Denominators are related only among the cells that have one: a statistic (or a rate
    # without a denominator) is no part of a denominator's margins, and counting it as a
    # 0 would pin every hidden one to [0, 0], a "disclosure" no repair can mend.
    r_den = (
        _relations(part.filter(pl.Series(has_den[ids])), "derived", nesting) if has_den.any() else r
    )
    passed_n: set[bytes] = set()
    passed_den: set[bytes] = set()
    for _ in range(4):
        before = hidden.copy()
        hidden = _suppress(r, full_n, in_part & (status == _SMALL), hidden, t, passed_n)
        if has_den.any():
            primary_den = in_part & (status == _DENOMINATOR)
            hidden = _suppress(r_den, full_den, primary_den, hidden, t, passed_den)
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
