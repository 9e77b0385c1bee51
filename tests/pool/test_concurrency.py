"""Many partners submitting at once, in separate processes, lose and duplicate nothing.

Processes, not threads: partners upload through separate web workers or command lines,
and only separate processes exercise the database's own locking (SQLite's file lock in
WAL mode with ``BEGIN IMMEDIATE``; PostgreSQL's row lock on the partner).
"""

from __future__ import annotations

import queue
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
from pool_helpers import process_context, run_open, run_worker, sha, submit

from needle.pool import ACCEPTED, Pool

WORKERS = 24
JOBS_EACH = 3
ORGS = ("YC", "SPORT", "ARTS", "MENTOR", "SCHOOL")
PERIODS = ("2026-Q1", "2026-Q2")
DUPLICATE = ("ARTS", "2026-Q3")  # only the duplicate senders use this pair
DUPLICATE_SENDERS = 4


def run_processes(target, args_per_process, timeout=300):
    context = process_context()
    barrier = context.Barrier(len(args_per_process))
    results = context.Queue()
    processes = [
        context.Process(target=target, args=(*args, barrier, results)) for args in args_per_process
    ]
    for process in processes:
        process.start()
    outcomes = []
    try:
        for _ in processes:
            outcomes.append(results.get(timeout=timeout))
    except queue.Empty:
        pytest.fail(f"only {len(outcomes)} of {len(processes)} processes reported back")
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    errors = [detail for status, detail in outcomes if status != "ok"]
    assert not errors, errors
    return [detail for _, detail in outcomes]


def plan() -> list[list[tuple[str, str, str]]]:
    """Each worker's jobs: pairs spread so that every pair has several competing writers."""
    pairs = [(org, period) for org in ORGS for period in PERIODS]
    jobs = []
    for w in range(WORKERS):
        mine = [(*pairs[(w + 7 * k) % len(pairs)], f"w{w}-k{k}") for k in range(JOBS_EACH)]
        if w < DUPLICATE_SENDERS:  # the same file, sent by several at the same moment
            mine.insert(0, (*DUPLICATE, "same"))
        jobs.append(mine)
    return jobs


def test_parallel_submitters(pool, home, database_url):
    for org in ORGS[2:]:
        pool.add_partner(org, org.title())
    jobs = plan()
    done = run_processes(run_worker, [(str(home), database_url, mine) for mine in jobs])
    reported = [item for worker in done for item in worker]
    assert len(reported) == sum(len(mine) for mine in jobs)

    subs = pool.submissions()
    by_id = {s.id: s for s in subs}
    # Every submission recorded exactly once, as the worker was told.
    assert Counter(s.source_name for s in subs) == Counter({tag: 1 for _, _, tag, _, _ in reported})
    for org, period, tag, sub_id, version in reported:
        s = by_id[sub_id]
        assert (s.org, s.period, s.source_name, s.version) == (org, period, tag, version)
    # The identical file sent at once by several partners' processes: one version.
    same = {sub_id for _, _, tag, sub_id, _ in reported if tag == "same"}
    assert len(same) == 1

    versions = defaultdict(list)
    for s in subs:
        versions[(s.org, s.period)].append(s)
    assert len(versions) == len(ORGS) * len(PERIODS) + 1
    for (org, period), history in versions.items():
        assert [s.version for s in history] == list(range(1, len(history) + 1))
        assert [s.state for s in history].count(ACCEPTED) == 1
        latest = history[-1]
        assert latest.state == ACCEPTED
        rows = pool.read("attendance", orgs=[org], periods=[period]).collect()
        assert set(rows["tag"]) == {latest.source_name}
        assert set(rows["submission_id"]) == {latest.id}
        assert rows.height == latest.rows["attendance"]
        assert latest.content_sha256 == sha(latest.source_name)
    everything = pool.read("young_people").collect()
    assert everything.height == sum(h[-1].rows["young_people"] for h in versions.values())


def test_many_processes_opening_a_new_pool_migrate_it_once(home, database_url):
    outcomes = run_processes(run_open, [(str(home), database_url)] * 8)
    assert outcomes == ["ok"] * 8
    with Pool.open(home, database_url=database_url) as pool:
        assert pool.partners() == []


def test_one_pool_shared_by_threads(pool):
    """A web server may share one Pool between request threads."""
    jobs = [("YC" if i % 2 else "SPORT", f"t{i}") for i in range(12)]
    with ThreadPoolExecutor(max_workers=6) as workers:
        done = list(workers.map(lambda job: submit(pool, *job, people=5), jobs))
    assert len({s.id for s in done}) == 12
    for org in ("YC", "SPORT"):
        history = pool.submissions(org=org)
        assert [s.version for s in history] == list(range(1, 7))
        assert [s.state for s in history].count(ACCEPTED) == 1
