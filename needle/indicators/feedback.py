"""A partner's own measures over time beside the anonymous benchmarks of its peers.

This is what a partner organisation reads as "how we are doing": for each indicator with a
per-partner breakdown, its own number in every period (as the partner audience's
protection left it) and, where the core published one (:mod:`needle.indicators.peers`),
the median and middle half of comparable partners, with one plain-English line saying
where it stands.

Why in the core: which number is compared, which period the line speaks of and what
"above the middle half" means are decisions about data, and the same answer must reach a
web page, a report or a notebook. The inputs are already protected and already confined
to the one partner (``partner_view`` and ``for_partner``); this module filters again by
the partner's code, so a caller that passes a whole table still gets only that partner.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

from needle.indicators.definitions import IndicatorDefinition, Registry
from needle.indicators.peers import ALL_PARTNERS, for_partner, partner_view
from needle.indicators.refresh import current_run, indicators_dir
from needle.indicators.schema import ALL_PERIODS, PUBLISHED
from needle.indicators.summary import format_number, sorted_periods, with_status

__all__ = [
    "ABOVE",
    "BELOW",
    "WITHIN",
    "Benchmark",
    "Measure",
    "PartnerResults",
    "Point",
    "format_benchmark",
    "partner_measures",
    "position",
    "read_partner_results",
    "summary_line",
]

ABOVE = "above"
WITHIN = "within"
BELOW = "below"

PARTNER_BREAKDOWN = "partner"
WHOLE_UNITS = ("people", "count", "days")


@cache
def _category_labels() -> dict[str, str]:
    from needle.standard import load_standard

    codes = load_standard().codelists["provision_category"].codes
    return {c.code: c.label for c in codes}


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class Benchmark:
    """The distribution of comparable partners' values for one indicator and period."""

    peer_group: str  # a provision category code, or ALL_PARTNERS
    peers: int
    p25: float
    median: float
    p75: float

    @property
    def compared_with(self) -> str:
        """Who the partner is compared with, in words: its peer group, or all partners
        when too few share its main kind of provision."""
        if self.peer_group == ALL_PARTNERS:
            return "all partners"
        label = _category_labels().get(self.peer_group, self.peer_group.replace("_", " "))
        return f"similar partners ({label.lower()})"


@dataclass(frozen=True)
class Point:
    """One period of one measure: the partner's own row (None when it has none) and the
    benchmark (None when the core published none)."""

    period: str
    own: Mapping[str, Any] | None
    benchmark: Benchmark | None

    @property
    def value(self) -> float | None:
        """The partner's own number, only when it is published."""
        if self.own is None or self.own.get("status") != PUBLISHED:
            return None
        return _finite(self.own.get("value"))


@dataclass(frozen=True)
class Measure:
    """One indicator for one partner: its periods in order, then all periods together."""

    definition: IndicatorDefinition
    points: tuple[Point, ...]

    @property
    def periods(self) -> tuple[Point, ...]:
        """The points of single periods (what a chart over time draws)."""
        return tuple(p for p in self.points if p.period != ALL_PERIODS)

    @property
    def compared(self) -> Point | None:
        """The point the summary line speaks of: the latest period with both a published
        own number and a benchmark, else all periods together if they have both."""
        both = [p for p in self.points if p.value is not None and p.benchmark is not None]
        singles = [p for p in both if p.period != ALL_PERIODS]
        if singles:
            return singles[-1]
        return both[-1] if both else None

    @property
    def has_benchmark(self) -> bool:
        return any(p.benchmark is not None for p in self.points)


def position(value: float, benchmark: Benchmark) -> str:
    """Where ``value`` stands against the middle half (25th to 75th percentile) of its
    peers: ABOVE, WITHIN (edges included) or BELOW."""
    if value > benchmark.p75:
        return ABOVE
    if value < benchmark.p25:
        return BELOW
    return WITHIN


def format_benchmark(value: float, unit: str) -> str:
    """A quartile or median as text. Quartiles of whole numbers fall between them (2.5
    young people), and rounding that to the unit's whole number would show a middle half
    of "2 to 2" around a partner's 3, so whole-number units get one decimal when needed."""
    if unit in WHOLE_UNITS and not float(value).is_integer():
        return f"{value:,.1f}"
    return format_number(value, unit)


def summary_line(measure: Measure, *, min_peers: int) -> str:
    """One plain-English sentence on how the partner compares, or why it cannot."""
    unit = measure.definition.unit
    point = measure.compared
    if point is not None:
        b = point.benchmark
        assert b is not None and point.value is not None  # as chosen by Measure.compared
        when = "Over all periods" if point.period == ALL_PERIODS else f"In {point.period}"
        verb = "is" if point.period == ALL_PERIODS else "was"
        return (
            f"{when} your {format_number(point.value, unit)} {verb} "
            f"{position(point.value, b)} the middle half of {b.compared_with} (median "
            f"{format_benchmark(b.median, unit)}, middle half {format_benchmark(b.p25, unit)}"
            f" to {format_benchmark(b.p75, unit)}, {b.peers} partners)."
        )
    if measure.has_benchmark:
        return (
            "Your own number is not shown in the periods that have a benchmark (the table "
            "says why), so it cannot be compared."
        )
    return (
        f"No benchmark: fewer than {min_peers} partners have a number large enough to "
        "compare with yours."
    )


def _benchmark(row: Mapping[str, Any]) -> Benchmark | None:
    p25, median, p75 = (_finite(row.get(k)) for k in ("p25", "median", "p75"))
    if p25 is None or median is None or p75 is None:
        return None
    return Benchmark(str(row["peer_group"]), int(row["peers"]), p25, median, p75)


def partner_measures(
    view: pl.DataFrame, peers: pl.DataFrame, registry: Registry, partner: str
) -> list[Measure]:
    """The partner's measures in the registry's order: every indicator with a row of its
    own in ``view`` (the partner audience's protected results), each period's row beside
    that period's benchmark from ``peers``.

    Both tables are filtered to ``partner`` here whatever the caller passed, so another
    partner's row can never reach a measure.
    """
    own = with_status(partner_view(view, partner)).filter(
        (pl.col("breakdown") == PARTNER_BREAKDOWN) & (pl.col("group") == partner)
    )
    rows: dict[str, dict[str, Mapping[str, Any]]] = {}
    for row in own.to_dicts():
        rows.setdefault(row["indicator"], {})[row["period"]] = row
    marks: dict[str, dict[str, Benchmark]] = {}
    for row in for_partner(peers, partner).to_dicts():
        benchmark = _benchmark(row)
        if benchmark is not None:
            marks.setdefault(row["indicator"], {})[row["period"]] = benchmark
    measures = []
    for definition in registry:
        by_period = rows.get(definition.id)
        if not by_period:
            continue
        benchmarks = marks.get(definition.id, {})
        labels = sorted_periods((set(by_period) | set(benchmarks)) - {ALL_PERIODS})
        if ALL_PERIODS in by_period or ALL_PERIODS in benchmarks:
            labels.append(ALL_PERIODS)
        points = tuple(Point(p, by_period.get(p), benchmarks.get(p)) for p in labels)
        measures.append(Measure(definition, points))
    return measures


@dataclass(frozen=True)
class PartnerResults:
    """What one partner may see of one run: its view of the results and its benchmarks."""

    run: dict[str, Any]
    view: pl.DataFrame
    peers: pl.DataFrame


def read_partner_results(
    home_root: Path | str, partner: str, run_id: str | None = None
) -> PartnerResults:
    """The partner-audience results of run ``run_id`` (the current run when None) as
    ``partner`` sees them, and its peer benchmarks, both from that one run: a refresh
    between two reads of ``current.json`` could otherwise pair one run's numbers with
    another's benchmarks.

    Raises NeedleInputError when the indicators have never been computed, and
    FileNotFoundError when a refresh removed the run while it was being read (read again).
    """
    root = Path(home_root)
    if run_id is None:
        run_id = current_run(root)["run_id"]
    folder = indicators_dir(root) / "runs" / run_id
    run = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    view = partner_view(pl.read_parquet(folder / "partner.parquet"), partner)
    peers = for_partner(pl.read_parquet(folder / "peers.parquet"), partner)
    return PartnerResults(run, view, peers)
