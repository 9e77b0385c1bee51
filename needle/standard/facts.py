"""What each column of the standard allows, worked out once for every generated artefact.

The Frictionless Data Package, the JSON Schema, the reference page and the XLSX/CSV
templates all say the same things about a column: its type, whether it is required,
whether it is a personal identifier, its codes or range, what it refers to. Deriving those
facts here, and only here, is what keeps the four outputs from drifting apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from needle.standard.model import Code, Column, Entity, Standard

#: A UK postcode in its usual written form, either case, with or without the space
#: (``M32 0AA``, ``m320aa``), plus the Girobank ``GIR 0AA``. Anchored and fully grouped so
#: the same text works as a Frictionless pattern (which wraps it in ``^...$``) and as a JSON
#: Schema pattern (which searches unless anchored).
POSTCODE_PATTERN = r"^(?:[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}|[Gg][Ii][Rr] ?0[Aa]{2})$"

#: Times are written on the 24-hour clock as HH:MM, as the standard's columns describe.
TIME_PATTERN = r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$"

#: How several codes share one cell of a ``codes`` column.
CODES_SEPARATOR = ";"

#: The Frictionless Table Schema type of each column type of the standard.
FRICTIONLESS_TYPES = {
    "string": "string",
    "integer": "integer",
    "number": "number",
    "date": "date",
    "time": "time",
    "postcode": "string",
    "code": "string",
    "codes": "string",
}

#: Plain-English meaning of each column type, for people reading the docs or templates.
TYPE_HELP = {
    "string": "Text.",
    "integer": "A whole number, without units.",
    "number": "A number, without units.",
    "date": "A date, written YYYY-MM-DD (DD/MM/YYYY and Excel dates are accepted too).",
    "time": "A time on the 24-hour clock, written HH:MM.",
    "postcode": "A full UK postcode, such as M32 0AA.",
    "code": "One value from a code list: the code or its label, in any case.",
    "codes": "Several values from a code list, separated by semicolons (;).",
}

#: What Needle does with a personal identifier, said the same way everywhere.
PI_PURPOSE = (
    "used only to recognise the same young person across organisations and to work out "
    "age and area"
)
PI_NOTE = f"Personal identifier: {PI_PURPOSE}. Needle never stores it."

#: Needle ships no item wording of licensed questionnaires; this note travels with the
#: instrument tables. The owners are not (yet) part of the YAML definition.
INSTRUMENT_LICENCE_NOTE = (
    "Needle does not ship the wording of any licensed questionnaire: only how many items "
    "each has and the range of a response. WEMWBS and SWEMWBS are © University of Warwick; "
    "register with the University of Warwick to use them. Enter the responses as numbers in "
    "q1, q2, ... in the order the instrument's own form gives them."
)


@dataclass(frozen=True)
class ColumnFacts:
    """One column of one entity, with everything the generators need already resolved."""

    entity: str
    column: Column
    codes: tuple[Code, ...] = ()

    @property
    def name(self) -> str:
        return self.column.name

    @property
    def type(self) -> str:
        return self.column.type

    @property
    def required(self) -> bool:
        return self.column.required

    @property
    def pi(self) -> bool:
        return self.column.pi

    @property
    def description(self) -> str:
        return " ".join(self.column.description.split())

    @property
    def codelist(self) -> str | None:
        return self.column.codelist

    @property
    def code_values(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.codes)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(c.label for c in self.codes)

    @property
    def minimum(self) -> int | float | None:
        return _plain_number(self.column.min)

    @property
    def maximum(self) -> int | float | None:
        return _plain_number(self.column.max)

    @property
    def reference(self) -> str | None:
        """``"entity.column"`` that every value must exist in, if any."""
        return ".".join(self.column.references) if self.column.references else None

    @property
    def frictionless_type(self) -> str:
        return FRICTIONLESS_TYPES[self.type]

    @property
    def pattern(self) -> str | None:
        """The regular expression a value must match, for the types that have one."""
        if self.type == "postcode":
            return POSTCODE_PATTERN
        if self.type == "time":
            return TIME_PATTERN
        if self.type == "codes":
            return codes_pattern(self.code_values)
        return None

    @property
    def example(self) -> str | int | float | None:
        """The made-up example value in its own type, or None when the definition has none."""
        raw = self.column.example
        if raw == "":
            return None
        if self.type == "integer":
            return int(raw)
        if self.type == "number":
            return float(raw)
        return raw

    def range_text(self) -> str:
        """The numeric range in words: "1 to 1440", "at least 0", or ""."""
        low, high = self.minimum, self.maximum
        if low is not None and high is not None:
            return f"{low} to {high}"
        if low is not None:
            return f"at least {low}"
        if high is not None:
            return f"at most {high}"
        return ""

    def note(self, *, allowed: bool = True) -> str:
        """Plain-text help for one column: the header note of the XLSX template and the
        column list of the CSV template's instructions say exactly this."""
        lines = [self.description or self.name]
        lines.append("Required on every row." if self.required else "Optional.")
        if self.pi:
            lines.append(PI_NOTE)
        if self.column.deprecated:
            lines.append(deprecation_text(self.column))
        lines.append(TYPE_HELP[self.type])
        if self.range_text():
            lines.append(f"Allowed range: {self.range_text()}.")
        if self.reference:
            entity, column = self.column.references or ("", "")
            lines.append(f"Must be a {column} listed in {entity}.")
        if allowed and self.codes:
            lines.append("Allowed values (code = label):")
            lines.extend(f"  {c.code} = {c.label}" for c in self.codes)
        return "\n".join(lines)


def column_facts(standard: Standard, entity: Entity, column: Column) -> ColumnFacts:
    """Resolve one column's code list so generators never look it up themselves."""
    codes = standard.codelist_for(column).codes if column.codelist else ()
    return ColumnFacts(entity=entity.name, column=column, codes=codes)


def entity_facts(
    standard: Standard, entity: Entity | str, *, include_deprecated: bool = True
) -> list[ColumnFacts]:
    """Every column of an entity, in the definition's order.

    Templates leave deprecated columns out (new submissions should not use them); the
    schemas and the reference page keep them, since old names are still accepted.
    """
    if isinstance(entity, str):
        entity = standard.entities[entity]
    return [
        column_facts(standard, entity, column)
        for column in entity.columns.values()
        if include_deprecated or column.deprecated is None
    ]


def codes_pattern(codes: tuple[str, ...]) -> str:
    """A pattern for one or more codes separated by semicolons (spaces around them allowed)."""
    one = "(?:" + "|".join(_escape(code) for code in codes) + ")"
    return f"^{one}(?: *{CODES_SEPARATOR} *{one})*$"


def deprecation_text(column: Column) -> str:
    """"Deprecated since 1.1: use x instead. <message>" for a deprecated column."""
    dep = column.deprecated
    if dep is None:
        return ""
    text = f"Deprecated since {dep.since}"
    text += f": use {dep.use} instead." if dep.use else "."
    if dep.message:
        text += f" {dep.message}"
    return text


def instrument_label(standard: Standard, instrument: str) -> str:
    """The instrument's full name from the ``instrument`` code list, else its code."""
    codelist = standard.codelists.get("instrument")
    for code in codelist.codes if codelist else ():
        if code.code == instrument:
            return code.label
    return instrument


def item_columns(items: int) -> str:
    """The measurement columns an instrument fills: "q1 to q7"."""
    return "q1" if items == 1 else f"q1 to q{items}"


def export_filenames(version: str) -> dict[str, str]:
    """The files ``needle standard export`` writes, named once so the reference page can
    link to the machine-readable copies beside it."""
    return {
        "datapackage": f"needle-standard-{version}.datapackage.json",
        "json_schema": f"needle-standard-{version}.schema.json",
        "reference": "standard.md",
    }


def _escape(code: str) -> str:
    """Escape regex metacharacters portably: Python's re.escape output is not always valid
    in the ECMA-262 dialect JSON Schema validators use."""
    return "".join("\\" + ch if ch in r".^$*+?()[]{}|\/" else ch for ch in code)


def _plain_number(value: float | None) -> int | float | None:
    """YAML gives ints for whole bounds; keep them ints so 30 is not written 30.0."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else float(value)

