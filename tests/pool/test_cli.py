"""The pool's commands, through click's test runner, on both backends."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from pool_helpers import PERIOD, submit

from needle.pool import WITHDRAWN, Pool
from needle.pool.cli import erase, partners, submissions, withdraw


@pytest.fixture
def run(home, database_url, monkeypatch):
    """Invoke a command against the test database, with HOME from NEEDLE_HOME."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("NEEDLE_HOME", str(home))

    def invoke(command, *args, **kwargs):
        return CliRunner().invoke(command, list(args), **kwargs)

    return invoke


@pytest.fixture
def pool(home, database_url, run):
    opened = Pool.open(home, database_url=database_url)
    opened.add_partner("YC", "Youth Club")
    yield opened
    opened.close()


def test_partners_add_list_remove(run, home):
    result = run(partners, "add", "trafford-yc", "--name", "Trafford Youth Club")
    assert result.exit_code == 0, result.output
    assert "Added partner TRAFFORD-YC" in result.output
    run(partners, "add", "SPORT", "--name", "Sport for All", "--home", str(home))
    listing = run(partners, "list")
    assert listing.exit_code == 0
    lines = listing.output.splitlines()
    assert lines[0].split()[:2] == ["CODE", "NAME"]
    assert [line.split()[0] for line in lines[1:]] == ["SPORT", "TRAFFORD-YC"]
    assert run(partners, "remove", "sport").exit_code == 0
    assert "SPORT" not in run(partners, "list").output
    everything = run(partners, "list", "--all").output
    assert "SPORT" in everything and "REMOVED" in everything


def test_partner_errors_are_messages_with_status_2(run):
    run(partners, "add", "YC", "--name", "Youth Club")
    for args in (["remove", "NOPE"], ["add", "YC", "--name", "Again"], ["add", "x", "--name", "X"]):
        result = run(partners, *args)
        assert result.exit_code == 2, args
        assert result.output.startswith("Error: ")
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Known partners: YC" in run(partners, "remove", "NOPE").output


def test_empty_lists(run):
    assert "No partners yet" in run(partners, "list").output
    assert run(submissions).output.strip() == "No submissions."


def test_submissions_table(run, pool):
    submit(pool, "YC", "a", people=10)
    submit(pool, "YC", "b", people=20)
    result = run(submissions)
    assert result.exit_code == 0, result.output
    header, *rows = result.output.splitlines()
    assert header.split()[:5] == ["ORG", "PERIOD", "VERSION", "STATE", "ROWS"]
    assert [r.split()[:5] for r in rows] == [
        ["YC", PERIOD, "1", "superseded", "43"],
        ["YC", PERIOD, "2", "accepted", "83"],
    ]
    assert run(submissions, "--org", "SPORT").output.strip() == "No submissions."
    assert len(run(submissions, "--period", "2026q1").output.splitlines()) == 3


def test_submissions_json_has_counts_per_entity(run, pool):
    s = submit(pool, "YC", "a", people=10)
    listed = json.loads(run(submissions, "--format", "json").output)
    assert listed[0]["id"] == s.id
    assert listed[0]["rows"] == {"attendance": 30, "sessions": 3, "young_people": 10}
    assert "report" not in listed[0]


def test_submissions_as_at(run, pool):
    submit(pool, "YC", "a")
    assert run(submissions, "--as-at", "2000-01-01").output.strip() == "No submissions."


def test_withdraw(run, pool):
    submit(pool, "YC", "a")
    result = run(withdraw, "yc", "2026-Q1", "--reason", "wrong initiative")
    assert result.exit_code == 0, result.output
    assert "Withdrew YC 2026-Q1 version 1" in result.output
    assert pool.submissions()[0].state == WITHDRAWN
    again = run(withdraw, "YC", "2026-Q1")
    assert again.exit_code == 2 and "no accepted submission" in again.output
    assert run(withdraw, "YC", "2026-Q9").exit_code == 2


def test_erase(run, pool):
    submit(pool, "YC", "a", people=5)
    declined = run(erase, "YC", "YP-3", input="n\n")
    assert declined.exit_code == 1
    assert pool.read("young_people").collect().height == 5
    result = run(erase, "YC", "YP-3", "--reason", "request", "--yes")
    assert result.exit_code == 0, result.output
    assert "Erased 4 row(s) (attendance 3, young_people 1) from 1 submission(s) of YC" in (
        result.output
    )
    assert "YP-3" not in result.output
    assert pool.read("young_people").collect().height == 4
    missing = run(erase, "YC", "YP-3", "--yes")
    assert missing.exit_code == 2 and "nothing to erase" in missing.output
