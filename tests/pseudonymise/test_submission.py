"""Pseudonymising a validated submission: what is dropped, what is derived."""

from __future__ import annotations

import polars as pl
import pytest
from submission_builders import PERIOD, TODAY, clean_rows, write_folder

from needle.pseudonymise.submission import pseudonymise_tables
from needle.validation import load_submission

SECRET = bytes(range(32))


@pytest.fixture
def submission(tmp_path):
    rows = clean_rows()
    # A real Trafford postcode, so the area can be derived; the builders' others are not.
    rows["young_people"][0]["postcode"] = "M32 0FP"
    loaded = load_submission(write_folder(tmp_path / "s", rows), period=PERIOD, today=TODAY)
    assert loaded.report.valid, loaded.report.render_text()
    return loaded


@pytest.fixture
def pseudonymised(submission, trafford_reference):
    return pseudonymise_tables(
        submission.tables,
        standard=submission.standard,
        secret=SECRET,
        reference=trafford_reference,
        period=PERIOD,
        seed=1,
    )


def test_no_identifier_or_postcode_column_survives(pseudonymised):
    for name, frame in pseudonymised.tables.items():
        assert not {"given_name", "family_name", "date_of_birth", "postcode"} & set(
            frame.columns
        ), name


def test_no_identifier_value_survives(submission, pseudonymised):
    people = submission.tables["young_people"]
    raw = set(people["given_name"]) | set(people["family_name"]) | set(people["postcode"])
    raw |= {d.isoformat() for d in people["date_of_birth"]}
    for frame in pseudonymised.tables.values():
        for column in frame.select(pl.col(pl.String)).columns:
            assert not raw & set(frame[column].drop_nulls()), column


def test_only_people_who_consented_get_linkage_encodings(submission, pseudonymised):
    people = pseudonymised.tables["young_people"]
    consented = people["consent_to_share"] == "yes"
    assert people.filter(consented)["mk_exact"].null_count() == 0
    assert people.filter(~consented)["mk_exact"].null_count() == int((~consented).sum())
    assert people.filter(~consented)["bf_name"].null_count() == int((~consented).sum())
    assert pseudonymised.not_consented == int((~consented).sum()) > 0


def test_home_area_and_deprivation_replace_the_postcode(pseudonymised, trafford_reference):
    people = pseudonymised.tables["young_people"]
    first = people.row(0, named=True)
    expected = trafford_reference.postcodes.filter(pl.col("postcode") == "M320FP").row(
        0, named=True
    )
    assert first["lsoa21"] == expected["lsoa21"]
    assert first["imd_decile"] == expected["imd_decile"]
    assert first["imd_quintile"] == (expected["imd_decile"] + 1) // 2
    # The builders' other postcodes are real-format but outside Trafford: counted, not named.
    assert pseudonymised.postcodes_not_found >= 1


def test_ages_at_period_start_and_at_each_activity(submission, pseudonymised):
    people = pseudonymised.tables["young_people"]
    assert people.filter(pl.col("person_ref") == "YP-001")["age_at_period_start"][0] == 14
    attendance = pseudonymised.tables["attendance"]
    sessions = submission.tables["sessions"].select("session_ref", "session_date")
    born = submission.tables["young_people"].select("person_ref", "date_of_birth")
    check = attendance.join(sessions, on="session_ref").join(born, on="person_ref")
    for row in check.iter_rows(named=True):
        on, dob = row["session_date"], row["date_of_birth"]
        age = on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))
        assert row["age_at_activity"] == age
    assert attendance.height == submission.tables["attendance"].height
    assert "age_at_activity" in pseudonymised.tables["measurements"].columns
