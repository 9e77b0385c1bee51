"""The pool's tables, as SQLAlchemy Core: the one description of the metadata database.

Why Core and not an ORM: the pool does a handful of set-based statements inside short,
explicitly locked transactions, and a Django app will later share the database, so the
tables must be plain and predictable. Every table is prefixed ``needle_`` and the migration
history lives in ``needle_alembic_version``: the core owns these tables, Django owns its
own (docs/decisions/0005-pool-storage.md). The migrations in ``migrations/versions`` create
exactly this; a test compares the two.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from needle.pool.model import ACCEPTED, STATES

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
VERSION_TABLE = "needle_alembic_version"

metadata = sa.MetaData(naming_convention=NAMING)


class UTCDateTime(sa.types.TypeDecorator):
    """Timestamps are stored in UTC and come back timezone-aware.

    PostgreSQL stores ``timestamptz``; SQLite has no timestamp type, so the value is
    stored as naive UTC text in one fixed format, which keeps string comparison (used by
    "as at" queries) equal to time order. A naive datetime given to the pool is taken to
    be UTC.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


partners = sa.Table(
    "needle_partners",
    metadata,
    sa.Column("code", sa.String(16), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("added_at", UTCDateTime(), nullable=False),
    sa.Column("removed_at", UTCDateTime(), nullable=True),
)

_state_list = ", ".join(f"'{s}'" for s in STATES)

submissions = sa.Table(
    "needle_submissions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("org", sa.String(16), sa.ForeignKey("needle_partners.code"), nullable=False),
    sa.Column("period", sa.String(16), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("standard_version", sa.String(32), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("content_sha256", sa.String(64), nullable=False),
    sa.Column("source_name", sa.String(500), nullable=False),
    sa.Column("pseudonymised_by", sa.String(64), nullable=False),
    sa.Column("received_at", UTCDateTime(), nullable=False),
    sa.Column("decided_at", UTCDateTime(), nullable=True),
    sa.Column("superseded_at", UTCDateTime(), nullable=True),
    sa.Column("withdrawn_at", UTCDateTime(), nullable=True),
    sa.Column("report", sa.JSON, nullable=False),
    sa.UniqueConstraint("org", "period", "version"),
    sa.CheckConstraint(f"state IN ({_state_list})", name="state"),
    # At most one accepted version per (org, period), whatever happens in the code above.
    sa.Index(
        "ix_needle_submissions_one_accepted",
        "org",
        "period",
        unique=True,
        sqlite_where=sa.text(f"state = '{ACCEPTED}'"),
        postgresql_where=sa.text(f"state = '{ACCEPTED}'"),
    ),
)

# The catalogue of pooled data: one Parquet file per entity per submission. A file that
# is not listed here is not part of the pool, whatever lies on disk.
pool_files = sa.Table(
    "needle_pool_files",
    metadata,
    sa.Column(
        "submission_id",
        sa.String(32),
        sa.ForeignKey("needle_submissions.id"),
        primary_key=True,
    ),
    sa.Column("entity", sa.String(63), primary_key=True),
    sa.Column("path", sa.String(500), nullable=False, unique=True),
    sa.Column("rows", sa.BigInteger, nullable=False),
    sa.Column("bytes", sa.BigInteger, nullable=False),
    sa.Column("written_at", UTCDateTime(), nullable=False),
)

# Files that must go (replaced by an erasure) but may not have been deleted yet, because
# the process died between the commit and the deletion. ``vacuum`` finishes the job.
pending_deletions = sa.Table(
    "needle_pending_deletions",
    metadata,
    sa.Column("path", sa.String(500), primary_key=True),
    sa.Column("queued_at", UTCDateTime(), nullable=False),
)

# The audit trail: what happened, when, to which submission. Never a personal identifier.
audit = sa.Table(
    "needle_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("org", sa.String(16), nullable=True),
    sa.Column("period", sa.String(16), nullable=True),
    sa.Column("submission_id", sa.String(32), nullable=True),
    sa.Column("detail", sa.JSON, nullable=False),
)
