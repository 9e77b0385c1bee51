from datetime import date

import pytest

from needle.errors import NeedleInputError
from needle.periods import parse_period, quarters


@pytest.mark.parametrize(
    ("text", "start", "end", "label"),
    [
        ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30), "2026-Q3"),
        ("2024q1", date(2024, 1, 1), date(2024, 3, 31), "2024-Q1"),
        ("2024-Q4", date(2024, 10, 1), date(2024, 12, 31), "2024-Q4"),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "2024-02"),
        ("2025", date(2025, 1, 1), date(2025, 12, 31), "2025"),
    ],
)
def test_parse_period(text, start, end, label):
    period = parse_period(text)
    assert (period.start, period.end, period.label) == (start, end, label)
    assert start in period and end in period


@pytest.mark.parametrize("text", ["2026-Q5", "Q3 2026", "26-Q1", "2026-13", ""])
def test_malformed_period_says_how_to_write_one(text):
    with pytest.raises(NeedleInputError, match="2026-Q3"):
        parse_period(text)


def test_quarters_span_years():
    labels = [p.label for p in quarters("2024-Q4", "2026-Q3")]
    assert labels[0] == "2024-Q4" and labels[-1] == "2026-Q3" and len(labels) == 8
