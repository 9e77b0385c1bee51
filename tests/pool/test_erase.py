"""Erasure of one young person from a partner's current and past pooled data."""

from __future__ import annotations

import logging

import polars as pl
import pytest
import sqlalchemy as sa
from pool_helpers import PERIOD, make_tables, sha, submit

from needle.errors import NeedleInputError

ERASED = "ERASE-ME-42"  # unique, so a plain substring search finds every trace


def with_person(tag: str, people: int = 6) -> dict[str, pl.DataFrame]:
    """Tables for ``tag`` in which young person YP-2 is called ERASED."""
    tables = make_tables(tag, people=people)
    rename = pl.when(pl.col("person_ref") == "YP-2").then(pl.lit(ERASED))
    return {
        name: frame.with_columns(rename.otherwise(pl.col("person_ref")).alias("person_ref"))
        if "person_ref" in frame.columns
        else frame
        for name, frame in tables.items()
    }


def files_of(home, org, entities=("attendance", "sessions", "young_people")):
    return sorted(p for e in entities for p in (home / "pool" / e).glob(f"{org}/*/*.parquet"))


PERSONAL = ("attendance", "young_people")  # the entities with a person_ref column


def refs_in(paths) -> set[str]:
    found = set()
    for path in paths:
        frame = pl.read_parquet(path)
        if "person_ref" in frame.columns:
            found |= set(frame["person_ref"])
    return found


@pytest.fixture
def history(pool):
    """YC: two versions for 2026-Q1 and a withdrawn one for 2026-Q2, each with the person;
    an invalid version whose report quotes the reference; SPORT has the same reference
    (a different young person: references are per organisation)."""
    v1 = submit(pool, "YC", "a", tables=with_person("a"))
    submit(pool, "YC", "q2", tables=with_person("q2"), period="2026-Q2")
    pool.withdraw("YC", "2026-Q2")
    pool.receive(
        org="YC",
        period=PERIOD,
        standard_version="1.0",
        content_sha256=sha("bad"),
        tables=None,
        report={"valid": False, "problems": [{"message": f"person_ref '{ERASED}' is twice"}]},
        source_name="bad.xlsx",
    )
    v2 = submit(pool, "YC", "b", tables=with_person("b"))
    submit(pool, "SPORT", "s", tables=with_person("s"))
    return v1, v2


def test_erasure_removes_the_person_from_every_version(pool, home, history):
    v1, v2 = history
    old_files = files_of(home, "YC", PERSONAL)
    sessions = files_of(home, "YC", ["sessions"])
    assert ERASED in refs_in(old_files)
    erasure = pool.erase("yc", ERASED, reason="request by email")
    # Scanned directly: no file of YC still holds the person, SPORT's person is untouched.
    new_files = files_of(home, "YC", PERSONAL)
    assert ERASED not in refs_in(new_files)
    assert ERASED in refs_in(files_of(home, "SPORT"))
    # Each file with the person was replaced by one under a new name; the rest are as were.
    assert len(new_files) == len(old_files) == 6
    assert not any(path.exists() for path in old_files)
    assert not set(new_files) & set(old_files)
    assert files_of(home, "YC", ["sessions"]) == sessions
    # Three data versions (v1, v2, the withdrawn one) plus the invalid one's report.
    assert erasure.submissions == 4 and erasure.reports_redacted == 1
    assert erasure.rows == {"attendance": 9, "young_people": 3}
    # Reads now and as at earlier times lack the person; everyone else is still there.
    for as_at in (None, v1.decided_at, v2.decided_at):
        people = pool.read("young_people", as_at=as_at, orgs=["YC"]).collect()
        assert ERASED not in set(people["person_ref"])
        assert people.height == 5
    assert pool.read("attendance", orgs=["YC"]).collect().height == 15
    counts = {s.version: s.rows for s in pool.submissions(org="YC", period=PERIOD)}
    assert counts[1] == {"attendance": 15, "sessions": 3, "young_people": 5}


def test_erasure_blanks_the_reference_in_stored_reports(pool, history):
    pool.erase("YC", ERASED)
    text = str([s.report for s in pool.submissions()])
    assert ERASED not in text
    assert "person_ref '[erased]' is twice" in text


def test_audit_records_the_erasure_without_the_person(pool, history, database_url):
    erasure = pool.erase("YC", ERASED, reason="request by email")
    entry = next(a for a in pool.audit() if a.action == "erasure")
    assert entry.org == "YC"
    assert entry.detail["erasure_id"] == erasure.id
    assert entry.detail["rows"] == erasure.rows and entry.detail["reason"] == "request by email"
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:  # every column of every audit row, as stored
        stored = [
            tuple(map(str, row)) for row in conn.execute(sa.text("SELECT * FROM needle_audit"))
        ]
    engine.dispose()
    assert stored and not any(ERASED in value for row in stored for value in row)


def test_erasure_logs_no_identifier(pool, history, caplog):
    with caplog.at_level(logging.DEBUG):
        pool.erase("YC", ERASED)
    assert "erasure" in caplog.text
    assert ERASED not in caplog.text


def test_unknown_person_is_a_user_error_that_changes_nothing(pool, home, history):
    before = files_of(home, "YC")
    with pytest.raises(NeedleInputError, match="nothing to erase") as info:
        pool.erase("YC", "NO-SUCH-PERSON")
    assert "NO-SUCH-PERSON" not in str(info.value)
    assert files_of(home, "YC") == before
    assert not [a for a in pool.audit() if a.action == "erasure"]


def test_erasing_twice_finds_nothing_the_second_time(pool, history):
    pool.erase("YC", ERASED)
    with pytest.raises(NeedleInputError, match="nothing to erase"):
        pool.erase("YC", ERASED)


def test_a_reason_quoting_the_person_is_refused(pool, history):
    with pytest.raises(NeedleInputError, match="must not contain"):
        pool.erase("YC", ERASED, reason=f"asked by {ERASED}")


def test_a_reference_is_matched_whole(pool):
    submit(pool, "YC", "a", people=12)  # YP-0 ... YP-11
    erasure = pool.erase("YC", "YP-1")
    refs = set(pool.read("young_people").collect()["person_ref"])
    assert erasure.rows["young_people"] == 1
    assert "YP-1" not in refs and {"YP-10", "YP-11"} <= refs


def test_a_failure_midway_changes_nothing(pool, home, history, monkeypatch):
    before = files_of(home, "YC")
    original = pool.store.write
    calls = []

    def failing(relative, frame):
        calls.append(relative)
        if len(calls) == 3:
            raise OSError("disk full")
        return original(relative, frame)

    monkeypatch.setattr(pool.store, "write", failing)
    with pytest.raises(OSError):
        pool.erase("YC", ERASED)
    assert files_of(home, "YC") == before
    assert ERASED in set(pool.read("young_people", orgs=["YC"]).collect()["person_ref"])


def test_vacuum_finishes_an_interrupted_erasure(pool, home, history, monkeypatch):
    """A crash after the commit but before the old files are deleted: vacuum deletes them
    however recent they are, because they hold erased rows."""
    old = files_of(home, "YC", PERSONAL)
    monkeypatch.setattr(pool.store, "delete", lambda paths: 0)
    pool.erase("YC", ERASED)
    monkeypatch.undo()
    assert all(path.exists() for path in old)
    result = pool.vacuum()  # default grace: only the queued copies go
    assert result.files == len(old)
    assert not any(path.exists() for path in old)
    assert ERASED not in refs_in((home / "pool").rglob("*.parquet")) - refs_in(
        files_of(home, "SPORT")
    )
