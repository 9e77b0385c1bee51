"""Queries over the metadata that several parts of the pool share.

Why a module of its own: "which versions were visible at time t" and "turn a row into a
``Submission``" are needed by reads, listings, withdrawals and erasures alike, and must mean
exactly the same thing in each, on both backends.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from needle.pool.model import (
    ACCEPTED,
    INVALID,
    RECEIVED,
    SUPERSEDED,
    WITHDRAWN,
    AuditEntry,
    Submission,
)
from needle.pool.schema import audit, pool_files, submissions

ONE_TICK = timedelta(microseconds=1)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A naive datetime is taken to be UTC (documented in the guide)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def visible_at(moment: datetime | None) -> sa.ColumnElement[bool]:
    """The versions whose data the pool showed at ``moment`` (None: now).

    A version is shown from its decision (if it was accepted) until it is superseded or
    withdrawn. Only accepted versions ever reach superseded or withdrawn, so "state is
    one of those three" means "was accepted".
    """
    s = submissions.c
    if moment is None:
        return s.state == ACCEPTED
    moment = as_utc(moment)
    return sa.and_(
        s.state.in_((ACCEPTED, SUPERSEDED, WITHDRAWN)),
        s.decided_at <= moment,
        sa.or_(s.superseded_at.is_(None), s.superseded_at > moment),
        sa.or_(s.withdrawn_at.is_(None), s.withdrawn_at > moment),
    )


def filters(
    orgs: Iterable[str] | None, periods: Iterable[str] | None
) -> list[sa.ColumnElement[bool]]:
    out = []
    if orgs is not None:
        out.append(submissions.c.org.in_(list(orgs)))
    if periods is not None:
        out.append(submissions.c.period.in_(list(periods)))
    return out


def state_at(row: Any, moment: datetime) -> tuple[str, dict[str, datetime | None]]:
    """A version's state as it was at ``moment``, and its timestamps as known then."""
    if row.withdrawn_at is not None and row.withdrawn_at <= moment:
        return WITHDRAWN, {}
    if row.superseded_at is not None and row.superseded_at <= moment:
        return SUPERSEDED, {"withdrawn_at": None}
    if row.decided_at is not None and row.decided_at <= moment:
        state = INVALID if row.state == INVALID else ACCEPTED
        return state, {"withdrawn_at": None, "superseded_at": None}
    return RECEIVED, {"decided_at": None, "withdrawn_at": None, "superseded_at": None}


def row_counts(conn: sa.Connection, ids: list[str]) -> dict[str, dict[str, int]]:
    """Rows pooled per entity, for each submission id."""
    counts: dict[str, dict[str, int]] = {}
    for start in range(0, len(ids), 500):  # keep IN lists well inside SQLite's limits
        chunk = ids[start : start + 500]
        query = sa.select(pool_files.c.submission_id, pool_files.c.entity, pool_files.c.rows)
        query = query.where(pool_files.c.submission_id.in_(chunk)).order_by(pool_files.c.entity)
        for sub_id, entity, rows in conn.execute(query):
            counts.setdefault(sub_id, {})[entity] = int(rows)
    return counts


def to_submission(
    row: Any, rows: dict[str, int] | None = None, as_at: datetime | None = None
) -> Submission:
    values = {
        "id": row.id,
        "org": row.org,
        "period": row.period,
        "version": row.version,
        "standard_version": row.standard_version,
        "state": row.state,
        "content_sha256": row.content_sha256,
        "source_name": row.source_name,
        "received_at": row.received_at,
        "decided_at": row.decided_at,
        "superseded_at": row.superseded_at,
        "withdrawn_at": row.withdrawn_at,
        "rows": dict(rows or {}),
        "report": row.report,
        "pseudonymised_by": row.pseudonymised_by,
    }
    if as_at is not None:
        state, known = state_at(row, as_utc(as_at))
        values["state"] = state
        values.update(known)
    return Submission(**values)


def load_submissions(
    conn: sa.Connection, where: list[sa.ColumnElement[bool]], as_at: datetime | None = None
) -> list[Submission]:
    query = sa.select(submissions).where(*where)
    query = query.order_by(submissions.c.org, submissions.c.period, submissions.c.version)
    found = list(conn.execute(query))
    counts = row_counts(conn, [r.id for r in found])
    return [to_submission(r, counts.get(r.id), as_at) for r in found]


def accepted(conn: sa.Connection, org: str, period: str) -> Submission | None:
    found = load_submissions(
        conn,
        [submissions.c.org == org, submissions.c.period == period, submissions.c.state == ACCEPTED],
    )
    return found[0] if found else None


def decision_time(conn: sa.Connection, org: str, period: str) -> datetime:
    """Now, but strictly after every earlier event of this (org, period).

    Called under the write lock. "As at" reads order versions by these times, so a clock
    that steps back (NTP, a virtual machine resumed) must not make a new version look
    older than the one it replaces.
    """
    s = submissions.c
    query = sa.select(sa.func.max(s.decided_at), sa.func.max(s.withdrawn_at)).where(
        s.org == org, s.period == period
    )
    latest = [t for t in conn.execute(query).one() if t is not None]
    now = utcnow()
    return max([now, *(as_utc(t) + ONE_TICK for t in latest)])


def add_audit(
    conn: sa.Connection,
    action: str,
    *,
    at: datetime,
    org: str | None = None,
    period: str | None = None,
    submission_id: str | None = None,
    **detail: Any,
) -> None:
    """Append to the audit trail. Callers pass counts, states and reasons, never values
    from the pooled rows."""
    conn.execute(
        audit.insert().values(
            at=at,
            action=action,
            org=org,
            period=period,
            submission_id=submission_id,
            detail=detail,
        )
    )


def load_audit(conn: sa.Connection, org: str | None = None) -> list[AuditEntry]:
    query = sa.select(audit).order_by(audit.c.id)
    if org is not None:
        query = query.where(audit.c.org == org)
    return [
        AuditEntry(r.id, r.at, r.action, r.org, r.period, r.submission_id, dict(r.detail))
        for r in conn.execute(query)
    ]
