"""The submission tracker: each partner's status for a period, and whether it is late.

The pure cases build ``Submission`` records by hand, so decision times (and so "late") are
chosen by the test; the pool cases check that real versions map to the same statuses.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pool_helpers import submit, submit_invalid

from needle.pool import ACCEPTED, INVALID, RECEIVED, SUPERSEDED, WITHDRAWN, Partner, Submission
from needle.pool.tracking import (
    BEING_CHECKED,
    NOT_SUBMITTED,
    REJECTED,
    current_period,
    due_date,
    error_count,
    partner_status,
    reporting_periods,
    submission_tracker,
)

YC = Partner("YC", "Youth Club", datetime(2025, 1, 1, tzinfo=UTC))
PERIOD = "2025-Q1"  # ends 31 March 2025; with 28 days, due 28 April 2025
DUE = date(2025, 4, 28)


def version(n: int, state: str, decided: datetime | None, **fields) -> Submission:
    values = {
        "id": f"id{n}",
        "org": "YC",
        "period": PERIOD,
        "version": n,
        "standard_version": "1.0",
        "state": state,
        "content_sha256": "0" * 64,
        "source_name": f"v{n}",
        "received_at": decided or datetime(2025, 4, 1, tzinfo=UTC),
        "decided_at": decided,
        "superseded_at": None,
        "withdrawn_at": None,
    }
    return Submission(**{**values, **fields})


def status(versions, today=date(2025, 5, 1), **kwargs):
    return partner_status(YC, PERIOD, versions, due_days=28, today=today, **kwargs)


def test_the_due_date_is_days_after_the_period_ends():
    assert due_date(PERIOD, 28) == DUE
    assert due_date("2025-02", 0) == date(2025, 2, 28)
    assert due_date("2024", 1) == date(2025, 1, 1)


def test_nothing_sent_is_not_submitted_and_late_only_after_the_due_date():
    assert status([], today=DUE).status == NOT_SUBMITTED
    assert not status([], today=DUE).late  # the due day itself is still on time
    assert status([], today=date(2025, 4, 29)).late
    assert status([]).needs_reminder


def test_accepted_on_the_due_day_in_england_is_on_time():
    # 23:30 UTC on 28 April is 00:30 on 29 April in England (summer time): late.
    late = status([version(1, ACCEPTED, datetime(2025, 4, 28, 23, 30, tzinfo=UTC))])
    on_time = status([version(1, ACCEPTED, datetime(2025, 4, 28, 22, 30, tzinfo=UTC))])
    assert (late.status, late.late, late.version) == (ACCEPTED, True, 1)
    assert (on_time.status, on_time.late) == (ACCEPTED, False)
    assert not on_time.needs_reminder


def test_an_on_time_version_keeps_the_partner_on_time_after_a_later_one():
    first = version(
        1, SUPERSEDED, datetime(2025, 4, 10, tzinfo=UTC),
        superseded_at=datetime(2025, 5, 1, tzinfo=UTC),
    )  # fmt: skip
    second = version(2, ACCEPTED, datetime(2025, 5, 1, tzinfo=UTC))
    found = status([second, first], today=date(2025, 6, 1))
    assert (found.status, found.version, found.late) == (ACCEPTED, 2, False)
    assert found.decided_at == datetime(2025, 5, 1, tzinfo=UTC)


def test_the_newest_invalid_version_is_rejected_with_its_error_count():
    report = {"valid": False, "summary": {"errors": 7, "warnings": 2}, "problems": []}
    found = status([version(1, INVALID, datetime(2025, 4, 2, tzinfo=UTC), report=report)])
    assert (found.status, found.errors, found.version, found.late) == (REJECTED, 7, 1, True)
    assert found.needs_reminder


def test_an_accepted_version_wins_over_a_later_rejected_one():
    accepted = version(1, ACCEPTED, datetime(2025, 4, 2, tzinfo=UTC))
    rejected = version(2, INVALID, datetime(2025, 4, 3, tzinfo=UTC))
    assert status([accepted, rejected]).status == ACCEPTED


def test_withdrawn_counts_as_on_time_if_it_was_accepted_by_the_due_date():
    gone = version(
        1, WITHDRAWN, datetime(2025, 4, 2, tzinfo=UTC),
        withdrawn_at=datetime(2025, 5, 2, tzinfo=UTC),
    )  # fmt: skip
    found = status([gone], today=date(2025, 6, 1))
    assert (found.status, found.late) == (WITHDRAWN, False)
    assert found.decided_at == datetime(2025, 5, 2, tzinfo=UTC)
    assert found.needs_reminder


def test_a_file_waiting_to_be_checked_shows_unless_something_is_accepted():
    assert status([], being_checked=True).status == BEING_CHECKED
    assert status([version(1, RECEIVED, None)]).status == BEING_CHECKED
    accepted = version(1, ACCEPTED, datetime(2025, 4, 2, tzinfo=UTC))
    assert status([accepted], being_checked=True).status == ACCEPTED
    assert not status([], being_checked=True).needs_reminder


def test_other_partners_and_periods_are_ignored():
    other = version(1, ACCEPTED, datetime(2025, 4, 2, tzinfo=UTC), org="SPORT")
    later = version(2, ACCEPTED, datetime(2025, 7, 2, tzinfo=UTC), period="2025-Q2")
    assert status([other, later]).status == NOT_SUBMITTED


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        ({"summary": {"errors": 3}}, 3),
        ({"problems": [{"rule": "a"}, {"rule": "b", "severity": "warning"}, {"rule": "c"}]}, 2),
        ({}, 0),
        (None, 0),
    ],
)
def test_error_count(report, expected):
    assert error_count(report) == expected


def test_reporting_periods_run_from_the_first_to_today_newest_first():
    found = reporting_periods("2025-Q1", "quarter", date(2025, 8, 15))
    assert [p.label for p in found] == ["2025-Q3", "2025-Q2", "2025-Q1"]
    assert [p.label for p in reporting_periods("2025-11", "month", date(2026, 1, 2))] == [
        "2026-01",
        "2025-12",
        "2025-11",
    ]


def test_the_current_period_is_the_newest_that_has_ended():
    assert current_period("2025-Q1", "quarter", date(2025, 8, 15)).label == "2025-Q2"
    assert current_period("2025-Q1", "quarter", date(2025, 7, 1)).label == "2025-Q2"
    # While the first period is still running, it is the one to show.
    assert current_period("2025-Q1", "quarter", date(2025, 2, 1)).label == "2025-Q1"
    assert current_period("2025-Q1", "quarter", date(2024, 12, 1)).label == "2025-Q1"


# ---- on a real pool (partners SPORT and YC) ------------------------------------------------


def test_the_tracker_has_one_row_per_registered_partner(pool):
    submit(pool, "YC", "yc-1", period="2026-Q1")
    submit_invalid(pool, "SPORT", "sport-bad", period="2026-Q1")
    pool.add_partner("GONE", "Closed")
    pool.remove_partner("GONE")
    pool.add_partner("ARTS", "Arts Space")
    rows = submission_tracker(
        pool, "2026-Q1", due_days=28, today=date(2026, 4, 1), being_checked={"ARTS"}
    )
    assert [(r.code, r.status) for r in rows] == [
        ("ARTS", BEING_CHECKED),
        ("SPORT", REJECTED),
        ("YC", ACCEPTED),
    ]
    sport = rows[1]
    assert sport.errors == 1  # submit_invalid's report lists one problem
    assert all(r.due == date(2026, 4, 28) and not r.late for r in rows)


def test_a_withdrawn_submission_shows_as_withdrawn(pool):
    submit(pool, "YC", "yc-1", period="2026-Q1")
    pool.withdraw("YC", "2026-Q1", reason="wrong file")
    rows = submission_tracker(pool, "2026-Q1", due_days=28, today=date(2026, 4, 1))
    assert [(r.code, r.status) for r in rows] == [("SPORT", NOT_SUBMITTED), ("YC", WITHDRAWN)]


def test_data_accepted_long_after_the_due_date_is_late(pool):
    submit(pool, "YC", "yc-old", period="2020-Q1")  # decided now, years after 28 April 2020
    rows = submission_tracker(pool, "2020-Q1", due_days=28, today=date(2030, 1, 1))
    assert [(r.code, r.status, r.late) for r in rows] == [
        ("SPORT", NOT_SUBMITTED, True),
        ("YC", ACCEPTED, True),
    ]
