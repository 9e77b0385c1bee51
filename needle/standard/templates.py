"""Blank submission templates: an XLSX workbook, or a zip of CSV files.

Most partners fill the template by hand or paste from their own spreadsheet, so the
template does as much of the validator's work as Excel allows: fixed headers, a note on
every header, drop-down lists of labels, number and date checks, formats that stop Excel
mangling identifiers. The CSV zip carries the same guidance as text. Both are generated
from the definition, with no example rows: an untouched template is a valid, empty
submission.

The validator reads the standard version from the instructions sheet (the row whose
column A is ``VERSION_LABEL``) or from the ``Standard version:`` line of
``instructions.txt``, and skips the ``INSTRUCTIONS_SHEET`` and ``LISTS_SHEET`` sheets.
"""

from __future__ import annotations

import csv
import io
import math
import textwrap
import zipfile
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.utility import quote_sheetname, xl_range_abs
from xlsxwriter.workbook import Format, Workbook
from xlsxwriter.worksheet import Worksheet

from needle.standard.facts import (
    CODES_SEPARATOR,
    INSTRUMENT_LICENCE_NOTE,
    PI_PURPOSE,
    TYPE_HELP,
    ColumnFacts,
    entity_facts,
    instrument_label,
    item_columns,
)
from needle.standard.model import Standard

INSTRUCTIONS_SHEET = "instructions"
LISTS_SHEET = "lists"
VERSION_LABEL = "Standard version"

#: Validations and drop-downs cover rows 2 to this row. Excel stores them as one range per
#: column, so the file stays small; rows beyond it are still checked by the validator.
VALIDATED_ROWS = 10_000

#: Header fills: the key is explained on the instructions sheet.
REQUIRED_FILL = "#F8CBAD"
OPTIONAL_FILL = "#E7E6E6"
PI_FILL = "#D9D2E9"

#: Excel's limits on data validation texts (characters).
_TITLE_LIMIT = 32
_MESSAGE_LIMIT = 255

_NUMBER_FORMATS = {
    "date": "yyyy-mm-dd",
    "time": "hh:mm",
    # Text format stops Excel turning identifiers such as 1-2 or 00123 into dates or numbers.
    "string": "@",
    "postcode": "@",
    "code": "@",
    "codes": "@",
}

_ZIP_TIMESTAMP = (2000, 1, 1, 0, 0, 0)  # fixed, so the same standard gives the same zip


def write_template(path: str | Path, *, fmt: str = "xlsx", standard: Standard) -> Path:
    """Write a blank template for ``standard``: ``fmt`` is "xlsx" or "csv" (a zip)."""
    path = Path(path)
    if fmt == "xlsx":
        _write_xlsx(path, standard)
    elif fmt == "csv":
        _write_csv_zip(path, standard)
    else:
        raise ValueError(f"unknown template format {fmt!r}: use 'xlsx' or 'csv'")
    return path


# --- guidance shared by both formats ------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One line of guidance: a heading, or a label with its text.

    ``key`` names a header style ("required", "optional", "pi") that the XLSX template
    shows on the label cell, so the colour key is the colours themselves.
    """

    label: str
    text: str = ""
    heading: bool = False
    key: str | None = None


def guidance(standard: Standard, *, medium: str) -> list[Line]:
    """What a partner needs to know to fill the template; ``medium`` is "xlsx" or "csv"."""
    sheet = "sheet" if medium == "xlsx" else "file"
    return [
        Line(f"{standard.name} {standard.version}: submission template", heading=True),
        Line(VERSION_LABEL, standard.version),
        *_about_lines(),
        *_filling_lines(standard, medium, sheet),
        *_format_lines(standard),
        *_privacy_lines(standard),
        Line(f"What goes in each {sheet}", heading=True),
        *(_entity_line(standard, name, medium) for name in standard.entities),
        *_instrument_lines(standard),
        Line("Checking", heading=True),
        Line(
            "Before you send it",
            "Check the file with `needle validate <file>` or by uploading it: every "
            f"problem comes with the {sheet}, row, column and a hint on how to fix it.",
        ),
    ]


def _about_lines() -> list[Line]:
    return [
        Line("About Needle", heading=True),
        Line(
            "What this is",
            "Needle is open-source shared measurement for youth-sector collective impact "
            "initiatives. Each partner organisation sends one submission per reporting "
            "period; the initiative pools them to see, together, what difference it makes.",
        ),
    ]


def _filling_lines(standard: Standard, medium: str, sheet: str) -> list[Line]:
    names = ", ".join(
        f"{name}.csv" if medium == "csv" else name for name in standard.entities
    )
    lines = [
        Line("How to fill it in", heading=True),
        Line(
            f"{sheet.capitalize()}s",
            f"One {sheet} per kind of record, named after it: {names}. "
            f"Do not rename the {sheet}s.",
        ),
        Line(
            "Rows",
            "Keep the first row (the column names) exactly as it is and add one row per "
            f"record below it. A {sheet} that does not apply can stay empty.",
        ),
        Line(
            "Columns",
            "Keep the column names exactly as written. You may add your own columns; "
            "Needle ignores columns it does not know, with a warning.",
        ),
        Line("Values", _values_hint(standard, medium)),
    ]
    if medium == "xlsx":
        lines += [
            Line("Required", "Column names with this fill must have a value on every row.",
                 key="required"),
            Line("Optional", "Column names with this fill may be left blank.", key="optional"),
            Line("Personal identifier", "Optional; see Privacy below.", key="pi"),
            Line(
                "Help on a column",
                "Point at a column name to read what it means, whether it is required and "
                "the values it allows. Code-list columns have a drop-down list of labels; "
                "typing the code works too.",
            ),
        ]
    else:
        lines.append(
            Line(
                "Help on a column",
                "Each file's columns are listed below with what they mean, whether they are "
                "required and the values they allow. Save as 'CSV UTF-8 (Comma delimited)'.",
            )
        )
    return lines


def _values_hint(standard: Standard, medium: str) -> str:
    blank = "Leave a cell empty when the value is not known."
    if medium == "xlsx":
        return f"{blank} {standard.rules['cell_formula'].hint}"
    return f"One value per cell. {blank}"


def _format_lines(standard: Standard) -> list[Line]:
    return [
        Line("Formats", heading=True),
        Line("Dates", standard.rules["type_date"].hint),
        Line("Times", standard.rules["type_time"].hint),
        Line("Postcodes", standard.rules["postcode_format"].hint),
        Line("Code lists", f"{TYPE_HELP['code']} {TYPE_HELP['codes']}"),
    ]


def _privacy_lines(standard: Standard) -> list[Line]:
    where = "; ".join(
        f"{', '.join(entity.pi_columns)} in {entity.name}"
        for entity in standard.entities.values()
        if entity.pi_columns
    )
    consent = [
        column
        for entity in standard.entities.values()
        for column in entity.columns.values()
        if column.name == "consent_to_share"
    ]
    lines = [
        Line("Privacy", heading=True),
        Line(
            "Personal identifiers",
            f"{where}: {PI_PURPOSE}. Needle never stores them: they are replaced by "
            "pseudonymous codes and coarse facts (age, area) before the data is pooled, "
            "which can happen on your own computer before you upload.",
        ),
        Line(
            "Other columns",
            "Do not put names, addresses, phone numbers or other personal details in any "
            "other column, such as reason or description.",
        ),
    ]
    lines.extend(Line(c.name, " ".join(c.description.split())) for c in consent[:1])
    return lines


def _entity_line(standard: Standard, name: str, medium: str) -> Line:
    entity = standard.entities[name]
    required = ", ".join(entity.required_columns) or "none"
    label = f"{name}.csv" if medium == "csv" else name
    text = f"{entity.title}. {' '.join(entity.description.split())} Required: {required}."
    return Line(label, text)


def _instrument_lines(standard: Standard) -> list[Line]:
    lines = [Line("Questionnaires", heading=True), Line("Licensed scales", INSTRUMENT_LICENCE_NOTE)]
    for i in standard.instruments.values():
        lines.append(
            Line(
                i.name,
                f"{instrument_label(standard, i.name)}: {i.items} items in "
                f"{item_columns(i.items)}, each a whole number from {i.min} to {i.max}.",
            )
        )
    return lines


# --- XLSX ---------------------------------------------------------------------------------


class _Styles:
    """The workbook's cell formats, created once (xlsxwriter formats belong to a workbook)."""

    def __init__(self, workbook: Workbook) -> None:
        header = {"bold": True, "bottom": 1, "valign": "top"}
        self.headers = {
            "required": workbook.add_format({**header, "bg_color": REQUIRED_FILL}),
            "optional": workbook.add_format({**header, "bg_color": OPTIONAL_FILL}),
            "pi": workbook.add_format({**header, "bg_color": PI_FILL}),
        }
        self.columns = {
            kind: workbook.add_format({"num_format": fmt}) for kind, fmt in _NUMBER_FORMATS.items()
        }
        self.title = workbook.add_format({"bold": True, "font_size": 14})
        self.heading = workbook.add_format({"bold": True, "font_size": 12, "top": 1})
        self.label = workbook.add_format({"bold": True, "valign": "top", "text_wrap": True})
        self.text = workbook.add_format({"valign": "top", "text_wrap": True})

    def header_for(self, f: ColumnFacts) -> Format:
        if f.required:
            return self.headers["required"]
        return self.headers["pi" if f.pi else "optional"]


def _write_xlsx(path: Path, standard: Standard) -> None:
    clash = {INSTRUCTIONS_SHEET, LISTS_SHEET} & set(standard.entities)
    if clash:
        raise ValueError(f"entity named like a template sheet: {sorted(clash)}")
    workbook = xlsxwriter.Workbook(str(path))
    try:
        workbook.set_properties({"title": f"{standard.name} {standard.version} template"})
        styles = _Styles(workbook)
        instructions = workbook.add_worksheet(INSTRUCTIONS_SHEET)
        entity_sheets = {name: workbook.add_worksheet(name) for name in standard.entities}
        lists = workbook.add_worksheet(LISTS_SHEET)
        sources = _write_lists(lists, standard)
        lists.hide()
        _write_instructions(instructions, guidance(standard, medium="xlsx"), styles)
        for name, sheet in entity_sheets.items():
            facts = entity_facts(standard, name, include_deprecated=False)
            _write_entity_sheet(sheet, facts, sources, styles, standard)
        instructions.activate()
    finally:
        workbook.close()


def _write_instructions(sheet: Worksheet, lines: list[Line], styles: _Styles) -> None:
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 1, 110, styles.text)
    for row, line in enumerate(lines):
        if row == 0:
            sheet.write_string(row, 0, line.label, styles.title)
        elif line.heading:
            sheet.write_string(row, 0, line.label, styles.heading)
            sheet.write_blank(row, 1, None, styles.heading)
        else:
            label_style = styles.headers[line.key] if line.key else styles.label
            sheet.write_string(row, 0, line.label, label_style)
            sheet.write_string(row, 1, line.text, styles.text)


def _write_lists(sheet: Worksheet, standard: Standard) -> dict[str, str]:
    """One column of labels per code list in use; returns each list's range formula.

    Drop-downs point here because an inline list is limited to 255 characters, which the
    ethnicity labels alone exceed.
    """
    used = [
        c.codelist
        for e in standard.entities.values()
        for c in e.columns.values()
        if c.type == "code" and c.codelist
    ]
    sources = {}
    for col, name in enumerate(dict.fromkeys(used)):
        labels = standard.codelists[name].labels
        sheet.write_string(0, col, name)
        for row, label in enumerate(labels, start=1):
            sheet.write_string(row, col, label)
        cells = xl_range_abs(1, col, len(labels), col)
        sources[name] = f"={quote_sheetname(LISTS_SHEET)}!{cells}"
    return sources


def _write_entity_sheet(
    sheet: Worksheet,
    facts: list[ColumnFacts],
    sources: dict[str, str],
    styles: _Styles,
    standard: Standard,
) -> None:
    for col, f in enumerate(facts):
        sheet.write_string(0, col, f.name, styles.header_for(f))
        note = f.note()
        sheet.write_comment(0, col, note, {"width": 420, "height": _note_height(note)})
        sheet.set_column(col, col, _width(f), styles.columns.get(f.type))
        validation = _validation(f, sources, standard)
        if validation:
            sheet.data_validation(1, col, VALIDATED_ROWS - 1, col, validation)
    sheet.freeze_panes(1, 0)


def _validation(
    f: ColumnFacts, sources: dict[str, str], standard: Standard
) -> dict[str, Any] | None:
    """Excel's data validation for one column, or None when Excel cannot help."""
    if f.type == "code" and f.codelist:
        return {
            "validate": "list",
            "source": sources[f.codelist],
            "ignore_blank": True,
            # A warning, not a stop: the code is as valid as the label shown in the list.
            "error_type": "warning",
            "error_title": "Not in the list",
            "error_message": _clip(standard.rules["code_unknown"].hint, _MESSAGE_LIMIT),
        }
    if f.type == "codes":
        allowed = f"{CODES_SEPARATOR} ".join(f.code_values)
        return {
            "validate": "any",
            "input_title": _clip("Codes, separated by ;", _TITLE_LIMIT),
            "input_message": _clip(f"One or more of: {allowed}", _MESSAGE_LIMIT),
        }
    if f.type in ("integer", "number"):
        return _number_validation(f, standard)
    if f.type == "date":
        return {
            "validate": "date",
            "criteria": "between",
            "minimum": date(1900, 1, 1),
            "maximum": date(2099, 12, 31),
            "ignore_blank": True,
            "error_title": "Not a date",
            "error_message": _clip(standard.rules["type_date"].hint, _MESSAGE_LIMIT),
        }
    if f.type == "time":
        return {
            "validate": "time",
            "criteria": "between",
            "minimum": time(0, 0),
            "maximum": time(23, 59, 59),
            "ignore_blank": True,
            "error_title": "Not a time",
            "error_message": _clip(standard.rules["type_time"].hint, _MESSAGE_LIMIT),
        }
    return None


def _number_validation(f: ColumnFacts, standard: Standard) -> dict[str, Any]:
    kind = "integer" if f.type == "integer" else "decimal"
    rule = standard.rules["type_integer" if f.type == "integer" else "type_number"]
    low, high = f.minimum, f.maximum
    limits: dict[str, Any]
    if low is not None and high is not None:
        limits = {"criteria": "between", "minimum": low, "maximum": high}
    elif low is not None:
        limits = {"criteria": ">=", "value": low}
    elif high is not None:
        limits = {"criteria": "<=", "value": high}
    else:
        limits = {"criteria": "between", "minimum": -(2**31), "maximum": 2**31 - 1}
    message = rule.hint + (f" Allowed range: {f.range_text()}." if f.range_text() else "")
    return {
        "validate": kind,
        **limits,
        "ignore_blank": True,
        "error_title": "Not a whole number" if kind == "integer" else "Not a number",
        "error_message": _clip(message, _MESSAGE_LIMIT),
    }


def _width(f: ColumnFacts) -> int:
    """Wide enough for the header, and for most labels of a drop-down, within reason."""
    longest_label = max((len(label) for label in f.labels), default=0)
    return max(12, min(max(len(f.name) + 3, longest_label + 2), 45))


def _note_height(note: str, chars_per_line: int = 62, pixels_per_line: int = 15) -> int:
    lines = sum(max(1, math.ceil(len(line) / chars_per_line)) for line in note.splitlines())
    return 20 + lines * pixels_per_line


def _clip(text: str, limit: int) -> str:
    """Excel silently drops a validation whose text is too long; shorten it instead."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- CSV ----------------------------------------------------------------------------------


def _write_csv_zip(path: Path, standard: Standard) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in standard.entities:
            facts = entity_facts(standard, name, include_deprecated=False)
            # With a BOM, Excel opens the file as UTF-8 and saves it back the same way.
            _add(archive, f"{name}.csv", _csv_header([f.name for f in facts]).encode("utf-8-sig"))
        _add(archive, "instructions.txt", instructions_text(standard).encode("utf-8"))


def instructions_text(standard: Standard) -> str:
    """The CSV template's instructions.txt: the XLSX guidance, then each file's columns."""
    parts = [_render_text(guidance(standard, medium="csv"))]
    for name in standard.entities:
        parts.append(_columns_text(standard, name))
    return "\n".join(parts).rstrip("\n") + "\n"


def _render_text(lines: list[Line]) -> str:
    out: list[str] = []
    for index, line in enumerate(lines):
        if line.heading:
            underline = "=" if index == 0 else "-"
            out += ["", line.label, underline * len(line.label)]
        else:
            out += textwrap.wrap(
                f"{line.label}: {line.text}", width=88, subsequent_indent="    "
            )
    return "\n".join(out).lstrip("\n") + "\n"


def _columns_text(standard: Standard, name: str) -> str:
    title = f"Columns of {name}.csv"
    out = ["", title, "-" * len(title)]
    for f in entity_facts(standard, name, include_deprecated=False):
        out.append(f.name)
        for line in f.note().splitlines():
            indent = " " * (4 + len(line) - len(line.lstrip()))
            out += textwrap.wrap(
                line.strip(), width=88, initial_indent=indent, subsequent_indent=indent + "  "
            )
    return "\n".join(out) + "\n"


def _csv_header(names: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(names)
    return buffer.getvalue()


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIMESTAMP)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)
