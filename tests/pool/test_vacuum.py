"""Files a crashed submission left behind: ignored by reads, removed by vacuum."""

from __future__ import annotations

import os
import time
from datetime import timedelta

from pool_helpers import PERIOD, make_tables, submit

from needle.pool.store import ParquetStore

NOW = timedelta(0)


def leave_orphans(pool) -> list:
    """What a process killed mid-submission leaves: a complete file written under a new
    submission id that was never recorded, and a half-written temporary file."""
    relative = ParquetStore.relative_path("attendance", "YC", PERIOD, "f" * 32)
    pool.store.write(relative, make_tables("orphan")["attendance"])
    temp = pool.store.absolute(relative).with_name(f".{'e' * 32}.parquet.0123.tmp")
    temp.write_bytes(b"PAR1 half a file")
    return [pool.store.absolute(relative), temp]


def test_reads_ignore_orphans_and_vacuum_removes_them(pool):
    s = submit(pool, "YC", "a")
    orphans = leave_orphans(pool)
    rows = pool.read("attendance").collect()
    assert set(rows["tag"]) == {"a"} and rows.height == s.rows["attendance"]
    result = pool.vacuum(older_than=NOW)
    assert result.files == 2 and result.bytes > 0
    assert not any(path.exists() for path in orphans)
    assert pool.read("attendance").collect().equals(rows)
    listed = {f"{e}/YC/{PERIOD}/{s.id}.parquet" for e in s.rows}
    assert {f.relative for f in pool.store.walk()} == listed
    entry = pool.audit()[-1]
    assert entry.action == "vacuum" and entry.detail["files"] == 2


def test_recent_orphans_are_left_for_a_submission_in_progress(pool):
    submit(pool, "YC", "a")
    orphans = leave_orphans(pool)
    assert pool.vacuum().files == 0  # default grace: an hour
    assert all(path.exists() for path in orphans)
    old = time.time() - 2 * 3600
    for path in orphans:
        os.utime(path, (old, old))
    assert pool.vacuum().files == 2


def test_vacuum_keeps_every_listed_file_including_history(pool):
    submit(pool, "YC", "a")
    submit(pool, "YC", "b")
    pool.withdraw("YC", PERIOD)
    before = sorted(f.relative for f in pool.store.walk())
    assert pool.vacuum(older_than=NOW).files == 0
    assert sorted(f.relative for f in pool.store.walk()) == before
    assert len(before) == 6
