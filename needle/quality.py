"""Data quality per partner: how its submissions fared, which checks it fails most, and
how complete the optional fields of its accepted data are.

Why in the core: the backbone's overview, a partner's own page and any report must count
the same things the same way. Nothing here reads a value that could identify anyone: the
problems are counted by rule from the stored validation reports (never their messages),
and completeness is a count of filled cells.

What "complete" means, per field (over the data the pool shows now, every period):

- ethnicity, gender: recorded, i.e. neither blank nor ``not_known`` ("prefer not to
  say" is an answer the young person gave, so it counts as recorded);
- home area: the postcode located an LSOA (``lsoa21`` is filled in);
- session category: the session's provision is in the partner's provisions, with a
  category;
- questionnaires paired: of the (young person, questionnaire) pairs with a baseline, those
  with an exit too, in any period of the same partner.

Young people are counted as records: one per young person per period they appear in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from needle.pool.model import ACCEPTED, INVALID, SUPERSEDED, WITHDRAWN, Partner, Submission
from needle.pool.pool import Pool
from needle.standard import load_standard

__all__ = [
    "COMPLETENESS",
    "PartnerQuality",
    "PeriodCounts",
    "RuleCount",
    "Share",
    "completeness",
    "partner_quality",
    "rule_counts",
]

NOT_KNOWN = "not_known"
TOP_RULES = 5
# The fields whose completeness is measured, in the order pages show them: key -> label.
COMPLETENESS = {
    "ethnicity": "Young people with an ethnicity recorded",
    "gender": "Young people with a gender recorded",
    "home_area": "Young people whose postcode located a neighbourhood (LSOA)",
    "session_category": "Sessions whose provision has a category",
    "questionnaires_paired": "Baseline questionnaires with an exit questionnaire",
}
_WAS_ACCEPTED = frozenset({ACCEPTED, SUPERSEDED, WITHDRAWN})


@dataclass(frozen=True)
class Share:
    """``count`` of ``total`` (a percentage only when there is something to divide by)."""

    count: int
    total: int

    @property
    def percent(self) -> float | None:
        return 100 * self.count / self.total if self.total else None


@dataclass(frozen=True)
class RuleCount:
    """How often one validation rule was broken across a partner's submissions; ``title``
    is the rule's title in the current standard (its id when the standard has no such
    rule)."""

    rule: str
    severity: str
    count: int
    title: str = ""


@dataclass(frozen=True)
class PeriodCounts:
    """Versions a partner sent for one period: accepted (at the time) and rejected."""

    period: str
    accepted: int
    rejected: int


@dataclass(frozen=True)
class PartnerQuality:
    """One partner's data quality."""

    code: str
    name: str
    periods: tuple[PeriodCounts, ...]
    problems: tuple[RuleCount, ...]  # most common first
    completeness: Mapping[str, Share]  # keyed as COMPLETENESS

    @property
    def accepted(self) -> int:
        return sum(p.accepted for p in self.periods)

    @property
    def rejected(self) -> int:
        return sum(p.rejected for p in self.periods)


def rule_counts(reports: Iterable[Mapping[str, Any] | None]) -> Counter[tuple[str, str]]:
    """(rule, severity) -> problems found, over validation reports.

    A report's summary counts every problem (it lists only the first thousand of a rule);
    a report without a summary is counted from the problems it lists.
    """
    counts: Counter[tuple[str, str]] = Counter()
    for report in reports:
        report = report or {}
        by_rule = (report.get("summary") or {}).get("by_rule")
        if isinstance(by_rule, Mapping):
            for rule, found in by_rule.items():
                counts[(rule, found.get("severity", "error"))] += int(found.get("count", 0))
            continue
        for problem in report.get("problems") or []:
            if problem and problem.get("rule"):
                counts[(problem["rule"], problem.get("severity", "error"))] += 1
    return counts


def _period_counts(versions: list[Submission]) -> tuple[PeriodCounts, ...]:
    accepted: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    for v in versions:
        if v.state in _WAS_ACCEPTED:
            accepted[v.period] += 1
        elif v.state == INVALID:
            rejected[v.period] += 1
    periods = sorted(set(accepted) | set(rejected))
    return tuple(PeriodCounts(p, accepted[p], rejected[p]) for p in periods)


def _column(frame: pl.DataFrame, name: str) -> pl.Expr:
    """A column, or nulls when no file of the entity has it."""
    return pl.col(name) if name in frame.columns else pl.lit(None, dtype=pl.String)


def _recorded(frame: pl.DataFrame, name: str) -> pl.Expr:
    value = _column(frame, name)
    return (value.is_not_null() & (value.cast(pl.String) != NOT_KNOWN)).fill_null(False)


def _shares(frame: pl.DataFrame, filled: dict[str, pl.Expr]) -> dict[str, dict[str, Share]]:
    """org -> key -> Share: how many rows of each org have each ``filled`` condition."""
    if frame.height == 0:
        return {}
    counted = frame.group_by("org").agg(
        pl.len().alias("_total"), *(e.cast(pl.Int64).sum().alias(k) for k, e in filled.items())
    )
    return {
        row["org"]: {k: Share(int(row[k]), int(row["_total"])) for k in filled}
        for row in counted.iter_rows(named=True)
    }


def completeness(pool: Pool, orgs: Iterable[str] | None = None) -> dict[str, dict[str, Share]]:
    """org -> COMPLETENESS key -> Share, over the accepted data the pool shows now.

    An org with no rows of an entity has no entry for that entity's keys.
    """
    orgs = list(orgs) if orgs is not None else None
    people = pool.read("young_people", orgs=orgs).collect()
    out: dict[str, dict[str, Share]] = {}

    def merge(shares: dict[str, dict[str, Share]]) -> None:
        for org, found in shares.items():
            out.setdefault(org, {}).update(found)

    merge(
        _shares(
            people,
            {
                "ethnicity": _recorded(people, "ethnicity"),
                "gender": _recorded(people, "gender"),
                "home_area": _column(people, "lsoa21").is_not_null(),
            },
        )
    )
    sessions = pool.read("sessions", orgs=orgs).collect()
    provisions = pool.read("provisions", orgs=orgs).collect()
    if sessions.height:
        categorised = (
            provisions.filter(_column(provisions, "category").is_not_null())
            .select("org", _column(provisions, "provision_ref").alias("provision_ref"))
            .unique()
            .with_columns(pl.lit(True).alias("_categorised"))
            if provisions.height
            else pl.DataFrame(
                schema={"org": pl.String, "provision_ref": pl.String, "_categorised": pl.Boolean}
            )
        )
        joined = sessions.select("org", _column(sessions, "provision_ref").alias("provision_ref"))
        joined = joined.join(categorised, on=["org", "provision_ref"], how="left")
        merge(_shares(joined, {"session_category": pl.col("_categorised").fill_null(False)}))
    measurements = pool.read("measurements", orgs=orgs).collect()
    if measurements.height and {"person_ref", "instrument", "timepoint"} <= set(
        measurements.columns
    ):
        keys = ["org", "person_ref", "instrument"]
        exits = measurements.filter(pl.col("timepoint") == "exit").select(keys).unique()
        baselines = (
            measurements.filter(pl.col("timepoint") == "baseline")
            .select(keys)
            .unique()
            .join(exits.with_columns(pl.lit(True).alias("_paired")), on=keys, how="left")
        )
        merge(_shares(baselines, {"questionnaires_paired": pl.col("_paired").fill_null(False)}))
    return out


def partner_quality(
    pool: Pool, code: str | None = None, *, top: int = TOP_RULES
) -> list[PartnerQuality]:
    """The data quality of every partner in the register (or of partner ``code`` only,
    removed or not), by code; ``top`` most common problems each."""
    partners: list[Partner] = [pool.partner(code)] if code else pool.partners()
    codes = [p.code for p in partners]
    titles = {rule.id: rule.title for rule in load_standard().rules.values()}
    versions = pool.submissions(org=codes[0]) if code else pool.submissions()
    filled = completeness(pool, codes)
    out = []
    for partner in partners:
        mine = [v for v in versions if v.org == partner.code]
        counts = rule_counts(v.report for v in mine)
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        out.append(
            PartnerQuality(
                code=partner.code,
                name=partner.name,
                periods=_period_counts(mine),
                problems=tuple(
                    RuleCount(r, s, n, titles.get(r, r)) for (r, s), n in ranked[:top] if n
                ),
                completeness=filled.get(partner.code, {}),
            )
        )
    return out
