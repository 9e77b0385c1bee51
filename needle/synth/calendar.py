"""School terms, holidays and closures in England, 2024-2026, and ages on a date.

Why: youth provision follows the school year. Clubs meet weekly in term, holiday
programmes run in half-terms and the summer, and almost everything closes over Christmas.
Submissions whose sessions ignore this would not exercise the indicators (seasonality,
contact hours) the way real data does. The dates are typical English local-authority
term dates for those years, not any one school's calendar.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import numpy as np

from needle.periods import Period

# (first day, last day) of each term.
TERMS: tuple[tuple[date, date], ...] = (
    (date(2024, 9, 4), date(2024, 12, 20)),
    (date(2025, 1, 6), date(2025, 4, 4)),
    (date(2025, 4, 22), date(2025, 7, 22)),
    (date(2025, 9, 3), date(2025, 12, 19)),
    (date(2026, 1, 5), date(2026, 3, 27)),
    (date(2026, 4, 13), date(2026, 7, 21)),
    (date(2026, 9, 3), date(2026, 12, 18)),
)
HALF_TERMS: tuple[tuple[date, date], ...] = (
    (date(2024, 10, 28), date(2024, 11, 1)),
    (date(2025, 2, 17), date(2025, 2, 21)),
    (date(2025, 5, 26), date(2025, 5, 30)),
    (date(2025, 10, 27), date(2025, 10, 31)),
    (date(2026, 2, 16), date(2026, 2, 20)),
    (date(2026, 5, 25), date(2026, 5, 29)),
)
BANK_HOLIDAYS: frozenset[date] = frozenset(
    {
        date(2024, 12, 25), date(2024, 12, 26),
        date(2025, 1, 1), date(2025, 4, 18), date(2025, 4, 21), date(2025, 5, 5),
        date(2025, 5, 26), date(2025, 8, 25), date(2025, 12, 25), date(2025, 12, 26),
        date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 4),
        date(2026, 5, 25), date(2026, 8, 31),
    }
)  # fmt: skip


def _closed(day: date) -> bool:
    """Bank holidays and the Christmas shutdown (23 December to 2 January)."""
    christmas = (day.month == 12 and day.day >= 23) or (day.month == 1 and day.day <= 2)
    return day in BANK_HOLIDAYS or christmas


def _in(day: date, spans: tuple[tuple[date, date], ...]) -> bool:
    return any(a <= day <= b for a, b in spans)


def is_term_day(day: date) -> bool:
    return _in(day, TERMS) and not _in(day, HALF_TERMS) and day.weekday() < 5


@cache
def days(
    period: Period, when: str, weekdays: tuple[int, ...], months: tuple[int, ...] = ()
) -> tuple[date, ...]:
    """Open days in ``period`` on ``weekdays`` (0 = Monday).

    ``when`` is "term" (school term days, and Saturdays in term weeks), "holiday" (school
    holidays) or "all_year". ``months`` restricts to those months when given.
    """
    out = []
    day = period.start
    while day <= period.end:
        if day.weekday() in weekdays and not _closed(day) and (not months or day.month in months):
            in_term_week = is_term_day(day - timedelta(days=max(0, day.weekday() - 4)))
            if when == "all_year" or (when == "term") == in_term_week:
                out.append(day)
        day += timedelta(days=1)
    return tuple(out)


def age_on(dob: np.ndarray, on: date | np.ndarray) -> np.ndarray:
    """Completed years of age on a date (or dates), for datetime64[D] birth dates."""
    dob = np.asarray(dob, dtype="datetime64[D]")
    on = np.asarray(on, dtype="datetime64[D]")
    by, bm, bd = _ymd(dob)
    oy, om, od = _ymd(on)
    before = (om < bm) | ((om == bm) & (od < bd))
    return oy - by - before.astype(np.int64)


def _ymd(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    return y, m, day
