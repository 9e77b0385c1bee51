"""A self-contained, accessible HTML summary of an initiative's indicators for one audience.

The page is one file with no external scripts, fonts, stylesheets or images: it is emailed
to steering groups, attached to funder reports and opened on locked-down council laptops
and phones, often offline, so anything fetched from the web would be missing or blocked
(and would tell a third party who opened it). Charts are drawn with Altair and rendered to
inline SVG with ``vl_convert`` at build time for the same reason: nothing runs in the
browser.

Public bodies must meet WCAG 2.2 AA, and a chart on its own excludes anyone who cannot see
it, so every chart is a ``<figure>`` with a caption, an SVG with ``role="img"`` and a text
label, and a table of the same numbers behind a "Show the numbers" disclosure. Colours are
the Okabe-Ito colour-blind safe palette, one series per chart, with dark text on white;
nothing is said by colour alone.

The page only shows what it is given: protection happens before
(:func:`needle.indicators.disclosure.protect`). A cell that is not published is never
drawn and never printed as a number: it is listed as suppressed, with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

import altair as alt
import polars as pl
import vl_convert

from needle.indicators.definitions import IndicatorDefinition, Registry
from needle.indicators.population import curve_summary, format_value
from needle.indicators.schema import (
    ALL_PERIODS,
    DIMENSIONS,
    HEADLINE,
    PUBLISHED,
)
from needle.indicators.summary import (
    HEADLINE_INDICATORS,
    NOT_AVAILABLE,
    DisclosureRules,
    HeadlineLine,
    format_bound,
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

if TYPE_CHECKING:
    from needle.initiative.config import AgendaConfig, OutcomeConfig, PopulationIndicatorConfig

__all__ = [
    "PALETTE",
    "CurveChart",
    "bar_svg",
    "chart_svg",
    "curve_chart",
    "render_summary",
    "trend_svg",
]

# Okabe-Ito: distinguishable with the common colour vision deficiencies. The blue has a
# contrast of 5:1 on white, above the 3:1 WCAG asks of graphics.
PALETTE = {
    "blue": "#0072B2",
    "sky": "#56B4E9",
    "vermillion": "#D55E00",
    "green": "#009E73",
    "orange": "#E69F00",
    "purple": "#CC79A7",
}
TEXT = "#1a1a1a"  # 17:1 on white
MUTED = "#4d4d4d"  # 8:1 on white: rules, axis lines, secondary text

AUDIENCE_LABELS = {
    "backbone": "the backbone team",
    "partner": "partners",
    "steering_group": "the steering group and funders",
    "public": "the public",
}
UNIT_LABELS = {
    "people": "Young people",
    "count": "Number",
    "hours": "Hours",
    "percent": "Percent",
    "ratio": "Ratio",
    "score": "Change in score",
    "effect_size": "Effect size",
    "days": "Days",
}
DIRECTION_TEXT = {
    "up": ("↑", "Higher is better"),
    "down": ("↓", "Lower is better"),
    "none": ("", "Neither higher nor lower is better in itself"),
}
THEME_TITLES = {
    "reach": "Reach",
    "engagement": "Engagement",
    "outcomes": "Outcomes",
    "referrals": "Referrals",
}
# Breakdowns of reach shown as "who is reached" charts.
REACH_BREAKDOWNS = ("ward", "age_band", "gender")

_CHART_WIDTH = 460
_BAR_STEP = 22

_CSS = f"""
*{{box-sizing:border-box}}
body{{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;
color:{TEXT};background:#fff;line-height:1.5}}
header,main,footer{{max-width:60rem;margin:0 auto;padding:1rem 1.25rem}}
header{{border-bottom:2px solid {TEXT}}}
footer{{border-top:2px solid {TEXT};font-size:.95rem}}
a{{color:#004f8a}}
a:focus,summary:focus{{outline:3px solid {TEXT};outline-offset:2px}}
.skip-link{{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem 1rem}}
.skip-link:focus{{left:1rem}}
.visually-hidden{{position:absolute;width:1px;height:1px;overflow:hidden;
clip:rect(0 0 0 0);white-space:nowrap}}
.cards{{list-style:none;padding:0;display:grid;gap:1rem;
grid-template-columns:repeat(auto-fill,minmax(15rem,1fr))}}
.card{{border:1px solid {MUTED};border-radius:.4rem;padding:.75rem 1rem}}
.card h3{{font-size:1rem;margin:0 0 .25rem}}
.card-value{{font-size:1.6rem;font-weight:700;margin:0}}
.card p{{margin:.2rem 0}}
figure{{margin:1.5rem 0;padding:0}}
figcaption{{font-weight:600;margin-bottom:.5rem}}
figcaption span{{display:block;font-weight:400}}
svg{{max-width:100%;height:auto}}
table{{border-collapse:collapse;margin:.5rem 0}}
caption{{text-align:left;font-weight:600}}
th,td{{border:1px solid {MUTED};padding:.25rem .5rem;text-align:left}}
td.num{{text-align:right;font-variant-numeric:tabular-nums}}
summary{{cursor:pointer;color:#004f8a;text-decoration:underline}}
.suppressed{{color:{TEXT};font-style:italic}}
.vision{{font-size:1.15rem}}
.curve-summary{{font-weight:600}}
"""


# --- the results, as the page needs them -------------------------------------------------


class _Results:
    """The results with a status, indexed for the page's look-ups."""

    def __init__(self, results: pl.DataFrame, registry: Registry, rules: DisclosureRules):
        frame = with_status(results)
        self.frame = frame.filter(pl.col("indicator").is_in(list(registry.indicators)))
        self.registry = registry
        self.rules = rules
        self.indicators = set(self.frame["indicator"].unique().to_list())

    def rows(self, indicator: str, breakdown: str = HEADLINE) -> list[dict[str, Any]]:
        return self.frame.filter(
            (pl.col("indicator") == indicator) & (pl.col("breakdown") == breakdown)
        ).to_dicts()

    def definition(self, indicator: str) -> IndicatorDefinition:
        return self.registry.get(indicator)

    def cell_text(self, row: Mapping[str, Any], unit: str) -> str:
        """A value cell: the number or the suppression and its reason."""
        if row.get("status") != PUBLISHED:
            return suppression_text(row["status"], self.rules.threshold or None)
        if row.get("value") is None:
            return f"{NOT_AVAILABLE} (not available)"
        return format_number(row["value"], unit)


def _published(row: Mapping[str, Any]) -> bool:
    return row.get("status") == PUBLISHED and row.get("value") is not None


def _number_or_none(row: Mapping[str, Any], key: str) -> float | None:
    return row.get(key) if _published(row) else None


def _period_text(period: str) -> str:
    return "all periods" if period == ALL_PERIODS else period


def _pick_period(rows: Sequence[Mapping[str, Any]]) -> str | None:
    """The period a breakdown chart shows: all periods pooled (the most stable picture,
    with the fewest suppressed groups) when there is one, else the latest."""
    periods = {r["period"] for r in rows}
    if ALL_PERIODS in periods:
        return ALL_PERIODS
    ordered = sorted_periods(periods)
    return ordered[-1] if ordered else None


# --- charts ---------------------------------------------------------------------------


def _configure(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Dark text, readable sizes, no chart border: the page's look, in every chart."""
    axis = {
        "labelColor": TEXT,
        "titleColor": TEXT,
        "labelFontSize": 12,
        "titleFontSize": 12,
        "domainColor": MUTED,
        "tickColor": MUTED,
        "gridColor": "#e6e6e6",
        "labelLimit": 220,
    }
    return chart.configure(
        font="sans-serif", background="white", axis=axis, view={"stroke": None}
    ).configure_text(color=TEXT, fontSize=12)


def chart_svg(chart: alt.TopLevelMixin, label: str) -> str:
    """The chart as inline SVG that a screen reader announces as one image with ``label``.

    The namespace declarations are dropped: HTML does not need them, and the page then
    contains no web address at all.
    """
    svg = vl_convert.vegalite_to_svg(_configure(chart).to_dict())
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg, count=2)
    # Vega's own ARIA roles and labels of the marks inside: the chart is one image with
    # one label (below), and an unlabelled "graphics-symbol" inside it fails WCAG checks.
    svg = re.sub(r'\s+(role|aria-roledescription|aria-label)="[^"]*"', "", svg)
    return svg.replace(
        "<svg ", f'<svg role="img" aria-label="{escape(label)}" focusable="false" ', 1
    )


def _trend_chart(points: list[dict[str, Any]], definition: IndicatorDefinition) -> alt.LayerChart:
    """A line over periods; suppressed periods are null, so the line breaks there instead
    of drawing a number across them. Mean changes get their 95% CI as a band and bars."""
    order = [p["period"] for p in points]
    blue = PALETTE["blue"]
    angle = 0 if len(order) <= 8 else -45  # many periods: slant the labels to fit
    x = alt.X("period:O", sort=order, title="Period", axis=alt.Axis(labelAngle=angle))
    y_title = UNIT_LABELS.get(definition.unit, "Value")
    base = alt.Chart().encode(x=x)
    layers: list[alt.Chart] = []
    has_ci = any(p["lower"] is not None and p["upper"] is not None for p in points)
    if has_ci:
        layers.append(
            base.mark_area(color=PALETTE["sky"], opacity=0.3).encode(
                y=alt.Y("lower:Q", title=y_title), y2="upper:Q"
            )
        )
        layers.append(base.mark_rule(color=blue, strokeWidth=1.5).encode(y="lower:Q", y2="upper:Q"))
    if definition.unit == "score":
        layers.append(
            alt.Chart()
            .mark_rule(color=MUTED, strokeDash=[4, 3])
            .encode(y=alt.datum(0, type="quantitative"))
        )
    layers.append(
        base.mark_line(color=blue, strokeWidth=2).encode(y=alt.Y("value:Q", title=y_title))
    )
    layers.append(base.mark_point(color=blue, filled=True, size=60, opacity=1).encode(y="value:Q"))
    return alt.layer(*layers, data=alt.Data(values=points)).properties(
        width=_CHART_WIDTH, height=220
    )


def _bar_chart(
    bars: list[dict[str, Any]], unit: str, *, reference: float | None = None, title: str = ""
) -> alt.LayerChart:
    """Horizontal bars, one per group, each with its value printed at its end (so the
    numbers do not depend on reading the axis); ``reference`` draws a dashed rule."""
    order = [b["label"] for b in bars]
    y = alt.Y("label:N", sort=order, title=None)
    x = alt.X("value:Q", title=title or UNIT_LABELS.get(unit, "Value"))
    base = alt.Chart(alt.Data(values=bars)).encode(y=y)
    layers: list[alt.Chart] = [base.mark_bar(color=PALETTE["blue"]).encode(x=x)]
    if reference is not None:
        layers.append(
            alt.Chart()
            .mark_rule(color=TEXT, strokeDash=[5, 3], strokeWidth=1.5)
            .encode(x=alt.datum(reference, type="quantitative"))
        )
    # The values last, so that the reference rule never covers one.
    layers.append(base.mark_text(align="left", dx=4, color=TEXT).encode(x="value:Q", text="text:N"))
    return alt.layer(*layers).properties(width=_CHART_WIDTH - 120, height=_BAR_STEP * len(bars))


def _change_chart(points: list[dict[str, Any]]) -> alt.LayerChart:
    """Mean changes with their 95% CI as dots and whiskers, against a dashed rule at no
    change."""
    order = [p["label"] for p in points]
    y = alt.Y("label:N", sort=order, title=None)
    base = alt.Chart(alt.Data(values=points)).encode(y=y)
    layers = [
        alt.Chart().mark_rule(color=MUTED, strokeDash=[4, 3]).encode(x=alt.datum(0)),
        base.mark_rule(color=PALETTE["blue"], strokeWidth=2).encode(
            x=alt.X("lower:Q", title="Mean change in score (95% CI)"), x2="upper:Q"
        ),
        base.mark_point(color=PALETTE["blue"], filled=True, size=80, opacity=1).encode(x="value:Q"),
    ]
    return alt.layer(*layers).properties(width=_CHART_WIDTH - 80, height=32 * len(points))


# --- HTML pieces ------------------------------------------------------------------------


class _Markup(str):
    """Text that is already HTML (built here from escaped parts): a table does not escape
    it again."""


def _cell(text: str) -> str:
    return text if isinstance(text, _Markup) else escape(text)


def _table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A data table: the first column names the row; other cells are right-aligned."""
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    body = []
    for row in rows:
        first, *rest = row
        cells = "".join(f'<td class="num">{_cell(c)}</td>' for c in rest)
        body.append(f'<tr><th scope="row">{_cell(first)}</th>{cells}</tr>')
    return (
        f"<table><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _figure(
    fig_id: str,
    caption: str,
    detail: str,
    svg: str | None,
    table: str,
    suppressed: Sequence[str],
    title: str,
) -> str:
    """A chart with its caption, the same numbers as a table, and what was not drawn."""
    parts = [
        f'<figure id="{escape(fig_id)}">',
        f"<figcaption>{escape(caption)}"
        + (f"<span>{escape(detail)}</span>" if detail else "")
        + "</figcaption>",
    ]
    if svg is not None:
        parts.append(f'<div class="chart">{svg}</div>')
    else:
        parts.append('<p class="suppressed">No number here can be shown, so there is no chart.</p>')
    if suppressed:
        items = "".join(f"<li>{escape(s)}</li>" for s in suppressed)
        parts.append(
            f'<div class="suppressed"><p>Suppressed, so not drawn:</p><ul>{items}</ul></div>'
        )
    parts.append(
        "<details><summary>Show the numbers"
        f'<span class="visually-hidden"> for {escape(title)}</span></summary>'
        f"{table}</details></figure>"
    )
    return "".join(parts)


def _columns(
    rows: Sequence[Mapping[str, Any]], definition: IndicatorDefinition
) -> tuple[list[str], bool, bool]:
    has_ci = any(r.get("lower") is not None and r.get("upper") is not None for r in rows)
    with_n = shows_n(definition)
    headers = [UNIT_LABELS.get(definition.unit, "Value")]
    if has_ci:
        headers += ["95% CI lower", "95% CI upper"]
    if with_n:
        headers.append("Based on (n)")
    return headers, has_ci, with_n


def _table_row(
    data: _Results,
    label: str,
    row: Mapping[str, Any],
    definition: IndicatorDefinition,
    has_ci: bool,
    with_n: bool,
) -> list[str]:
    unit = definition.unit
    cells = [label, data.cell_text(row, unit)]
    shown = _published(row)
    if has_ci:
        for key in ("lower", "upper"):
            bound = row.get(key) if shown else None
            cells.append(
                NOT_AVAILABLE if bound is None else format_bound(bound, unit, row["value"])
            )
    if with_n:
        n = row.get("n") if shown else None
        cells.append(NOT_AVAILABLE if n is None else f"{int(n):,}")
    return cells


def _suppressed_notes(data: _Results, named: Sequence[tuple[str, Mapping[str, Any]]]) -> list[str]:
    """What was not drawn, and why, for the list under a chart."""
    return [
        f"{label}: {suppression_text(row['status'], data.rules.threshold or None)}"
        for label, row in named
        if row["status"] != PUBLISHED
    ]


def trend_svg(
    rows: Sequence[Mapping[str, Any]], definition: IndicatorDefinition, latest: str
) -> str | None:
    """The trend of one indicator's headline as inline SVG, or None when no number of it
    may be drawn.

    ``rows`` are protected result rows with a status, one per period in order; a row that
    is not published is a gap in the line, never a point. ``latest`` is the latest cell
    as the page prints it, for the label a screen reader announces. Shared by this page
    and the web dashboards, so both draw the same chart from the same numbers.
    """
    if not rows:
        return None
    periods = [r["period"] for r in rows]
    points = [
        {
            "period": r["period"],
            "value": _number_or_none(r, "value"),
            "lower": _number_or_none(r, "lower"),
            "upper": _number_or_none(r, "upper"),
        }
        for r in rows
    ]
    drawn = [p for p in points if p["value"] is not None]
    if not drawn:
        return None
    kind = "Line chart"
    if any(p["lower"] is not None for p in drawn):
        kind += " with 95% confidence intervals"
    label = (
        f"{kind} of {definition.title} by period, {periods[0]} to {periods[-1]}. "
        f"Latest: {latest}. The numbers are in the table that follows."
    )
    return chart_svg(_trend_chart(points, definition), label)


def bar_svg(
    bars: Sequence[Mapping[str, Any]],
    unit: str,
    label: str,
    *,
    reference: float | None = None,
    axis_title: str = "",
) -> str | None:
    """Horizontal bars (``label``, ``value``, ``text`` each: published numbers only) as
    inline SVG announced as ``label``, or None without bars; ``reference`` draws a dashed
    rule (1 for an equity ratio). Shared with the web dashboards' equity view."""
    if not bars:
        return None
    return chart_svg(_bar_chart(list(bars), unit, reference=reference, title=axis_title), label)


def _trend_figure(data: _Results, indicator: str) -> str | None:
    """A trend chart of one indicator's headline over the periods, or None without periods."""
    d = data.definition(indicator)
    by_period = {r["period"]: r for r in data.rows(indicator) if r["group"] == HEADLINE}
    periods = sorted_periods(by_period)
    if not periods:
        return None
    rows = [by_period[p] for p in periods]
    svg = trend_svg(rows, d, data.cell_text(rows[-1], d.unit))
    headers, has_ci, with_n = _columns(rows, d)
    table = _table(
        f"{d.title}, by period",
        ["Period", *headers],
        [_table_row(data, p, r, d, has_ci, with_n) for p, r in zip(periods, rows, strict=True)],
    )
    suppressed = _suppressed_notes(data, list(zip(periods, rows, strict=True)))
    return _figure(
        f"trend-{indicator}",
        f"{d.title}, by period",
        d.description,
        svg,
        table,
        suppressed,
        d.title,
    )


def _breakdown_figure(
    data: _Results,
    indicator: str,
    breakdown: str,
    labels: Mapping[str, Mapping[str, str]],
    *,
    reference: float | None = None,
    axis_title: str = "",
    detail: str = "",
) -> str | None:
    """A bar chart of one indicator by the groups of one breakdown, in one period."""
    d = data.definition(indicator)
    all_rows = data.rows(indicator, breakdown)
    period = _pick_period(all_rows)
    if period is None:
        return None
    rows = sorted(
        (r for r in all_rows if r["period"] == period),
        key=lambda r: group_sort_key(breakdown, r["group"]),
    )
    dimension = DIMENSIONS[breakdown].title if breakdown in DIMENSIONS else breakdown
    named = [(group_label(breakdown, r["group"], labels), r) for r in rows]
    bars = [
        {"label": name, "value": r["value"], "text": format_number(r["value"], d.unit)}
        for name, r in named
        if _published(r)
    ]
    caption = f"{d.title}, by {dimension.lower()}, {_period_text(period)}"
    label = (
        f"Bar chart of {d.title} by {dimension.lower()}, {_period_text(period)}: "
        f"{len(bars)} groups drawn."
        + (f" A dashed line marks {reference:g}." if reference is not None else "")
        + " The numbers are in the table that follows."
    )
    svg = (
        chart_svg(_bar_chart(bars, d.unit, reference=reference, title=axis_title), label)
        if bars
        else None
    )
    headers, has_ci, with_n = _columns(rows, d)
    table = _table(
        caption,
        [dimension, *headers],
        [_table_row(data, name, r, d, has_ci, with_n) for name, r in named],
    )
    suppressed = _suppressed_notes(data, named)
    return _figure(
        f"{indicator}-by-{breakdown}",
        caption,
        detail or d.description,
        svg,
        table,
        suppressed,
        caption,
    )


def _outcome_figures(data: _Results) -> list[str]:
    """Each mean change on a questionnaire scale with its 95% CI (one chart), and every
    paired-change indicator in one table."""
    paired = [d for d in data.registry if d.kind == "paired_change" and d.id in data.indicators]
    out = []
    changes = [d for d in paired if d.stat == "mean_change"]
    rows: list[tuple[IndicatorDefinition, dict[str, Any]]] = []
    for d in changes:
        headline_rows = [r for r in data.rows(d.id) if r["group"] == HEADLINE]
        period = _pick_period(headline_rows)
        rows += [(d, r) for r in headline_rows if r["period"] == period]
    if rows:
        points = [
            {"label": d.title, "value": r["value"], "lower": r["lower"], "upper": r["upper"]}
            for d, r in rows
            if _published(r) and r["lower"] is not None and r["upper"] is not None
        ]
        periods = sorted({_period_text(r["period"]) for _, r in rows})
        caption = (
            "Mean change from baseline to exit, with 95% confidence intervals "
            f"({', '.join(periods)})"
        )
        label = (
            f"Dot and whisker chart of {len(points)} mean changes in questionnaire scores "
            "with 95% confidence intervals; a dashed line marks no change. "
            "The numbers are in the table that follows."
        )
        svg = chart_svg(_change_chart(points), label) if points else None
        table = _table(
            caption,
            ["Measure", "Mean change", "95% CI lower", "95% CI upper", "Based on (n)"],
            [_table_row(data, d.title, r, d, True, True) for d, r in rows],
        )
        suppressed = _suppressed_notes(data, [(d.title, r) for d, r in rows])
        detail = (
            "Each young person's exit score minus their baseline score, averaged. "
            "Where the interval does not cross the dashed line the change is unlikely "
            "to be chance alone."
        )
        out.append(_figure("outcome-changes", caption, detail, svg, table, suppressed, caption))
    if paired:
        table_rows = []
        for d in paired:
            headline_rows = [r for r in data.rows(d.id) if r["group"] == HEADLINE]
            period = _pick_period(headline_rows)
            for r in headline_rows:
                if r["period"] == period:
                    table_rows.append(
                        _table_row(data, f"{d.title} ({_period_text(period)})", r, d, True, True)
                    )
        out.append(
            '<div class="outcomes-table">'
            + _table(
                "Every outcome measure",
                ["Measure", "Value", "95% CI lower", "95% CI upper", "Based on (n)"],
                table_rows,
            )
            + "</div>"
        )
    return out


def _cards(lines: Sequence[HeadlineLine]) -> str:
    """Headline cards: the latest number, its period, all periods, and which way is good
    (in words, with an arrow as decoration only)."""
    items = []
    for line in lines:
        arrow, words = DIRECTION_TEXT.get(line.direction, ("", ""))
        main = line.latest or line.overall
        parts = [f'<li class="card"><h3>{escape(line.title)}</h3>']
        if main is not None:
            parts.append(f'<p class="card-value">{escape(main.text)}</p>')
            parts.append(f"<p>{escape(_period_text(main.period))}</p>")
        if line.previous is not None and main is line.latest:
            previous = f"Period before ({line.previous.period}): {line.previous.text}"
            parts.append(f"<p>{escape(previous)}</p>")
        if line.overall is not None and main is not line.overall:
            parts.append(f"<p>All periods: {escape(line.overall.text)}</p>")
        if words:
            decoration = f'<span aria-hidden="true">{arrow}</span> ' if arrow else ""
            parts.append(f"<p>{decoration}{escape(words)}</p>")
        parts.append("</li>")
        items.append("".join(parts))
    return f'<ul class="cards">{"".join(items)}</ul>'


# --- the common agenda and the population indicators ----------------------------------

POPULATION_UNIT_LABELS = {
    "percent": "Percent",
    "rate_per_1000": "Rate per 1,000",
    "rate_per_100000": "Rate per 100,000",
    "count": "Number",
    "number": "Value",
}
# The lines of a turning-the-curve chart: the curve's column, the label in the legend and
# the table, the colour and the dash pattern. The dash pattern and the label, not the
# colour, tell the lines apart; the actual values also have dots.
CURVE_LINES = (
    ("actual", "Actual", PALETTE["blue"], [1, 0]),  # solid
    ("baseline", "Baseline", MUTED, [12, 4, 2, 4]),  # dash and dot
    ("target", "Target path", PALETTE["green"], [8, 4]),  # dashed
    ("forecast", "If nothing changes (forecast)", PALETTE["vermillion"], [2, 3]),  # dotted
)
# What a demo series' source or description says when it is made up.
_NOT_OFFICIAL = "not official statistic"

Curves = Sequence[tuple["PopulationIndicatorConfig", pl.DataFrame]]


def _illustrative(definition: PopulationIndicatorConfig, curve: pl.DataFrame) -> bool:
    """Whether the series says it is illustrative, not official statistics: in the
    definition's source or description, or in a ``source`` column of the frame."""
    texts = [definition.source or "", definition.description or ""]
    if "source" in curve.columns:
        texts += [t for t in curve["source"].drop_nulls().unique().to_list() if t]
    return any(_NOT_OFFICIAL in t.lower() for t in texts)


def _curve_value(value: float | None, unit: str) -> str:
    return NOT_AVAILABLE if value is None else format_value(value, unit)


def _curve_chart(points: list[dict[str, Any]], order: list[str], unit: str, lines: list) -> Any:
    """The curve: actual values (solid, with dots), the baseline (a dash-dot rule), the
    target path (dashed) and the forecast if nothing changes (dotted), with a legend that
    shows each line's pattern next to its name."""
    angle = 0 if len(order) <= 8 else -45
    x = alt.X("period:O", sort=order, title="Period", axis=alt.Axis(labelAngle=angle))
    y = alt.Y("value:Q", title=POPULATION_UNIT_LABELS.get(unit, "Value"))
    names = [label for _, label, _, _ in lines]
    legend = alt.Legend(
        title=None,
        orient="bottom",
        direction="vertical",
        symbolType="stroke",
        symbolSize=900,
        symbolStrokeWidth=2.5,
        labelFontSize=12,
        labelColor=TEXT,
        labelLimit=0,
    )
    color = alt.Color(
        "series:N",
        sort=names,
        scale=alt.Scale(domain=names, range=[c for _, _, c, _ in lines]),
        legend=legend,
    )
    dash = alt.StrokeDash(
        "series:N",
        sort=names,
        scale=alt.Scale(domain=names, range=[d for _, _, _, d in lines]),
        legend=legend,
    )
    base = alt.Chart(alt.Data(values=points)).encode(x=x)
    layers = [base.mark_line(strokeWidth=2.5).encode(y=y, color=color, strokeDash=dash)]
    if "Actual" in names:  # drawn again on top, with its dots
        actual = base.transform_filter(alt.datum.series == "Actual")
        layers.append(actual.mark_line(color=PALETTE["blue"], strokeWidth=2.5).encode(y="value:Q"))
        layers.append(
            actual.mark_point(color=PALETTE["blue"], filled=True, size=60, opacity=1).encode(
                y="value:Q"
            )
        )
    return alt.layer(*layers).properties(width=_CHART_WIDTH, height=240)


@dataclass(frozen=True)
class CurveChart:
    """One population indicator's curve, ready to show: the chart (inline SVG, or None
    with nothing to draw), how it is doing in words, the caption's lines and the same
    numbers as a table (``headers`` and ``rows`` of text)."""

    svg: str | None
    said: str
    details: tuple[str, ...]
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    summary: Mapping[str, Any]


def curve_chart(definition: PopulationIndicatorConfig, curve: pl.DataFrame) -> CurveChart:
    """The "turn the curve" chart of one population indicator (actual, baseline, target
    path, forecast) from :func:`needle.indicators.population.turn_the_curve`, with its
    words and table; the HTML summary and the web dashboards both show it."""
    d = definition
    rows = curve.sort("time").to_dicts() if "time" in curve.columns else curve.to_dicts()
    order = [r["period"] for r in rows]
    lines = [
        line
        for line in CURVE_LINES
        if line[0] in curve.columns and any(r.get(line[0]) is not None for r in rows)
    ]
    points = [
        {"period": r["period"], "series": label, "value": r[column]}
        for column, label, _, _ in lines
        for r in rows
        if r[column] is not None or column == "actual"
    ]
    summary = curve_summary(curve, d)
    direction = DIRECTION_TEXT.get(d.direction, ("", ""))[1]
    illustrative = _illustrative(d, curve)

    if summary["latest_value"] is None:
        said = "No value has been published yet."
    else:
        latest = _curve_value(summary["latest_value"], d.unit)
        said = f"Latest, {summary['latest_period']}: {latest}; {summary['summary']}."
    label = (
        f"Line chart of {d.title} by period, {order[0]} to {order[-1]}"
        if order
        else f"Line chart of {d.title}"
    )
    patterns = {
        "Actual": "actual values as a solid line with dots",
        "Baseline": f"the baseline of {_curve_value(summary['baseline_value'], d.unit)} "
        f"({summary['baseline_period']}) as a dash-dot line",
        "Target path": f"the path to the target of {_curve_value(summary['target_value'], d.unit)}"
        f" by {summary['target_period']} as a dashed line",
        "If nothing changes (forecast)": "the forecast if nothing changes as a dotted line",
    }
    label += (
        ": "
        + "; ".join(patterns[name] for _, name, _, _ in lines)
        + f". {said} The numbers are in the table that follows."
    )
    svg = chart_svg(_curve_chart(points, order, d.unit, lines), label) if lines and rows else None

    headers = ("Period", *[name for _, name, _, _ in lines])
    table_rows = tuple(
        (r["period"], *[_curve_value(r[c], d.unit) for c, _, _, _ in lines]) for r in rows
    )
    details = [d.description, direction + "." if direction else ""]
    fitted = [r["period"] for r in rows if r.get("fitted") and r.get("actual") is not None]
    if fitted and any(c == "forecast" for c, _, _, _ in lines):
        details.append(
            f"The forecast continues the straight-line trend of {fitted[0]} to {fitted[-1]}: "
            "the curve if nothing changes."
        )
    if illustrative:
        details.append("Illustrative series for the demo: not official statistics.")
        if d.source and _NOT_OFFICIAL not in d.source.lower():
            details.append(f"The real series is published by: {d.source}")
    elif d.source:
        details.append(f"Source: {d.source}")
    return CurveChart(
        svg=svg,
        said=said,
        details=tuple(t for t in details if t),
        headers=headers,
        rows=table_rows,
        summary=summary,
    )


def _curve_figure(definition: PopulationIndicatorConfig, curve: pl.DataFrame) -> str:
    """One population indicator's curve: chart, what it means in words, the numbers."""
    d = definition
    chart = curve_chart(d, curve)
    table = _table(f"{d.title}, by period", chart.headers, chart.rows)
    spans = "".join(f"<span>{escape(t)}</span>" for t in chart.details)
    parts = [
        f'<figure id="curve-{escape(d.id)}" class="curve">',
        f"<figcaption>{escape(d.title)}{spans}</figcaption>",
        f'<p class="curve-summary">{escape(chart.said)}</p>',
        f'<div class="chart">{chart.svg}</div>'
        if chart.svg is not None
        else '<p class="suppressed">There are no values to draw.</p>',
        "<details><summary>Show the numbers"
        f'<span class="visually-hidden"> for {escape(d.title)}</span></summary>'
        f"{table}</details></figure>",
    ]
    return "".join(parts)


def _curves_section(curves: Curves) -> str:
    intro = (
        "<p>Population indicators describe all young people in the area, from public "
        "statistics, whether or not a partner met them. No one partner can move them; the "
        "partners, with everyone else, aim to turn the curve: to do better than the "
        "forecast of what would happen if nothing changed.</p>"
    )
    figures = [_curve_figure(d, curve) for d, curve in curves]
    return _section("population", "Population indicators: turning the curve", [intro, *figures])


def _evidence_rows(
    outcome: OutcomeConfig,
    data: _Results,
    lines: Mapping[str, HeadlineLine],
    curves: Mapping[str, tuple[PopulationIndicatorConfig, pl.DataFrame]],
    anchors: Mapping[str, str],
) -> list[list[str]]:
    """One row per indicator of an outcome: its name, latest value and period."""
    rows = []
    for indicator in outcome.indicators:
        period = NOT_AVAILABLE
        if indicator in data.registry:
            d = data.definition(indicator)
            title = d.title
            line = lines.get(indicator)
            shown = (line.latest or line.overall) if line is not None else None
            if shown is None:
                value = format_result(None, d.unit)
            else:
                value, period = shown.text, _period_text(shown.period)
        elif indicator in curves:
            definition, curve = curves[indicator]
            title = definition.title
            summary = curve_summary(curve, definition)
            if summary["latest_value"] is None:
                value = f"{NOT_AVAILABLE} (no data)"
            else:
                value = format_value(summary["latest_value"], definition.unit)
                period = summary["latest_period"]
        else:
            title = indicator.replace("_", " ").capitalize()
            value = "population indicator"
        name: str = escape(title)
        if indicator in anchors:
            name = f'<a href="#{escape(anchors[indicator])}">{name}</a>'
        rows.append([_Markup(name), value, period])
    return rows


def _agenda_section(
    agenda: AgendaConfig | None,
    outcomes: Sequence[OutcomeConfig],
    data: _Results,
    curves: Curves,
    anchors: Mapping[str, str],
) -> str:
    """The common agenda: the vision, the goals, and each outcome area with the latest
    value of each indicator that evidences it."""
    body = []
    if agenda is not None and agenda.vision:
        body.append('<h3 id="vision">Our vision</h3>')
        body.append(f'<p class="vision">{escape(agenda.vision)}</p>')
    if agenda is not None and agenda.goals:
        body.append('<h3 id="goals">Our goals</h3>')
        body.append("<ul>" + "".join(f"<li>{escape(g)}</li>" for g in agenda.goals) + "</ul>")
    if outcomes:
        wanted = [i for o in outcomes for i in o.indicators if i in data.registry]
        lines = {
            line.indicator: line
            for line in headline(
                data.frame,
                data.registry,
                indicators=dict.fromkeys(wanted),
                threshold=data.rules.threshold or None,
            )
        }
        by_id = {d.id: (d, curve) for d, curve in curves}
        body.append('<h3 id="outcome-areas">Outcome areas</h3>')
        body.append(
            "<p>What the partners work towards, and the indicators that show whether it "
            "is happening: measures of the partners' own work, and population indicators "
            "of all young people in the area.</p>"
        )
        for outcome in outcomes:
            heading_id = f"area-{escape(outcome.code)}"
            part = [
                f'<section class="outcome-area" aria-labelledby="{heading_id}">',
                f'<h4 id="{heading_id}">{escape(outcome.title)}</h4>',
            ]
            if outcome.description:
                part.append(f"<p>{escape(outcome.description)}</p>")
            if outcome.indicators:
                part.append(
                    _table(
                        f"Indicators of {outcome.title}",
                        ["Indicator", "Latest value", "Period"],
                        _evidence_rows(outcome, data, lines, by_id, anchors),
                    )
                )
            else:
                part.append("<p>No indicator evidences this outcome yet.</p>")
            part.append("</section>")
            body.append("".join(part))
    return _section("agenda", "Our common agenda", body)


def _section(heading_id: str, heading: str, body: Sequence[str]) -> str:
    if not body:
        return ""
    return (
        f'<section aria-labelledby="{heading_id}"><h2 id="{heading_id}">{escape(heading)}</h2>'
        + "".join(body)
        + "</section>"
    )


def render_summary(
    results: pl.DataFrame,
    registry: Registry,
    *,
    title: str,
    audience: str,
    generated_at: str,
    provenance: str = "",
    rules: DisclosureRules | None = None,
    group_labels: Mapping[str, Mapping[str, str]] | None = None,
    agenda: AgendaConfig | None = None,
    outcomes: Sequence[OutcomeConfig] | None = None,
    curves: Curves | None = None,
) -> str:
    """The HTML page summarising ``results`` (already protected for ``audience``).

    ``rules`` are the disclosure rules the results were protected with, stated in the
    footer and used to explain suppressed cells (default: the initiative defaults for the
    audience). ``group_labels`` names groups whose codes mean little to readers, e.g.
    ``{"ward": {"E05000001": "Riverside"}}``. Every text is escaped; the page fetches
    nothing.

    ``agenda`` and ``outcomes`` (the initiative's common agenda and outcomes framework)
    add an "Our common agenda" section at the top: the vision and goals, and each outcome
    area with the latest value of each indicator that evidences it. ``curves`` (pairs of
    a population indicator and its curve from
    :func:`needle.indicators.population.turn_the_curve`) add a "turning the curve" chart
    of each. Without them the page is as before.
    """
    rules = rules or DisclosureRules.for_audience(audience)
    labels = group_labels or {}
    data = _Results(results, registry, rules)
    lines = headline(data.frame, registry, threshold=rules.threshold or None)

    curves = list(curves or [])

    sections = []
    if lines:
        sections.append(_section("headlines", "Headline figures", [_cards(lines)]))
    trends: dict[str, list[str]] = {theme: [] for theme in THEME_TITLES}
    anchors = {d.id: f"curve-{d.id}" for d, _ in curves}
    for indicator in HEADLINE_INDICATORS:
        if indicator in data.indicators:
            figure = _trend_figure(data, indicator)
            if figure:
                trends[data.definition(indicator).theme].append(figure)
                anchors[indicator] = f"trend-{indicator}"

    reach = list(trends["reach"])
    who = [
        f
        for b in REACH_BREAKDOWNS
        if "reach" in data.indicators and (f := _breakdown_figure(data, "reach", b, labels))
    ]
    if who:
        reach += ['<h3 id="who-is-reached">Who is reached</h3>', *who]
    if "reach_equity" in data.indicators:
        equity = _breakdown_figure(
            data,
            "reach_equity",
            "imd_decile",
            labels,
            reference=1.0,
            axis_title="Equity ratio (1 = reached in proportion to the population)",
            detail=(
                "Each decile's share of the young people reached divided by its share of "
                "the resident young people. The dashed line at 1 means reached in "
                "proportion; longer bars are over-represented, shorter under-represented."
            ),
        )
        if equity:
            reach += ['<h3 id="equity">Equity: reach by deprivation</h3>', equity]
    sections.append(_section("reach", THEME_TITLES["reach"], reach))
    sections.append(_section("engagement", THEME_TITLES["engagement"], trends["engagement"]))
    sections.append(
        _section("outcomes", THEME_TITLES["outcomes"], _outcome_figures(data) + trends["outcomes"])
    )
    sections.append(_section("referrals", THEME_TITLES["referrals"], trends["referrals"]))
    if not any(sections):
        sections.append("<p>There are no results to show.</p>")
    if agenda is not None or outcomes:
        sections.insert(0, _agenda_section(agenda, list(outcomes or ()), data, curves, anchors))
    if curves:
        sections.append(_curves_section(curves))

    audience_text = AUDIENCE_LABELS.get(audience, audience)
    footer = [
        '<footer><h2 id="about">About these numbers</h2>',
        f"<p>Prepared for {escape(audience_text)}.</p>",
        f"<p>Disclosure control: {escape(rules.describe())} Suppressed numbers are "
        "listed as suppressed and are not drawn.</p>",
        f"<p>Generated {escape(generated_at)}.</p>",
    ]
    if provenance:
        footer.append(f"<p>Provenance: {escape(provenance)}</p>")
    footer.append("</footer>")
    return "".join(
        [
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
            '<a class="skip-link" href="#main">Skip to the main content</a>',
            f"<header><h1>{escape(title)}</h1>",
            f"<p>A summary of the shared indicators for {escape(audience_text)}.</p></header>",
            '<main id="main" tabindex="-1">',
            *sections,
            "</main>",
            *footer,
            "</body></html>\n",
        ]
    )
