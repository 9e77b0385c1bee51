"""Text to typed values: each parser on its own, including the values it refuses."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from needle.standard import load_standard
from needle.validation.values import (
    age_in_years,
    parse_code,
    parse_codes,
    parse_date,
    parse_integer,
    parse_number,
    parse_postcode,
    parse_time,
    parser_for,
)

STANDARD = load_standard()


def _one(parse, text):
    parsed = parse(pl.Series("x", [text], dtype=pl.String))
    return parsed.values[0], parsed.problems[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-31", dt.date(2025, 3, 31)),
        ("2025-3-1", dt.date(2025, 3, 1)),
        ("2025/03/31", dt.date(2025, 3, 31)),
        ("2025-03-31 00:00:00", dt.date(2025, 3, 31)),
        ("2025-03-31T10:15:00", dt.date(2025, 3, 31)),
        ("31/03/2025", dt.date(2025, 3, 31)),
        ("3/4/2025", dt.date(2025, 4, 3)),
        ("31.03.2025", dt.date(2025, 3, 31)),
        ("31-03-2025", dt.date(2025, 3, 31)),
        ("45747", dt.date(2025, 3, 31)),  # Excel serial number
        ("45747.75", dt.date(2025, 3, 31)),  # with a time of day
        ("31 March 2025", dt.date(2025, 3, 31)),
        ("31 Mar 2025", dt.date(2025, 3, 31)),
        ("31-Mar-2025", dt.date(2025, 3, 31)),
    ],
)
def test_dates_read(text, expected):
    assert _one(parse_date, text) == (expected, None)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("31/02/2025", "type_date"),
        ("2025-13-01", "type_date"),
        ("32/01/2025", "type_date"),
        ("2025", "type_date"),  # a year, not a serial number
        ("soon", "type_date"),
        ("13/13/2025", "type_date"),
        ("03/31/2025", "date_ambiguous"),  # only makes sense month first
        ("31/03/25", "date_ambiguous"),
        ("1/2/25", "date_ambiguous"),
    ],
)
def test_dates_refused(text, rule):
    assert _one(parse_date, text) == (None, rule)


def test_blank_is_neither_value_nor_problem():
    parsed = parse_date(pl.Series("x", [None], dtype=pl.String))
    assert parsed.values.to_list() == [None] and parsed.problems.to_list() == [None]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18:30", dt.time(18, 30)),
        ("6:05", dt.time(6, 5)),
        ("18:30:15", dt.time(18, 30, 15)),
        ("1899-12-30 18:30:00", dt.time(18, 30)),
        ("24:00", None),
        ("18.30", None),
        ("6pm", None),
    ],
)
def test_times(text, expected):
    value, problem = _one(parse_time, text)
    assert value == expected
    assert problem == (None if expected else "type_time")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("m32 0aa", "M32 0AA"),
        ("M320AA", "M32 0AA"),
        ("SW1A 1AA", "SW1A 1AA"),
        ("EC1A1BB", "EC1A 1BB"),
        ("W1A 0AX", "W1A 0AX"),
        ("gir 0aa", "GIR 0AA"),
        ("M32  0AA", "M32 0AA"),
        ("QA1 1AA", None),
        ("M32", None),
        ("M32 0AAA", None),
        ("12345", None),
    ],
)
def test_postcodes(text, expected):
    value, problem = _one(parse_postcode, text)
    assert value == expected
    assert problem == (None if expected else "postcode_format")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        ("+3", 3),
        ("-4", -4),
        ("12.0", 12),
        ("1.5", None),
        ("1,200", None),
        ("12 mins", None),
        ("99999999999999999999", None),
    ],
)
def test_integers(text, expected):
    value, problem = _one(parse_integer, text)
    assert value == expected
    assert problem == (None if expected is not None else "type_integer")


@pytest.mark.parametrize(
    ("text", "expected"), [("1.5", 1.5), ("-2", -2.0), ("nan", None), ("inf", None), ("x", None)]
)
def test_numbers(text, expected):
    value, problem = _one(parse_number, text)
    assert value == expected
    assert problem == (None if expected is not None else "type_number")


def test_codes_by_code_or_label_in_any_case():
    lookup = STANDARD.codelists["send"].lookup()
    series = pl.Series("x", ["EHCP", "SEN support", "sen-support", "none", "nope", None])
    parsed = parse_code(series, lookup)
    assert parsed.values.to_list() == ["ehcp", "sen_support", "sen_support", "none", None, None]
    assert parsed.problems.to_list() == [None, None, None, None, "code_unknown", None]


def test_semicolon_separated_codes():
    lookup = STANDARD.codelists["outcome_area"].lookup()
    series = pl.Series("x", ["wellbeing;safety", " Safety ;", "safety;nope", ";", None])
    parsed = parse_codes(series, lookup)
    assert parsed.values.to_list() == [["wellbeing", "safety"], ["safety"], None, None, None]
    assert parsed.problems.to_list() == [None, None, "code_unknown", None, None]


def test_repeated_values_are_parsed_once_and_mapped_back():
    column = STANDARD.entities["sessions"].columns["session_date"]
    series = pl.Series("x", ["2025-01-07", "bad", None] * 1000)
    parsed = parser_for(column, STANDARD)(series)
    assert parsed.values.to_list()[:3] == [dt.date(2025, 1, 7), None, None]
    assert parsed.problems.to_list()[:3] == [None, "type_date", None]
    assert parsed.values.len() == 3000


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        ((2010, 5, 17), (2025, 5, 16), 14),
        ((2010, 5, 17), (2025, 5, 17), 15),
        ((2008, 2, 29), (2025, 2, 28), 16),
        ((2008, 2, 29), (2025, 3, 1), 17),
    ],
)
def test_age_in_whole_years(born, on, age):
    frame = pl.DataFrame({"born": [dt.date(*born)], "on": [dt.date(*on)]})
    assert frame.select(age_in_years(pl.col("born"), pl.col("on"))).item() == age
    assert frame.select(age_in_years(pl.col("born"), dt.date(*on))).item() == age
