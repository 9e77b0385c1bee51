"""The pool: every submission stored immutably, atomically and with its full history.

State is real: a metadata database (an SQLAlchemy engine) and a folder of Parquet files.
The database decides what is visible; the files only hold data. That split is what makes
a submission atomic without a distributed transaction:

1. the submission's tables are written to new files (temporary name, fsync, rename), under
   a fresh random submission id, *before* anything refers to them;
2. one database transaction, holding the partner's lock, records the new version, its
   files and its state, and marks the previous version superseded.

A crash before step 2 commits leaves files nobody refers to (``read`` never looks at the
disk, only at the catalogue; ``vacuum`` deletes them later). A crash after leaves the new
version complete. So a reader sees the old version or the new one, never a mix. The
design, with what was rejected and why, is docs/decisions/0005-pool-storage.md.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

from needle.errors import NeedleInputError
from needle.periods import Period
from needle.pool import catalogue as cat
from needle.pool import db
from needle.pool.db import write_transaction
from needle.pool.model import (
    PROVENANCE_COLUMNS,
    WITHDRAWN,
    AuditEntry,
    Erasure,
    Partner,
    PoolFile,
    Submission,
    VacuumResult,
    check_entity_name,
    check_sha256,
    normalise_code,
    normalise_period,
)
from needle.pool.receive import identical, receive_submission, removed
from needle.pool.schema import partners, pending_deletions, pool_files, submissions
from needle.pool.store import ParquetStore

log = logging.getLogger(__name__)

POOL_FOLDER = "pool"
DEFAULT_VACUUM_GRACE = timedelta(hours=1)


class Pool:
    """An initiative's pool of submissions. Open with :meth:`Pool.open`; close when done
    (or use it as a context manager). Safe to use from many processes at once."""

    def __init__(self, home: Path, engine: sa.Engine, store: ParquetStore) -> None:
        self.home = home
        self.engine = engine
        self.store = store

    # -- opening -----------------------------------------------------------------------

    @classmethod
    def open(cls, home: Path | str, *, database_url: str | None = None) -> Pool:
        """Open (creating and migrating if needed) the pool of the initiative at ``home``.

        The metadata database is ``database_url``, else the ``DATABASE_URL`` setting, else
        SQLite at ``HOME/needle.sqlite``; pooled data goes under ``HOME/pool/``.
        """
        home = Path(home)
        home.mkdir(parents=True, exist_ok=True)
        engine = db.create_engine(db.database_url(home, database_url))
        try:
            db.migrate(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(home, engine, ParquetStore(home / POOL_FOLDER))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        url = self.engine.url.render_as_string(hide_password=True)
        return f"Pool(home={str(self.home)!r}, database={url!r})"

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    # -- partners ----------------------------------------------------------------------

    def add_partner(self, code: str, name: str) -> Partner:
        """Register an organisation that may submit. Codes are never reused, even after
        removal, so that history keeps meaning one organisation per code."""
        code = normalise_code(code)
        name = (name or "").strip()
        if not name or len(name) > 200:
            raise NeedleInputError("A partner needs a name of 1 to 200 characters.")
        now = cat.utcnow()
        try:
            with write_transaction(self.engine) as conn:
                existing = conn.execute(sa.select(partners).where(partners.c.code == code)).first()
                if existing is not None:
                    raise _duplicate(code, existing.removed_at is not None)
                conn.execute(partners.insert().values(code=code, name=name, added_at=now))
                cat.add_audit(conn, "partner_added", at=now, org=code)
        except sa.exc.IntegrityError:  # added by another process at the same moment
            raise _duplicate(code, was_removed=False) from None
        log.info("partner %s added", code)
        return Partner(code, name, now)

    def partners(self, *, include_removed: bool = False) -> list[Partner]:
        query = sa.select(partners).order_by(partners.c.code)
        if not include_removed:
            query = query.where(partners.c.removed_at.is_(None))
        with self.engine.connect() as conn:
            return [Partner(r.code, r.name, r.added_at, r.removed_at) for r in conn.execute(query)]

    def partner(self, code: str) -> Partner:
        """The partner with ``code`` (removed ones included); unknown codes are a user error
        that lists the known ones, since the usual cause is a typo."""
        code = normalise_code(code)
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(partners).where(partners.c.code == code)).first()
        if row is None:
            known = ", ".join(p.code for p in self.partners()) or "none yet"
            raise NeedleInputError(
                f"There is no partner with code {code}. Known partners: {known}. "
                "Add one with `needle partners add CODE --name NAME`."
            )
        return Partner(row.code, row.name, row.added_at, row.removed_at)

    def remove_partner(self, code: str) -> None:
        """Stop a partner submitting. Its submissions and their history stay in the pool."""
        code = self.partner(code).code
        with write_transaction(self.engine, lock_partner=code) as conn:
            row = conn.execute(sa.select(partners).where(partners.c.code == code)).one()
            if row.removed_at is not None:
                raise NeedleInputError(f"Partner {code} has already been removed.")
            now = cat.utcnow()
            conn.execute(partners.update().where(partners.c.code == code).values(removed_at=now))
            cat.add_audit(conn, "partner_removed", at=now, org=code)
        log.info("partner %s removed", code)

    # -- submissions -------------------------------------------------------------------

    def receive(
        self,
        *,
        org: str,
        period: Period | str,
        standard_version: str,
        content_sha256: str,
        tables: dict[str, pl.DataFrame] | None,
        report: dict[str, Any],
        source_name: str,
        pseudonymised_by: str = "pool",
    ) -> Submission:
        """Store one submission as a new version of (org, period).

        Valid (``tables`` given and ``report["valid"]`` not false): its tables are pooled
        and it is accepted, superseding the previous accepted version. Otherwise it is kept
        as ``invalid`` with its report and no data. Sending again exactly the content of
        the current accepted version (same ``content_sha256``), or of an invalid version,
        returns that version and creates nothing. See :mod:`needle.pool.receive`.
        """
        code = normalise_code(org)
        label = normalise_period(period)
        sha = check_sha256(content_sha256)
        if not self.partner(code).active:
            raise removed(code)
        return receive_submission(
            self,
            org=code,
            period=label,
            standard_version=standard_version,
            sha=sha,
            tables=tables,
            report=json.loads(json.dumps(report, default=str)),  # as the database keeps it
            source_name=source_name,
            pseudonymised_by=pseudonymised_by,
        )

    def submissions(
        self,
        *,
        org: str | None = None,
        period: Period | str | None = None,
        as_at: datetime | None = None,
    ) -> list[Submission]:
        """Every version, oldest first within each (org, period). With ``as_at``, only the
        versions received by then, each in the state it had then."""
        where = cat.filters(
            [normalise_code(org)] if org else None,
            [normalise_period(period)] if period else None,
        )
        if as_at is not None:
            where.append(submissions.c.received_at <= cat.as_utc(as_at))
        with self.engine.connect() as conn:
            return cat.load_submissions(conn, where, as_at)

    def identical(self, org: str, period: Period | str, sha: str) -> Submission | None:
        """The version an identical re-send of content ``sha`` would return, if any: lets a
        caller skip validating and encoding a file the pool already has."""
        with self.engine.connect() as conn:
            return identical(conn, normalise_code(org), normalise_period(period), sha, False)

    def current(self, org: str, period: Period | str) -> Submission | None:
        """The accepted version of (org, period), if any."""
        with self.engine.connect() as conn:
            return cat.accepted(conn, normalise_code(org), normalise_period(period))

    def withdraw(self, org: str, period: Period | str, *, reason: str = "") -> Submission:
        """Take the current version of (org, period) out of the pool. History keeps it (an
        "as at" read before now still shows it); nothing is visible for (org, period)
        until the partner submits again."""
        code = self.partner(org).code
        label = normalise_period(period)
        with write_transaction(self.engine, lock_partner=code) as conn:
            current = cat.accepted(conn, code, label)
            if current is None:
                raise NeedleInputError(
                    f"{code} has no accepted submission for {label} to withdraw. "
                    f"See `needle submissions --org {code}`."
                )
            at = cat.decision_time(conn, code, label)
            conn.execute(
                submissions.update()
                .where(submissions.c.id == current.id)
                .values(state=WITHDRAWN, withdrawn_at=at)
            )
            cat.add_audit(
                conn, "submission_withdrawn", at=at, org=code, period=label,
                submission_id=current.id, version=current.version, reason=reason,
            )  # fmt: skip
            row = conn.execute(sa.select(submissions).where(submissions.c.id == current.id)).one()
            withdrawn = cat.to_submission(row, current.rows)
        log.info("submission %s withdrawn", withdrawn.id)
        return withdrawn

    # -- reading -----------------------------------------------------------------------

    def read(
        self,
        entity: str,
        *,
        as_at: datetime | None = None,
        orgs: Iterable[str] | None = None,
        periods: Iterable[Period | str] | None = None,
    ) -> pl.LazyFrame:
        """The rows of ``entity`` from every version visible at ``as_at`` (default: now).

        Each row carries ``submission_id``, ``org`` and ``period``. Files with different
        columns (an initiative's own columns, another standard version) are unioned, a
        missing column being null. When nothing is visible the frame is empty, with the
        columns of the latest file of that entity if the pool has ever held one, else with
        the provenance columns only.
        """
        check_entity_name(entity)
        code_list = [normalise_code(o) for o in orgs] if orgs is not None else None
        period_list = [normalise_period(p) for p in periods] if periods is not None else None
        query = (
            sa.select(pool_files.c.path)
            .join(submissions, submissions.c.id == pool_files.c.submission_id)
            .where(pool_files.c.entity == entity, cat.visible_at(as_at))
            .where(*cat.filters(code_list, period_list))
            .order_by(submissions.c.org, submissions.c.period)
        )
        with self.engine.connect() as conn:
            paths = list(conn.execute(query).scalars())
            if not paths:
                return self._empty(conn, entity)
        frames = [self.store.scan(path) for path in paths]
        return frames[0] if len(frames) == 1 else pl.concat(frames, how="diagonal_relaxed")

    def files(self, *, as_at: datetime | None = None) -> list[PoolFile]:
        """Every pooled file visible at ``as_at`` (default: now), for engines that read the
        Parquet files themselves (the indicator engine runs DuckDB over them). The file
        set of a submission changes when it is erased from, so (submission, paths) is
        what a cache of anything derived from it must be keyed on."""
        query = (
            sa.select(
                pool_files.c.submission_id,
                pool_files.c.entity,
                pool_files.c.path,
                pool_files.c.rows,
                submissions.c.org,
                submissions.c.period,
            )
            .join(submissions, submissions.c.id == pool_files.c.submission_id)
            .where(cat.visible_at(as_at))
            .order_by(submissions.c.org, submissions.c.period, pool_files.c.entity)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            PoolFile(
                r.submission_id, r.org, r.period, r.entity, self.store.absolute(r.path), r.rows
            )
            for r in rows
        ]

    def _empty(self, conn: sa.Connection, entity: str) -> pl.LazyFrame:
        latest = conn.execute(
            sa.select(pool_files.c.path)
            .where(pool_files.c.entity == entity)
            .order_by(pool_files.c.written_at.desc())
            .limit(1)
        ).scalar()
        if latest is not None:
            return pl.LazyFrame(schema=self.store.schema(latest))
        return pl.LazyFrame(schema=dict.fromkeys(PROVENANCE_COLUMNS, pl.String))

    def audit(self, *, org: str | None = None) -> list[AuditEntry]:
        """The audit trail, oldest first: partner changes, every submission's decisions,
        withdrawals, erasures and vacuums. It holds no personal identifier."""
        with self.engine.connect() as conn:
            return cat.load_audit(conn, normalise_code(org) if org else None)

    # -- erasure and housekeeping ------------------------------------------------------

    def erase(self, org: str, person_ref: str, *, reason: str = "") -> Erasure:
        """Remove every row about one young person from all of ``org``'s versions, past
        and current (UK GDPR right to erasure). See :mod:`needle.pool.erase`."""
        from needle.pool.erase import erase_person

        return erase_person(self, self.partner(org).code, person_ref, reason=reason)

    def vacuum(self, *, older_than: timedelta = DEFAULT_VACUUM_GRACE) -> VacuumResult:
        """Delete files the catalogue does not list: temporary and complete files left by
        a crashed submission, and old copies an interrupted erasure could not delete.

        Only files older than ``older_than`` are touched, because a submission in
        progress in another process has written files it has not yet recorded. Copies
        queued for deletion by an erasure go whatever their age: they hold erased rows.
        """
        with self.engine.connect() as conn:
            queued = list(conn.execute(sa.select(pending_deletions.c.path)).scalars())
        freed = self.store.delete(queued)
        gone = [path for path in queued if not self.store.absolute(path).exists()]
        files = len(gone)
        if gone:
            with write_transaction(self.engine) as conn:
                conn.execute(pending_deletions.delete().where(pending_deletions.c.path.in_(gone)))
        cutoff = cat.utcnow().timestamp() - older_than.total_seconds()
        on_disk = [f for f in self.store.walk() if f.mtime <= cutoff]
        with self.engine.connect() as conn:
            listed = set(conn.execute(sa.select(pool_files.c.path)).scalars())
        orphans = [f for f in on_disk if f.temporary or f.relative not in listed]
        freed += self.store.delete(f.relative for f in orphans)
        files += len(orphans)
        if files:
            with write_transaction(self.engine) as conn:
                cat.add_audit(conn, "vacuum", at=cat.utcnow(), files=files, bytes=freed)
            log.info("vacuum removed %d file(s), %d bytes", files, freed)
        return VacuumResult(files=files, bytes=freed)


def _duplicate(code: str, was_removed: bool) -> NeedleInputError:
    if was_removed:
        return NeedleInputError(
            f"Partner code {code} belonged to a partner that was removed; codes are not "
            "reused, so that history stays unambiguous. Choose another code."
        )
    return NeedleInputError(f"There is already a partner with code {code}.")
