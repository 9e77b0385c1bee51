"""Read an XLSX workbook into text tables with openpyxl in read-only mode.

Read-only mode streams rows and shows formulas as formulas (we want to flag them: a
formula's cached value is not the partner's data, and may be stale), but it hides merged
cells, so those are found by scanning the sheet XML in the zip directly. Partners'
workbooks are small; large submissions come as CSV, so nothing here is tuned for speed.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree import ElementTree

import openpyxl
import polars as pl

from needle.standard.model import normalise_token
from needle.standard.templates import INSTRUCTIONS_SHEET, VERSION_LABEL
from needle.validation.limits import Limits
from needle.validation.raw import ROW, FileProblem, Member, RawSubmission, RawTable, position, tidy

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Za-z]+)(\d+)(?::([A-Za-z]+)(\d+))?"')
_MAX_INSTRUCTION_ROWS = 500
_VERSION_KEY = normalise_token(VERSION_LABEL)


def read_workbook(path: Path, archive: zipfile.ZipFile, limits: Limits) -> RawSubmission:
    """Every worksheet as a ``Member`` (already read), and the version the workbook states.

    ``archive`` is the workbook opened as a zip whose entries the caller has already
    checked against ``limits``.
    """
    merged = _merged_header_ranges(archive)
    source = path.name
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception:  # openpyxl raises many types for damaged files
        raise FileProblem(
            "file_unreadable",
            f"Needle could not open {source} as an Excel workbook: it looks damaged.",
            source,
        ) from None
    members: list[Member] = []
    version = None
    try:
        for sheet in book.worksheets:
            title = str(sheet.title)
            if normalise_token(title) == INSTRUCTIONS_SHEET:
                version = _stated_version(sheet)
                continue
            table = _read_sheet(sheet, title, limits)
            table.merged_header = merged.get(title, [])
            members.append(
                Member(
                    name=title,
                    source=title,
                    load=lambda table=table: table,
                    hidden=sheet.sheet_state != "visible",
                )
            )
    except FileProblem:
        raise
    except Exception:
        raise FileProblem(
            "file_unreadable",
            f"Needle could not read the sheets of {source}: the workbook looks damaged.",
            source,
        ) from None
    finally:
        book.close()
    return RawSubmission(kind="xlsx", members=members, stated_version=version)


def cell_text(value: Any) -> str | None:
    """A cell's value as the text a partner would type, so every source checks the same way.

    Excel dates become ISO dates, whole numbers lose their ".0", times become HH:MM:SS.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, dt.timedelta):
        seconds = int(value.total_seconds())
        if 0 <= seconds < 86400:
            return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        return str(value)
    return str(value)


def _read_sheet(sheet: Any, title: str, limits: Limits) -> RawTable:
    sheet.reset_dimensions()  # dimensions written by other tools can be wrong
    headers: list[str | None] = []
    rows: list[int] = []
    cells: list[list[str | None]] = []
    formulas: list[tuple[int, int]] = []
    for number, row in enumerate(sheet.iter_rows(min_row=1), start=1):
        values: list[str | None] = []
        for index, cell in enumerate(row):
            if getattr(cell, "data_type", None) == "f":
                formulas.append((number, index))
                values.append(None)
            else:
                values.append(cell_text(cell.value))
        if number == 1:
            headers = values
            continue
        if not any(v is not None and str(v).strip() for v in values):
            continue
        if len(rows) >= limits.max_rows:
            raise FileProblem(
                "file_too_large",
                f"The sheet {title} has more than {limits.max_rows:,} rows, the most Needle "
                "reads from one sheet.",
                title,
            )
        rows.append(number)
        cells.append(values)
    width = max([len(headers), *(len(v) for v in cells)])
    headers = headers + [None] * (width - len(headers))
    columns: dict[str, list[Any]] = {ROW: rows}
    for index in range(width):
        columns[position(index)] = [v[index] if index < len(v) else None for v in cells]
    schema = {ROW: pl.Int64, **{position(i): pl.String for i in range(width)}}
    data = tidy(pl.DataFrame(columns, schema=schema))
    header_formulas = [(r, i) for r, i in formulas if r == 1]
    for _, index in header_formulas:
        headers[index] = None
    return RawTable(
        name=title,
        source=title,
        headers=headers,
        data=data,
        formulas=[(r, i) for r, i in formulas if r > 1] + header_formulas,
    )


def _stated_version(sheet: Any) -> str | None:
    """The value beside "Standard version" in column A of the instructions sheet."""
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > _MAX_INSTRUCTION_ROWS:
            break
        if len(row) >= 2 and row[0] is not None and normalise_token(str(row[0])) == _VERSION_KEY:
            return version_text(row[1])
    return None


def version_text(value: Any) -> str | None:
    """Excel stores "1.0" typed in a cell as the number 1: read it back as "1.0"."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value}.0"
    if isinstance(value, float):
        return f"{value:.1f}" if value.is_integer() else repr(value)
    text = str(value).strip()
    return text or None


def _merged_header_ranges(archive: zipfile.ZipFile) -> dict[str, list[str]]:
    """Sheet title -> merged ranges that touch row 1, read from the sheet XML.

    Anything unexpected in the package returns what was found so far: openpyxl will then
    report the workbook as damaged, or read it without the merged-cell check.
    """
    found: dict[str, list[str]] = {}
    try:
        sheets = _sheet_parts(archive)
    except Exception:
        return found
    for title, part in sheets.items():
        try:
            ranges = _scan_merges(archive, part)
        except Exception:
            continue
        if ranges:
            found[title] = ranges
    return found


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_NS_PKG}Relationship")}
    parts = {}
    for sheet in book.iter(f"{_NS_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_NS_REL}id"), "")
        if not target:
            continue
        absolute = target.startswith("/")
        parts[str(sheet.get("name"))] = (
            target.lstrip("/") if absolute else str(PurePosixPath("xl") / target)
        )
    return parts


def _scan_merges(archive: zipfile.ZipFile, part: str) -> list[str]:
    """Stream the sheet XML in chunks: merged ranges come after all the rows."""
    ranges: dict[str, None] = {}
    tail = b""
    with archive.open(part) as stream:
        while chunk := stream.read(1 << 20):
            buffer = tail + chunk
            for match in _MERGE.finditer(buffer):
                first_col, first_row, last_col, last_row = match.groups()
                rows = [int(first_row), int(last_row or first_row)]
                if min(rows) == 1:
                    ref = f"{first_col.decode().upper()}{first_row.decode()}"
                    if last_col:
                        ref += f":{last_col.decode().upper()}{last_row.decode()}"
                    ranges[ref] = None
            tail = buffer[-512:]
    return list(ranges)
