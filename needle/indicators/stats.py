"""Outcome statistics from paired scores: change, its confidence interval, effect sizes,
reliable change and crossing the low-wellbeing threshold.

Plain numpy and scipy on arrays, with no SQL and no data frames, so that every number can
be checked against a hand calculation or scipy, and so that the engine can call the same
functions on whatever it pulled from the pool. For large pools the engine needs no rows
at all for the mean, SD and interval: :func:`mean_sd_from_moments` and
:func:`ci_from_moments` work from the SQL aggregates ``count``, ``sum`` and sum of
squares.

Conventions, chosen so that a results table never raises on thin data:

* fewer than two pairs: the SD, the interval and the effect sizes are NaN;
* an SD of zero (every change the same): the interval collapses to the mean and the
  effect sizes are NaN, because a standardised effect with nothing to standardise by is
  undefined (reporting infinity would look like an enormous effect);
* percentages are on a 0 to 100 scale and NaN when their denominator is zero;
* a pair where either score is missing (NaN) is left out, as it would be by SQL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

#: 1.96 * sqrt(2): the change in an individual's score that is 95% unlikely to come from
#: measurement error alone, in units of the standard error of measurement (Jacobson &
#: Truax 1991).
RCI_FACTOR = 1.96 * math.sqrt(2.0)

# A change equal to the RCI counts as reliable; this guards the comparison against
# floating-point noise in differences of decimal scores (22.35 - 19.48).
_TOLERANCE = 1e-9

DIRECTIONS = ("up", "down")


def reliable_change_index(sd: float, reliability: float) -> float:
    """The Jacobson & Truax reliable change threshold, ``1.96 * sqrt(2) * SEM``.

    ``SEM = sd * sqrt(1 - reliability)``: the score's standard error of measurement from
    a population SD and a reliability (Cronbach's alpha or test-retest).
    """
    if not sd > 0:
        raise ValueError(f"sd must be positive, not {sd}")
    if not 0 < reliability < 1:
        # A reliability of 1 would make every change, however small, "reliable".
        raise ValueError(f"reliability must be in (0, 1), not {reliability}")
    return RCI_FACTOR * sd * math.sqrt(1.0 - reliability)


def mean_sd_from_moments(n: int, total: float, total_sq: float) -> tuple[float, float]:
    """Mean and sample SD (n - 1 denominator) from ``count``, ``sum`` and sum of squares.

    Lets the engine aggregate in SQL and never pull rows. Scores are small numbers (0 to
    70), so the one-pass formula loses no meaningful precision; a variance made slightly
    negative by rounding is taken as zero.
    """
    if n < 1:
        return math.nan, math.nan
    mean = total / n
    if n < 2:
        return mean, math.nan
    variance = (total_sq - total * total / n) / (n - 1)
    return mean, math.sqrt(max(variance, 0.0))


def ci_from_moments(n: int, mean: float, sd: float, level: float = 0.95) -> tuple[float, float]:
    """The t-distribution confidence interval of a mean (n - 1 degrees of freedom).

    NaN for fewer than two values or a NaN SD; the mean itself for an SD of zero.
    """
    if n < 2 or math.isnan(sd) or math.isnan(mean):
        return math.nan, math.nan
    half = stats.t.ppf(0.5 + level / 2.0, n - 1) * sd / math.sqrt(n)
    return mean - half, mean + half


@dataclass(frozen=True)
class PairedChange:
    """What changed between two timepoints for the same young people.

    ``change`` is exit minus baseline. "Improvement" follows the scale's direction: an
    increase for wellbeing, a decrease for anxiety. The ``pct_`` fields are percentages
    (0 to 100); ``n_low_baseline`` and ``n_not_low_baseline`` are the denominators of
    ``pct_left_low`` and ``pct_entered_low`` (so disclosure control can see them).
    """

    n: int
    mean_baseline: float
    mean_exit: float
    mean_change: float
    sd_change: float
    ci_lower: float
    ci_upper: float
    d_z: float
    d_baseline: float
    pct_reliable_improvement: float
    pct_reliable_deterioration: float
    pct_no_reliable_change: float
    n_low_baseline: int
    pct_left_low: float
    n_not_low_baseline: int
    pct_entered_low: float


def _pct(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else math.nan


def _ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, NaN when the denominator is zero or NaN."""
    if math.isnan(denominator) or denominator == 0:
        return math.nan
    return numerator / denominator


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else math.nan


def _sd(values: np.ndarray) -> float:
    return float(values.std(ddof=1)) if values.size >= 2 else math.nan


def paired_change(
    baseline: np.ndarray,
    exit: np.ndarray,
    *,
    rci: float,
    direction: str,
    low: tuple[float, float] | None = None,
) -> PairedChange:
    """Change statistics for paired baseline and exit scores (one pair per young person).

    ``rci`` is the scale's reliable change threshold: a change of at least ``rci`` in the
    good direction is a reliable improvement, in the bad direction a reliable
    deterioration (Jacobson & Truax 1991). ``low`` is the inclusive score range of the
    low-wellbeing / concern bands; without it the threshold-crossing fields are NaN.
    ``d_z`` is the mean change over the SD of the changes (the paired-design effect
    size); ``d_baseline`` is the mean change over the SD of the baseline scores, the
    effect size comparable with between-group studies.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be up or down, not {direction!r}")
    if not rci > 0:
        raise ValueError(f"rci must be positive, not {rci}")
    before = np.asarray(baseline, dtype=float).ravel()
    after = np.asarray(exit, dtype=float).ravel()
    if before.shape != after.shape:
        raise ValueError(f"{before.size} baseline scores but {after.size} exit scores")
    keep = ~(np.isnan(before) | np.isnan(after))
    before, after = before[keep], after[keep]
    n = int(before.size)
    change = after - before

    mean_change = _mean(change)
    sd_change = _sd(change)
    ci_lower, ci_upper = ci_from_moments(n, mean_change, sd_change)

    good = change if direction == "up" else -change
    improved = int(np.count_nonzero(good >= rci - _TOLERANCE))
    worse = int(np.count_nonzero(-good >= rci - _TOLERANCE))

    if low is None:
        n_low, n_not_low = 0, 0
        left_low, entered_low = math.nan, math.nan
    else:
        lo, hi = low
        low_before = (before >= lo) & (before <= hi)
        low_after = (after >= lo) & (after <= hi)
        n_low = int(np.count_nonzero(low_before))
        n_not_low = n - n_low
        left_low = _pct(int(np.count_nonzero(low_before & ~low_after)), n_low)
        entered_low = _pct(int(np.count_nonzero(~low_before & low_after)), n_not_low)

    return PairedChange(
        n=n,
        mean_baseline=_mean(before),
        mean_exit=_mean(after),
        mean_change=mean_change,
        sd_change=sd_change,
        ci_lower=ci_lower,
        ci_upper=ci_upper,
        d_z=_ratio(mean_change, sd_change),
        d_baseline=_ratio(mean_change, _sd(before)),
        pct_reliable_improvement=_pct(improved, n),
        pct_reliable_deterioration=_pct(worse, n),
        pct_no_reliable_change=_pct(n - improved - worse, n),
        n_low_baseline=n_low,
        pct_left_low=left_low,
        n_not_low_baseline=n_not_low,
        pct_entered_low=entered_low,
    )
