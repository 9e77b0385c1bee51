"""The charts the HTML summary shares with the web dashboards: what they draw and say."""

from __future__ import annotations

import re

from needle.indicators.definitions import load_registry
from needle.indicators.html import bar_svg, curve_chart, trend_svg
from needle.indicators.population import (
    BUNDLED_TRAFFORD_SERIES,
    load_population_series,
    turn_the_curve,
)
from needle.initiative.config import trafford_demo_config


def row(period: str, value: float | None, status: str = "published") -> dict:
    return {"period": period, "value": value, "lower": None, "upper": None, "status": status}


def test_trend_svg_is_one_labelled_image_without_inline_styles() -> None:
    reach = load_registry().get("reach")
    svg = trend_svg([row("2025-Q1", 4.0), row("2025-Q2", 9.0)], reach, "9")
    assert svg is not None and svg.startswith('<svg role="img" aria-label="Line chart of')
    assert "Latest: 9." in svg
    assert "style=" not in svg  # a strict Content-Security-Policy would block it


def test_trend_svg_draws_nothing_when_nothing_is_published() -> None:
    reach = load_registry().get("reach")
    assert trend_svg([row("2025-Q1", 7.0, "suppressed")], reach, "suppressed") is None
    assert trend_svg([], reach, "") is None


def test_bar_svg_labels_the_chart_and_needs_bars() -> None:
    bars = [{"label": "Decile 1", "value": 1.2, "text": "1.2"}]
    svg = bar_svg(bars, "ratio", "Bar chart of equity", reference=1.0)
    assert svg is not None and 'aria-label="Bar chart of equity"' in svg
    assert svg.count("role=") == svg.count("aria-label=") == 1  # one image, one label
    assert bar_svg([], "ratio", "Nothing") is None


def test_curve_chart_has_baseline_target_and_the_numbers() -> None:
    config = trafford_demo_config()
    definition = next(d for d in config.population_indicators if d.target is not None)
    series = load_population_series(BUNDLED_TRAFFORD_SERIES, config.population_indicators)
    chart = curve_chart(definition, turn_the_curve(series, definition))
    assert chart.svg is not None and "dash-dot line" in chart.svg
    assert chart.headers[:3] == ("Period", "Actual", "Baseline")
    assert "Target path" in chart.headers
    assert len(chart.rows) == len({r[0] for r in chart.rows})  # one row per period
    assert re.match(r"Latest, \S+: ", chart.said)
    assert chart.summary["target_period"] == definition.target.period
