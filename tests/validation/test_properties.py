"""Whatever a partner sends, the validator returns a report: never an exception.

Example counts are kept modest for the suite's time; the heavier workbook property is
marked slow.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from needle.standard import load_standard
from needle.validation import Report, validate_path
from needle.validation.report import EXIT_INVALID, EXIT_UNREADABLE, EXIT_VALID

STANDARD = load_standard()
ENTITIES = sorted(STANDARD.entities)
COLUMNS = sorted({c for e in STANDARD.entities.values() for c in e.columns})
TODAY = dt.date(2025, 6, 1)
FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def _assert_report(report: Report) -> None:
    assert isinstance(report, Report)
    assert report.exit_code in (EXIT_VALID, EXIT_INVALID, EXIT_UNREADABLE)
    report.to_json()
    report.render_text()


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURES)
@given(
    data=st.one_of(
        st.binary(max_size=2000),
        st.binary(max_size=200).map(lambda b: b"PK\x03\x04" + b),
        st.binary(max_size=200).map(lambda b: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b),
        st.binary(max_size=200).map(lambda b: b"\xff\xfe" + b),
    ),
    suffix=st.sampled_from([".csv", ".xlsx", ".zip", ".txt", ".xls", ""]),
)
def test_arbitrary_bytes(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("b") / f"attendance{suffix}"
    path.write_bytes(data)
    _assert_report(validate_path(path, today=TODAY))


_cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "2025-01-07", "31/12/2024", "13/13/13", "45678", "yes", "S-1"]),
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
_header = st.one_of(st.sampled_from(COLUMNS), st.text(max_size=10))


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURES)
@given(
    entity=st.sampled_from(ENTITIES),
    headers=st.lists(_header, min_size=0, max_size=8),
    cells=st.lists(st.lists(_cell, max_size=9), max_size=8),
    sep=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
)
def test_arbitrary_csv_cells(tmp_path_factory, entity, headers, cells, sep, encoding):
    lines = [sep.join(headers), *(sep.join(row) for row in cells)]
    text = "\n".join(lines)
    path = tmp_path_factory.mktemp("c") / f"{entity}.csv"
    path.write_bytes(text.encode(encoding, errors="replace"))
    _assert_report(validate_path(path, today=TODAY))


@settings(max_examples=30, deadline=None, suppress_health_check=FIXTURES)
@given(
    members=st.dictionaries(
        st.one_of(
            st.sampled_from([f"{e}.csv" for e in ENTITIES]),
            st.sampled_from(["instructions.txt", "README.md", "x/attendance.csv", "a.zip"]),
            st.text("abc._/", min_size=1, max_size=8),
        ),
        st.one_of(
            st.binary(max_size=300),
            st.lists(st.lists(_cell, max_size=4), max_size=5).map(
                lambda rows: "\n".join(",".join(r) for r in rows).encode()
            ),
        ),
        max_size=6,
    )
)
def test_arbitrary_zip_of_csvs(tmp_path_factory, members):
    path = tmp_path_factory.mktemp("z") / "submission.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    _assert_report(validate_path(path, today=TODAY))


_value = st.one_of(
    st.none(),
    st.text(max_size=10).map(lambda s: ILLEGAL_CHARACTERS_RE.sub("", s)),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(dt.date(1900, 3, 1), dt.date(2100, 1, 1)),
    st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(2100, 1, 1)),
    st.times(),
    st.sampled_from(["=1+1", "=A1", "=NOW()", "#N/A", "2025-01-07", "yes"]),
)
_sheet_name = st.one_of(
    st.sampled_from([*ENTITIES, "instructions", "Young People", "Sheet1"]),
    st.text("abcdefghij _-", min_size=1, max_size=20),
)


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=FIXTURES)
@given(
    sheets=st.dictionaries(
        _sheet_name,
        st.lists(st.lists(_value, max_size=6), max_size=6),
        min_size=1,
        max_size=4,
    ),
    merge=st.booleans(),
)
def test_arbitrary_workbooks(tmp_path_factory, sheets, merge):
    book = openpyxl.Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for name, rows in sheets.items():
        title = name.strip()[:31] or "blank"
        if title.lower() in used:
            continue
        used.add(title.lower())
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if merge and rows:
            sheet.merge_cells("A1:B1")
    buffer = io.BytesIO()
    book.save(buffer)
    path = tmp_path_factory.mktemp("w") / "submission.xlsx"
    path.write_bytes(buffer.getvalue())
    _assert_report(validate_path(path, today=TODAY))
