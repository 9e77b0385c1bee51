"""What the pool hands back: partners, submissions, audit entries, erasures, vacuum results.

Frozen dataclasses, so a caller (the CLI, the web app, the indicator engine) can keep them,
compare them and pass them around without reaching back into the database. Also the few
rules about names that the pool enforces before anything touches a file or a table:
partner codes, entity names and content digests end up in file paths or unique keys, so
they are checked here, once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from needle.errors import NeedleInputError
from needle.periods import Period, parse_period

RECEIVED = "received"
INVALID = "invalid"
ACCEPTED = "accepted"
SUPERSEDED = "superseded"
WITHDRAWN = "withdrawn"
STATES = (RECEIVED, INVALID, ACCEPTED, SUPERSEDED, WITHDRAWN)

# Columns the pool adds to every pooled row (provenance). A table that already has one of
# them is refused rather than silently overwritten.
PROVENANCE_COLUMNS = ("submission_id", "org", "period")
PERSON_COLUMN = "person_ref"

_CODE = re.compile(r"^[A-Z0-9_-]{2,16}$")
_ENTITY = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def normalise_code(code: str) -> str:
    """A partner code as stored: upper case, 2-16 characters of A-Z, 0-9, ``_`` and ``-``.

    Codes become folder names under the pool and appear in every pooled row, so anything
    that could escape a folder (``.``, ``/``) or differ only by case is refused here.
    """
    value = (code or "").strip().upper()
    if not _CODE.match(value):
        raise NeedleInputError(
            f"'{code}' is not a valid partner code: use 2 to 16 letters, digits, '_' or '-' "
            "(for example TRAFFORD-YC)."
        )
    return value


def normalise_period(period: str | Period) -> str:
    """The canonical label of a period given as a ``Period`` or as text ("2026q3")."""
    return period.label if isinstance(period, Period) else parse_period(period).label


def check_entity_name(entity: str) -> str:
    """An entity name is a folder name in the pool: lower-case snake_case only."""
    if not isinstance(entity, str) or not _ENTITY.match(entity):
        raise NeedleInputError(
            f"'{entity}' is not a valid entity name: use lower-case letters, digits and '_', "
            "starting with a letter (for example attendance)."
        )
    return entity


def check_sha256(digest: str) -> str:
    """A content digest as 64 lower-case hex digits; anything else is a caller's bug."""
    value = (digest or "").strip().lower()
    if not _SHA256.match(value):
        raise ValueError("content_sha256 must be 64 hexadecimal digits (a SHA-256 digest)")
    return value


@dataclass(frozen=True)
class Partner:
    """An organisation that submits data. ``removed_at`` is set once it has been removed:
    its submissions stay (history is never deleted) but it cannot submit any more."""

    code: str
    name: str
    added_at: datetime
    removed_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.removed_at is None


@dataclass(frozen=True)
class PoolFile:
    """One pooled Parquet file: an entity's rows of one submission version."""

    submission_id: str
    org: str
    period: str
    entity: str
    path: Path
    rows: int


@dataclass(frozen=True)
class Submission:
    """One version of one organisation's data for one reporting period.

    ``rows`` counts the rows pooled per entity (after any erasure); it is empty for an
    invalid submission, which keeps only its validation ``report``. The timestamps are
    timezone-aware UTC; ``decided_at`` is when it became invalid or accepted, and the pool
    shows an accepted version from ``decided_at`` until it is superseded or withdrawn.
    """

    id: str
    org: str
    period: str
    version: int
    standard_version: str
    state: str
    content_sha256: str
    source_name: str
    received_at: datetime
    decided_at: datetime | None
    superseded_at: datetime | None
    withdrawn_at: datetime | None
    rows: dict[str, int] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    pseudonymised_by: str = "pool"

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


@dataclass(frozen=True)
class AuditEntry:
    """One event in the pool's audit trail. ``detail`` holds counts, versions, states and
    reasons: never a personal identifier."""

    id: int
    at: datetime
    action: str
    org: str | None
    period: str | None
    submission_id: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class Erasure:
    """What an erasure did, without saying whom it was for.

    ``id`` is random, so the erasure can be referred to (for example in a reply to the
    young person) without the record itself identifying anyone.
    """

    id: str
    org: str
    at: datetime
    submissions: int
    rows: dict[str, int]
    reports_redacted: int
    reason: str

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


@dataclass(frozen=True)
class VacuumResult:
    """Files ``Pool.vacuum`` deleted: orphans of interrupted writes and superseded copies
    left by an interrupted erasure."""

    files: int
    bytes: int
