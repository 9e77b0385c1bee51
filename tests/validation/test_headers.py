"""Header rows: spelling that does not matter, and mistakes that do."""

from __future__ import annotations

from pathlib import Path

import yaml
from submission_builders import PERIOD, TODAY, csv_text, one, only, rules

from needle.standard import load_standard_file
from needle.standard.model import available_versions
from needle.validation import load_submission, validate_path


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_headers_match_after_normalising(rows, check):
    people = rows["young_people"]
    renamed = [
        {
            (
                "Date of Birth"
                if k == "date_of_birth"
                else "Person Ref"
                if k == "person_ref"
                else k
            ): v
            for k, v in p.items()
        }
        for p in people
    ]
    rows["young_people"] = renamed
    report = check(rows)
    assert report.problems == [], report.render_text()


def test_unknown_header_suggests_the_intended_column(rows, check):
    for person in rows["young_people"]:
        person["Gendr"] = person.pop("gender")
    report = check(rows)
    problem = one(report, "column_unknown")
    assert (problem.severity, problem.entity, problem.row) == ("warning", "young_people", 1)
    assert problem.column == "Gendr"
    assert "did you mean 'gender'?" in problem.message
    assert report.valid


def test_unrelated_extra_column_is_a_warning_without_suggestion(rows, check):
    for session in rows["sessions"]:
        session["weather"] = "rain"
    problem = one(check(rows), "column_unknown")
    assert "did you mean" not in problem.message


def test_missing_required_column(rows, check):
    for person in rows["young_people"]:
        del person["consent_to_share"]
    report = check(rows)
    problem = one(report, "column_missing")
    assert (problem.entity, problem.row, problem.column) == ("young_people", 1, "consent_to_share")
    assert "required" not in rules(report)  # not once per row as well


def test_duplicate_header_reads_the_first(tmp_path):
    text = "session_ref,person_ref,Person Ref\nS-1,YP-1,YP-2\n"
    sub = load_submission(_write(tmp_path, "attendance.csv", text), today=TODAY)
    problem = one(sub.report, "column_duplicate")
    assert (problem.row, problem.column) == (1, "person_ref")
    assert "Column C" in problem.message and "B" in problem.message
    assert sub.tables["attendance"]["person_ref"].to_list() == ["YP-1"]


def test_row_one_without_column_names_is_a_missing_header(tmp_path):
    text = "YP-001,Zebedeeqx,Quillfeatherby,2010-01-01,ZZ9 9ZZ\n"
    report = validate_path(_write(tmp_path, "young_people.csv", text), today=TODAY)
    problem = one(report, "header_missing")
    assert (problem.row, problem.entity) == (1, "young_people")
    assert "column_unknown" not in rules(report)  # never echo what is probably data
    assert "Zebedeeqx" not in report.to_json()


def test_unnamed_column_with_values_is_reported(tmp_path):
    text = "session_ref,person_ref,\nS-1,YP-1,oops\n"
    report = validate_path(_write(tmp_path, "attendance.csv", text), today=TODAY)
    problem = one(report, "column_unknown")
    assert problem.column == "C"
    assert "no name" in problem.message


def test_unnamed_empty_column_is_ignored(tmp_path):
    text = "session_ref,person_ref,,\nS-1,YP-1,,\n"
    report = validate_path(_write(tmp_path, "attendance.csv", text), today=TODAY)
    assert "column_unknown" not in rules(report)


def _standard_with_deprecated_column(tmp_path: Path) -> Path:
    """A test-only copy of the current standard where young_people.sex is deprecated."""
    current = available_versions()[-1]
    source = Path(__file__).parents[2] / "needle" / "standard" / "definitions" / f"{current}.yaml"
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data["version"] = "1.1-test"
    data["entities"]["young_people"]["columns"]["sex"] = {
        "type": "code",
        "codelist": "gender",
        "description": "Old name of gender.",
        "deprecated": {"since": "1.1-test", "use": "gender", "message": "Renamed to gender."},
    }
    path = tmp_path / "standard.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_deprecated_column_warns_and_maps_to_its_replacement(rows, tmp_path):
    standard = load_standard_file(_standard_with_deprecated_column(tmp_path))
    people = rows["young_people"]
    for person in people:
        person["sex"] = person.pop("gender")
    people[1]["sex"] = "Femail"
    path = tmp_path / "young_people.csv"
    path.write_text(csv_text(people), encoding="utf-8")
    sub = load_submission(path, standard=standard, period=PERIOD, today=TODAY)
    problem = one(sub.report, "column_deprecated")
    assert (problem.severity, problem.row, problem.column) == ("warning", 1, "sex")
    assert "use 'gender' instead" in problem.message
    assert "Renamed to gender." in problem.message
    assert sub.report.standard_version == "1.1-test"
    # values are read, and checked, as the new column
    assert one(sub.report, "code_unknown").column == "gender"
    table = sub.tables["young_people"]
    assert "sex" not in table.columns
    assert table["gender"].to_list() == ["female", None, "non_binary", "prefer_not_to_say"]


def test_header_problems_come_before_row_problems(rows, check):
    for person in rows["young_people"]:
        del person["person_ref"]
        person["consent_to_share"] = ""
    report = check(rows)
    assert only(report, "column_missing")[0].column == "person_ref"
    assert report.problems[0].rule == "column_missing"
