"""The public API: every kind of submission, the typed tables, and the report formats."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import polars as pl
import pytest
from submission_builders import (
    PERIOD,
    TODAY,
    csv_text,
    one,
    write_folder,
    write_workbook,
    write_zip,
)

import needle.validation as validation
from needle.standard import load_standard
from needle.standard.templates import write_template
from needle.validation import ValidatedSubmission, load_submission, validate_path
from needle.validation.catalogue import END, START, refresh
from needle.validation.report import REPORT_FORMAT_VERSION

DOCS = __import__("pathlib").Path(__file__).parents[2] / "docs" / "reference"


def test_public_api():
    assert set(validation.__all__) == {
        "Limits",
        "Problem",
        "Report",
        "ValidatedSubmission",
        "load_submission",
        "validate_path",
    }


@pytest.mark.parametrize("kind", ["folder", "zip", "xlsx", "csv"])
def test_every_kind_of_clean_submission_is_valid(rows, tmp_path, kind):
    if kind == "folder":
        path = write_folder(tmp_path / "s", rows)
    elif kind == "zip":
        path = write_zip(tmp_path / "s.zip", rows)
    elif kind == "xlsx":
        path = write_workbook(tmp_path / "s.xlsx", rows, version="1.0")
    else:
        path = tmp_path / "young_people.csv"
        path.write_text(csv_text(rows["young_people"]), encoding="utf-8")
    report = validate_path(path, period=PERIOD, today=TODAY)
    assert report.problems == [], report.render_text()
    assert report.valid and report.exit_code == 0
    assert report.standard_version == "1.0" and report.period == "2025-Q1"


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_blank_templates_are_valid_and_empty(tmp_path, fmt):
    path = tmp_path / f"template.{'xlsx' if fmt == 'xlsx' else 'zip'}"
    write_template(path, fmt=fmt, standard=load_standard())
    report = validate_path(path, today=TODAY)
    assert report.problems == [], report.render_text()
    assert set(report.rows) == set(load_standard().entities)


def test_filled_xlsx_template_is_valid(rows, tmp_path):
    path = tmp_path / "template.xlsx"
    write_template(path, fmt="xlsx", standard=load_standard())
    book = openpyxl.load_workbook(path)
    for entity, entity_rows in rows.items():
        sheet = book[entity]
        headers = [c.value for c in sheet[1]]
        for r, row in enumerate(entity_rows, start=2):
            for c, header in enumerate(headers, start=1):
                value = row.get(header, "")
                sheet.cell(row=r, column=c, value=value if value != "" else None)
    book.save(path)
    report = validate_path(path, period=PERIOD, today=TODAY)
    assert report.problems == [], report.render_text()
    assert report.rows["attendance"] == 5


def test_typed_tables(rows, tmp_path):
    sub = load_submission(write_folder(tmp_path / "s", rows), period=PERIOD, today=TODAY)
    assert isinstance(sub, ValidatedSubmission)
    assert sub.standard is not None and sub.standard.version == "1.0"
    assert sub.sources["sessions"] == "sessions.csv"
    standard = load_standard()
    for entity, table in sub.tables.items():
        assert table.columns == ["_row", *standard.entities[entity].columns], entity
        assert table["_row"].dtype == pl.Int64
    people = sub.tables["young_people"]
    assert people["_row"].to_list() == [2, 3, 4, 5]
    assert people["date_of_birth"].dtype == pl.Date
    assert people["date_of_birth"][1] == dt.date(2011, 3, 12)  # 12/03/2011, day first
    assert people["postcode"].to_list() == ["M32 0AA", "M41 0AA", "SW1A 1AA", "WA14 1AA"]
    assert people["gender"][1] == "male" and people["consent_to_share"][3] == "yes"
    sessions = sub.tables["sessions"]
    assert sessions["duration_minutes"].dtype == pl.Int64
    assert sessions["start_time"].to_list() == [dt.time(18, 30), dt.time(18, 30), None]
    assert sub.tables["measurements"]["instrument"][1] == "swemwbs"
    assert sub.tables["provisions"]["outcome_areas"].dtype == pl.List(pl.String)


def test_missing_columns_are_null_and_bad_cells_null_but_rows_kept(rows, tmp_path):
    for session in rows["sessions"]:
        del session["start_time"]
    rows["sessions"][1]["duration_minutes"] = "lots"
    sub = load_submission(write_folder(tmp_path / "s", rows), period=PERIOD, today=TODAY)
    sessions = sub.tables["sessions"]
    assert sessions.height == 3
    assert sessions["start_time"].dtype == pl.Time and sessions["start_time"].null_count() == 3
    assert sessions["duration_minutes"].to_list() == [120, None, 60]
    assert not sub.report.valid


def test_unreadable_submission_has_no_tables(tmp_path):
    path = tmp_path / "attendance.csv"
    path.write_bytes(b"")
    sub = load_submission(path)
    assert sub.tables == {} and sub.report.unreadable


def test_problems_are_sorted_by_entity_then_row(rows, check):
    rows["milestones"][0]["milestone"] = "nope"
    rows["young_people"][3]["gender"] = "nope"
    rows["young_people"][0]["ethnicity"] = "nope"
    report = check(rows)
    assert [(p.entity, p.row) for p in report.problems] == [
        ("young_people", 2),
        ("young_people", 5),
        ("milestones", 2),
    ]


def test_json_report_format(rows, check):
    rows["sessions"][0]["duration_minutes"] = "lots"
    rows["young_people"][0]["Gendr"] = "x"
    data = json.loads(check(rows).to_json())
    assert data["report_format"] == REPORT_FORMAT_VERSION
    assert set(data) == {
        "report_format",
        "source",
        "standard_version",
        "period",
        "valid",
        "readable",
        "summary",
        "problems",
    }
    assert data["summary"]["errors"] == 1 and data["summary"]["warnings"] == 1
    assert data["summary"]["rows"]["sessions"] == 3
    problem = next(p for p in data["problems"] if p["rule"] == "type_integer")
    assert problem == {
        "severity": "error",
        "rule": "type_integer",
        "message": "'lots' in duration_minutes is not a whole number.",
        "hint": load_standard().rules["type_integer"].hint,
        "entity": "sessions",
        "source": "sessions.csv",
        "row": 2,
        "column": "duration_minutes",
    }


def test_text_report_summarises_then_lists(rows, check):
    for i in range(8):
        rows["attendance"].append({"session_ref": "S-001", "person_ref": f"YP-9{i}"})
    text = check(rows).render_text(first=3)
    assert "NOT VALID: 8 error(s), 0 warning(s)" in text
    assert "ERROR [reference_missing] x8" in text
    assert text.count("attendance.csv, row") == 3
    assert "... and 5 more" in text


def test_one_today_for_every_date_rule(rows, check):
    rows["sessions"][0]["session_date"] = "2025-05-31"
    report = check(rows, period=None, today=dt.date(2025, 5, 30))
    assert one(report, "date_future").row == 2
    assert check(rows, period=None, today=dt.date(2025, 5, 31)).valid


def test_rule_catalogue_in_the_docs_is_current():
    path = DOCS / "validation-report.md"
    text = path.read_text(encoding="utf-8")
    assert START in text and END in text
    assert text == refresh(text, load_standard()), (
        "The rule table is stale: run "
        "`python -m needle.validation.catalogue docs/reference/validation-report.md`"
    )
