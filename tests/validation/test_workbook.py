"""XLSX workbooks: real sheet rows, Excel cell types, formulas, merged headers, versions."""

from __future__ import annotations

import datetime as dt

import openpyxl
from submission_builders import PERIOD, TODAY, one, rules, write_workbook

from needle.validation import load_submission, validate_path
from needle.validation.workbook import cell_text, version_text


def _load(path, **kwargs):
    kwargs.setdefault("today", TODAY)
    kwargs.setdefault("period", PERIOD)
    return load_submission(path, **kwargs)


def test_clean_workbook(rows, tmp_path):
    sub = _load(write_workbook(tmp_path / "w.xlsx", rows, version="1.0"))
    assert sub.report.problems == [], sub.report.render_text()
    assert sub.report.standard_version == "1.0"
    assert sub.sources["young_people"] == "young_people"


def test_excel_cell_types_are_read_as_values(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sessions"
    sheet.append(["session_ref", "provision_ref", "session_date", "start_time", "duration_minutes"])
    sheet.append(["S-1", "PRV-1", dt.datetime(2025, 1, 7), dt.time(18, 30), 120])
    sheet.append(["S-2", "PRV-1", 45671, "18:30", 90.0])  # a serial number typed as a number
    path = tmp_path / "w.xlsx"
    book.save(path)
    sub = _load(path)
    sessions = sub.tables["sessions"]
    assert sessions["session_date"].to_list() == [dt.date(2025, 1, 7), dt.date(2025, 1, 14)]
    assert sessions["start_time"].to_list() == [dt.time(18, 30), dt.time(18, 30)]
    assert sessions["duration_minutes"].to_list() == [120, 90]
    assert rules(sub.report) == {"reference_entity_missing"}


def test_rows_are_the_sheet_rows_even_after_blank_rows(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "attendance"
    sheet.append(["session_ref", "person_ref"])
    sheet["A2"], sheet["B2"] = "S-1", "YP-1"
    sheet["A7"] = "S-2"  # rows 3-6 left blank, person_ref missing in row 7
    path = tmp_path / "w.xlsx"
    book.save(path)
    report = validate_path(path, today=TODAY)
    problem = one(report, "required")
    assert (problem.row, problem.column, problem.source) == (7, "person_ref", "attendance")
    assert report.rows["attendance"] == 2


def test_formulas_are_flagged_not_evaluated(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "sessions"
    sheet.append(["session_ref", "provision_ref", "session_date", "duration_minutes"])
    sheet.append(["S-1", "PRV-1", dt.date(2025, 1, 7), "=60*2"])
    path = tmp_path / "w.xlsx"
    book.save(path)
    report = validate_path(path, today=TODAY)
    problem = one(report, "cell_formula")
    assert (problem.entity, problem.row, problem.column) == ("sessions", 2, "duration_minutes")
    assert "60*2" not in problem.message
    assert "required" not in rules(report)


def test_formula_in_an_identifier_column_is_not_echoed(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "young_people"
    sheet.append(["person_ref", "given_name", "consent_to_share"])
    sheet.append(["YP-1", '=CONCAT("Zebe","deeqx")', "yes"])
    path = tmp_path / "w.xlsx"
    book.save(path)
    report = validate_path(path, today=TODAY)
    assert one(report, "cell_formula").column == "given_name"
    assert "Zebe" not in report.to_json()


def test_merged_header_cells(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "attendance"
    sheet.append(["session_ref", "person_ref", None])
    sheet.merge_cells("B1:C1")
    sheet.append(["S-1", "YP-1"])
    sheet.merge_cells("A5:B5")  # merged cells below the header are not a header problem
    path = tmp_path / "w.xlsx"
    book.save(path)
    problem = one(validate_path(path, today=TODAY), "header_merged")
    assert (problem.entity, problem.row) == ("attendance", 1)
    assert "B1:C1" in problem.message


def test_numeric_version_cell(rows, tmp_path):
    sub = _load(write_workbook(tmp_path / "w.xlsx", rows, version=1.0))
    assert sub.report.standard_version == "1.0" and sub.report.valid


def test_unknown_version_in_workbook(rows, tmp_path):
    report = validate_path(write_workbook(tmp_path / "w.xlsx", rows, version="2.5"))
    assert one(report, "standard_version").severity == "error"
    assert report.unreadable


def test_unknown_sheets(rows, tmp_path):
    path = write_workbook(tmp_path / "w.xlsx", rows)
    book = openpyxl.load_workbook(path)
    book.create_sheet("Sheet1")["A1"] = "totals"
    book.create_sheet("Sheet2")  # empty: Excel's leftovers are not worth a warning
    book.create_sheet("lists")["A1"] = "female"
    book["lists"].sheet_state = "hidden"  # a template's drop-down lists
    book.save(path)
    report = validate_path(path, period=PERIOD, today=TODAY)
    problem = one(report, "sheet_unknown")
    assert problem.source == "Sheet1"
    assert report.valid


def test_cell_text():
    assert cell_text(12.0) == "12"
    assert cell_text(1.5) == "1.5"
    assert cell_text(True) == "TRUE"
    assert cell_text(dt.datetime(2025, 1, 7, 0, 0)) == "2025-01-07"
    assert cell_text(dt.datetime(2025, 1, 7, 9, 5)) == "2025-01-07 09:05:00"
    assert cell_text(dt.time(18, 30)) == "18:30:00"
    assert cell_text(dt.timedelta(hours=1, minutes=30)) == "01:30:00"
    assert cell_text(None) is None


def test_version_text():
    assert version_text(1) == "1.0"
    assert version_text(1.0) == "1.0"
    assert version_text(" 1.0 ") == "1.0"
    assert version_text(None) is None
