"""The pool's first tables: partners, submissions, the file catalogue, pending deletions
and the audit trail.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

STATES = ("received", "invalid", "accepted", "superseded", "withdrawn")


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "needle_partners",
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        _ts("added_at"),
        _ts("removed_at", nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_needle_partners")),
    )
    states = ", ".join(f"'{s}'" for s in STATES)
    op.create_table(
        "needle_submissions",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("org", sa.String(16), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("standard_version", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("source_name", sa.String(500), nullable=False),
        sa.Column("pseudonymised_by", sa.String(64), nullable=False),
        _ts("received_at"),
        _ts("decided_at", nullable=True),
        _ts("superseded_at", nullable=True),
        _ts("withdrawn_at", nullable=True),
        sa.Column("report", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_needle_submissions")),
        sa.ForeignKeyConstraint(
            ["org"],
            ["needle_partners.code"],
            name=op.f("fk_needle_submissions_org_needle_partners"),
        ),
        sa.UniqueConstraint(
            "org", "period", "version", name=op.f("uq_needle_submissions_org_period_version")
        ),
        sa.CheckConstraint(f"state IN ({states})", name=op.f("ck_needle_submissions_state")),
    )
    op.create_index(
        "ix_needle_submissions_one_accepted",
        "needle_submissions",
        ["org", "period"],
        unique=True,
        sqlite_where=sa.text("state = 'accepted'"),
        postgresql_where=sa.text("state = 'accepted'"),
    )
    op.create_table(
        "needle_pool_files",
        sa.Column("submission_id", sa.String(32), nullable=False),
        sa.Column("entity", sa.String(63), nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("rows", sa.BigInteger, nullable=False),
        sa.Column("bytes", sa.BigInteger, nullable=False),
        _ts("written_at"),
        sa.PrimaryKeyConstraint("submission_id", "entity", name=op.f("pk_needle_pool_files")),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["needle_submissions.id"],
            name=op.f("fk_needle_pool_files_submission_id_needle_submissions"),
        ),
        sa.UniqueConstraint("path", name=op.f("uq_needle_pool_files_path")),
    )
    op.create_table(
        "needle_pending_deletions",
        sa.Column("path", sa.String(500), nullable=False),
        _ts("queued_at"),
        sa.PrimaryKeyConstraint("path", name=op.f("pk_needle_pending_deletions")),
    )
    op.create_table(
        "needle_audit",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        _ts("at"),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("org", sa.String(16), nullable=True),
        sa.Column("period", sa.String(16), nullable=True),
        sa.Column("submission_id", sa.String(32), nullable=True),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_needle_audit")),
    )


def downgrade() -> None:
    op.drop_table("needle_audit")
    op.drop_table("needle_pending_deletions")
    op.drop_table("needle_pool_files")
    op.drop_index("ix_needle_submissions_one_accepted", table_name="needle_submissions")
    op.drop_table("needle_submissions")
    op.drop_table("needle_partners")
