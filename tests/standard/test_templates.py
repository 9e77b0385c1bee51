"""The XLSX and CSV templates: the right sheets and headers, and the help Excel can give."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from needle.cli import main
from needle.standard import Standard, load_standard
from needle.standard.templates import (
    INSTRUCTIONS_SHEET,
    LISTS_SHEET,
    VALIDATED_ROWS,
    VERSION_LABEL,
    write_template,
)

ENTITIES = list(load_standard().entities)
_RANGE = re.compile(
    r"^'?(?P<sheet>[^'!]+)'?!\$(?P<col>[A-Z]+)\$(?P<first>\d+):\$[A-Z]+\$(?P<last>\d+)$"
)


@pytest.fixture(scope="module")
def xlsx_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("xlsx") / "template.xlsx"
    assert write_template(path, fmt="xlsx", standard=load_standard()) == path
    return path


@pytest.fixture(scope="module")
def book(xlsx_path: Path) -> Workbook:
    return openpyxl.load_workbook(xlsx_path)


@pytest.fixture(scope="module")
def zip_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("csv") / "template.zip"
    assert write_template(path, fmt="csv", standard=load_standard()) == path
    return path


def _validations(sheet: Worksheet) -> dict[str, DataValidation]:
    """Column letter -> the data validation that covers it."""
    found = {}
    for dv in sheet.data_validations.dataValidation:
        for cell_range in dv.sqref.ranges:
            assert cell_range.min_col == cell_range.max_col
            found[get_column_letter(cell_range.min_col)] = dv
    return found


def _number_format(sheet: Worksheet, letter: str) -> str:
    """The column's format; xlsxwriter stores neighbouring alike columns as one range."""
    index = column_index_from_string(letter)
    for dimension in sheet.column_dimensions.values():
        if dimension.min <= index <= dimension.max:
            return dimension.number_format
    return "General"


def _column_letter(standard: Standard, entity: str, column: str) -> str:
    return get_column_letter(list(standard.entities[entity].columns).index(column) + 1)


# --- XLSX: sheets and headers ---------------------------------------------------------------


def test_sheets_are_instructions_then_entities_then_hidden_lists(book: Workbook):
    assert book.sheetnames == [INSTRUCTIONS_SHEET, *ENTITIES, LISTS_SHEET]
    assert book[LISTS_SHEET].sheet_state == "hidden"
    assert all(book[name].sheet_state == "visible" for name in [INSTRUCTIONS_SHEET, *ENTITIES])
    assert book.active.title == INSTRUCTIONS_SHEET


@pytest.mark.parametrize("entity", ENTITIES)
def test_header_row_is_the_columns_in_order_and_nothing_else(
    book: Workbook, standard: Standard, entity: str
):
    sheet = book[entity]
    header = [cell.value for cell in sheet[1]]
    assert header == list(standard.entities[entity].columns)
    assert sheet.max_row == 1  # no example rows: an untouched template is an empty submission
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])


@pytest.mark.parametrize("entity", ENTITIES)
def test_required_headers_are_marked_by_fill(book: Workbook, standard: Standard, entity: str):
    fills = {
        cell.value: cell.fill.fgColor.rgb for cell in book[entity][1]
    }
    columns = standard.entities[entity].columns
    required = {fills[c.name] for c in columns.values() if c.required}
    not_required = {fills[c.name] for c in columns.values() if not c.required}
    assert len(required) == 1
    assert not required & not_required


@pytest.mark.parametrize("entity", ENTITIES)
def test_every_header_has_a_note(book: Workbook, standard: Standard, entity: str):
    for cell in book[entity][1]:
        column = standard.entities[entity].columns[cell.value]
        assert cell.comment is not None, cell.value
        text = cell.comment.text
        assert text.startswith(column.description.split()[0])
        assert ("Required" in text) == column.required
        if column.pi:
            assert "Personal identifier" in text
        if column.codelist:
            for code in standard.codelists[column.codelist].codes:
                assert f"{code.code} = {code.label}" in text


# --- XLSX: data validation and formats ------------------------------------------------------


@pytest.mark.parametrize("entity", ENTITIES)
def test_code_columns_have_a_dropdown_of_labels_from_the_lists_sheet(
    book: Workbook, standard: Standard, entity: str
):
    validations = _validations(book[entity])
    lists = book[LISTS_SHEET]
    for column in standard.entities[entity].columns.values():
        if column.type != "code":
            continue
        dv = validations[_column_letter(standard, entity, column.name)]
        assert dv.type == "list"
        assert dv.allow_blank
        # A warning, not a stop: typing the code is as good as picking the label.
        assert dv.errorStyle == "warning"
        ref = _RANGE.match(dv.formula1)
        assert ref, dv.formula1
        assert ref["sheet"] == LISTS_SHEET
        col = column_index_from_string(ref["col"])
        labels = [
            lists.cell(row, col).value for row in range(int(ref["first"]), int(ref["last"]) + 1)
        ]
        assert labels == list(standard.codelists[column.codelist].labels)
        (cells,) = dv.sqref.ranges
        assert (cells.min_row, cells.max_row) == (2, VALIDATED_ROWS)


def test_codes_columns_have_an_input_message_not_a_dropdown(book: Workbook, standard: Standard):
    dv = _validations(book["provisions"])[_column_letter(standard, "provisions", "outcome_areas")]
    assert dv.type is None or dv.type == "none"  # "any value", with a message
    assert dv.showInputMessage
    for code in standard.codelists["outcome_area"].values:
        assert code in dv.prompt


def test_integer_columns_have_whole_number_validation_with_the_range(
    book: Workbook, standard: Standard
):
    validations = _validations(book["sessions"])
    duration = validations[_column_letter(standard, "sessions", "duration_minutes")]
    assert duration.type == "whole"
    assert (duration.operator in (None, "between"), duration.formula1, duration.formula2) == (
        True,
        "1",
        "1440",
    )
    for entity in ENTITIES:
        validations = _validations(book[entity])
        for column in standard.entities[entity].columns.values():
            if column.type == "integer":
                assert validations[_column_letter(standard, entity, column.name)].type == "whole"


@pytest.mark.parametrize("entity", ENTITIES)
def test_date_and_time_columns_are_validated_and_formatted(
    book: Workbook, standard: Standard, entity: str
):
    sheet = book[entity]
    validations = _validations(sheet)
    for column in standard.entities[entity].columns.values():
        letter = _column_letter(standard, entity, column.name)
        if column.type == "date":
            assert validations[letter].type == "date"
            assert _number_format(sheet, letter) == "yyyy-mm-dd"
        elif column.type == "time":
            assert validations[letter].type == "time"
            assert _number_format(sheet, letter) == "hh:mm"
        elif column.type in ("string", "postcode"):
            # Text, so Excel keeps 00123 and does not turn 1-2 into a date.
            assert _number_format(sheet, letter) == "@"


def test_the_workbook_is_small(xlsx_path: Path):
    assert xlsx_path.stat().st_size < 100_000


# --- XLSX: instructions ---------------------------------------------------------------------


def _instruction_rows(book: Workbook) -> list[tuple]:
    return [tuple(row[:2]) for row in book[INSTRUCTIONS_SHEET].iter_rows(values_only=True)]


def test_instructions_state_the_version_where_the_validator_reads_it(book: Workbook):
    rows = [row for row in _instruction_rows(book) if row[0] == VERSION_LABEL]
    assert rows == [(VERSION_LABEL, load_standard().version)]
    assert VERSION_LABEL == "Standard version"


def test_instructions_cover_privacy_required_columns_and_dates(
    book: Workbook, standard: Standard
):
    text = "\n".join(f"{a or ''}\t{b or ''}" for a, b in _instruction_rows(book))
    assert "Needle" in text
    for _entity, column in standard.pi_columns:
        assert column in text
    assert "never stores" in text
    for entity in standard.entities.values():
        assert f"Required: {', '.join(entity.required_columns)}." in text
    assert "YYYY-MM-DD" in text and "DD/MM/YYYY" in text
    assert "University of Warwick" in text


# --- CSV ------------------------------------------------------------------------------------


def test_zip_holds_one_csv_per_entity_and_instructions(zip_path: Path):
    with zipfile.ZipFile(zip_path) as archive:
        assert sorted(archive.namelist()) == sorted(
            [f"{name}.csv" for name in ENTITIES] + ["instructions.txt"]
        )


@pytest.mark.parametrize("entity", ENTITIES)
def test_each_csv_is_a_utf8_header_row(zip_path: Path, standard: Standard, entity: str):
    with zipfile.ZipFile(zip_path) as archive:
        text = archive.read(f"{entity}.csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [list(standard.entities[entity].columns)]


def test_instructions_txt_has_the_version_line_and_the_guidance(zip_path: Path):
    with zipfile.ZipFile(zip_path) as archive:
        text = archive.read("instructions.txt").decode("utf-8")
    assert "Standard version: 1.0" in text.splitlines()
    assert "never stores" in text
    assert "YYYY-MM-DD" in text
    for entity in ENTITIES:
        assert f"Columns of {entity}.csv" in text


def test_the_zip_is_reproducible(zip_path: Path, tmp_path: Path):
    again = write_template(tmp_path / "again.zip", fmt="csv", standard=load_standard())
    assert again.read_bytes() == zip_path.read_bytes()


# --- both -----------------------------------------------------------------------------------


def test_deprecated_columns_are_left_out_of_templates(
    deprecated_standard: Standard, tmp_path: Path
):
    xlsx = write_template(tmp_path / "t.xlsx", standard=deprecated_standard)
    header = [c.value for c in openpyxl.load_workbook(xlsx)["attendance"][1]]
    assert header == ["session_ref", "person_ref"]
    archive = zipfile.ZipFile(write_template(tmp_path / "t.zip", fmt="csv",
                                             standard=deprecated_standard))
    assert archive.read("attendance.csv").decode("utf-8-sig").split() == [
        "session_ref,person_ref"
    ]


def test_unknown_format_is_refused(tmp_path: Path, standard: Standard):
    with pytest.raises(ValueError, match="ods"):
        write_template(tmp_path / "t.ods", fmt="ods", standard=standard)


@pytest.mark.parametrize(("fmt", "suffix"), [("xlsx", "xlsx"), ("csv", "zip")])
def test_cli_template(tmp_path: Path, fmt: str, suffix: str):
    output = tmp_path / f"template.{suffix}"
    result = CliRunner().invoke(main, ["template", "--format", fmt, "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert zipfile.is_zipfile(output)  # an XLSX is a zip too
