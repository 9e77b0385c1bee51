"""Reporting periods: calendar quarters ("2026-Q3"), months ("2026-07") or years ("2026").

A period label is what partners type on the command line and what submissions are filed
under, so it is parsed in exactly one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from needle.errors import NeedleInputError

_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date  # inclusive
    label: str

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end

    def __str__(self) -> str:
        return self.label


def _month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def parse_period(text: str) -> Period:
    """Parse a period label; a malformed one is the user's error, with the accepted forms."""
    value = text.strip()
    if m := _QUARTER.match(value):
        year, quarter = int(m.group(1)), int(m.group(2))
        first_month = 3 * (quarter - 1) + 1
        return Period(
            date(year, first_month, 1), _month_end(year, first_month + 2), f"{year}-Q{quarter}"
        )
    if m := _MONTH.match(value):
        year, month = int(m.group(1)), int(m.group(2))
        return Period(date(year, month, 1), _month_end(year, month), f"{year}-{month:02d}")
    if m := _YEAR.match(value):
        year = int(m.group(1))
        return Period(date(year, 1, 1), date(year, 12, 31), str(year))
    raise NeedleInputError(
        f"'{value}' is not a reporting period. Use a quarter such as 2026-Q3, "
        "a month such as 2026-07, or a year such as 2026."
    )


def quarters(first: str, last: str) -> list[Period]:
    """Every quarter from ``first`` to ``last`` inclusive."""
    start, end = parse_period(first), parse_period(last)
    out = []
    current = start
    while current.start <= end.start:
        out.append(current)
        nxt = current.end + timedelta(days=1)
        current = parse_period(f"{nxt.year}-Q{(nxt.month - 1) // 3 + 1}")
    return out
