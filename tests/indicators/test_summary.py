"""Headline figures: the choice of lines, the latest period, formatting by unit, and that a
suppressed number is never printed, on a small results frame built by hand."""

from __future__ import annotations

import re

import polars as pl
import pytest

from needle.errors import NeedleInputError
from needle.indicators.definitions import load_registry
from needle.indicators.schema import (
    ALL_PERIODS,
    PUBLISHED,
    SUPPRESSED_DENOMINATOR,
    SUPPRESSED_SECONDARY,
    SUPPRESSED_SMALL,
    conform,
)
from needle.indicators.summary import (
    HEADLINE_INDICATORS,
    DisclosureRules,
    format_headlines,
    format_number,
    format_result,
    headline,
    sorted_periods,
    suppression_text,
)
from needle.initiative.config import DisclosureConfig

PERIODS = ("2025-Q4", "2026-Q1", "2026-Q2")
THRESHOLD = 10
# A suppressed cell that a careless caller left its number in: it must still never show.
HIDDEN_VALUE = 8765.0


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def _row(indicator, period, value, *, n=None, lower=None, upper=None, status=PUBLISHED):
    return {
        "indicator": indicator,
        "period": period,
        "breakdown": "",
        "group": "",
        "value": value,
        "n": n,
        "lower": lower,
        "upper": upper,
        "status": status,
    }


def results_frame() -> pl.DataFrame:
    """Three quarters and ``all`` of a few indicators of every unit, one cell suppressed
    (value left in), one with no value, one indicator with no row in the latest period,
    and a breakdown row (not a headline)."""
    rows = []
    for i, period in enumerate((*PERIODS, ALL_PERIODS)):
        scale = 3 if period == ALL_PERIODS else 1
        rows += [
            _row("reach", period, 1205.0 * scale + i, n=1205 * scale + i),
            _row("contact_hours", period, 2345.67 * scale + i, n=300),
            _row("attended_threshold", period, 45.234 + i, n=200),
            _row("wellbeing_change", period, 1.234 + i / 10, n=268, lower=0.81, upper=1.64),
            _row("wellbeing_effect_size", period, 0.3456, n=268),
            _row("referral_days_to_start", period, 13.6, n=40),
        ]
        if period != PERIODS[-1]:
            rows.append(_row("retention", period, 55.55, n=300))
    rows += [
        _row("life_satisfaction_change", PERIODS[-1], -0.4567, n=50, lower=-0.9, upper=-0.012),
        _row("referrals_made", PERIODS[-1], HIDDEN_VALUE, n=8765, status=SUPPRESSED_SMALL),
        _row("referrals_made", ALL_PERIODS, None, status=SUPPRESSED_SECONDARY),
        _row("referrals_accepted", PERIODS[-1], None, n=None),
        _row("reach_equity", PERIODS[-1], 1.2345, n=80),
        {**_row("reach", PERIODS[-1], 99.0, n=99), "breakdown": "ward", "group": "E05000001"},
        _row("not_an_indicator", PERIODS[-1], 1.0, n=1),
    ]
    frame = pl.DataFrame(rows)
    return conform(frame).with_columns(frame["status"])


def _published(frame: pl.DataFrame, indicator: str, period: str) -> dict:
    rows = frame.filter(
        (pl.col("indicator") == indicator)
        & (pl.col("period") == period)
        & (pl.col("breakdown") == "")
    ).to_dicts()
    assert len(rows) == 1
    return rows[0]


# --- format_number: one case per unit ------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "value", "expected"),
    [
        ("people", 1205.0, "1,205"),
        ("people", 5439.4, "5,439"),
        ("count", 1234567.0, "1,234,567"),
        ("hours", 2345.67, "2,345.7"),
        ("hours", 12.0, "12.0"),
        ("percent", 45.234, "45.2%"),
        ("percent", 100.0, "100.0%"),
        ("score", 1.234, "+1.2"),
        ("score", -1.26, "-1.3"),
        ("score", 0.456, "+0.46"),
        ("score", -0.4567, "-0.46"),
        ("effect_size", 0.3456, "0.35"),
        ("effect_size", -0.1, "-0.10"),
        ("ratio", 1.2345, "1.23"),
        ("ratio", 1.0, "1.00"),
        ("days", 13.6, "14"),
        ("days", 1000.0, "1,000"),
    ],
)
def test_every_unit_is_formatted_for_people(unit, value, expected):
    assert format_number(value, unit) == expected


def test_rounding_to_zero_never_shows_a_minus_sign():
    assert format_number(-0.0001, "percent") == "0.0%"
    assert format_number(-0.2, "people") == "0"
    assert format_number(-0.001, "score") == "+0.00"


def test_a_result_with_a_confidence_interval_and_n():
    row = {"value": 1.234, "lower": 0.81, "upper": 1.64, "n": 268, "status": PUBLISHED}
    assert format_result(row, "score", show_n=True) == "+1.2 (95% CI 0.8 to 1.6), n = 268"
    small = {"value": -0.4567, "lower": -0.9, "upper": -0.012, "n": 50}
    assert format_result(small, "score") == "-0.46 (95% CI -0.90 to -0.01)"


def test_suppressed_and_missing_results_are_words_not_numbers():
    hidden = {"value": HIDDEN_VALUE, "n": 8765, "status": SUPPRESSED_SMALL}
    assert format_result(hidden, "count", threshold=10) == "suppressed (fewer than 10)"
    assert format_result(hidden, "count") == "suppressed (too few)"
    assert "8" not in format_result({**hidden, "status": SUPPRESSED_SECONDARY}, "count")
    assert "8" not in format_result({**hidden, "status": SUPPRESSED_DENOMINATOR}, "percent")
    assert format_result({"value": None, "status": PUBLISHED}, "count") == "– (not available)"
    assert format_result({"value": float("nan")}, "count") == "– (not available)"
    assert format_result(None, "count") == "– (no data)"
    for status in (SUPPRESSED_SMALL, SUPPRESSED_SECONDARY, SUPPRESSED_DENOMINATOR):
        assert suppression_text(status, 10).startswith("suppressed (")


def test_periods_sort_by_time_not_text():
    assert sorted_periods(["2026-Q1", "all", "2025-Q4", "2026-Q1", "2025-Q10x"]) == [
        "2025-Q4",
        "2026-Q1",
        "2025-Q10x",
    ]
    assert sorted_periods(["2026-10", "2026-09", "2026-11"]) == ["2026-09", "2026-10", "2026-11"]


# --- headline -------------------------------------------------------------------------


def test_headline_lines_are_the_headline_set_present_in_order(registry):
    frame = results_frame()
    lines = headline(frame, registry, threshold=THRESHOLD)
    present = set(frame.filter(pl.col("breakdown") == "")["indicator"].to_list())
    expected = [i for i in HEADLINE_INDICATORS if i in present and i in registry]
    assert [line.indicator for line in lines] == expected
    assert "reach_equity" not in expected  # not a headline indicator
    assert all(line.title == registry.get(line.indicator).title for line in lines)


def test_headline_numbers_come_from_the_latest_period_and_all(registry):
    frame = results_frame()
    lines = {line.indicator: line for line in headline(frame, registry, threshold=THRESHOLD)}
    latest = PERIODS[-1]
    reach = _published(frame, "reach", latest)
    reach_all = _published(frame, "reach", ALL_PERIODS)
    assert lines["reach"].latest.period == latest
    assert lines["reach"].latest.text == f"{reach['value']:,.0f}"
    assert lines["reach"].overall.text == f"{reach_all['value']:,.0f}"
    assert lines["reach"].previous.period == PERIODS[-2]

    hours = _published(frame, "contact_hours", latest)
    assert lines["contact_hours"].latest.text == f"{hours['value']:,.1f}"
    share = _published(frame, "attended_threshold", latest)
    assert lines["attended_threshold"].latest.text == f"{share['value']:.1f}%"
    days = _published(frame, "referral_days_to_start", latest)
    assert lines["referral_days_to_start"].latest.text == f"{days['value']:.0f}, n = {days['n']}"

    change = _published(frame, "wellbeing_change", latest)
    assert lines["wellbeing_change"].latest.text == (
        f"{change['value']:+.1f} (95% CI {change['lower']:.1f} to {change['upper']:.1f}), "
        f"n = {change['n']}"
    )
    assert lines["wellbeing_change"].latest.value == change["value"]


def test_an_indicator_without_the_latest_period_shows_its_own_latest(registry):
    lines = {line.indicator: line for line in headline(results_frame(), registry)}
    retention = lines["retention"]
    assert retention.latest.period == PERIODS[-2]  # retention of the newest is not known yet
    assert retention.latest.text == f"{55.55:.1f}%"
    fixed = {
        line.indicator: line for line in headline(results_frame(), registry, period=PERIODS[-1])
    }
    assert fixed["retention"].latest.text == "– (no data)"
    assert lines["referrals_accepted"].latest.text == "– (not available)"


def test_suppressed_headline_values_are_never_printed(registry):
    frame = results_frame()
    lines = headline(frame, registry, threshold=THRESHOLD)
    made = next(line for line in lines if line.indicator == "referrals_made")
    assert made.latest.text == f"suppressed (fewer than {THRESHOLD})"
    assert made.latest.value is None and made.latest.n is None
    assert made.overall.text.startswith("suppressed (")
    text = format_headlines(lines)
    hidden = frame.filter(pl.col("status") != PUBLISHED)["value"].drop_nulls().to_list()
    assert hidden  # the frame does carry a number in a suppressed row
    for value in hidden:
        for shown in (f"{value:,.0f}", f"{value:.0f}", f"{value:,.1f}"):
            assert shown not in text


def test_an_earlier_period_can_be_chosen(registry):
    frame = results_frame()
    lines = {line.indicator: line for line in headline(frame, registry, period=PERIODS[0])}
    reach = _published(frame, "reach", PERIODS[0])
    assert lines["reach"].latest.text == f"{reach['value']:,.0f}"
    assert lines["reach"].previous is None
    with pytest.raises(NeedleInputError, match="2030-Q1"):
        headline(frame, registry, period="2030-Q1")


def test_results_without_status_are_all_published(registry):
    frame = results_frame().drop("status").filter(pl.col("indicator") == "reach")
    lines = headline(frame, registry)
    assert [line.indicator for line in lines] == ["reach"]
    assert lines[0].latest.status == PUBLISHED


def test_format_headlines_prints_one_aligned_line_per_indicator(registry):
    frame = results_frame()
    lines = headline(frame, registry, threshold=THRESHOLD)
    text = format_headlines(lines)
    printed = text.splitlines()
    assert len(printed) == len(lines)
    reach = _published(frame, "reach", PERIODS[-1])
    reach_all = _published(frame, "reach", ALL_PERIODS)
    first = printed[0]
    assert first.startswith("Young people reached ")
    assert f"{PERIODS[-1]}: {reach['value']:,.0f}" in first
    assert first.endswith(f"all periods: {reach_all['value']:,.0f}")
    # The latest-period column starts at the same place on every line.
    starts = {re.search(r"\d{4}-Q\d: ", line).start() for line in printed}
    assert len(starts) == 1
    assert format_headlines([]) == "No headline indicators in these results."


def test_disclosure_rules_come_from_the_initiative_settings():
    config = DisclosureConfig()
    public = DisclosureRules.for_audience("public", config)
    assert public.threshold == config.threshold("public")
    assert public.rounding == getattr(config, "public_rounding", 5)
    assert f"below {public.threshold}" in public.describe()
    assert f"nearest {public.rounding}" in public.describe()
    backbone = DisclosureRules.for_audience("backbone")
    assert backbone.rounding == 0
    assert "No numbers are suppressed" in DisclosureRules(0, 0).describe()
    with pytest.raises(ValueError, match="audience"):
        DisclosureRules.for_audience("everyone")
