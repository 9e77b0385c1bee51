"""Receiving submissions: versions, supersession, identical re-sends, invalid files,
provenance, withdrawal and reading the pool now and "as at" an earlier time."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
from pool_helpers import PERIOD, make_tables, sha, submit, submit_invalid

from needle.errors import NeedleInputError
from needle.periods import parse_period
from needle.pool import ACCEPTED, INVALID, RECEIVED, SUPERSEDED, WITHDRAWN

TICK = timedelta(microseconds=1)


def parquet_files(home):
    return sorted(p for p in (home / "pool").rglob("*") if p.is_file())


def tags(frame: pl.LazyFrame) -> set[str]:
    return set(frame.collect()["tag"].unique())


def test_first_submission_is_accepted_with_its_counts(pool, home):
    s = submit(pool, "yc", "a", people=10)
    assert (s.org, s.period, s.version, s.state) == ("YC", PERIOD, 1, ACCEPTED)
    assert s.rows == {"attendance": 30, "sessions": 3, "young_people": 10}
    assert s.content_sha256 == sha("a")
    assert s.received_at <= s.decided_at
    assert s.superseded_at is None and s.withdrawn_at is None
    assert s.report["valid"] is True
    assert pool.current("YC", PERIOD) == s
    files = parquet_files(home)
    assert [f.relative_to(home / "pool").as_posix() for f in files] == [
        f"{entity}/YC/{PERIOD}/{s.id}.parquet"
        for entity in ("attendance", "sessions", "young_people")
    ]


def test_every_row_knows_its_submission(pool):
    s = submit(pool, "YC", "a", people=5)
    rows = pl.read_parquet(next((pool.home / "pool" / "attendance").rglob("*.parquet")))
    assert rows.columns[:3] == ["submission_id", "org", "period"]
    assert set(rows["submission_id"]) == {s.id}
    assert set(rows["org"]) == {"YC"} and set(rows["period"]) == {PERIOD}
    read = pool.read("young_people").collect()
    assert set(read["submission_id"]) == {s.id} and read.height == 5


def test_period_may_be_a_period_object_or_loose_text(pool):
    s = submit(pool, "YC", "a", period=parse_period("2026q1"))
    assert s.period == "2026-Q1"
    assert pool.current("yc", "2026Q1") == s


def test_resubmission_supersedes_and_keeps_history(pool):
    v1 = submit(pool, "YC", "a")
    v2 = submit(pool, "YC", "b")
    assert v2.version == 2 and v2.state == ACCEPTED
    history = pool.submissions(org="YC", period=PERIOD)
    assert [(s.version, s.state) for s in history] == [(1, SUPERSEDED), (2, ACCEPTED)]
    assert history[0].superseded_at == v2.decided_at
    assert tags(pool.read("attendance")) == {"b"}
    assert pool.read("attendance").collect().height == v2.rows["attendance"]
    assert pool.current("YC", PERIOD).id == v2.id
    assert v1.id != v2.id


def test_identical_resend_creates_nothing(pool, home):
    first = submit(pool, "YC", "a")
    files = parquet_files(home)
    audit = len(pool.audit())
    again = submit(pool, "YC", "a")
    assert again == first
    assert len(pool.submissions()) == 1
    assert parquet_files(home) == files
    assert len(pool.audit()) == audit


def test_resending_an_older_version_makes_it_current_again(pool):
    submit(pool, "YC", "a")
    submit(pool, "YC", "b")
    v3 = submit(pool, "YC", "a")
    assert v3.version == 3 and v3.state == ACCEPTED
    assert tags(pool.read("attendance")) == {"a"}


def test_invalid_submission_keeps_its_report_and_no_data(pool, home):
    accepted = submit(pool, "YC", "a")
    files = parquet_files(home)
    bad = submit_invalid(pool, "YC", "broken")
    assert (bad.state, bad.version, bad.rows) == (INVALID, 2, {})
    assert bad.report["problems"][0]["rule"] == "code_unknown"
    assert parquet_files(home) == files
    assert pool.current("YC", PERIOD).id == accepted.id  # an invalid file supersedes nothing
    assert tags(pool.read("attendance")) == {"a"}
    assert submit_invalid(pool, "YC", "broken") == bad  # identical invalid re-send
    assert len(pool.submissions()) == 2


def test_tables_with_an_invalid_report_are_not_pooled(pool, home):
    s = pool.receive(
        org="YC",
        period=PERIOD,
        standard_version="1.0",
        content_sha256=sha("x"),
        tables=make_tables("x"),
        report={"valid": False},
        source_name="x.xlsx",
    )
    assert s.state == INVALID and s.rows == {}
    assert parquet_files(home) == []


def test_unknown_and_removed_partners_cannot_submit(pool, home):
    with pytest.raises(NeedleInputError, match="no partner with code GHOST"):
        submit(pool, "GHOST", "a")
    pool.remove_partner("SPORT")
    with pytest.raises(NeedleInputError, match="removed"):
        submit(pool, "SPORT", "a")
    assert parquet_files(home) == []
    assert pool.submissions() == []


def test_reserved_and_unsafe_names_are_refused(pool):
    clash = {"attendance": pl.DataFrame({"person_ref": ["A"], "period": ["x"]})}
    with pytest.raises(NeedleInputError, match="column named period"):
        submit(pool, "YC", "a", tables=clash)
    with pytest.raises(NeedleInputError, match="not a valid entity name"):
        submit(pool, "YC", "a", tables={"../etc": pl.DataFrame({"a": [1]})})
    with pytest.raises(ValueError, match="SHA-256"):
        pool.receive(
            org="YC", period=PERIOD, standard_version="1.0", content_sha256="abc",
            tables=None, report={}, source_name="x",
        )  # fmt: skip


def test_submissions_filter_by_org_and_period(pool):
    submit(pool, "YC", "a")
    submit(pool, "YC", "b", period="2026-Q2")
    submit(pool, "SPORT", "c")
    assert [(s.org, s.period) for s in pool.submissions()] == [
        ("SPORT", "2026-Q1"),
        ("YC", "2026-Q1"),
        ("YC", "2026-Q2"),
    ]
    assert [s.period for s in pool.submissions(org="yc")] == ["2026-Q1", "2026-Q2"]
    assert [s.org for s in pool.submissions(period="2026-Q1")] == ["SPORT", "YC"]


def test_read_unions_partners_and_filters(pool):
    a = submit(pool, "YC", "a")
    b = submit(pool, "SPORT", "b", period="2026-Q2")
    both = pool.read("young_people").collect()
    assert both.height == a.rows["young_people"] + b.rows["young_people"]
    assert set(pool.read("young_people", orgs=["sport"]).collect()["tag"]) == {"b"}
    assert set(pool.read("young_people", periods=["2026-Q1"]).collect()["tag"]) == {"a"}
    assert pool.read("young_people", orgs=["YC"], periods=["2026-Q2"]).collect().height == 0


def test_read_unions_files_with_different_columns(pool):
    submit(pool, "YC", "a", people=3)
    extra = make_tables("b", people=2)
    extra["young_people"] = extra["young_people"].with_columns(club_house=pl.lit("north"))
    submit(pool, "SPORT", "b", tables=extra)
    rows = pool.read("young_people").collect()
    assert rows.height == 5
    assert rows.filter(pl.col("org") == "YC")["club_house"].null_count() == 3
    assert set(rows.filter(pl.col("org") == "SPORT")["club_house"]) == {"north"}


def test_read_of_nothing_is_empty_with_the_known_columns(pool):
    assert pool.read("attendance").collect().columns == ["submission_id", "org", "period"]
    submit(pool, "YC", "a")
    pool.withdraw("YC", PERIOD)
    empty = pool.read("attendance").collect()
    assert empty.height == 0
    assert empty.columns == ["submission_id", "org", "period", "session_ref", "person_ref", "tag"]


def test_as_at_shows_the_version_of_that_moment(pool):
    v1 = submit(pool, "YC", "a")
    v2 = submit(pool, "YC", "b")
    assert pool.read("attendance", as_at=v1.decided_at - TICK).collect().height == 0
    assert tags(pool.read("attendance", as_at=v1.decided_at)) == {"a"}
    assert tags(pool.read("attendance", as_at=v2.decided_at - TICK)) == {"a"}
    assert tags(pool.read("attendance", as_at=v2.decided_at)) == {"b"}
    gone = pool.withdraw("YC", PERIOD, reason="sent to the wrong initiative")
    assert pool.read("attendance").collect().height == 0
    assert pool.read("attendance", as_at=gone.withdrawn_at).collect().height == 0
    assert tags(pool.read("attendance", as_at=gone.withdrawn_at - TICK)) == {"b"}


def test_as_at_accepts_naive_utc(pool):
    v1 = submit(pool, "YC", "a")
    naive = v1.decided_at.replace(tzinfo=None)
    assert tags(pool.read("attendance", as_at=naive)) == {"a"}


def test_submissions_as_at_show_the_states_of_that_moment(pool):
    v1 = submit(pool, "YC", "a")
    v2 = submit(pool, "YC", "b")
    pool.withdraw("YC", PERIOD)
    then = pool.submissions(as_at=v2.decided_at - TICK)
    # Version 2 had arrived (its files were being written) but was not decided yet.
    assert [(s.version, s.state, s.superseded_at) for s in then] == [
        (1, ACCEPTED, None),
        (2, RECEIVED, None),
    ]
    now = pool.submissions()
    assert [s.state for s in now] == [SUPERSEDED, WITHDRAWN]
    assert pool.submissions(as_at=v1.received_at - TICK) == []


def test_withdraw_then_submit_again(pool):
    submit(pool, "YC", "a")
    gone = pool.withdraw("yc", "2026-q1", reason="duplicate upload")
    assert gone.state == WITHDRAWN and gone.withdrawn_at is not None
    assert pool.current("YC", PERIOD) is None
    with pytest.raises(NeedleInputError, match="no accepted submission"):
        pool.withdraw("YC", PERIOD)
    again = submit(pool, "YC", "a")  # same content: nothing current, so a new version
    assert (again.version, again.state) == (2, ACCEPTED)
    entry = next(a for a in pool.audit() if a.action == "submission_withdrawn")
    assert entry.detail["reason"] == "duplicate upload" and entry.submission_id == gone.id


def test_every_step_is_audited(pool):
    v1 = submit(pool, "YC", "a")
    v2 = submit(pool, "YC", "b")
    submit_invalid(pool, "YC", "c")
    trail = [(a.action, a.submission_id) for a in pool.audit(org="YC")]
    assert trail[1:] == [
        ("submission_received", v1.id),
        ("submission_accepted", v1.id),
        ("submission_received", v2.id),
        ("submission_superseded", v1.id),
        ("submission_accepted", v2.id),
        ("submission_received", trail[-1][1]),
        ("submission_invalid", trail[-1][1]),
    ]


def test_a_failed_write_leaves_nothing_behind(pool, home, monkeypatch):
    submit(pool, "YC", "a")
    before = parquet_files(home)
    calls = []
    original = pool.store.write

    def failing(relative, frame):
        calls.append(relative)
        if len(calls) == 2:
            raise OSError("disk full")
        return original(relative, frame)

    monkeypatch.setattr(pool.store, "write", failing)
    with pytest.raises(OSError, match="disk full"):
        submit(pool, "YC", "b")
    assert parquet_files(home) == before
    assert [s.version for s in pool.submissions()] == [1]


def test_reopening_sees_the_same_pool(pool, home, database_url):
    from needle.pool import Pool

    s = submit(pool, "YC", "a")
    with Pool.open(home, database_url=database_url) as again:
        assert again.current("YC", PERIOD) == s
        assert tags(again.read("attendance")) == {"a"}


def test_identical_finds_the_version_a_resend_would_return(pool):
    from pool_helpers import make_tables

    sent = pool.receive(
        org="YC", period="2025-Q1", standard_version="1.0", content_sha256="a" * 64,
        tables=make_tables("v1"), report={"valid": True}, source_name="x.xlsx",
    )  # fmt: skip
    assert pool.identical("yc", "2025q1", "a" * 64).id == sent.id
    assert pool.identical("YC", "2025-Q1", "b" * 64) is None
    assert pool.identical("YC", "2025-Q2", "a" * 64) is None
