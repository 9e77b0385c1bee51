"""Reading one partner's feedback from the core, shaped for the page.

Every number comes from the core: the current run's partner-audience results as that
partner sees them (``partner_view``) and its own peer benchmarks (``for_partner``), read
together by :func:`needle.indicators.feedback.read_partner_results` and paired by
:func:`needle.indicators.feedback.partner_measures`; cells are written by the core's
formatting, so a hidden number can only ever read "suppressed". This module chooses the
order, the words around the numbers and the charts, nothing more.

Why a cache: a run never changes once written, and the charts take about a tenth of a
second each to draw (a page has a few dozen, drawn side by side), so one partner's page of
one run is built once and kept, keyed by the run id; every request still reads
``current.json`` and sees a refresh at once.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.conf import settings
from django.utils.safestring import SafeString

from needle.errors import NeedleInputError
from needle.indicators.feedback import (
    Measure,
    format_benchmark,
    partner_measures,
    read_partner_results,
    summary_line,
)
from needle.indicators.html import THEME_TITLES
from needle.indicators.refresh import current_run, registry_for
from needle.indicators.schema import ALL_PERIODS
from needle.indicators.summary import format_result, shows_n
from needle.initiative import open_home
from needle.initiative.home import Home
from needle_web.dashboards.selectors import DIRECTIONS, UNITS
from needle_web.feedback.charts import measure_chart

__all__ = [
    "Feedback",
    "MeasureView",
    "TableRow",
    "Theme",
    "current_home",
    "feedback",
    "partner_names",
]

log = logging.getLogger(__name__)

NO_BENCHMARK = "No benchmark"
AUDIENCE = "partner"


@dataclass(frozen=True)
class TableRow:
    period: str
    label: str
    own: str
    compared_with: str
    median: str
    middle_half: str


@dataclass(frozen=True)
class MeasureView:
    id: str
    title: str
    description: str
    unit: str
    direction: str
    line: str
    chart: SafeString | None
    rows: tuple[TableRow, ...]


@dataclass(frozen=True)
class Theme:
    id: str
    title: str
    measures: tuple[MeasureView, ...]


@dataclass(frozen=True)
class Feedback:
    """One partner's page of one run."""

    partner: str
    refreshed_at: datetime | None
    periods: tuple[str, ...]
    themes: tuple[Theme, ...]
    min_peers: int
    threshold: int | None
    benchmarks: int  # how many measures have a benchmark in some period


def current_home() -> Home | None:
    """The initiative home the app serves, or None when there is none at ``settings.HOME``."""
    try:
        return open_home(settings.HOME)
    except NeedleInputError as error:
        log.info("No initiative home to read feedback from: %s", error)
        return None


def partner_names(home: Home) -> dict[str, str]:
    """Every partner in the register (removed ones too: their history stays), code to name."""
    with home.open_pool() as pool:
        return {p.code: p.name for p in pool.partners(include_removed=True)}


def _rows(measure: Measure, threshold: int | None) -> tuple[TableRow, ...]:
    d = measure.definition
    rows = []
    for p in measure.points:
        label = "All periods" if p.period == ALL_PERIODS else p.period
        own = format_result(p.own, d.unit, threshold=threshold, show_n=shows_n(d))
        b = p.benchmark
        if b is None:
            rows.append(TableRow(p.period, label, own, NO_BENCHMARK, "–", "–"))
            continue
        middle = f"{format_benchmark(b.p25, d.unit)} to {format_benchmark(b.p75, d.unit)}"
        compared = f"{b.compared_with.capitalize()}: {b.peers}"
        rows.append(
            TableRow(p.period, label, own, compared, format_benchmark(b.median, d.unit), middle)
        )
    return tuple(rows)


def _chart_label(measure: Measure) -> str:
    periods = [p.period for p in measure.periods]
    span = f", {periods[0]} to {periods[-1]}" if periods else ""
    return (
        f"Chart of {measure.definition.title} by period{span}: your number as a line with "
        "dots, and where there is a benchmark, the middle half of the partners you are "
        "compared with as a pale bar and their median as a dark mark. The numbers are in "
        "the table that follows."
    )


def _measure_view(measure: Measure, min_peers: int, threshold: int | None) -> MeasureView:
    d = measure.definition
    return MeasureView(
        id=d.id,
        title=d.title,
        description=d.description,
        unit=UNITS.get(d.unit, d.unit.replace("_", " ").capitalize()),
        direction=DIRECTIONS.get(d.direction, d.direction),
        line=summary_line(measure, min_peers=min_peers),
        chart=measure_chart(measure, _chart_label(measure)),
        rows=_rows(measure, threshold),
    )


@lru_cache(maxsize=32)
def _build(root: str, run_id: str, partner: str, min_peers: int) -> Feedback:
    results = read_partner_results(root, partner, run_id)
    threshold = (results.run.get("thresholds", {}).get(AUDIENCE) or [0])[0] or None
    registry = registry_for(open_home(root))
    measures = partner_measures(results.view, results.peers, registry, partner)
    # Drawing is most of the time and vl_convert releases the interpreter: draw side by side.
    with ThreadPoolExecutor(max_workers=4) as pool:
        views = list(pool.map(lambda m: _measure_view(m, min_peers, threshold), measures))
    themes: dict[str, list[MeasureView]] = {}
    for measure, view in zip(measures, views, strict=True):
        themes.setdefault(measure.definition.theme, []).append(view)
    try:
        refreshed_at = datetime.fromisoformat(results.run.get("refreshed_at", ""))
    except ValueError:
        refreshed_at = None
    return Feedback(
        partner=partner,
        refreshed_at=refreshed_at,
        periods=tuple(results.run.get("periods", ())),
        themes=tuple(
            Theme(name, THEME_TITLES.get(name, name.capitalize()), tuple(views))
            for name, views in themes.items()
        ),
        min_peers=min_peers,
        threshold=threshold,
        benchmarks=sum(m.has_benchmark for m in measures),
    )


def feedback(home: Home, partner: str) -> Feedback | None:
    """``partner``'s feedback from the current run, or None when the indicators have never
    been computed."""
    min_peers = home.config.disclosure.min_peers
    for attempt in range(2):
        try:
            run_id = current_run(home.root)["run_id"]
            return _build(str(home.root), run_id, partner, min_peers)
        except NeedleInputError as error:
            log.info("No indicator results for feedback: %s", error)
            return None
        except FileNotFoundError:
            # A refresh replaced the run between reading current.json and its files.
            if attempt:
                raise
    raise AssertionError("unreachable")  # pragma: no cover
