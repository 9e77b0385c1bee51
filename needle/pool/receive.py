"""Receiving a submission: files first, then one locked transaction that makes it count.

Why this order (docs/decisions/0005-pool-storage.md): the database alone decides what is
visible, so the data files can be written, fsync'ed and renamed into place before
anything refers to them. The transaction that follows re-checks everything another
process could have changed meanwhile (the partner removed, the same file received), takes
the next version number, supersedes the previous accepted version and records the new one
with its files, all at once. A crash before it commits leaves only files nobody lists; a
failure deletes them at once.
"""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, Any

import polars as pl
import sqlalchemy as sa

from needle.errors import NeedleInputError
from needle.pool import catalogue as cat
from needle.pool.db import write_transaction
from needle.pool.model import (
    ACCEPTED,
    INVALID,
    PROVENANCE_COLUMNS,
    SUPERSEDED,
    Submission,
    check_entity_name,
)
from needle.pool.schema import partners, pool_files, submissions
from needle.pool.store import ParquetStore

if TYPE_CHECKING:
    from needle.pool.pool import Pool

log = logging.getLogger(__name__)

Written = dict[str, tuple[str, int, int]]  # entity -> (relative path, rows, bytes)


class _Identical(Exception):
    """Raised inside the write transaction to roll it back and return an existing version."""

    def __init__(self, submission: Submission) -> None:
        self.submission = submission


def receive_submission(
    pool: Pool,
    *,
    org: str,
    period: str,
    standard_version: str,
    sha: str,
    tables: dict[str, pl.DataFrame] | None,
    report: dict[str, Any],
    source_name: str,
    pseudonymised_by: str,
) -> Submission:
    """Store one submission of an existing, active partner (codes already normalised)."""
    valid = tables is not None and report.get("valid", True) is not False
    if valid:
        check_tables(tables or {})
    with pool.engine.connect() as conn:  # the common re-send costs no file writes
        if (found := identical(conn, org, period, sha, valid)) is not None:
            return found

    submission_id = uuid.uuid4().hex
    received_at = cat.utcnow()
    written: Written = {}
    try:
        if valid:
            written = write_tables(pool.store, tables or {}, submission_id, org, period)
        with write_transaction(pool.engine, lock_partner=org) as conn:
            return _record(
                conn,
                submission_id=submission_id,
                org=org,
                period=period,
                standard_version=standard_version,
                sha=sha,
                valid=valid,
                report=report,
                source_name=source_name,
                pseudonymised_by=pseudonymised_by,
                received_at=received_at,
                written=written,
            )
    except _Identical as same:
        pool.store.delete(path for path, _, _ in written.values())
        return same.submission
    except BaseException:
        pool.store.delete(path for path, _, _ in written.values())
        raise


def write_tables(
    store: ParquetStore,
    tables: dict[str, pl.DataFrame],
    submission_id: str,
    org: str,
    period: str,
) -> Written:
    """Write every table with its provenance columns, side by side (Polars releases the
    GIL while encoding), biggest first. On any failure, delete what was written."""

    def write(item: tuple[str, pl.DataFrame]) -> tuple[str, tuple[str, int, int]]:
        entity, frame = item
        relative = ParquetStore.relative_path(entity, org, period, submission_id)
        stamped = frame.select(
            pl.lit(submission_id, pl.String).alias("submission_id"),
            pl.lit(org, pl.String).alias("org"),
            pl.lit(period, pl.String).alias("period"),
            pl.all(),
        )
        return entity, (relative, frame.height, store.write(relative, stamped))

    ordered = sorted(tables.items(), key=lambda item: -item[1].height)
    written: Written = {}
    errors: list[BaseException] = []
    with ThreadPoolExecutor(max_workers=min(4, max(1, len(ordered)))) as workers:
        for future in [workers.submit(write, item) for item in ordered]:
            try:
                entity, result = future.result()
                written[entity] = result
            except BaseException as exc:  # collect, so that every written file is known
                errors.append(exc)
    if errors:
        store.delete(path for path, _, _ in written.values())
        raise errors[0]
    return written


def _record(
    conn: sa.Connection,
    *,
    submission_id: str,
    org: str,
    period: str,
    standard_version: str,
    sha: str,
    valid: bool,
    report: dict[str, Any],
    source_name: str,
    pseudonymised_by: str,
    received_at: datetime,
    written: Written,
) -> Submission:
    """The one transaction that makes a submission exist (called holding the lock)."""
    partner = conn.execute(sa.select(partners).where(partners.c.code == org)).one()
    if partner.removed_at is not None:
        raise removed(org)
    if (found := identical(conn, org, period, sha, valid)) is not None:
        raise _Identical(found)
    s = submissions.c
    last = conn.execute(
        sa.select(sa.func.max(s.version)).where(s.org == org, s.period == period)
    ).scalar()
    version = (last or 0) + 1
    decided_at = cat.decision_time(conn, org, period)
    previous = cat.accepted(conn, org, period) if valid else None
    if previous is not None:  # first, so that at no point two versions are accepted
        conn.execute(
            submissions.update()
            .where(s.id == previous.id)
            .values(state=SUPERSEDED, superseded_at=decided_at)
        )
    conn.execute(
        submissions.insert().values(
            id=submission_id,
            org=org,
            period=period,
            version=version,
            standard_version=standard_version,
            state=ACCEPTED if valid else INVALID,
            content_sha256=sha,
            source_name=source_name,
            pseudonymised_by=pseudonymised_by,
            received_at=received_at,
            decided_at=decided_at,
            report=report,
        )
    )
    if written:
        conn.execute(
            pool_files.insert(),
            [
                {
                    "submission_id": submission_id,
                    "entity": entity,
                    "path": path,
                    "rows": rows,
                    "bytes": size,
                    "written_at": received_at,
                }
                for entity, (path, rows, size) in written.items()
            ],
        )
    rows = {entity: rows for entity, (_, rows, _) in sorted(written.items())}
    where = {"org": org, "period": period}
    cat.add_audit(
        conn, "submission_received", at=received_at, submission_id=submission_id,
        version=version, content_sha256=sha, **where,
    )  # fmt: skip
    if previous is not None:
        cat.add_audit(
            conn, "submission_superseded", at=decided_at, submission_id=previous.id,
            version=previous.version, by=submission_id, **where,
        )  # fmt: skip
    cat.add_audit(
        conn, "submission_accepted" if valid else "submission_invalid", at=decided_at,
        submission_id=submission_id, version=version, rows=rows, **where,
    )  # fmt: skip
    log.info(
        "submission %s: %s %s version %d %s (%d rows)", submission_id, org, period,
        version, ACCEPTED if valid else INVALID, sum(rows.values()),
    )  # fmt: skip
    return cat.to_submission(
        conn.execute(sa.select(submissions).where(s.id == submission_id)).one(), rows
    )


def identical(
    conn: sa.Connection, org: str, period: str, sha: str, valid: bool
) -> Submission | None:
    """The existing version an identical re-send should return, if any: the current
    accepted one with this content, or (for an invalid submission) an invalid one."""
    current = cat.accepted(conn, org, period)
    if current is not None and current.content_sha256 == sha:
        return current
    if valid:
        return None
    s = submissions.c
    found = cat.load_submissions(
        conn, [s.org == org, s.period == period, s.state == INVALID, s.content_sha256 == sha]
    )
    return found[-1] if found else None


def check_tables(tables: dict[str, pl.DataFrame]) -> None:
    """Entity names become folder names; provenance columns must not be overwritten."""
    for entity, frame in tables.items():
        check_entity_name(entity)
        if not isinstance(frame, pl.DataFrame):
            raise TypeError(f"table {entity!r} must be a polars DataFrame")
        clash = [c for c in PROVENANCE_COLUMNS if c in frame.columns]
        if clash:
            raise NeedleInputError(
                f"The {entity} table has a column named {clash[0]}, which the pool adds to "
                "every row to record where it came from. Rename that column."
            )


def removed(code: str) -> NeedleInputError:
    return NeedleInputError(f"Partner {code} has been removed and can no longer submit.")
