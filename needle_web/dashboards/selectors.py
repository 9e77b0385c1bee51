"""Reading the core's indicator results for one audience, shaped for the dashboard pages.

Every number here comes from the core: the current run's protected table for the audience
(``needle.indicators.refresh.results_for``), turned into text by the core's formatting
(``needle.indicators.summary``), so a suppressed cell can only ever read "suppressed". The
web layer chooses what to put on a page and in which order, nothing more.

Why small caches: a run never changes once written (a refresh writes a new run and
switches ``current.json``), so one audience's results of one run, and the dashboard shaped
from them, can be kept in memory keyed by the run id; each request still reads
``current.json`` and so sees a refresh at once. The home is opened once per version of its
``needle.toml``. At national scale the table is over a million rows: reading and shaping it
on every request made the dashboard's p95 seconds under load (docs/benchmarks.md, Web).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import polars as pl
from django.conf import settings

import needle
from needle.errors import NeedleInputError
from needle.indicators.definitions import IndicatorDefinition, Registry, with_titles
from needle.indicators.export import export_frame
from needle.indicators.html import CurveChart, bar_svg, curve_chart, trend_svg
from needle.indicators.maps import NO_DATA, area_lookup, reach_map, read_geojson
from needle.indicators.population import (
    population_series_path,
    read_population_series,
    turn_the_curve,
)
from needle.indicators.refresh import current_run, registry_for, results_for
from needle.indicators.schema import (
    ALL_PERIODS,
    DIMENSIONS,
    HEADLINE,
    PUBLISHED,
    SUPPRESSED,
)
from needle.indicators.summary import (
    NOT_AVAILABLE,
    DisclosureRules,
    HeadlineLine,
    format_number,
    format_result,
    group_label,
    group_sort_key,
    headline,
    shows_n,
    sorted_periods,
    suppression_text,
    with_status,
)
from needle.initiative import Home
from needle.reference.sources import bundled_sources

__all__ = [
    "BACKBONE",
    "PUBLIC",
    "STEERING_GROUP",
    "BreakdownTable",
    "Cell",
    "Curve",
    "Dashboard",
    "Equity",
    "IndicatorPage",
    "MapPage",
    "Provenance",
    "Results",
    "Trend",
    "UnknownIndicator",
    "cache_key",
    "current_results",
    "dashboard",
    "data_package",
    "equity",
    "export_name",
    "export_table",
    "indicator_page",
    "map_areas",
    "map_data",
    "map_page",
    "open_data_csv",
    "population_curves",
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


@dataclass(frozen=True, eq=False)  # compared by identity: one object per run and audience
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


@lru_cache(maxsize=4)
def _home_at(root: str, config_key: float) -> Home:
    del config_key  # the cache key: a changed needle.toml is opened again
    return needle.open_home(root)


def open_home() -> Home:
    """The initiative at ``settings.HOME``, opened once per version of its ``needle.toml``
    (the core's own message when there is no home there)."""
    if settings.HOME is None:
        return needle.open_home(None)
    root = Path(settings.HOME)
    key = _mtime(root / "needle.toml")
    return _home_at(str(root), key) if key else needle.open_home(root)


@lru_cache(maxsize=8)
def _results(root: str, run_id: str, audience: str, config_key: float) -> Results:
    del config_key  # thresholds and the name come from needle.toml
    home = _home_at(root, _mtime(Path(root) / "needle.toml"))
    run = current_run(home.root)
    if run["run_id"] != run_id:
        raise FileNotFoundError(run_id)  # replaced meanwhile: the caller tries again
    rules = DisclosureRules.for_audience(audience, home.config.disclosure)
    return Results(
        audience,
        home.config.name,
        run,
        _registry(root, run_id),
        _table(root, run_id, audience),
        rules,
    )


def current_results(audience: str) -> Results | None:
    """The current results of the initiative at ``settings.HOME`` for ``audience``, or None
    when there are none yet (no home there, or the indicators never computed)."""
    for attempt in range(2):
        try:
            home = open_home()
            run = current_run(home.root)
            root = str(home.root)
            return _results(root, run["run_id"], audience, _mtime(home.root / "needle.toml"))
        except NeedleInputError as error:
            log.info("No indicator results to show: %s", error)
            return None
        except FileNotFoundError:
            # A refresh replaced the run between reading current.json and its files.
            if attempt:
                raise
            continue
    raise AssertionError("unreachable")  # pragma: no cover


# ---- charts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Trend:
    """One indicator's headline over the periods: the core's chart and the same numbers.
    ``svg`` is None when no period may be drawn for the audience."""

    svg: str | None
    caption: str
    rows: tuple[tuple[str, str], ...]  # (period, the cell as the page prints it)
    not_drawn: tuple[str, ...]  # periods whose number is hidden or missing


def trend(results: Results, d: IndicatorDefinition, rows: list[dict[str, Any]]) -> Trend | None:
    """The trend of ``d``'s headline from its rows of ``results.frame``, or None with no
    periods (one period of an "all periods only" indicator is not a trend)."""
    by_period = {
        r["period"]: r for r in rows if r["breakdown"] == HEADLINE and r["period"] != ALL_PERIODS
    }
    periods = sorted_periods(by_period)
    if not periods:
        return None
    ordered = [by_period[p] for p in periods]
    threshold, show_n = results.threshold, shows_n(d)
    texts = [format_result(r, d.unit, threshold=threshold, show_n=show_n) for r in ordered]
    return Trend(
        svg=trend_svg(ordered, d, texts[-1]),
        caption=f"{d.title}, by period, {periods[0]} to {periods[-1]}",
        rows=tuple(zip(periods, texts, strict=True)),
        not_drawn=tuple(
            p for p, r in zip(periods, ordered, strict=True) if r["status"] != PUBLISHED
        ),
    )


@dataclass(frozen=True)
class Curve:
    """A population indicator's "turn the curve" chart, or why there is none."""

    id: str
    title: str
    chart: CurveChart | None
    problem: str = ""


@lru_cache(maxsize=4)
def _curves(root: str, config_key: float, series_key: float) -> tuple[Curve, ...]:
    del config_key, series_key  # the cache key: a changed series or needle.toml is new
    home = needle.open_home(root)
    definitions = home.config.population_indicators
    if not definitions:
        return ()
    try:
        series = read_population_series(home.root)
    except NeedleInputError as error:
        return tuple(Curve(d.id, d.title, None, str(error)) for d in definitions)
    curves = []
    for d in definitions:
        try:
            curves.append(Curve(d.id, d.title, curve_chart(d, turn_the_curve(series, d))))
        except NeedleInputError as error:
            curves.append(Curve(d.id, d.title, None, str(error)))
    return tuple(curves)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def population_curves() -> tuple[Curve, ...]:
    """The initiative's population indicators with their baselines, targets and forecasts
    (public statistics, the same for every audience); none when ``needle.toml`` defines
    none. Charts are drawn once per version of the series and ``needle.toml``."""
    try:
        home = open_home()
    except NeedleInputError:
        return ()
    series = population_series_path(home.root)
    return _curves(str(home.root), _mtime(home.root / "needle.toml"), _mtime(series))


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
    curves: tuple[Curve, ...] = ()


@lru_cache(maxsize=8)
def _headlines_and_themes(results: Results) -> tuple[tuple[HeadlineLine, ...], tuple[Theme, ...]]:
    # Keyed by the Results object, which is one per run and audience (see _results).
    present = set(results.frame["indicator"].unique().to_list())
    themes: dict[str, list[IndicatorLink]] = {}
    for d in results.registry:
        if d.id in present and results.visible(d):
            themes.setdefault(d.theme, []).append(IndicatorLink(d.id, d.title, d.unit))
    lines = headline(results.frame, results.registry, threshold=results.threshold)
    return (
        tuple(lines),
        tuple(Theme(name.capitalize(), tuple(links)) for name, links in themes.items()),
    )


def cache_key(results: Results) -> str:
    """What a page shaped from ``results`` depends on besides the audience: the run, and
    the versions of ``needle.toml`` and of the population series (the curves)."""
    root = open_home().root
    return "-".join(
        (
            results.run["run_id"],
            str(_mtime(root / "needle.toml")),
            str(_mtime(population_series_path(root))),
        )
    )


def dashboard(results: Results, curves: tuple[Curve, ...] = ()) -> Dashboard:
    """The collective dashboard of ``results``: the core's headline lines (latest period,
    the period before, all periods), the indicators grouped by theme, and ``curves``
    (:func:`population_curves`)."""
    headlines, themes = _headlines_and_themes(results)
    return Dashboard(
        provenance=results.provenance,
        headlines=headlines,
        themes=themes,
        rules=results.rules.describe(),
        curves=curves,
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
    trend: Trend | None = None

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
        trend=trend(results, d, rows),
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


# ---- equity: reach by deprivation -------------------------------------------------------

EQUITY = "reach_equity"
POPULATION_RATE = "reach_population_rate"
DECILES = "imd_decile"


@dataclass(frozen=True)
class EquityRow:
    group: str
    label: str
    reached: str  # young people reached who live in the area, in this decile
    residents: str  # resident young people in this decile (Census 2021)
    rate: str  # the first as a share of the second
    ratio: str  # the decile's share of reach over its share of residents
    published: bool


@dataclass(frozen=True)
class Equity:
    """Reach by deprivation decile against the population of each decile, as the core
    computed it (``reach_equity`` and ``reach_population_rate`` by ``imd_decile``)."""

    period: str
    periods: tuple[str, ...]
    rows: tuple[EquityRow, ...]
    svg: str | None
    title: str
    description: str
    provenance: Provenance
    rules: str


def _number(row: dict[str, Any] | None, key: str, unit: str, threshold: int | None) -> str:
    if row is None:
        return f"{NOT_AVAILABLE} (no data)"
    if row["status"] != PUBLISHED:
        return suppression_text(row["status"], threshold)
    value = row.get(key)
    return NOT_AVAILABLE if value is None else format_number(value, unit)


def equity(results: Results, period: str | None = None) -> Equity | None:
    """The equity view of ``period`` (default: all periods pooled, the steadiest picture),
    or None when the audience has no equity results (no population reference, or an
    indicator it may not see)."""
    if EQUITY not in results.registry or not results.visible(results.registry.get(EQUITY)):
        return None
    frame = results.frame.filter(pl.col("breakdown") == DECILES)
    ratio_rows = frame.filter(pl.col("indicator") == EQUITY).to_dicts()
    if not ratio_rows:
        return None
    available = sorted_periods(r["period"] for r in ratio_rows)
    if any(r["period"] == ALL_PERIODS for r in ratio_rows):
        available.append(ALL_PERIODS)
    chosen = period if period in available else available[-1]
    if period is None and ALL_PERIODS in available:
        chosen = ALL_PERIODS
    d = results.registry.get(EQUITY)
    ratios = {r["group"]: r for r in ratio_rows if r["period"] == chosen}
    rates = {
        r["group"]: r
        for r in frame.filter(
            (pl.col("indicator") == POPULATION_RATE) & (pl.col("period") == chosen)
        ).to_dicts()
    }
    threshold = results.threshold
    rows = []
    bars = []
    for group in sorted(ratios, key=lambda g: group_sort_key(DECILES, g)):
        ratio = ratios[group]
        label = group_label(DECILES, group)
        published = ratio["status"] == PUBLISHED and ratio["value"] is not None
        rows.append(
            EquityRow(
                group=group,
                label=label,
                reached=_number(ratio, "numerator", "people", threshold),
                residents=_number(ratio, "denominator", "people", threshold),
                rate=_number(rates.get(group), "value", "percent", threshold),
                ratio=format_result(ratio, d.unit, threshold=threshold),
                published=published,
            )
        )
        if published:
            bars.append(
                {
                    "label": label,
                    "value": ratio["value"],
                    "text": format_number(ratio["value"], d.unit),
                }
            )
    when = "all periods" if chosen == ALL_PERIODS else chosen
    svg = bar_svg(
        bars,
        d.unit,
        f"Bar chart of the equity ratio by deprivation decile, {when}: {len(bars)} of "
        f"{len(rows)} deciles drawn; a dashed line marks 1, reach in proportion to the "
        "population. The numbers are in the table that follows.",
        reference=1.0,
        axis_title="Equity ratio (1 = reached in proportion to the population)",
    )
    return Equity(
        period=chosen,
        periods=tuple(available),
        rows=tuple(rows),
        svg=svg,
        title=d.title,
        description=d.description,
        provenance=results.provenance,
        rules=results.rules.describe(),
    )


# ---- the map ------------------------------------------------------------------------------

MAP_INDICATOR = "reach"
MAP_PERIOD = ALL_PERIODS
BOUNDARIES_FILES = ("lsoa2021_boundaries.geojson.gz", "lsoa2021_boundaries.geojson")


@lru_cache(maxsize=2)
def _boundaries(path: str, key: float) -> dict[str, Any]:
    del key
    return read_geojson(Path(path))


@lru_cache(maxsize=2)
def _areas(reference_dir: str, key: float) -> pl.DataFrame:
    del key
    from needle.reference import open_reference

    return area_lookup(open_reference(Path(reference_dir)))


def map_areas() -> tuple[dict[str, Any], pl.DataFrame] | None:
    """The LSOA boundaries (the home's ``reference/lsoa2021_boundaries.geojson[.gz]``,
    else the bundled Trafford ones) and each LSOA's ward and decile from the home's
    reference store; None when the home has no reference data."""
    try:
        home = open_home()
        reference = home.reference_dir
        areas = _areas(str(reference), _mtime(reference / "manifest.json"))
    except NeedleInputError as error:
        log.info("No map: %s", error)
        return None
    path = next(
        (reference / name for name in BOUNDARIES_FILES if (reference / name).is_file()),
        bundled_sources().lsoa2021_boundaries,
    )
    return _boundaries(str(path), _mtime(path)), areas


def map_data(results: Results) -> dict[str, Any] | None:
    """The map's GeoJSON for the audience of ``results`` (its protected numbers only),
    or None without reference data."""
    found = map_areas()
    if found is None:
        return None
    boundaries, areas = found
    return reach_map(boundaries, areas, results.frame, period=MAP_PERIOD, indicator=MAP_INDICATOR)


@dataclass(frozen=True)
class MapRow:
    code: str
    name: str
    ward: str
    decile: str
    reach: str


@dataclass(frozen=True)
class MapPage:
    """What the map shows, as a table for those who cannot use the map."""

    rows: tuple[MapRow, ...]
    wards: int
    title: str
    provenance: Provenance
    rules: str


def _map_text(properties: dict[str, Any], threshold: int | None) -> str:
    if properties["value"] is not None:
        return format_number(properties["value"], "people")
    if properties["status"] == NO_DATA:
        return f"{NOT_AVAILABLE} (no data)"
    return suppression_text(properties["status"], threshold)


def map_page(results: Results, data: dict[str, Any]) -> MapPage:
    """The table beside the map: every neighbourhood, its ward, decile and the ward's
    reach, read from the same GeoJSON the map draws."""
    rows = []
    for feature in data["features"]:
        p = feature["properties"]
        decile = p["imd_decile"]
        rows.append(
            MapRow(
                code=p["code"],
                name=p["name"],
                ward=p["ward_name"] or "Not known",
                decile=group_label(DECILES, str(decile)) if decile is not None else "Not known",
                reach=_map_text(p, results.threshold),
            )
        )
    rows.sort(key=lambda r: (r.ward, r.name))
    d = results.registry.get(MAP_INDICATOR)
    return MapPage(
        rows=tuple(rows),
        wards=len({r.ward for r in rows}),
        title=d.title,
        provenance=results.provenance,
        rules=results.rules.describe(),
    )


# ---- exports ------------------------------------------------------------------------------


def export_table(results: Results, *, whole: bool) -> pl.DataFrame:
    """The audience's results for a download, with titles and units: ``whole`` as stored
    (for the backbone), else without the per-partner rows (the steering group and funders
    see collective numbers only)."""
    table = results.table
    if not whole:
        table = table.filter(pl.col("breakdown") != PARTNER_BREAKDOWN)
    return export_frame(table, results.registry)


def export_name(results: Results, fmt: str) -> str:
    """A file name that says whose results, for which audience, from which run."""
    slug = re.sub(r"[^a-z0-9]+", "-", results.initiative.lower()).strip("-") or "initiative"
    audience = results.audience.replace("_", "-")
    return f"{slug}-{audience}-{str(results.run.get('run_id', ''))[:8]}.{fmt}"
