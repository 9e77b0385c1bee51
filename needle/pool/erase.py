"""Erasure: remove one young person from everything a partner has pooled (UK GDPR, Art. 17).

Why it rewrites history: the pool is otherwise immutable, but the right to erasure covers
past versions too, and an "as at" read of last year must not bring the person back. So
every file of every version (accepted, superseded or withdrawn) of the partner that holds
a row with that ``person_ref`` is rewritten without those rows, under a new name, and the
old file is deleted. The person's reference is also blanked out of the stored validation
reports, whose messages may quote it.

Atomic like a submission: new files are written first, then one transaction (holding the
partner's lock, so no submission of that partner interleaves) points the catalogue at them
and queues the old files for deletion, then the old files are deleted. A crash before the
commit leaves the person in place (run the erasure again) and unlisted new files, which
``vacuum`` removes; a crash after it leaves queued old files, which ``vacuum`` deletes
whatever their age.

The audit entry records a random erasure id, the partner, the time, the reason and how
many submissions and rows were affected: never the person's reference. Nothing here logs
or raises a message containing it.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import TYPE_CHECKING, Any

import polars as pl
import sqlalchemy as sa

from needle.errors import NeedleInputError
from needle.pool import catalogue as cat
from needle.pool.db import write_transaction
from needle.pool.model import PERSON_COLUMN, Erasure
from needle.pool.schema import pending_deletions, pool_files, submissions
from needle.pool.store import ParquetStore

if TYPE_CHECKING:
    from needle.pool.pool import Pool

log = logging.getLogger(__name__)

REDACTED = "[erased]"


def erase_person(pool: Pool, org: str, person_ref: str, *, reason: str = "") -> Erasure:
    """Erase ``person_ref`` from all of ``org``'s pooled data and reports; see the module."""
    if not isinstance(person_ref, str) or not person_ref.strip():
        raise NeedleInputError("Give the person_ref of the young person to erase.")
    if person_ref in reason:
        raise NeedleInputError(
            "The reason must not contain the person's reference: the audit trail keeps the "
            "reason and must not identify anyone."
        )
    erasure_id = uuid.uuid4().hex
    generation = erasure_id[:12]
    pattern = _mention(person_ref)
    written: list[str] = []
    old: list[str] = []
    try:
        with write_transaction(pool.engine, lock_partner=org) as conn:
            at = cat.utcnow()
            files = conn.execute(
                sa.select(pool_files, submissions.c.period)
                .join(submissions, submissions.c.id == pool_files.c.submission_id)
                .where(submissions.c.org == org)
                .order_by(pool_files.c.submission_id, pool_files.c.entity)
            ).all()
            changes = []
            for f in files:
                change = _rewrite(pool.store, f, org, person_ref, generation)
                if change is not None:
                    written.append(change["path"])
                    changes.append(change)
            reports = _redact_reports(conn, org, pattern)
            if not changes and not reports:
                raise NeedleInputError(
                    f"No rows or reports of {org} mention that person_ref: nothing to erase. "
                    "Check the reference (it is case-sensitive)."
                )
            for change in changes:
                conn.execute(
                    pool_files.update()
                    .where(
                        pool_files.c.submission_id == change["submission_id"],
                        pool_files.c.entity == change["entity"],
                    )
                    .values(
                        path=change["path"], rows=change["rows"], bytes=change["bytes"],
                        written_at=at,
                    )
                )  # fmt: skip
            for sub_id, report in reports.items():
                conn.execute(
                    submissions.update().where(submissions.c.id == sub_id).values(report=report)
                )
            old = [change["old_path"] for change in changes]
            if old:
                conn.execute(
                    pending_deletions.insert(), [{"path": p, "queued_at": at} for p in old]
                )
            rows: dict[str, int] = {}
            for change in changes:
                rows[change["entity"]] = rows.get(change["entity"], 0) + change["removed"]
            affected = {change["submission_id"] for change in changes} | set(reports)
            erasure = Erasure(
                id=erasure_id,
                org=org,
                at=at,
                submissions=len(affected),
                rows=dict(sorted(rows.items())),
                reports_redacted=len(reports),
                reason=reason,
            )
            cat.add_audit(
                conn, "erasure", at=at, org=org, erasure_id=erasure_id,
                submissions=erasure.submissions, rows=erasure.rows,
                reports_redacted=erasure.reports_redacted, reason=reason,
            )  # fmt: skip
    except BaseException:
        pool.store.delete(written)
        raise
    pool.store.delete(old)
    gone = [path for path in old if not pool.store.absolute(path).exists()]
    if gone:  # what could not be deleted stays queued for vacuum
        with write_transaction(pool.engine) as conn:
            conn.execute(pending_deletions.delete().where(pending_deletions.c.path.in_(gone)))
    log.info(
        "erasure %s: %d row(s) from %d submission(s) of %s",
        erasure_id, erasure.total_rows, erasure.submissions, org,
    )  # fmt: skip
    return erasure


def _rewrite(
    store: ParquetStore, f: Any, org: str, person_ref: str, generation: str
) -> dict[str, Any] | None:
    """Write the file without the person's rows under a new name, if it has any."""
    if PERSON_COLUMN not in store.schema(f.path):
        return None
    is_person = (pl.col(PERSON_COLUMN).cast(pl.String) == person_ref).fill_null(False)
    frame = store.scan(f.path)
    removed = frame.filter(is_person).select(pl.len()).collect().item()
    if removed == 0:
        return None
    kept = frame.filter(~is_person).collect()
    path = ParquetStore.relative_path(f.entity, org, f.period, f.submission_id, generation)
    size = store.write(path, kept)
    return {
        "submission_id": f.submission_id,
        "entity": f.entity,
        "old_path": f.path,
        "path": path,
        "rows": kept.height,
        "bytes": size,
        "removed": removed,
    }


def _mention(person_ref: str) -> re.Pattern[str]:
    """The reference as a whole token: erasing ``YP-1`` must not touch ``YP-10``."""
    return re.compile(rf"(?<![A-Za-z0-9_-]){re.escape(person_ref)}(?![A-Za-z0-9_-])")


def _redact_reports(
    conn: sa.Connection, org: str, pattern: re.Pattern[str]
) -> dict[str, dict[str, Any]]:
    """Reports of ``org`` that quote the person, with every quotation blanked out."""
    changed = {}
    query = sa.select(submissions.c.id, submissions.c.report).where(submissions.c.org == org)
    for sub_id, report in conn.execute(query):
        redacted = _redact(report, pattern)
        if redacted != report:
            changed[sub_id] = redacted
    return changed


def _redact(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(REDACTED, value)
    if isinstance(value, dict):
        return {key: _redact(item, pattern) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact(item, pattern) for item in value]
    return value
