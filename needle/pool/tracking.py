"""Where each registered partner stands for one reporting period: the submission tracker.

Why in the core: "late" and "rejected" are decisions about the pool's records, and the
web tracker, a command or a report must reach the same answer from the same catalogue.
Every function takes ``today`` rather than reading the clock, so that "late" can be
tested (and asked about any day).

A partner's status for a period comes from every version it sent for that period:

- ``accepted``: a version is accepted now (with its version number and decision time);
- ``rejected``: the newest version was invalid (with its number of errors);
- ``withdrawn``: the newest version was accepted and then withdrawn;
- ``being_checked``: a file is on its way (the pool has it as received, or the caller
  knows of one still queued, as the web app does for uploads its worker has not decided);
- ``not_submitted``: nothing at all.

A period's data is due ``due_days`` days after it ends. A partner is *late* once the due
date has passed with nothing accepted on or before it, whatever came later. Due dates are
calendar days in England, so a decision time (UTC) is read as a date in Europe/London.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from needle.initiative.config import period_containing
from needle.periods import Period, parse_period
from needle.pool.model import (
    ACCEPTED,
    INVALID,
    RECEIVED,
    SUPERSEDED,
    WITHDRAWN,
    Partner,
    Submission,
    normalise_period,
)
from needle.pool.pool import Pool

__all__ = [
    "BEING_CHECKED",
    "NOT_SUBMITTED",
    "REJECTED",
    "STATUSES",
    "PartnerStatus",
    "current_period",
    "due_date",
    "error_count",
    "partner_status",
    "reporting_periods",
    "submission_tracker",
]

NOT_SUBMITTED = "not_submitted"
BEING_CHECKED = "being_checked"
REJECTED = "rejected"
STATUSES = (NOT_SUBMITTED, BEING_CHECKED, ACCEPTED, REJECTED, WITHDRAWN)

ENGLAND = ZoneInfo("Europe/London")
# States of a version whose data the pool once showed: only accepted versions are ever
# superseded or withdrawn.
_WAS_ACCEPTED = frozenset({ACCEPTED, SUPERSEDED, WITHDRAWN})


@dataclass(frozen=True)
class PartnerStatus:
    """One partner's row of the tracker for one period."""

    code: str
    name: str
    period: str
    status: str
    due: date
    late: bool
    version: int | None = None
    decided_at: datetime | None = None  # accepted, rejected or withdrawn at
    errors: int | None = None  # of the rejected version

    @property
    def needs_reminder(self) -> bool:
        """Whether the partner has something to send: nothing yet, or nothing usable."""
        return self.status in (NOT_SUBMITTED, REJECTED, WITHDRAWN)


def due_date(period: Period | str, due_days: int) -> date:
    """The last day a period's data counts as on time."""
    found = period if isinstance(period, Period) else parse_period(period)
    return found.end + timedelta(days=due_days)


def reporting_periods(first: str, frequency: str, today: date) -> list[Period]:
    """The initiative's periods from ``first`` to the one ``today`` falls in, newest first."""
    current = parse_period(first)
    found: list[Period] = []
    while current.start <= today:
        found.append(current)
        current = period_containing(frequency, current.end + timedelta(days=1))
    return found[::-1] or [parse_period(first)]


def current_period(first: str, frequency: str, today: date) -> Period:
    """The period whose data is being collected: the newest one that has ended by
    ``today`` (data for a period still running is not expected yet), or the first
    period while that is still running."""
    periods = reporting_periods(first, frequency, today)
    ended = [p for p in periods if p.end < today]
    return ended[0] if ended else periods[-1]


def error_count(report: Mapping[str, Any] | None) -> int:
    """How many errors a stored validation report found (its summary's count when it has
    one, else the errors it lists)."""
    report = report or {}
    summary = report.get("summary") or {}
    if isinstance(summary.get("errors"), int):
        return summary["errors"]
    problems = report.get("problems") or []
    return sum(1 for p in problems if (p or {}).get("severity", "error") == "error")


def _england_day(moment: datetime) -> date:
    return moment.astimezone(ENGLAND).date()


def partner_status(
    partner: Partner,
    period: Period | str,
    versions: Iterable[Submission],
    *,
    due_days: int,
    today: date,
    being_checked: bool = False,
) -> PartnerStatus:
    """The status of ``partner`` for ``period`` from its ``versions`` for that period (in
    any order). ``being_checked``: the caller knows of a file still waiting to be checked."""
    label = normalise_period(period)
    due = due_date(label, due_days)
    mine = sorted(
        (v for v in versions if v.org == partner.code and v.period == label),
        key=lambda v: v.version,
    )
    on_time = any(
        v.state in _WAS_ACCEPTED and v.decided_at is not None and _england_day(v.decided_at) <= due
        for v in mine
    )
    base: dict[str, Any] = {
        "code": partner.code,
        "name": partner.name,
        "period": label,
        "due": due,
        "late": today > due and not on_time,
    }
    current = next((v for v in mine if v.state == ACCEPTED), None)
    if current is not None:
        return PartnerStatus(
            **base, status=ACCEPTED, version=current.version, decided_at=current.decided_at
        )
    newest = mine[-1] if mine else None
    if being_checked or (newest is not None and newest.state == RECEIVED):
        return PartnerStatus(**base, status=BEING_CHECKED)
    if newest is None:
        return PartnerStatus(**base, status=NOT_SUBMITTED)
    if newest.state == INVALID:
        return PartnerStatus(
            **base,
            status=REJECTED,
            version=newest.version,
            decided_at=newest.decided_at,
            errors=error_count(newest.report),
        )
    # Withdrawn (a superseded version is never the newest without an accepted one after it).
    return PartnerStatus(
        **base, status=WITHDRAWN, version=newest.version, decided_at=newest.withdrawn_at
    )


def submission_tracker(
    pool: Pool,
    period: Period | str,
    *,
    due_days: int,
    today: date,
    being_checked: Collection[str] = (),
) -> list[PartnerStatus]:
    """One row per partner in the register (removed partners left out), by code.

    ``being_checked``: codes of partners with a file still waiting to be checked outside
    the pool (the web app's queued uploads).
    """
    label = normalise_period(period)
    versions = pool.submissions(period=label)
    return [
        partner_status(
            partner,
            label,
            versions,
            due_days=due_days,
            today=today,
            being_checked=partner.code in being_checked,
        )
        for partner in pool.partners()
    ]
