"""Which rows break which rule, as Polars expressions, and how each failure is worded.

One function per family of rules turns an entity's definition into ``Finding``s: an
expression true on the failing rows, plus a message function that runs only on the few
rows listed in the report. Wording lives beside the rule so that the care about personal
identifiers is visible where each message is written: a PI column's value is never quoted.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

import polars as pl

from needle.periods import Period
from needle.standard.model import Column, Entity, Standard, normalise_token
from needle.validation.emit import quote
from needle.validation.headers import Columns
from needle.validation.raw import ROW, RawTable
from needle.validation.values import age_in_years, date_ambiguity, unknown_codes

DOB_COLUMN = "date_of_birth"
PLAUSIBLE_AGE = (5, 25)
# A planned end may lie ahead; every other date records something that has happened.
FUTURE_ALLOWED = ("end_date",)
_ITEM = re.compile(r"^q(\d+)$")
Message = Callable[[dict[str, Any]], str]


@dataclass
class Finding:
    """A rule as an expression over the work frame, with how to word each failing row."""

    rule: str
    column: str | None
    mask: pl.Expr
    message: Message
    fields: list[str | pl.Expr] = field(default_factory=list)
    #: Columns whose value is not to be trusted when an error-severity rule fails: the
    #: typed table nulls them, so one wrong cell is reported once and does not cascade
    #: into other rules (a future date of birth into age warnings, say).
    spoils: tuple[str, ...] = ()

    def spoiled(self) -> tuple[str, ...]:
        return self.spoils or ((self.column,) if self.column else ())


@dataclass
class Context:
    """What the checks of one entity need besides its table."""

    standard: Standard
    entity: Entity
    columns: Columns
    today: date
    period: Period | None

    @property
    def reference_date(self) -> date:
        """Ages are judged at the end of the reporting period, or today without one."""
        return self.period.end if self.period else self.today


def raw(name: str) -> str:
    """The work-frame name of a column's text; the plain name holds its typed value."""
    return f"~{name}"


def problem(name: str) -> str:
    """The work-frame name of a column's per-cell rule ids from parsing."""
    return f"!{name}"


def _label(spec: Column) -> str:
    return spec.name.replace("_", " ")


def _cell_findings(table: RawTable, ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    formula_rows: dict[str, list[int]] = {}
    for row, index in table.formulas:
        name = ctx.columns.name_at(index)
        if name:
            formula_rows.setdefault(name, []).append(row)
    for name in ctx.columns.positions:
        spec = ctx.entity.columns[name]
        if spec.required:
            missing = pl.col(raw(name)).is_null()
            if name in formula_rows:
                missing = missing & ~pl.col(ROW).is_in(formula_rows[name])
            findings.append(Finding("required", name, missing, _required_message(name)))
        for rule in _PARSE_RULES[spec.type]:
            findings.append(
                Finding(
                    rule,
                    name,
                    pl.col(problem(name)) == rule,
                    _parse_message(rule, spec, ctx.standard),
                    [raw(name)],
                )
            )
        if spec.type in ("integer", "number"):
            findings.extend(_range_findings(spec))
        if spec.type == "date":
            findings.extend(_date_findings(spec, ctx))
    return findings


def _required_message(name: str) -> Message:
    return lambda _: f"{name} is empty; it is required."


_PARSE_RULES = {
    "string": (),
    "integer": ("type_integer",),
    "number": ("type_number",),
    "date": ("type_date", "date_ambiguous"),
    "time": ("type_time",),
    "postcode": ("postcode_format",),
    "code": ("code_unknown",),
    "codes": ("code_unknown",),
}


def _parse_message(rule: str, spec: Column, standard: Standard) -> Message:
    name, label, hidden = spec.name, _label(spec), spec.pi
    if rule in ("code_unknown",):
        return _code_message(spec, standard)
    if rule == "date_ambiguous":

        def ambiguous(values: dict[str, Any]) -> str:
            text = values[raw(name)]
            subject = f"The {label}" if hidden else quote(text)
            if date_ambiguity(text) == "two_digit_year":
                return f"{subject} has a two-digit year, so the century is unclear."
            return (
                f"{subject} only makes sense as month/day/year (US order); Needle reads "
                "dates with slashes as day/month/year, so check the other dates in this "
                "column too."
            )

        return ambiguous
    what = {
        "type_integer": "a whole number",
        "type_number": "a number",
        "type_date": "a date Needle can read",
        "type_time": "a time on the 24-hour clock (HH:MM)",
        "postcode_format": "a full UK postcode",
    }[rule]
    if hidden:
        return lambda _: f"The {label} is not {what}."
    return lambda values: f"{quote(values[raw(name)])} in {name} is not {what}."


def _code_message(spec: Column, standard: Standard) -> Message:
    codelist = standard.codelist_for(spec)
    lookup = codelist.lookup()
    name = spec.name

    @cache
    def suggestion(text: str) -> str | None:
        close = difflib.get_close_matches(normalise_token(text), list(lookup), n=1, cutoff=0.6)
        return lookup[close[0]] if close else None

    def message(values: dict[str, Any]) -> str:
        if spec.pi:
            return f"The {_label(spec)} is not in the {codelist.name} code list."
        text = values[raw(name)]
        bad = unknown_codes(text, lookup) if spec.type == "codes" else [text]
        parts = []
        for value in bad or [text]:
            guess = suggestion(value)
            parts.append(quote(value) + (f" (did you mean '{guess}'?)" if guess else ""))
        if len(parts) == 1:
            guess = suggestion(bad[0]) if bad else None
            tail = f"; did you mean '{guess}'?" if guess else "."
            return f"{quote(bad[0] if bad else text)} is not a {codelist.name} code{tail}"
        return f"These are not {codelist.name} codes: {', '.join(parts)}."

    return message


def _range_findings(spec: Column) -> list[Finding]:
    name = spec.name

    def message(bound: str, limit: float) -> Message:
        if spec.pi:
            return lambda _: f"The {_label(spec)} is {bound} the {_BOUND[bound]} {_number(limit)}."
        return lambda v: f"{name} {v[name]} is {bound} the {_BOUND[bound]} {_number(limit)}."

    findings = []
    if spec.min is not None:
        findings.append(
            Finding("range", name, pl.col(name) < spec.min, message("below", spec.min), [name])
        )
    if spec.max is not None:
        findings.append(
            Finding("range", name, pl.col(name) > spec.max, message("above", spec.max), [name])
        )
    return findings


_BOUND = {"below": "minimum", "above": "maximum"}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _date_findings(spec: Column, ctx: Context) -> list[Finding]:
    name, today = spec.name, ctx.today
    if name == DOB_COLUMN:
        ref = ctx.reference_date
        low, high = PLAUSIBLE_AGE
        age = age_in_years(pl.col(name), ref)
        return [
            Finding(
                "dob_future",
                name,
                pl.col(name) > today,
                lambda _: "The date of birth is in the future.",
            ),
            Finding(
                "dob_implausible",
                name,
                (pl.col(name) <= today) & ((age < low) | (age > high)),
                lambda v: (
                    f"The date of birth makes the young person {v['age']} on "
                    f"{ref.isoformat()}, outside {low} to {high}."
                ),
                [age.alias("age")],
            ),
        ]
    if name in FUTURE_ALLOWED:
        return []
    if spec.pi:
        message: Message = lambda _: f"The {_label(spec)} is after today."  # noqa: E731
    else:
        message = lambda v: f"{name} {v[name]} is after today ({today.isoformat()})."  # noqa: E731
    return [Finding("date_future", name, pl.col(name) > today, message, [name])]


def _cross_field_findings(ctx: Context) -> list[Finding]:
    present = ctx.columns.positions
    findings = []
    for check in ctx.entity.checks:
        rule = check["rule"]
        if rule == "end_before_start" and check["start"] in present and check["end"] in present:
            start, end = check["start"], check["end"]
            findings.append(
                Finding(
                    rule,
                    end,
                    pl.col(end) < pl.col(start),
                    _pair_message(ctx, end, "is before", start),
                    [start, end],
                    spoils=(start, end),
                )
            )
        elif rule == "min_above_max" and check["min"] in present and check["max"] in present:
            low, high = check["min"], check["max"]
            findings.append(
                Finding(
                    rule,
                    high,
                    pl.col(low) > pl.col(high),
                    _pair_message(ctx, low, "is above", high),
                    [low, high],
                    spoils=(low, high),
                )
            )
    return findings


def _pair_message(ctx: Context, first: str, relation: str, second: str) -> Message:
    """ "end_date 2024-01-01 is before start_date 2024-09-01", values left out for PI."""
    if any(ctx.entity.columns[n].pi for n in (first, second)):
        return lambda _: f"{first} {relation} {second}."
    return lambda v: f"{first} {v[first]} {relation} {second} {v[second]}."


def _instrument_findings(ctx: Context) -> list[Finding]:
    """Items beyond the instrument's count must be blank; the others within its range."""
    present = ctx.columns.positions
    if not ctx.entity.has_check("instrument_items") or "instrument" not in present:
        return []
    instruments = ctx.standard.instruments
    if not instruments:
        return []
    items, low, high = pl.col("#items"), pl.col("#min"), pl.col("#max")
    findings = []
    for name in present:
        match = _ITEM.match(name)
        if not match:
            continue
        number = int(match.group(1))
        beyond = (items < number) & pl.col(raw(name)).is_not_null()
        outside = (items >= number) & ((pl.col(name) < low) | (pl.col(name) > high))

        def message(v: dict[str, Any], name: str = name, number: int = number) -> str:
            spec = instruments[v["instrument"]]
            if spec.items < number:
                return f"{name} should be blank: {spec.name} has {spec.items} items."
            return f"{name} is {v[name]}; {spec.name} responses run from {spec.min} to {spec.max}."

        findings.append(
            Finding("instrument_items", name, beyond | outside, message, ["instrument", name])
        )
    return findings


def instrument_columns(ctx: Context) -> list[pl.Expr]:
    """Each row's instrument item count and range, computed once for all its q columns."""
    present = ctx.columns.positions
    instruments = ctx.standard.instruments
    if not (ctx.entity.has_check("instrument_items") and "instrument" in present and instruments):
        return []
    return [
        pl.col("instrument")
        .replace_strict(
            {k: getattr(i, attr) for k, i in instruments.items()},
            default=None,
            return_dtype=pl.Int64,
        )
        .alias(f"#{attr}")
        for attr in ("items", "min", "max")
    ]


def _period_findings(ctx: Context) -> list[Finding]:
    period, name = ctx.period, ctx.entity.activity_date
    if period is None or name is None or name not in ctx.columns.positions:
        return []
    outside = (pl.col(name) < period.start) | (pl.col(name) > period.end)
    span = f"{period.label} ({period.start.isoformat()} to {period.end.isoformat()})"
    if ctx.entity.columns[name].pi:
        message: Message = lambda _: f"{name} is outside the reporting period {span}."  # noqa: E731
    else:
        message = lambda v: f"{name} {v[name]} is outside the reporting period {span}."  # noqa: E731
    return [Finding("period_outside", name, outside, message, [name])]


def entity_findings(table: RawTable, ctx: Context) -> list[Finding]:
    """Every rule of the entity that can be written as a row expression."""
    return [
        *_cell_findings(table, ctx),
        *_cross_field_findings(ctx),
        *_instrument_findings(ctx),
        *_period_findings(ctx),
    ]
