"""Reading the core's indicator results for one audience, shaped for the dashboard pages.

Every number here comes from the core: the current run's protected table for the audience
(``needle.indicators.refresh.results_for``), turned into text by the core's formatting
(``needle.indicators.summary``), so a suppressed cell can only ever read "suppressed". The
web layer chooses what to put on a page and in which order, nothing more.

Why a small cache: a run never changes once written (a refresh writes a new run and
switches ``current.json``), so one audience's table of one run can be kept in memory and
keyed by the run id; each request still reads ``current.json`` and so sees a refresh at
once. At national scale the table is a few hundred thousand rows, which is too slow to read
from Parquet on every request.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Any

import polars as pl
from django.conf import settings

import needle
from needle.errors import NeedleInputError
from needle.indicators.definitions import IndicatorDefinition, Registry, with_titles
from needle.indicators.refresh import current_run, registry_for, results_for
from needle.indicators.schema import (
    ALL_PERIODS,
    DIMENSIONS,
    HEADLINE,
    PUBLISHED,
    SUPPRESSED,
)
from needle.indicators.summary import (
    DisclosureRules,
    HeadlineLine,
    format_result,
    group_label,
    group_sort_key,
    headline,
    shows_n,
    sorted_periods,
    with_status,
)

__all__ = [
    "BACKBONE",
    "PUBLIC",
    "STEERING_GROUP",
    "BreakdownTable",
    "Cell",
    "Dashboard",
    "IndicatorPage",
    "Provenance",
    "Results",
    "UnknownIndicator",
    "current_results",
    "dashboard",
    "data_package",
    "indicator_page",
    "open_data_csv",
]

log = logging.getLogger(__name__)

BACKBONE = "backbone"
STEERING_GROUP = "steering_group"
PUBLIC = "public"

# The breakdown that names partners: only the backbone sees it on a page. The steering
# group's protected table has per-partner rows (partners and the steering group share one
# protection), but the steering group and funders see collective numbers only
# (decision 0008); the public table has none at all.
PARTNER_BREAKDOWN = "partner"

# The licence the open data is offered under, in the data package.
OPEN_DATA_LICENCE = {
    "name": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
}

UNITS = {
    "people": "Young people",
    "count": "Count",
    "hours": "Hours",
    "percent": "Percentage",
    "ratio": "Ratio",
    "score": "Change in score",
    "effect_size": "Effect size",
    "days": "Days",
}
DIRECTIONS = {
    "up": "Higher is better",
    "down": "Lower is better",
    "none": "Neither higher nor lower is better",
}


class UnknownIndicator(LookupError):
    """No such indicator for this audience (the view answers 404)."""


@dataclass(frozen=True)
class Provenance:
    """Where the numbers come from: the current run."""

    refreshed_at: datetime | None
    submissions: int
    periods: tuple[str, ...]


@dataclass(frozen=True)
class Results:
    """One audience's current results and what is needed to show them."""

    audience: str
    initiative: str
    run: dict[str, Any]
    registry: Registry
    table: pl.DataFrame  # as the core stored it for the audience
    rules: DisclosureRules

    @cached_property
    def frame(self) -> pl.DataFrame:
        """The rows a page may show: every number of a hidden row emptied (the core's
        ``with_status``), and no per-partner rows outside the backbone."""
        frame = with_status(self.table)
        if self.audience != BACKBONE:
            frame = frame.filter(pl.col("breakdown") != PARTNER_BREAKDOWN)
        return frame

    @property
    def provenance(self) -> Provenance:
        try:
            refreshed_at = datetime.fromisoformat(self.run.get("refreshed_at", ""))
        except ValueError:
            refreshed_at = None
        return Provenance(
            refreshed_at=refreshed_at,
            submissions=len(self.run.get("submissions", ())),
            periods=tuple(self.run.get("periods", ())),
        )

    @property
    def threshold(self) -> int | None:
        return self.rules.threshold or None

    def visible(self, definition: IndicatorDefinition) -> bool:
        """Whether the audience may see the indicator at all."""
        return self.audience == BACKBONE or self.audience in definition.audiences


@lru_cache(maxsize=8)
def _table(root: str, run_id: str, audience: str) -> pl.DataFrame:
    del run_id  # the cache key: a new run is a new table
    return results_for(root, audience)


@lru_cache(maxsize=4)
def _registry(root: str, run_id: str) -> Registry:
    del run_id
    return registry_for(needle.open_home(root))


def current_results(audience: str) -> Results | None:
    """The current results of the initiative at ``settings.HOME`` for ``audience``, or None
    when there are none yet (no home there, or the indicators never computed)."""
    for attempt in range(2):
        try:
            home = needle.open_home(settings.HOME)
            run = current_run(home.root)
            table = _table(str(home.root), run["run_id"], audience)
            registry = _registry(str(home.root), run["run_id"])
        except NeedleInputError as error:
            log.info("No indicator results to show: %s", error)
            return None
        except FileNotFoundError:
            # A refresh replaced the run between reading current.json and its files.
            if attempt:
                raise
            continue
        rules = DisclosureRules.for_audience(audience, home.config.disclosure)
        return Results(audience, home.config.name, run, registry, table, rules)
    raise AssertionError("unreachable")  # pragma: no cover


# ---- the dashboard ----------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorLink:
    id: str
    title: str
    unit: str


@dataclass(frozen=True)
class Theme:
    title: str
    indicators: tuple[IndicatorLink, ...]


@dataclass(frozen=True)
class Dashboard:
    """Headline cards for the latest period and a link to every indicator."""

    provenance: Provenance
    headlines: tuple[HeadlineLine, ...]
    themes: tuple[Theme, ...]
    rules: str


def dashboard(results: Results) -> Dashboard:
    """The collective dashboard of ``results``: the core's headline lines (latest period,
    the period before, all periods) and the indicators grouped by theme."""
    present = set(results.frame["indicator"].unique().to_list())
    themes: dict[str, list[IndicatorLink]] = {}
    for d in results.registry:
        if d.id in present and results.visible(d):
            themes.setdefault(d.theme, []).append(IndicatorLink(d.id, d.title, d.unit))
    lines = headline(results.frame, results.registry, threshold=results.threshold)
    return Dashboard(
        provenance=results.provenance,
        headlines=tuple(lines),
        themes=tuple(Theme(name.capitalize(), tuple(links)) for name, links in themes.items()),
        rules=results.rules.describe(),
    )


# ---- one indicator ----------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    period: str
    text: str
    published: bool


@dataclass(frozen=True)
class Row:
    group: str
    label: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class BreakdownTable:
    breakdown: str
    title: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class IndicatorPage:
    definition: IndicatorDefinition
    unit: str
    direction: str
    periods: tuple[tuple[str, str], ...]  # (label, column heading)
    tables: tuple[BreakdownTable, ...]
    provenance: Provenance
    rules: str

    @property
    def shows_partners(self) -> bool:
        return any(t.breakdown == PARTNER_BREAKDOWN for t in self.tables)


def indicator_page(results: Results, indicator_id: str) -> IndicatorPage:
    """One indicator: what it is, and a table per breakdown of its groups by period.

    Raises :class:`UnknownIndicator` for an id the registry does not have or the audience
    may not see."""
    if indicator_id not in results.registry:
        raise UnknownIndicator(indicator_id)
    d = results.registry.get(indicator_id)
    if not results.visible(d):
        raise UnknownIndicator(indicator_id)
    rows = results.frame.filter(pl.col("indicator") == indicator_id).to_dicts()
    labels = sorted_periods(r["period"] for r in rows)
    if any(r["period"] == ALL_PERIODS for r in rows):
        labels.append(ALL_PERIODS)
    periods = tuple((p, "All periods" if p == ALL_PERIODS else p) for p in labels)
    by_breakdown: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
    for r in rows:
        by_breakdown.setdefault(r["breakdown"], {})[(r["group"], r["period"])] = r
    order = [HEADLINE, *(b for b in DIMENSIONS if b != "period")]
    order += sorted(set(by_breakdown) - set(order))
    show_n = shows_n(d)
    tables = []
    for breakdown in order:
        cells_of = by_breakdown.get(breakdown)
        if not cells_of:
            continue
        groups = sorted({g for g, _ in cells_of}, key=lambda g: group_sort_key(breakdown, g))
        table_rows = []
        for group in groups:
            cells = []
            for period in labels:
                row = cells_of.get((group, period))
                text = format_result(row, d.unit, threshold=results.threshold, show_n=show_n)
                published = row is not None and row.get("status") == PUBLISHED
                cells.append(Cell(period, text, published))
            label = "All" if breakdown == HEADLINE else group_label(breakdown, group)
            table_rows.append(Row(group, label, tuple(cells)))
        dimension = DIMENSIONS.get(breakdown)
        title = (
            "Overall" if breakdown == HEADLINE else (dimension.title if dimension else breakdown)
        )
        tables.append(BreakdownTable(breakdown, title, tuple(table_rows)))
    return IndicatorPage(
        definition=d,
        unit=UNITS.get(d.unit, d.unit.replace("_", " ").capitalize()),
        direction=DIRECTIONS.get(d.direction, d.direction),
        periods=periods,
        tables=tuple(tables),
        provenance=results.provenance,
        rules=results.rules.describe(),
    )


# ---- open data --------------------------------------------------------------------------

CSV_NAME = "data.csv"

FIELD_DESCRIPTIONS = {
    "indicator": "The indicator's id.",
    "title": "The indicator's title.",
    "unit": "What the value counts or measures: people, count, hours, percent, ratio, "
    "score, effect_size or days.",
    "period": "The reporting period (such as 2025-Q1), or 'all' for every period together.",
    "breakdown": "Empty for the headline number, else the dimension the groups divide by "
    "(ward, gender, age_band, ...).",
    "group": "Empty for the headline number, else the group within the breakdown; "
    "'unknown' where it was not recorded.",
    "value": "The number. Empty where it is suppressed.",
    "numerator": "For rates and shares, the count on top; for counts, the count itself.",
    "denominator": "For rates and shares, the count below.",
    "n": "How many units (young people, sessions, pairs) the value rests on.",
    "lower": "Lower limit of the 95% confidence interval, where there is one.",
    "upper": "Upper limit of the 95% confidence interval, where there is one.",
    "status": "'published', or 'suppressed' where the number is hidden to protect privacy.",
}


def open_data_csv(results: Results) -> str:
    """The public results table as CSV: every row the public may see, with each
    indicator's title and unit (what ``needle indicators export --audience public``
    writes)."""
    return with_titles(results.table, results.registry).write_csv()


def _field_type(dtype: pl.DataType) -> str:
    if dtype.is_integer():
        return "integer"
    if dtype.is_numeric():
        return "number"
    return "string"


def data_package(results: Results) -> dict[str, Any]:
    """A Frictionless Data Package describing :func:`open_data_csv`, served beside it."""
    table = with_titles(results.table.head(0), results.registry)
    fields = []
    for name, dtype in table.schema.items():
        field: dict[str, Any] = {"name": name, "type": _field_type(dtype)}
        if name in FIELD_DESCRIPTIONS:
            field["description"] = FIELD_DESCRIPTIONS[name]
        if name == "status":
            field["constraints"] = {"enum": [PUBLISHED, SUPPRESSED]}
        fields.append(field)
    slug = re.sub(r"[^a-z0-9]+", "-", results.initiative.lower()).strip("-") or "initiative"
    provenance = results.provenance
    package: dict[str, Any] = {
        "name": f"{slug}-indicators",
        "title": f"{results.initiative}: shared indicators",
        "description": (
            "The initiative's shared indicators as open data, one number a row: each "
            "indicator per period and over all periods, overall and broken down by group. "
            + results.rules.describe()
        ),
        "licenses": [OPEN_DATA_LICENCE],
        "resources": [
            {
                "name": "indicators",
                "path": CSV_NAME,
                "title": "Indicator results",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "profile": "tabular-data-resource",
                "schema": {"fields": fields, "missingValues": [""]},
            }
        ],
    }
    if provenance.refreshed_at is not None:
        package["created"] = provenance.refreshed_at.isoformat()
    return package
