"""Submissions built in code for the pool's tests, and worker functions for subprocesses.

Each submission is identified by a ``tag``: every row carries it in a ``tag`` column and
its row counts are derived from it, so a test (or a process checking the pool after a
crash) can tell exactly which version's rows it is looking at. Lives beside the tests as
a plain module so that child processes can import it by name.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from datetime import date

import polars as pl

from needle.pool import Pool, Submission

PERIOD = "2026-Q1"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def people_count(tag: str, base: int = 20) -> int:
    """How many young people the submission ``tag`` has: differs between tags."""
    return base + int(sha(tag)[:6], 16) % base


def make_tables(tag: str, *, people: int | None = None, visits: int = 3) -> dict[str, pl.DataFrame]:
    """young_people, sessions and attendance for submission ``tag`` (``visits`` per person)."""
    n = people if people is not None else people_count(tag)
    refs = [f"YP-{i}" for i in range(n)]
    young_people = pl.DataFrame(
        {
            "person_ref": refs,
            "gender": ["female" if i % 2 else "male" for i in range(n)],
            "consent_to_share": ["yes"] * n,
            "tag": [tag] * n,
        }
    )
    sessions = pl.DataFrame(
        {
            "session_ref": [f"S-{j}" for j in range(visits)],
            "session_date": [date(2026, 1, 5 + j) for j in range(visits)],
            "tag": [tag] * visits,
        }
    )
    attendance = pl.DataFrame(
        {
            "session_ref": [f"S-{j}" for _ in range(n) for j in range(visits)],
            "person_ref": [r for r in refs for _ in range(visits)],
            "tag": [tag] * (n * visits),
        }
    )
    return {"young_people": young_people, "sessions": sessions, "attendance": attendance}


def submit(pool: Pool, org: str, tag: str, *, period: str = PERIOD, **kwargs) -> Submission:
    """Receive the valid submission ``tag`` for (org, period)."""
    tables = kwargs.pop("tables", None) or make_tables(tag, people=kwargs.pop("people", None))
    return pool.receive(
        org=org,
        period=period,
        standard_version="1.0",
        content_sha256=sha(tag),
        tables=tables,
        report={"valid": True, "source": f"{tag}.xlsx"},
        source_name=tag,
        **kwargs,
    )


def submit_invalid(pool: Pool, org: str, tag: str, *, period: str = PERIOD) -> Submission:
    report = {
        "valid": False,
        "problems": [{"rule": "code_unknown", "message": "person_ref 'YP-1' has a bad code"}],
    }
    return pool.receive(
        org=org,
        period=period,
        standard_version="1.0",
        content_sha256=sha(tag),
        tables=None,
        report=report,
        source_name=tag,
    )


def submit_many(
    home: str, url: str, jobs: list[tuple[str, str, str]], barrier=None
) -> list[tuple[str, str, str, str, int]]:
    """Run in a child process: open the pool, wait for the others, submit each job
    (org, period, tag); return (org, period, tag, submission id, version) per job."""
    pool = Pool.open(home, database_url=url)
    try:
        if barrier is not None:
            barrier.wait(timeout=300)
        done = []
        for org, period, tag in jobs:
            s = submit(pool, org, tag, period=period)
            done.append((org, period, tag, s.id, s.version))
        return done
    finally:
        pool.close()


def open_only(home: str, url: str, barrier=None) -> str:
    """Run in a child process: open (and so migrate) a pool at the same moment as others."""
    if barrier is not None:
        barrier.wait(timeout=300)
    pool = Pool.open(home, database_url=url)
    try:
        pool.partners()
        return "ok"
    finally:
        pool.close()


def run_worker(home: str, url: str, jobs: list[tuple[str, str, str]], barrier, results) -> None:
    """Process target: ``submit_many``, reporting its outcome (or its error) on ``results``."""
    try:
        results.put(("ok", submit_many(home, url, jobs, barrier)))
    except BaseException as exc:  # reported to the test rather than lost in a child
        results.put(("error", repr(exc)))


def run_open(home: str, url: str, barrier, results) -> None:
    try:
        results.put(("ok", open_only(home, url, barrier)))
    except BaseException as exc:
        results.put(("error", repr(exc)))


def process_context():
    """New processes without fork's hazards: a fork of a process running Polars threads
    can deadlock. The fork server imports the pool once and never runs Polars, so its
    children start in milliseconds instead of re-importing everything as spawn does."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["needle.pool", "pool_helpers"])
    return context
