"""Checks across entities: references between sheets and attendees' ages."""

from __future__ import annotations

import pytest
from submission_builders import one, only, rules


@pytest.mark.parametrize(
    ("entity", "index", "column", "value", "target"),
    [
        ("attendance", 1, "session_ref", "S-999", "sessions"),
        ("attendance", 3, "person_ref", "YP-999", "young_people"),
        ("sessions", 2, "provision_ref", "PRV-99", "provisions"),
        ("measurements", 0, "person_ref", "YP-404", "young_people"),
        ("referrals", 0, "person_ref", "YP-404", "young_people"),
        ("milestones", 0, "person_ref", "YP-404", "young_people"),
    ],
)
def test_reference_missing(rows, check, entity, index, column, value, target):
    rows[entity][index][column] = value
    problem = one(check(rows), "reference_missing")
    assert (problem.entity, problem.row, problem.column) == (entity, index + 2, column)
    assert f"'{value}' is not in the {target} sheet" in problem.message


def test_references_are_exact_after_trimming_spaces(rows, check):
    rows["attendance"][0]["person_ref"] = "  YP-001 "
    assert "reference_missing" not in rules(check(rows))
    rows["attendance"][0]["person_ref"] = "yp-001"
    assert one(check(rows), "reference_missing").row == 2


def test_referenced_sheet_missing_is_reported_once_per_column(rows, check):
    del rows["sessions"]
    report = check(rows)
    problem = one(report, "reference_entity_missing")
    assert (problem.entity, problem.column, problem.row) == ("attendance", "session_ref", None)
    assert "reference_missing" not in rules(report)


def test_referenced_sheet_missing_is_fine_when_nothing_refers(rows, check):
    del rows["young_people"]
    rows["attendance"] = []
    rows["measurements"] = []
    rows["referrals"] = []
    rows["milestones"] = []
    assert check(rows).problems == []


def test_attendee_younger_than_the_provision_allows(rows, check):
    rows["young_people"][1]["date_of_birth"] = "2015-01-08"  # 9 on 2025-01-07
    report = check(rows)
    problem = one(report, "age_outside_provision")
    assert problem.severity == "warning"
    assert (problem.entity, problem.row, problem.column) == ("attendance", 3, "person_ref")
    assert "'YP-002' was 9" in problem.message
    assert "age range 11 to 19" in problem.message
    assert "2015" not in problem.message
    assert report.valid


def test_age_is_in_whole_years_on_the_session_date(rows, check):
    rows["young_people"][0]["date_of_birth"] = "2014-01-08"  # 11 on 2025-01-08, 10 on 01-07
    found = only(check(rows), "age_outside_provision")
    assert [p.row for p in found] == [2]  # S-001 on 2025-01-07; S-002 on 01-14 is fine


def test_only_bounds_given_are_checked(rows, check):
    rows["provisions"][0]["max_age"] = ""
    rows["young_people"][0]["date_of_birth"] = "1995-01-01"  # 30: no maximum now
    assert "age_outside_provision" not in rules(check(rows))
    rows["provisions"][0]["min_age"] = ""
    rows["provisions"][0]["max_age"] = "12"
    found = only(check(rows), "age_outside_provision")
    assert found and "maximum age 12" in found[0].message


def test_duplicated_identifiers_do_not_multiply_age_warnings(rows, check):
    rows["young_people"][1]["date_of_birth"] = "2015-01-08"
    rows["sessions"].append(dict(rows["sessions"][0]))
    rows["young_people"].append(dict(rows["young_people"][1]))
    assert len(only(check(rows), "age_outside_provision")) == 1


def test_a_rejected_date_of_birth_does_not_cascade_into_age_warnings(rows, check):
    rows["young_people"][0]["date_of_birth"] = "2030-01-01"  # YP-001 attends sessions
    report = check(rows)
    assert rules(report) == {"dob_future"}


def test_an_upside_down_age_range_does_not_cascade_into_age_warnings(rows, check):
    rows["provisions"][0]["min_age"] = "30"
    rows["provisions"][0]["max_age"] = "10"
    report = check(rows)
    assert rules(report) == {"min_above_max"}
