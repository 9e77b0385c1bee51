"""The feedback page's chart: a partner's own number over the periods, drawn over the middle
half and median of its peers.

Drawn with Altair and rendered to SVG at build time by ``vl_convert``, as the core's HTML
summary does (and with its look and its ``chart_svg`` helper): nothing runs in the browser, and
the SVG carries no style attribute, so it passes the strict Content-Security-Policy inline.
The chart is one image to a screen reader, with a label (Vega's own ARIA on each mark and
axis is turned off: an empty layer would otherwise be an unlabelled image of its own); the
same numbers are in the table beside it. Only published numbers are drawn: a period whose
own number is hidden is a gap.
"""

from __future__ import annotations

from typing import Any

import altair as alt
from django.utils.safestring import SafeString, mark_safe

from needle.indicators.feedback import Measure
from needle.indicators.html import MUTED, PALETTE, TEXT, UNIT_LABELS, chart_svg

__all__ = ["measure_chart"]

WIDTH = 460
HEIGHT = 200


def _points(measure: Measure) -> list[dict[str, Any]]:
    points = []
    for p in measure.periods:
        b = p.benchmark
        points.append(
            {
                "period": p.period,
                "value": p.value,
                "p25": b.p25 if b else None,
                "median": b.median if b else None,
                "p75": b.p75 if b else None,
            }
        )
    return points


def _chart(points: list[dict[str, Any]], unit: str) -> alt.LayerChart:
    order = [p["period"] for p in points]
    angle = 0 if len(order) <= 8 else -45
    x = alt.X("period:O", sort=order, title="Period", axis=alt.Axis(labelAngle=angle, aria=False))
    y_title = UNIT_LABELS.get(unit, "Value")
    base = alt.Chart().encode(x=x)
    layers = [
        # The middle half of peers as a pale bar per period, the median as a dark tick.
        base.mark_bar(aria=False, color=PALETTE["sky"], opacity=0.45, size=28).encode(
            y=alt.Y("p25:Q", title=y_title, axis=alt.Axis(aria=False)), y2="p75:Q"
        ),
        base.mark_tick(aria=False, color=TEXT, thickness=2, size=28).encode(y="median:Q"),
        # The partner's own number as a line with dots (gaps where it is not shown).
        base.mark_line(aria=False, color=PALETTE["blue"], strokeWidth=2).encode(y="value:Q"),
        base.mark_point(aria=False, color=PALETTE["blue"], filled=True, size=70, opacity=1).encode(
            y="value:Q"
        ),
    ]
    if unit == "score":
        layers.insert(
            0,
            alt.Chart()
            .mark_rule(aria=False, color=MUTED, strokeDash=[4, 3])
            .encode(y=alt.datum(0, type="quantitative")),
        )
    return alt.layer(*layers, data=alt.Data(values=points)).properties(width=WIDTH, height=HEIGHT)


def measure_chart(measure: Measure, label: str) -> SafeString | None:
    """The measure's chart as inline SVG announced as ``label``, or None when nothing of it
    may be drawn (no published own number and no benchmark in any single period)."""
    points = _points(measure)
    if not any(p["value"] is not None or p["median"] is not None for p in points):
        return None
    svg = chart_svg(_chart(points, measure.definition.unit), label)
    # Built by vl_convert from numbers; the only text we add, the label, is escaped.
    return mark_safe(svg)
