"""Headline figures: the few numbers an initiative leads with, formatted for people.

The terminal demo, the HTML summary (:mod:`needle.indicators.html`) and later the web app
all show the same headline numbers, so choosing them, finding the latest period and turning
a result row into text happen here, once. Formatting is by the indicator's ``unit`` so that
a new indicator defined in YAML is shown sensibly without code.

The one rule that matters most: a row that disclosure control suppressed (its ``status`` is
not ``published``) is shown as the word "suppressed" and the reason, never as a number,
even if a caller left a value in the row. Otherwise one careless export would undo the
protection (:mod:`needle.indicators.disclosure`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from needle.errors import NeedleInputError
from needle.indicators.definitions import IndicatorDefinition, Registry
from needle.indicators.schema import (
    AGE_BANDS,
    ALL_PERIODS,
    AUDIENCES,
    HEADLINE,
    PUBLISHED,
    RESULT_KEY,
    RESULT_SCHEMA,
    SUPPRESSED,
    SUPPRESSED_DENOMINATOR,
    SUPPRESSED_SECONDARY,
    SUPPRESSED_SMALL,
    UNKNOWN,
)
from needle.periods import parse_period

__all__ = [
    "HEADLINE_INDICATORS",
    "NOT_AVAILABLE",
    "DisclosureRules",
    "HeadlineLine",
    "HeadlineValue",
    "format_bound",
    "format_headlines",
    "format_number",
    "format_result",
    "headline",
    "period_sort_key",
    "shows_n",
    "sorted_periods",
    "suppression_text",
    "with_status",
]

# The headline set, in the order a collective impact report reads: how many were reached
# and who, how much they took part, whether anyone is better off, whether referrals work.
HEADLINE_INDICATORS: tuple[str, ...] = (
    "reach",
    "reach_cumulative",
    "reach_population_rate",
    "sessions_delivered",
    "attendances",
    "contact_hours",
    "attended_threshold",
    "retention",
    "wellbeing_change",
    "wellbeing_reliable_improvement",
    "eet_milestones",
    "referrals_made",
    "referrals_accepted",
    "referral_days_to_start",
)

# Shown instead of a number that does not exist (as opposed to one that is hidden).
NOT_AVAILABLE = "–"


@dataclass(frozen=True)
class DisclosureRules:
    """The disclosure rules an output was protected with, so that it can say so.

    Protection itself happens earlier (``needle.indicators.disclosure.protect``); an
    output only needs the numbers to explain a suppressed cell ("fewer than 10") and to
    state the rules in its footer. ``threshold`` 0 means nothing was suppressed; ``rounding``
    0 means counts are exact.
    """

    threshold: int = 0
    rounding: int = 0

    @classmethod
    def for_audience(cls, audience: str, config: Any = None) -> DisclosureRules:
        """The rules for ``audience`` from an initiative's ``DisclosureConfig`` (its
        defaults when ``config`` is None): only public outputs are rounded."""
        if audience not in AUDIENCES:
            raise ValueError(f"unknown audience {audience!r}; one of {AUDIENCES}")
        if config is None:
            from needle.initiative.config import DisclosureConfig

            config = DisclosureConfig()
        rounding = int(getattr(config, "public_rounding", 5)) if audience == "public" else 0
        return cls(threshold=int(config.threshold(audience)), rounding=rounding)

    def describe(self) -> str:
        """The rules in one sentence, for a footer."""
        if self.threshold > 0:
            text = (
                f"Numbers below {self.threshold} are suppressed, and so are numbers that "
                "would let a suppressed number be worked out."
            )
        else:
            text = "No numbers are suppressed for this audience."
        if self.rounding > 0:
            text += f" Public counts are rounded to the nearest {self.rounding}."
        return text


@dataclass(frozen=True)
class HeadlineValue:
    """One number of a headline line: the period, the (published) result and its text.

    ``value``, ``lower``, ``upper`` and ``n`` are None whenever ``status`` is not
    published, so that nothing downstream can show a suppressed number by accident.
    """

    period: str
    status: str
    text: str
    value: float | None = None
    lower: float | None = None
    upper: float | None = None
    n: int | None = None

    @property
    def published(self) -> bool:
        """Whether there is a number to show (not suppressed and not missing)."""
        return self.status == PUBLISHED and self.value is not None


@dataclass(frozen=True)
class HeadlineLine:
    """One headline indicator: its latest period, the period before and all periods."""

    indicator: str
    title: str
    unit: str
    direction: str
    theme: str
    latest: HeadlineValue | None
    overall: HeadlineValue | None
    previous: HeadlineValue | None = None


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _decimals(value: float, unit: str) -> int:
    if unit in ("people", "count", "days"):
        return 0
    if unit in ("hours", "percent"):
        return 1
    if unit == "score":
        # A change on a questionnaire scale: small changes (ONS4's 0-10) need two decimals.
        return 1 if abs(value) >= 0.995 else 2
    return 2


def format_number(value: float, unit: str) -> str:
    """``value`` as text for its unit: whole numbers with thousands separators for people,
    counts and days, one decimal for hours and percentages, a signed change with one or two
    decimals for scores, two decimals for effect sizes and ratios."""
    decimals = _decimals(value, unit)
    value = round(value, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0: no "-0" on screen
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "score":
        return f"{value:+.{decimals}f}"
    return f"{value:,.{decimals}f}"


def format_bound(value: float, unit: str, like: float) -> str:
    """A confidence limit of the number ``like``, with that number's decimals (a score's
    limits unsigned: "95% CI 0.8 to 1.6" reads better than "+0.8 to +1.6")."""
    decimals = _decimals(like, unit)
    if unit == "score":
        return f"{round(value, decimals) + 0.0:.{decimals}f}"
    return format_number(value, unit)


def suppression_text(status: str, threshold: int | None = None) -> str:
    """What to print instead of a suppressed number: the word and the reason."""
    few = f"fewer than {threshold}" if threshold else "too few"
    if status == SUPPRESSED_SMALL:
        return f"suppressed ({few})"
    if status == SUPPRESSED_SECONDARY:
        return "suppressed (would reveal another suppressed number)"
    if status == SUPPRESSED_DENOMINATOR:
        return f"suppressed (a share of {few})"
    if status == SUPPRESSED:
        return "suppressed to protect privacy"
    return f"suppressed ({status.replace('_', ' ')})"


def format_result(
    row: Mapping[str, Any] | None,
    unit: str,
    *,
    threshold: int | None = None,
    show_n: bool = False,
) -> str:
    """A result row as text: the number (with its 95% CI when it has one, and ``n`` when
    asked), the suppression and its reason, or "–" and why there is no number."""
    if row is None:
        return f"{NOT_AVAILABLE} (no data)"
    status = row.get("status") or PUBLISHED
    if status != PUBLISHED:
        return suppression_text(status, threshold)
    value = _number(row.get("value"))
    if value is None:
        return f"{NOT_AVAILABLE} (not available)"
    text = format_number(value, unit)
    lower, upper = _number(row.get("lower")), _number(row.get("upper"))
    if lower is not None and upper is not None:
        text += (
            f" (95% CI {format_bound(lower, unit, value)} to {format_bound(upper, unit, value)})"
        )
    n = row.get("n")
    if show_n and n is not None:
        text += f", n = {int(n):,}"
    return text


def with_status(results: pl.DataFrame) -> pl.DataFrame:
    """``results`` with a ``status`` column (unprotected results are all published) and
    every number of a non-published row set to null, whatever the caller left there."""
    frame = results
    if "status" not in frame.columns:
        frame = frame.with_columns(pl.lit(PUBLISHED).alias("status"))
    frame = frame.with_columns(pl.col("status").fill_null(PUBLISHED))
    hidden = pl.col("status") != PUBLISHED
    numbers = [c for c in RESULT_SCHEMA if c in frame.columns and c not in RESULT_KEY]
    return frame.with_columns(
        pl.when(hidden).then(None).otherwise(pl.col(c)).alias(c) for c in numbers
    )


def group_label(
    breakdown: str, group: str, labels: Mapping[str, Mapping[str, str]] | None = None
) -> str:
    """How a group is named for readers (the HTML summary, the web dashboards): the
    caller's names (ward names), deprivation deciles with their direction, codes that are
    names (wards, authorities, age bands, partners) as they are, other codes made
    readable."""
    named = (labels or {}).get(breakdown, {})
    if group in named:
        return named[group]
    if group == UNKNOWN:
        return "Not known"
    if breakdown in ("imd_decile", "imd_quintile"):
        last = "10" if breakdown == "imd_decile" else "5"
        if group == "1":
            return "1 (most deprived)"
        if group == last:
            return f"{last} (least deprived)"
        return group
    if breakdown in ("ward", "local_authority", "age_band", "partner"):
        return group
    return group.replace("_", " ").capitalize()


def group_sort_key(breakdown: str, group: str) -> tuple[int, float, str]:
    """Numbers in numeric order, age bands youngest first, "unknown" last."""
    if group == UNKNOWN:
        return (2, 0.0, group)
    bands = [name for name, _, _ in AGE_BANDS]
    if breakdown == "age_band" and group in bands:
        return (0, float(bands.index(group)), group)
    try:
        return (0, float(group), group)
    except ValueError:
        return (1, 0.0, group)


def period_sort_key(label: str) -> tuple[int, Any, Any, str]:
    """Chronological order for period labels (quarters, months, years); anything else,
    ``all`` included, after them in text order."""
    try:
        period = parse_period(label)
    except NeedleInputError:
        return (1, None, None, label)
    return (0, period.start, period.end, label)


def sorted_periods(labels: Iterable[str]) -> list[str]:
    """The distinct period labels of ``labels`` in time order, ``all`` left out."""
    distinct = {p for p in labels if p is not None and p != ALL_PERIODS}
    return sorted(distinct, key=period_sort_key)


def _value(
    rows: Mapping[tuple[str, str], Mapping[str, Any]],
    indicator_id: str,
    period: str | None,
    unit: str,
    **kw: Any,
) -> HeadlineValue | None:
    """The headline value of one indicator in one period (None when there is no period)."""
    if period is None:
        return None
    row = rows.get((indicator_id, period))
    text = format_result(row, unit, **kw)
    status = PUBLISHED if row is None else row.get("status") or PUBLISHED
    if row is None or status != PUBLISHED:
        return HeadlineValue(period=period, status=status, text=text)
    n = row.get("n")
    return HeadlineValue(
        period=period,
        status=status,
        text=text,
        value=_number(row.get("value")),
        lower=_number(row.get("lower")),
        upper=_number(row.get("upper")),
        n=None if n is None else int(n),
    )


def shows_n(definition: IndicatorDefinition) -> bool:
    """Whether to say how many a number rests on: statistics (means, medians, changes)
    are read very differently on 20 pairs than on 2,000."""
    return definition.measure == "statistic"


def headline(
    results: pl.DataFrame,
    registry: Registry,
    *,
    period: str | None = None,
    indicators: Iterable[str] = HEADLINE_INDICATORS,
    threshold: int | None = None,
) -> list[HeadlineLine]:
    """The headline indicators of ``results`` for the latest period (or ``period``) and
    over all periods, skipping any the results or the registry do not have.

    Each line shows the latest period that indicator has (retention cannot be known for
    the newest period, so its line shows the period before), with the period named.
    ``threshold`` is only used to explain suppressed numbers ("fewer than 10").
    """
    wanted = [i for i in indicators if i in registry]
    frame = with_status(results).filter(
        (pl.col("breakdown") == HEADLINE)
        & (pl.col("group") == HEADLINE)
        & pl.col("indicator").is_in(wanted)
    )
    present = set(frame["indicator"].unique().to_list())
    periods = sorted_periods(frame["period"].to_list())
    if period is not None:
        if period not in periods:
            known = ", ".join(periods) or "none"
            raise NeedleInputError(
                f"There are no headline results for period {period!r}. Periods: {known}."
            )
        latest = period
    else:
        latest = periods[-1] if periods else None
    rows = {(r["indicator"], r["period"]): r for r in frame.to_dicts()}
    lines = []
    for indicator_id in wanted:
        if indicator_id not in present:
            continue
        own = [p for p in periods if (indicator_id, p) in rows and p != ALL_PERIODS]
        if period is None and own:
            latest = own[-1]
        position = periods.index(latest) if latest in periods else 0
        before = periods[position - 1] if position > 0 else None
        d = registry.get(indicator_id)
        kw: dict[str, Any] = {"threshold": threshold, "show_n": shows_n(d)}
        has_overall = (indicator_id, ALL_PERIODS) in rows
        lines.append(
            HeadlineLine(
                indicator=indicator_id,
                title=d.title,
                unit=d.unit,
                direction=d.direction,
                theme=d.theme,
                latest=_value(rows, indicator_id, latest, d.unit, **kw),
                overall=_value(rows, indicator_id, ALL_PERIODS, d.unit, **kw)
                if has_overall
                else None,
                previous=_value(rows, indicator_id, before, d.unit, **kw),
            )
        )
    return lines


def format_headlines(lines: Iterable[HeadlineLine]) -> str:
    """Headline lines as aligned plain text for a terminal, one indicator a line."""
    lines = list(lines)
    if not lines:
        return "No headline indicators in these results."
    title_width = max(len(line.title) for line in lines)
    latest = [f"{v.period}: {v.text}" if (v := line.latest) else "" for line in lines]
    latest_width = max(len(text) for text in latest)
    out = []
    for line, latest_text in zip(lines, latest, strict=True):
        text = f"{line.title.ljust(title_width)}  {latest_text.ljust(latest_width)}"
        if line.overall is not None:
            text += f"   all periods: {line.overall.text}"
        out.append(text.rstrip())
    return "\n".join(out)
