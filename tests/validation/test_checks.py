"""Every cell, column and cross-field rule of one entity, planted in a clean submission.

Each test asserts what the partner needs to fix it: the rule, entity, row as seen in
Excel (header = row 1) and column.
"""

from __future__ import annotations

import pytest
from submission_builders import one, only, rules

from needle.validation.report import EXIT_INVALID, EXIT_VALID


def test_clean_submission_has_no_problems(rows, check):
    report = check(rows)
    assert report.problems == [], report.render_text()
    assert report.exit_code == EXIT_VALID
    assert report.rows["attendance"] == 5


@pytest.mark.parametrize(
    ("entity", "index", "column", "value", "rule"),
    [
        ("young_people", 1, "consent_to_share", "", "required"),
        ("sessions", 2, "duration_minutes", "two hours", "type_integer"),
        ("sessions", 0, "duration_minutes", "1.5", "type_integer"),
        ("sessions", 1, "session_date", "2025-02-30", "type_date"),
        ("sessions", 1, "session_date", "next Tuesday", "type_date"),
        ("sessions", 1, "session_date", "07/01/25", "date_ambiguous"),
        ("sessions", 0, "start_time", "25:00", "type_time"),
        ("sessions", 0, "start_time", "half six", "type_time"),
        ("young_people", 2, "ethnicity", "martian", "code_unknown"),
        ("provisions", 0, "outcome_areas", "wellbeing;happiness", "code_unknown"),
        ("provisions", 0, "postcode", "NOT A PC", "postcode_format"),
        ("sessions", 0, "duration_minutes", "2000", "range"),
        ("sessions", 0, "duration_minutes", "0", "range"),
        ("provisions", 0, "max_age", "31", "range"),
        ("young_people", 0, "first_contact_date", "2025-07-01", "date_future"),
        ("referrals", 0, "referred_on", "2024-12-31", "period_outside"),
        ("milestones", 0, "achieved_on", "2025-04-01", "period_outside"),
    ],
)
def test_cell_rule(rows, check, entity, index, column, value, rule):
    rows[entity][index][column] = value
    report = check(rows)
    problem = one(report, rule)
    assert (problem.entity, problem.row, problem.column) == (entity, index + 2, column)
    assert problem.source == f"{entity}.csv"
    assert problem.hint and problem.message
    assert report.exit_code == EXIT_INVALID


def test_code_labels_and_case_are_accepted_and_mapped(rows, tmp_path):
    from submission_builders import PERIOD, TODAY, write_folder

    from needle.validation import load_submission

    rows["young_people"][0]["gender"] = "NON-BINARY"
    rows["young_people"][1]["ethnicity"] = "White: Irish"
    rows["provisions"][0]["outcome_areas"] = "Wellbeing ; SAFETY"
    sub = load_submission(write_folder(tmp_path / "s", rows), period=PERIOD, today=TODAY)
    assert sub.report.valid, sub.report.render_text()
    people = sub.tables["young_people"]
    assert people["gender"][0] == "non_binary"
    assert people["ethnicity"][1] == "white_irish"
    assert sub.tables["provisions"]["outcome_areas"][0].to_list() == ["wellbeing", "safety"]


def test_misspelt_code_suggests_the_intended_one(rows, check):
    rows["young_people"][3]["gender"] = "Femail"
    problem = one(check(rows), "code_unknown")
    assert problem.row == 5
    assert "'Femail' is not a gender code; did you mean 'female'?" in problem.message


def test_codes_message_names_only_the_bad_parts(rows, check):
    rows["provisions"][0]["outcome_areas"] = "wellbeing;wellbeeing;participation"
    problem = one(check(rows), "code_unknown")
    assert "'wellbeeing'" in problem.message
    assert "'participation'" not in problem.message


def test_us_dates_are_ambiguous_and_say_why(rows, check):
    rows["sessions"][0]["session_date"] = "01/13/2025"
    problem = one(check(rows), "date_ambiguous")
    assert (problem.row, problem.column) == (2, "session_date")
    assert "month/day/year" in problem.message


def test_two_digit_year_is_ambiguous(rows, check):
    rows["referrals"][0]["status_date"] = "10/02/25"
    problem = one(check(rows), "date_ambiguous")
    assert "two-digit year" in problem.message


def test_date_formats_accepted(rows, tmp_path):
    from submission_builders import PERIOD, TODAY, write_folder

    from needle.validation import load_submission

    forms = ["2025-01-07", "07/01/2025", "7.1.2025", "45664", "7 January 2025", "07-Jan-2025"]
    rows["sessions"] = [
        {**rows["sessions"][0], "session_ref": f"S-{i}", "session_date": form}
        for i, form in enumerate(forms)
    ]
    rows["attendance"] = [{"session_ref": "S-0", "person_ref": "YP-001"}]
    sub = load_submission(write_folder(tmp_path / "s", rows), period=PERIOD, today=TODAY)
    assert sub.report.valid, sub.report.render_text()
    dates = {d.isoformat() for d in sub.tables["sessions"]["session_date"]}
    assert dates == {"2025-01-07"}


def test_required_value_missing_reported_once_per_row(rows, check):
    rows["attendance"][2]["person_ref"] = ""
    rows["attendance"][4]["session_ref"] = "  "
    found = only(check(rows), "required")
    assert [(p.row, p.column) for p in found] == [(4, "person_ref"), (6, "session_ref")]


def test_dob_in_the_future_is_an_error_without_the_date(rows, check):
    rows["young_people"][1]["date_of_birth"] = "2025-12-25"
    problem = one(check(rows), "dob_future")
    assert (problem.entity, problem.row, problem.column) == ("young_people", 3, "date_of_birth")
    assert "2025" not in problem.message
    assert "date_future" not in rules(check(rows))


@pytest.mark.parametrize(("dob", "age"), [("2022-01-01", 3), ("1990-06-01", 34)])
def test_implausible_age_is_a_warning(rows, check, dob, age):
    rows["young_people"][2]["date_of_birth"] = dob
    report = check(rows)
    problem = one(report, "dob_implausible")
    assert problem.severity == "warning"
    assert (problem.row, problem.column) == (4, "date_of_birth")
    assert f"{age} on 2025-03-31" in problem.message  # age at the period's end
    assert dob not in problem.message


def test_age_judged_at_today_without_a_period(rows, check):
    rows["young_people"][0]["date_of_birth"] = "2000-05-31"  # 25 on 2025-03-31, 25 on 6/1
    assert "dob_implausible" not in rules(check(rows, period=None))
    rows["young_people"][0]["date_of_birth"] = "2000-05-30"  # 25 on the day, still fine
    assert "dob_implausible" not in rules(check(rows, period=None))
    rows["young_people"][0]["date_of_birth"] = "1999-05-31"  # 26 today
    assert "dob_implausible" in rules(check(rows, period=None))


def test_planned_end_date_may_be_in_the_future(rows, check):
    rows["provisions"][0]["end_date"] = "2030-01-01"
    assert check(rows).problems == []


def test_end_before_start(rows, check):
    rows["provisions"][0]["end_date"] = "2024-01-01"
    problem = one(check(rows), "end_before_start")
    assert (problem.entity, problem.row, problem.column) == ("provisions", 2, "end_date")
    assert "2024-01-01" in problem.message and "2024-09-01" in problem.message


def test_status_date_before_referral(rows, check):
    rows["referrals"][0]["status_date"] = "2025-01-15"
    problem = one(check(rows), "end_before_start")
    assert (problem.entity, problem.row, problem.column) == ("referrals", 2, "status_date")


def test_min_age_above_max_age(rows, check):
    rows["provisions"][0]["min_age"] = "20"
    rows["provisions"][0]["max_age"] = "12"
    problem = one(check(rows), "min_above_max")
    assert (problem.entity, problem.row, problem.column) == ("provisions", 2, "max_age")


def test_duplicate_key_names_the_first_row(rows, check):
    rows["young_people"].append(dict(rows["young_people"][1]))
    rows["young_people"].append(dict(rows["young_people"][1]))
    found = only(check(rows), "duplicate_key")
    assert [(p.entity, p.row, p.column) for p in found] == [
        ("young_people", 6, "person_ref"),
        ("young_people", 7, "person_ref"),
    ]
    assert "already used in row 3" in found[0].message


def test_duplicate_composite_key(rows, check):
    rows["attendance"].append({"session_ref": "S-001", "person_ref": "YP-002"})
    problem = one(check(rows), "duplicate_key")
    assert (problem.entity, problem.row) == ("attendance", 7)
    assert problem.column == "session_ref, person_ref"
    assert "'S-001' with person_ref 'YP-002' already appears in row 3" in problem.message


def test_duplicate_row_is_a_warning(rows, check):
    rows["milestones"].append(dict(rows["milestones"][0]))
    problem = one(check(rows), "duplicate_row")
    assert (problem.severity, problem.entity, problem.row) == ("warning", "milestones", 3)
    assert "row 2" in problem.message


@pytest.mark.parametrize(
    ("column", "value", "expect"),
    [
        ("q8", "3", "q8 should be blank: swemwbs has 7 items"),
        ("q2", "6", "q2 is 6; swemwbs responses run from 1 to 5"),
        ("q1", "0", "q1 is 0; swemwbs responses run from 1 to 5"),
    ],
)
def test_instrument_items(rows, check, column, value, expect):
    rows["measurements"][0][column] = value
    problem = one(check(rows), "instrument_items")
    assert (problem.entity, problem.row, problem.column) == ("measurements", 2, column)
    assert expect in problem.message


def test_ons4_allows_zero_to_ten(rows, check):
    rows["measurements"][2]["q3"] = "10"
    rows["measurements"][2]["q5"] = "1"
    problem = one(check(rows), "instrument_items")
    assert (problem.row, problem.column) == (4, "q5")


def test_period_check_only_when_a_period_is_given(rows, check):
    rows["sessions"][0]["session_date"] = "2025-04-02"
    rows["attendance"] = [a for a in rows["attendance"] if a["session_ref"] != "S-001"]
    problem = one(check(rows), "period_outside")
    assert (problem.entity, problem.row, problem.column) == ("sessions", 2, "session_date")
    assert "2025-Q1" in problem.message
    assert "period_outside" not in rules(check(rows, period=None))


def test_problems_beyond_the_cap_are_counted_not_listed(rows, check):
    base = rows["attendance"][0]
    rows["attendance"] = [{**base, "person_ref": f"NOBODY-{i}"} for i in range(30)]
    report = check(rows, max_per_rule=10)
    assert len(only(report, "reference_missing")) == 10
    assert report.counts[("error", "reference_missing")] == 30
    summary = report.to_dict()["summary"]["by_rule"]["reference_missing"]
    assert summary == {"severity": "error", "count": 30, "listed": 10}


def test_values_of_non_identifier_columns_are_quoted(rows, check):
    rows["sessions"][0]["duration_minutes"] = "lots"
    assert "'lots'" in one(check(rows), "type_integer").message
