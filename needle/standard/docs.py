"""Generate the reference page of the standard (docs/reference/standard.md).

People read the standard here; machines read the data package and JSON Schema beside it.
All three come from the same YAML definition, so the page is generated rather than written:
a column added to the YAML appears on the page, in the schemas and in the templates at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from needle.standard.facts import (
    INSTRUMENT_LICENCE_NOTE,
    PI_PURPOSE,
    TYPE_HELP,
    ColumnFacts,
    deprecation_text,
    entity_facts,
    export_filenames,
    instrument_label,
    item_columns,
)
from needle.standard.model import CodeList, Entity, Standard

#: Code lists this long are linked rather than spelled out in the column tables.
_INLINE_CODES = 6


def reference_markdown(standard: Standard) -> str:
    """The whole reference page, ending with one newline."""
    sections = [
        _title(standard),
        _why(standard),
        _how_to_read(standard),
        _entities(standard),
        _codelists(standard),
        _instruments(standard),
        _rules(standard),
        _versioning(standard),
        _credits(),
    ]
    return "\n\n".join(s.strip("\n") for s in sections) + "\n"


# --- sections -----------------------------------------------------------------------------


def _title(standard: Standard) -> str:
    names = export_filenames(standard.version)
    return f"""\
# {standard.name} {standard.version}

<!-- Generated from needle/standard/definitions/{standard.version}.yaml. Do not edit by hand:
     change the YAML, then run `needle standard export docs/reference`. -->

Version {standard.version} · status: {standard.status} · machine-readable copies:
[Frictionless Data Package]({names["datapackage"]}) ·
[JSON Schema]({names["json_schema"]})"""


def _why(standard: Standard) -> str:
    return f"""\
## Why?

Every organisation in a collective impact initiative already keeps records, each in its own
way. To see what difference the initiative makes together, those records have to describe
the same things in the same way: the same young person, the same kind of session, the same
questionnaire. This standard is that shared language. It is a few plain tables that a youth
club, a council service, a school or a sports club can fill from its own register once per
reporting period; Needle checks every partner's submission the same way and pools them into
shared indicators, without anyone retyping data.

It asks for as little as it can. Most columns are optional, any sheet that does not apply
can stay empty, and names, dates of birth and postcodes are {PI_PURPOSE}:
Needle never stores them."""


def _how_to_read(standard: Standard) -> str:
    types = _table(
        ["type", "what to write"],
        [[f"`{name}`", help_text] for name, help_text in TYPE_HELP.items()],
    )
    return f"""\
## How to read this page

- Each **entity** below is one sheet of the XLSX template, or one CSV file named after it
  (for example `attendance.csv`). Column names are fixed and written in the first row.
  An initiative may add its own columns; Needle warns about columns it does not know and
  ignores them.
- **Required** columns need a value on every row. Other columns may be left blank, and a
  whole sheet may stay empty when it does not apply.
- **PI** marks a personal identifier: {PI_PURPOSE}.
  Needle never stores it. Never put names or contact details in any other column.
- **References** name a column of another entity: the value must appear there in the same
  submission.
- **Type** says what a value looks like:

{types}

- Code-list columns accept the code or its label, in any case; the template's drop-down
  lists show the labels.
- Get a blank template with `needle template` (an XLSX workbook) or
  `needle template --format csv` (a zip of CSV files), and check a filled one with
  `needle validate`."""


def _entities(standard: Standard) -> str:
    overview = _table(
        ["entity", "title", "what it holds", "required columns"],
        [
            [
                f"[{e.name}](#{e.name})",
                e.title,
                _first_sentence(e.description),
                _codes_inline(e.required_columns),
            ]
            for e in standard.entities.values()
        ],
    )
    parts = ["## Entities", overview]
    parts.extend(_entity(standard, entity) for entity in standard.entities.values())
    return "\n\n".join(parts)


def _entity(standard: Standard, entity: Entity) -> str:
    lines = [f"### {entity.name}", f"**{entity.title}.** {_oneline(entity.description)}"]
    facts_list = []
    if entity.primary_key:
        facts_list.append(
            f"- Primary key: {_codes_inline(entity.primary_key)} (unique within a submission)."
        )
    if entity.activity_date:
        facts_list.append(
            f"- Checked against the reporting period: `{entity.activity_date}`."
        )
    for check in entity.checks:
        facts_list.append(f"- Cross-field check {_check_text(standard, check)}.")
    if facts_list:
        lines.append("\n".join(facts_list))
    lines.append(
        _table(
            [
                "column",
                "type",
                "required",
                "PI",
                "description",
                "allowed values or range",
                "references",
            ],
            [_column_row(f) for f in entity_facts(standard, entity)],
        )
    )
    return "\n\n".join(lines)


def _column_row(f: ColumnFacts) -> list[str]:
    description = f.description
    if f.column.deprecated:
        description = f"**{deprecation_text(f.column)}** {description}"
    ref = f.reference
    ref_cell = f"[`{ref}`](#{f.column.references[0]})" if ref and f.column.references else ""
    return [
        f"`{f.name}`",
        f.type,
        "yes" if f.required else "",
        "PI" if f.pi else "",
        description,
        _allowed(f),
        ref_cell,
    ]


def _allowed(f: ColumnFacts) -> str:
    if f.codelist:
        link = f"[{f.codelist}](#code-list-{f.codelist})"
        prefix = "one or more of " if f.type == "codes" else ""
        if len(f.codes) <= _INLINE_CODES:
            return f"{prefix}{link}: {_codes_inline(f.code_values)}"
        return f"{prefix}{link} ({len(f.codes)} codes)"
    return f.range_text()


def _codelists(standard: Standard) -> str:
    parts = [
        "## Code lists",
        "A code-list column accepts the code or the label, in any case. Codes are what Needle "
        "stores and exports." + _ethnicity_note(standard),
    ]
    used_by = _codelist_users(standard)
    for codelist in standard.codelists.values():
        parts.append(_codelist(codelist, used_by.get(codelist.name, [])))
    return "\n\n".join(parts)


def _ethnicity_note(standard: Standard) -> str:
    codelist = standard.codelists.get("ethnicity")
    if codelist is None:
        return ""
    grouped = [c for c in codelist.codes if c.group]
    groups = len({c.group for c in grouped})
    others = len(codelist.codes) - len(grouped)
    return (
        f" The ethnicity list is the ONS 2021 ethnic group classification: {len(grouped)} "
        f"categories in {groups} groups, with the labels published with Census 2021"
        + (f", plus {others} codes for when it was not given." if others else ".")
    )


def _codelist(codelist: CodeList, users: Sequence[str]) -> str:
    grouped = any(c.group for c in codelist.codes)
    header = ["code", "label", "group"] if grouped else ["code", "label"]
    rows = [
        [f"`{c.code}`", c.label, *([c.group or ""] if grouped else [])] for c in codelist.codes
    ]
    used = f"Used by {_codes_inline(users)}." if users else "Not used by any column."
    return "\n\n".join([f"### Code list: {codelist.name}", used, _table(header, rows)])


def _instruments(standard: Standard) -> str:
    rows = [
        [
            f"`{i.name}`",
            instrument_label(standard, i.name),
            str(i.items),
            f"`{item_columns(i.items)}`",
            f"{i.min} to {i.max}",
        ]
        for i in standard.instruments.values()
    ]
    table = _table(["instrument", "name", "items", "columns", "response range"], rows)
    return f"""\
## Instruments

Questionnaire responses go in the `measurements` entity, one row per completed
questionnaire. {INSTRUMENT_LICENCE_NOTE}

{table}"""


def _rules(standard: Standard) -> str:
    table = _table(
        ["id", "severity", "title", "hint"],
        [[f"`{r.id}`", r.severity, r.title, r.hint] for r in standard.rules.values()],
    )
    return f"""\
## Validation rules

Every problem Needle reports names one of these rules, with the sheet, the row as you see
it (the header is row 1) and the column. An error must be fixed before the submission can
be pooled; a warning is worth checking but does not stop it. Messages never repeat the value
of a personal identifier.

{table}"""


def _versioning(standard: Standard) -> str:
    major = standard.version.split(".")[0]
    deprecated = [
        f"`{f.entity}.{f.name}` ({deprecation_text(f.column)})"
        for entity in standard.entities.values()
        for f in entity_facts(standard, entity)
        if f.column.deprecated
    ]
    current = (
        "Deprecated in this version: " + "; ".join(deprecated) + "."
        if deprecated
        else f"Nothing is deprecated in version {standard.version}."
    )
    return f"""\
## Versioning and deprecation

- Versions are numbered MAJOR.MINOR. A submission says which version it follows in the
  `Standard version` row of the template's instructions sheet (or `instructions.txt` in
  the CSV template); without one, Needle assumes the current version.
- A **minor** version only adds: optional columns, codes, entities, warnings. A submission
  valid under {major}.0 stays valid under every later {major}.x.
- A **major** version may rename or remove a column or a code, or make a column required.
  Needle keeps shipping the definitions of earlier versions, so older submissions can still
  be validated as what they were.
- **Deprecation**: a column due to go is first marked deprecated, with the version it was
  deprecated in and what to use instead. It is still accepted, with a `column_deprecated`
  warning, until the next major version removes it. New templates leave it out.
- {current}"""


def _credits() -> str:
    return """\
## Credits

- Ethnic group: the Office for National Statistics 2021 ethnic group classification, with
  the labels published with Census 2021 (Open Government Licence v3.0).
- The `provisions` entity is aligned with the `service` of the Open Referral Human Services
  Data Specification (HSDS) 3.0.
- The machine-readable copies follow Frictionless Data (Data Package, Table Schema) and
  JSON Schema draft 2020-12."""


# --- helpers ------------------------------------------------------------------------------


def _check_text(standard: Standard, check: dict[str, str]) -> str:
    rule = standard.rules[check["rule"]]
    columns = [f"{key} `{value}`" for key, value in check.items() if key != "rule"]
    detail = f" ({', '.join(columns)})" if columns else ""
    return f"[`{rule.id}`](#validation-rules){detail}: *{rule.title}*"


def _codelist_users(standard: Standard) -> dict[str, list[str]]:
    users: dict[str, list[str]] = {}
    for entity in standard.entities.values():
        for column in entity.columns.values():
            if column.codelist:
                users.setdefault(column.codelist, []).append(f"{entity.name}.{column.name}")
    return users


def _codes_inline(values: Iterable[str]) -> str:
    return ", ".join(f"`{v}`" for v in values)


def _first_sentence(text: str) -> str:
    text = _oneline(text)
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def _oneline(text: str) -> str:
    return " ".join(text.split())


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table; pipes and line breaks in cells are escaped."""
    lines = [_row(header), _row(["---"] * len(header))]
    lines.extend(_row(row) for row in rows)
    return "\n".join(lines)


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(_oneline(c).replace("|", "\\|") for c in cells) + " |"
