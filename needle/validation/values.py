"""Turn text cells into typed values, and say which rule each unreadable cell breaks.

Each parser takes a String Series and returns the typed Series (null where the cell is
empty or wrong) and a Series of rule ids (null where the cell is empty or fine). Most
columns are entirely in the usual spelling (ISO dates, codes exactly as listed), so a
single vectorised lookup is tried first. The general parsers for text that repeats a lot
(dates, codes, postcodes, times) then work on the column's unique values and map the
result back: a million attendance dates hold a few hundred distinct days.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import polars as pl

from needle.standard.model import Column, Standard, normalise_token

Parser = Callable[[pl.Series], "Parsed"]

_ISO = r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?$"
_DMY = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$"
_TWO_DIGIT_YEAR = r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2}$"
_SERIAL = r"^(\d{5})(?:\.\d+)?$"
_MONTH_NAME_FORMATS = ("%d %B %Y", "%d %b %Y", "%d-%b-%Y", "%d-%B-%Y")
_TIME = r"^(?:\d{4}-\d{2}-\d{2}[ T])?(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$"
_EXCEL_EPOCH = date(1899, 12, 30)

# The UK government's postcode pattern (BS 7666): outward code, then inward code.
_OUTWARD = (
    r"(?:[A-PR-UWYZ][0-9][0-9]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?|"
    r"[A-PR-UWYZ][0-9][A-HJKPSTUW]|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
)
_INWARD = r"[0-9][ABD-HJLNP-UW-Z]{2}"
_POSTCODE = rf"^(?:GIR0AA|{_OUTWARD}{_INWARD})$"  # after removing spaces
_POSTCODE_STANDARD = rf"^(?:GIR 0AA|{_OUTWARD} {_INWARD})$"  # as stored: "M32 0AA"


@dataclass
class Parsed:
    values: pl.Series
    problems: pl.Series | None  # String: a rule id per unreadable cell, else null; None
    # when no cell can be unreadable (text columns)


def normalise_expr(expr: pl.Expr) -> pl.Expr:
    """``normalise_token`` as a Polars expression, for codes typed in any case or spelling."""
    return expr.str.to_lowercase().str.replace_all(r"[^a-z0-9]+", "_").str.strip_chars("_")


def parser_for(column: Column, standard: Standard) -> Parser:
    """The parser for a column of the standard, by its type."""
    kind = column.type
    if kind in ("code", "codes"):
        codelist = standard.codelist_for(column)
        lookup = codelist.lookup()
        if kind == "code":
            exact = {c.code: c.code for c in codelist.codes} | {
                c.label: c.code for c in codelist.codes
            }
            return _fast_path(
                lambda raw: raw.replace_strict(exact, default=None, return_dtype=pl.String),
                lambda raw: _on_unique(raw, lambda u: parse_code(u, lookup)),
            )
        return lambda raw: _on_unique(raw, lambda u: parse_codes(u, lookup))
    return {
        "string": parse_string,
        "integer": parse_integer,
        "number": parse_number,
        "date": _fast_path(_iso_dates, lambda raw: _on_unique(raw, parse_date)),
        "time": lambda raw: _on_unique(raw, parse_time),
        "postcode": _fast_path(_standard_postcodes, lambda raw: _on_unique(raw, parse_postcode)),
    }[kind]


def _fast_path(quick: Callable[[pl.Series], pl.Series], full: Parser) -> Parser:
    """Try ``quick``, which reads only the usual spelling (an ISO date, a code exactly as
    listed); if it reads every cell, that is the answer, else ``full`` reads the column.

    Most partners' columns are entirely in the usual spelling, and one vectorised lookup
    is several times cheaper than the general parser.
    """

    def parse(raw: pl.Series) -> Parsed:
        values = quick(raw)
        if values.null_count() == raw.null_count():
            return Parsed(values.alias(raw.name), _no_problems(raw))
        return full(raw)

    return parse


def _no_problems(raw: pl.Series) -> pl.Series:
    return pl.repeat(None, raw.len(), dtype=pl.String, eager=True).alias(raw.name)


def _iso_dates(raw: pl.Series) -> pl.Series:
    if (raw.str.len_bytes().max() or 0) > 10:
        return pl.repeat(None, raw.len(), dtype=pl.Date, eager=True)
    return raw.str.to_date("%Y-%m-%d", strict=False)


def _standard_postcodes(raw: pl.Series) -> pl.Series:
    """Postcodes already written as "M32 0AA"."""
    return pl.select(pl.when(raw.str.contains(_POSTCODE_STANDARD)).then(raw)).to_series()


def dtype_for(column: Column) -> pl.DataType:
    """The Polars type of a column in the typed tables handed to pseudonymisation."""
    return {
        "string": pl.String(),
        "integer": pl.Int64(),
        "number": pl.Float64(),
        "date": pl.Date(),
        "time": pl.Time(),
        "postcode": pl.String(),
        "code": pl.String(),
        "codes": pl.List(pl.String()),
    }[column.type]


def _on_unique(raw: pl.Series, parse: Parser) -> Parsed:
    unique = raw.drop_nulls().unique()
    if unique.len() * 2 > raw.len():  # mostly distinct: mapping back would cost more
        return parse(raw)
    parsed = parse(unique)
    assert parsed.problems is not None
    index = raw.replace_strict(
        unique, pl.int_range(unique.len(), dtype=pl.UInt32, eager=True), default=None
    )
    values = parsed.values.gather(index)
    problems = parsed.problems.gather(index)
    return Parsed(values.alias(raw.name), problems.alias(raw.name))


def _problems(raw: pl.Series, ok: pl.Series, rule: str) -> pl.Series:
    return (
        pl.select(pl.when(raw.is_not_null() & ok.is_null()).then(pl.lit(rule)))
        .to_series()
        .alias(raw.name)
    )


def parse_string(raw: pl.Series) -> Parsed:
    return Parsed(raw, None)


def parse_integer(raw: pl.Series) -> Parsed:
    """Whole numbers, allowing a leading + and a trailing ".0" (Excel exports 12 as 12.0)."""
    values = raw.cast(pl.Int64, strict=False)
    if values.null_count() != raw.null_count():
        cleaned = raw.str.replace(r"^\+", "").str.replace(r"\.0+$", "")
        values = cleaned.cast(pl.Int64, strict=False)
    return Parsed(values, _problems(raw, values, "type_integer"))


def parse_number(raw: pl.Series) -> Parsed:
    floats = raw.cast(pl.Float64, strict=False)
    values = pl.select(pl.when(floats.is_finite()).then(floats)).to_series().alias(raw.name)
    return Parsed(values, _problems(raw, values, "type_number"))


def parse_date(raw: pl.Series) -> Parsed:
    """ISO and UK dates, Excel serial numbers and dates with month names.

    Slashed dates are read day first, as in the UK. A two-digit year, or a value that
    only makes sense month first (second part above 12), is ambiguous rather than wrong:
    the partner must rewrite it, and the message says why.
    """
    s = pl.col("raw")
    iso = s.str.extract_groups(_ISO)
    dmy = s.str.extract_groups(_DMY)
    first, second = dmy.struct.field("1").cast(pl.Int32), dmy.struct.field("2").cast(pl.Int32)
    serial = s.str.extract(_SERIAL, 1).cast(pl.Int64)
    value = pl.coalesce(
        _ymd(iso.struct.field("1"), iso.struct.field("2"), iso.struct.field("3")),
        _ymd(dmy.struct.field("3"), dmy.struct.field("2"), dmy.struct.field("1")),
        pl.lit(_EXCEL_EPOCH) + pl.duration(days=serial),
        *(
            pl.when(s.str.contains("[A-Za-z]")).then(s.str.to_date(f, strict=False))
            for f in _MONTH_NAME_FORMATS
        ),
    )
    us_order = ((first <= 12) & (second > 12) & (second <= 31)).fill_null(False)
    two_digit_year = s.str.contains(_TWO_DIGIT_YEAR).fill_null(False)
    problem = (
        pl.when(s.is_null())
        .then(None)
        .when(two_digit_year | us_order)
        .then(pl.lit("date_ambiguous"))
        .when(value.is_null())
        .then(pl.lit("type_date"))
    )
    out = pl.DataFrame({"raw": raw}).select(value=value, problem=problem)
    values = out.select(pl.when(pl.col("problem").is_null()).then(pl.col("value"))).to_series()
    return Parsed(values.alias(raw.name), out["problem"].alias(raw.name))


def _ymd(year: pl.Expr, month: pl.Expr, day: pl.Expr) -> pl.Expr:
    text = pl.concat_str([year, month.str.zfill(2), day.str.zfill(2)], separator="-")
    return text.str.to_date("%Y-%m-%d", strict=False)


def date_ambiguity(text: str) -> str:
    """Why a value flagged ``date_ambiguous`` is ambiguous: "two_digit_year" or "us_order"."""
    return "two_digit_year" if re.match(_TWO_DIGIT_YEAR, text) else "us_order"


def parse_time(raw: pl.Series) -> Parsed:
    parts = pl.col("raw").str.extract_groups(_TIME)
    hour = parts.struct.field("1").cast(pl.Int64)
    minute = parts.struct.field("2").cast(pl.Int64)
    second = parts.struct.field("3").cast(pl.Int64).fill_null(0)
    valid = (hour < 24) & (minute < 60) & (second < 60)
    values = (
        pl.DataFrame({"raw": raw})
        .select(pl.when(valid).then(pl.time(hour, minute, second)))
        .to_series()
        .alias(raw.name)
    )
    return Parsed(values, _problems(raw, values, "type_time"))


def parse_postcode(raw: pl.Series) -> Parsed:
    """Any case and spacing; stored as the standard form "M32 0AA"."""
    compact = raw.str.to_uppercase().str.replace_all(r"\s+", "")
    values = (
        pl.DataFrame({"c": compact})
        .select(
            pl.when(pl.col("c").str.contains(_POSTCODE)).then(
                pl.concat_str([pl.col("c").str.head(-3), pl.col("c").str.tail(3)], separator=" ")
            )
        )
        .to_series()
        .alias(raw.name)
    )
    return Parsed(values, _problems(raw, values, "postcode_format"))


def parse_code(raw: pl.Series, lookup: dict[str, str]) -> Parsed:
    values = (
        pl.DataFrame({"raw": raw})
        .select(normalise_expr(pl.col("raw")).replace_strict(lookup, default=None))
        .to_series()
        .cast(pl.String)
        .alias(raw.name)
    )
    return Parsed(values, _problems(raw, values, "code_unknown"))


def parse_codes(raw: pl.Series, lookup: dict[str, str]) -> Parsed:
    """Semicolon-separated codes; one unknown part makes the whole cell unknown."""
    parts = (
        pl.DataFrame({"raw": raw})
        .with_row_index("i")
        .with_columns(part=pl.col("raw").str.split(";"))
        .explode("part")
        .with_columns(part=pl.col("part").str.strip_chars())
        .filter(pl.col("part").is_not_null() & (pl.col("part") != ""))
        .with_columns(
            code=normalise_expr(pl.col("part")).replace_strict(lookup, default=None).cast(pl.String)
        )
        .group_by("i")
        .agg(codes=pl.col("code"), bad=pl.col("code").is_null().any())
    )
    joined = (
        pl.DataFrame({"raw": raw}).with_row_index("i").join(parts, on="i", how="left").sort("i")
    )
    values = (
        joined.select(pl.when(~pl.col("bad")).then(pl.col("codes"))).to_series().alias(raw.name)
    )
    problems = (
        joined.select(pl.when(pl.col("bad")).then(pl.lit("code_unknown")))
        .to_series()
        .alias(raw.name)
    )
    return Parsed(values.cast(pl.List(pl.String)), problems)


def unknown_codes(text: str, lookup: dict[str, str]) -> list[str]:
    """The parts of a semicolon-separated cell that are not codes, for the message."""
    parts = [p.strip() for p in text.split(";") if p.strip()]
    return [p for p in parts if normalise_token(p) not in lookup]


def age_in_years(born: pl.Expr, on: date | pl.Expr) -> pl.Expr:
    """Whole years from ``born`` to ``on``: the age a person would give."""
    on = pl.lit(on) if isinstance(on, date) else on
    return (day_number(on) - day_number(born)) // 10_000


def day_number(day: pl.Expr) -> pl.Expr:
    """A date as the integer YYYYMMDD: differences of these, divided by 10,000 and rounded
    down, are ages in whole years, with no calendar arithmetic on millions of rows."""
    return (
        day.dt.year().cast(pl.Int32) * 10_000
        + day.dt.month().cast(pl.Int32) * 100
        + day.dt.day().cast(pl.Int32)
    )
