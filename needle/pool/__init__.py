"""The pool: immutable, atomic, versioned storage of every partner's submissions.

Metadata (partners, submissions, the file catalogue, the audit trail) lives in SQLite in
the initiative's home or in PostgreSQL (``DATABASE_URL``); pooled rows live in Parquet
files under ``HOME/pool/``. Start with :meth:`Pool.open`. Everything not listed here is
internal. Design: docs/decisions/0005-pool-storage.md; guide: docs/guides/pool.md.
"""

from needle.pool.model import (
    ACCEPTED,
    INVALID,
    PROVENANCE_COLUMNS,
    RECEIVED,
    STATES,
    SUPERSEDED,
    WITHDRAWN,
    AuditEntry,
    Erasure,
    Partner,
    Submission,
    VacuumResult,
)
from needle.pool.pool import Pool

__all__ = [
    "ACCEPTED",
    "INVALID",
    "PROVENANCE_COLUMNS",
    "RECEIVED",
    "STATES",
    "SUPERSEDED",
    "WITHDRAWN",
    "AuditEntry",
    "Erasure",
    "Partner",
    "Pool",
    "Submission",
    "VacuumResult",
]
