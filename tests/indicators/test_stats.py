"""Outcome statistics, checked against scipy and against small examples worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from needle.indicators.stats import (
    PairedChange,
    ci_from_moments,
    mean_sd_from_moments,
    paired_change,
    reliable_change_index,
)

T_975_2DF = 4.302653  # t table, 2 degrees of freedom, two-sided 95%


def test_matches_scipy_on_random_data():
    rng = np.random.default_rng(20250101)
    baseline = rng.normal(20, 4, 40)
    exit = baseline + rng.normal(1.5, 3, 40)
    result = paired_change(baseline, exit, rci=2.87, direction="up")
    change = exit - baseline
    test = stats.ttest_rel(exit, baseline)
    interval = test.confidence_interval(0.95)

    assert result.n == 40
    assert result.mean_change == pytest.approx(change.mean())
    assert result.sd_change == pytest.approx(change.std(ddof=1))
    assert (result.ci_lower, result.ci_upper) == pytest.approx((interval.low, interval.high))
    expected = stats.t.interval(0.95, 39, loc=change.mean(), scale=stats.sem(change))
    assert (result.ci_lower, result.ci_upper) == pytest.approx(expected)
    # The paired t statistic is d_z * sqrt(n).
    assert result.d_z * math.sqrt(40) == pytest.approx(test.statistic)
    assert result.d_baseline == pytest.approx(change.mean() / baseline.std(ddof=1))
    assert result.mean_baseline == pytest.approx(baseline.mean())
    assert result.mean_exit == pytest.approx(exit.mean())
    assert (
        result.pct_reliable_improvement
        + result.pct_reliable_deterioration
        + result.pct_no_reliable_change
    ) == pytest.approx(100.0)
    assert result.pct_reliable_improvement == pytest.approx(100 * np.mean(change >= 2.87))


def test_tiny_example_by_hand():
    # changes 3, 0, 6: mean 3, deviations 0, -3, 3 -> variance 18 / 2 = 9, sd 3.
    result = paired_change(
        np.array([10.0, 12.0, 14.0]),
        np.array([13.0, 12.0, 20.0]),
        rci=3.0,
        direction="up",
        low=(0.0, 11.0),
    )
    half = T_975_2DF * 3 / math.sqrt(3)
    assert result == PairedChange(
        n=3,
        mean_baseline=12.0,
        mean_exit=15.0,
        mean_change=3.0,
        sd_change=pytest.approx(3.0),
        ci_lower=pytest.approx(3 - half, abs=1e-5),
        ci_upper=pytest.approx(3 + half, abs=1e-5),
        d_z=pytest.approx(1.0),
        d_baseline=pytest.approx(1.5),  # baseline sd is 2
        pct_reliable_improvement=pytest.approx(200 / 3),  # 3 and 6 reach the RCI of 3
        pct_reliable_deterioration=0.0,
        pct_no_reliable_change=pytest.approx(100 / 3),
        n_low_baseline=1,  # only 10 is in 0-11; it ends at 13
        pct_left_low=100.0,
        n_not_low_baseline=2,  # 12 -> 12 and 14 -> 20 stay out
        pct_entered_low=0.0,
    )


def test_reliable_change_boundary():
    baseline = np.array([10.0, 10.0, 10.0, 10.0, 10.0])
    exit = np.array([12.5, 7.5, 12.4999, 7.5001, 10.0])
    result = paired_change(baseline, exit, rci=2.5, direction="up")
    assert result.pct_reliable_improvement == 20.0  # exactly +2.5 counts
    assert result.pct_reliable_deterioration == 20.0  # exactly -2.5 counts
    assert result.pct_no_reliable_change == 60.0  # just short either way does not


def test_decimal_scores_at_the_rci_count_despite_float_noise():
    """SWEMWBS metric scores: 19.25 -> 22.12 is a change of 2.87 up to binary rounding."""
    result = paired_change(
        np.array([19.25, 22.12]), np.array([22.12, 19.25]), rci=2.87, direction="up"
    )
    assert result.pct_reliable_improvement == 50.0
    assert result.pct_reliable_deterioration == 50.0


def test_direction_down_a_decrease_is_improvement():
    baseline = np.array([8.0, 6.0, 3.0])
    exit = np.array([4.0, 6.0, 7.0])  # changes -4, 0, +4
    anxiety = paired_change(baseline, exit, rci=3.04, direction="down", low=(6.0, 10.0))
    assert anxiety.pct_reliable_improvement == pytest.approx(100 / 3)
    assert anxiety.pct_reliable_deterioration == pytest.approx(100 / 3)
    assert anxiety.mean_change == 0.0
    # Concern band 6-10: 8 -> 4 leaves it, 6 -> 6 stays; 3 -> 7 enters it.
    assert (anxiety.n_low_baseline, anxiety.pct_left_low) == (2, 50.0)
    assert (anxiety.n_not_low_baseline, anxiety.pct_entered_low) == (1, 100.0)

    only_down = paired_change(
        np.array([8.0, 9.0]), np.array([4.0, 9.0]), rci=3.04, direction="down"
    )
    only_up = paired_change(np.array([8.0, 9.0]), np.array([4.0, 9.0]), rci=3.04, direction="up")
    assert (only_down.pct_reliable_improvement, only_down.pct_reliable_deterioration) == (50.0, 0.0)
    assert (only_up.pct_reliable_improvement, only_up.pct_reliable_deterioration) == (0.0, 50.0)


def test_no_pairs():
    result = paired_change(np.array([]), np.array([]), rci=1.0, direction="up", low=(0.0, 1.0))
    assert result.n == 0
    assert result.n_low_baseline == 0 and result.n_not_low_baseline == 0
    for name in (
        "mean_baseline",
        "mean_exit",
        "mean_change",
        "sd_change",
        "ci_lower",
        "ci_upper",
        "d_z",
        "d_baseline",
        "pct_reliable_improvement",
        "pct_reliable_deterioration",
        "pct_no_reliable_change",
        "pct_left_low",
        "pct_entered_low",
    ):
        assert math.isnan(getattr(result, name)), name


def test_one_pair():
    result = paired_change(np.array([18.0]), np.array([22.0]), rci=2.87, direction="up")
    assert (result.n, result.mean_change, result.mean_exit) == (1, 4.0, 22.0)
    assert math.isnan(result.sd_change)
    assert math.isnan(result.ci_lower) and math.isnan(result.ci_upper)
    assert math.isnan(result.d_z) and math.isnan(result.d_baseline)
    assert result.pct_reliable_improvement == 100.0
    assert math.isnan(result.pct_left_low)  # no low range given


def test_all_changes_equal():
    """SD 0: the interval collapses to the mean and d_z is NaN (documented), no error."""
    result = paired_change(
        np.array([1.0, 2.0, 3.0]), np.array([3.0, 4.0, 5.0]), rci=1.0, direction="up"
    )
    assert result.sd_change == 0.0
    assert (result.ci_lower, result.ci_upper) == (2.0, 2.0)
    assert math.isnan(result.d_z)
    assert result.d_baseline == pytest.approx(2.0)  # baseline sd is 1
    flat = paired_change(np.array([5.0, 5.0]), np.array([5.0, 5.0]), rci=1.0, direction="up")
    assert math.isnan(flat.d_z) and math.isnan(flat.d_baseline)
    assert flat.pct_no_reliable_change == 100.0


def test_missing_pairs_are_left_out():
    result = paired_change(
        np.array([1.0, np.nan, 3.0, 4.0]),
        np.array([2.0, 5.0, np.nan, 6.0]),
        rci=1.0,
        direction="up",
    )
    assert result.n == 2
    assert result.mean_change == 1.5


def test_bad_arguments():
    with pytest.raises(ValueError, match="2 baseline scores but 3 exit"):
        paired_change(np.array([1.0, 2.0]), np.array([1.0, 2.0, 3.0]), rci=1.0, direction="up")
    with pytest.raises(ValueError, match="direction"):
        paired_change(np.array([1.0]), np.array([1.0]), rci=1.0, direction="higher")
    with pytest.raises(ValueError, match="rci"):
        paired_change(np.array([1.0]), np.array([1.0]), rci=0.0, direction="up")


def test_moments_match_the_rows():
    rng = np.random.default_rng(3)
    values = rng.normal(3, 5, 57)
    mean, sd = mean_sd_from_moments(57, float(values.sum()), float((values**2).sum()))
    assert mean == pytest.approx(values.mean())
    assert sd == pytest.approx(values.std(ddof=1))
    lower, upper = ci_from_moments(57, mean, sd)
    expected = stats.t.interval(0.95, 56, loc=values.mean(), scale=stats.sem(values))
    assert (lower, upper) == pytest.approx(expected)
    assert ci_from_moments(57, mean, sd, level=0.9) == pytest.approx(
        stats.t.interval(0.9, 56, loc=values.mean(), scale=stats.sem(values))
    )


def test_moments_by_hand_and_degenerate():
    # 2, 4, 6: sum 12, sum of squares 56 -> mean 4, variance (56 - 48) / 2 = 4.
    assert mean_sd_from_moments(3, 12.0, 56.0) == (4.0, 2.0)
    assert mean_sd_from_moments(1, 5.0, 25.0)[0] == 5.0
    assert math.isnan(mean_sd_from_moments(1, 5.0, 25.0)[1])
    assert all(math.isnan(v) for v in mean_sd_from_moments(0, 0.0, 0.0))
    # Equal values with rounding noise in the sum of squares: SD 0, not NaN or an error.
    assert mean_sd_from_moments(3, 0.3, 0.030000000000000002)[1] == pytest.approx(0.0, abs=1e-7)
    assert all(math.isnan(v) for v in ci_from_moments(1, 4.0, math.nan))
    assert ci_from_moments(5, 4.0, 0.0) == (4.0, 4.0)


def test_reliable_change_index():
    assert reliable_change_index(8.79, 0.89) == pytest.approx(8.0808, abs=1e-4)
    assert reliable_change_index(2.0, 0.7) == pytest.approx(
        1.96 * math.sqrt(2) * 2 * math.sqrt(0.3)
    )
    with pytest.raises(ValueError):
        reliable_change_index(0.0, 0.8)
    with pytest.raises(ValueError):
        reliable_change_index(2.0, 0.0)
