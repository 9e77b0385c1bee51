"""Atomicity under SIGKILL: whenever the submitting process dies, the pool shows the old
version or the new one, never a mix, and never counts a half-written file.

A helper process (``crash_submitter.submit_forever``) submits to one (org, period) in a
loop; the test kills it with SIGKILL after a random delay, so over the trials the kill
lands while opening (and, the first time, migrating) the pool, while writing Parquet,
inside the database transaction and between submissions. After every kill the pool is
opened afresh and checked against what the tags say each version must hold.
"""

from __future__ import annotations

import random
import signal
from datetime import timedelta

import polars as pl
import pytest
from pool_helpers import people_count, process_context, sha

from needle.pool import ACCEPTED, Pool, Submission

ORG, PERIOD = "YC", "2026-Q1"
BASE_PEOPLE = 20_000  # 60k-120k attendance rows: writing takes long enough to be hit
TRIALS = {"sqlite": 30, "postgresql": 15}
VISITS = 3  # attendance rows per person (pool_helpers.make_tables)


def expected_rows(tag: str) -> dict[str, int]:
    people = people_count(tag, BASE_PEOPLE)
    return {"attendance": people * VISITS, "sessions": VISITS, "young_people": people}


def listed_files(pool: Pool) -> set[str]:
    return {
        f"{entity}/{ORG}/{PERIOD}/{s.id}.parquet" for s in pool.submissions() for entity in s.rows
    }


def check_files(pool: Pool, s: Submission) -> None:
    """Each listed file of a version is complete: it reads whole and holds that version."""
    assert s.rows == expected_rows(s.source_name)
    for entity, count in s.rows.items():
        frame = pl.read_parquet(pool.store.absolute(f"{entity}/{ORG}/{PERIOD}/{s.id}.parquet"))
        assert frame.height == count
        assert set(frame["tag"]) == {s.source_name}


def check_pool(pool: Pool, checked: set[str]) -> None:
    history = pool.submissions(org=ORG, period=PERIOD)
    assert [s.version for s in history] == list(range(1, len(history) + 1))
    if not history:
        assert pool.read("attendance").collect().height == 0
        return
    accepted = [s for s in history if s.state == ACCEPTED]
    assert len(accepted) == 1 and accepted[0] == history[-1]
    current = accepted[0]
    assert current.content_sha256 == sha(current.source_name)
    for entity, count in expected_rows(current.source_name).items():
        rows = pool.read(entity).collect()
        assert rows.height == count
        assert set(rows["tag"]) == {current.source_name}
        assert set(rows["submission_id"]) == {current.id}
    for s in history:
        if s.id not in checked:
            check_files(pool, s)
            checked.add(s.id)


@pytest.mark.slow
def test_sigkill_at_random_moments_never_breaks_the_pool(home, database_url, backend):
    import crash_submitter

    context = process_context()
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    checked: set[str] = set()
    versions, interrupted, orphans = [], 0, set()
    trial = -1
    # The planned trials, and more (up to twice as many again) until kills have landed
    # both during a write and after a committed version. A busy machine can take longer
    # than the planned delays to commit one submission, so the extra trials wait longer.
    while (trial := trial + 1) < TRIALS[backend] or (
        not (interrupted and versions[-1]) and trial < 3 * TRIALS[backend]
    ):
        # The first kill comes early, while the new pool is being created and migrated.
        longest = 1.2 * (1 + 2 * (trial // TRIALS[backend]))
        delay = rng.uniform(0.0, 0.1) if trial == 0 else rng.uniform(0.05, longest)
        args = (str(home), database_url, ORG, PERIOD, BASE_PEOPLE)
        victim = context.Process(target=crash_submitter.submit_forever, args=args)
        if trial == 1:
            with Pool.open(home, database_url=database_url) as pool:
                pool.add_partner(ORG, "Youth Club")
        victim.start()
        victim.join(timeout=delay)
        assert victim.is_alive(), f"the submitter ended by itself (seed {seed}, trial {trial})"
        victim.kill()  # SIGKILL
        victim.join(timeout=60)
        assert victim.exitcode == -signal.SIGKILL
        with Pool.open(home, database_url=database_url) as pool:
            try:
                check_pool(pool, checked)
            except AssertionError as exc:
                raise AssertionError(f"seed {seed}, trial {trial}: {exc}") from exc
            versions.append(len(pool.submissions()))
            new = {f.relative for f in pool.store.walk()} - listed_files(pool) - orphans
            interrupted += bool(new)
            orphans |= new

    # Kills landed between submissions (versions were committed) and during them (files
    # were left that the pool does not list), and vacuum clears the latter.
    print(f"{backend}: {trial} kills, {versions[-1]} versions, {interrupted} during a write")
    assert versions[-1] > 0 and interrupted > 0, (versions, interrupted)
    with Pool.open(home, database_url=database_url) as pool:
        pool.vacuum(older_than=timedelta(0))
        assert {f.relative for f in pool.store.walk()} == listed_files(pool)
        check_pool(pool, set())
