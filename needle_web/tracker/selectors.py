"""Reads of the tracker: where each partner stands for a period, and data quality.

The statuses, "late" and the quality figures are the core's (``needle.pool.tracking``,
``needle.quality``); this module adds what only the web app knows (uploads its worker
has not decided yet, reminders sent) and lays them out for the pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings

from needle.errors import NeedleInputError
from needle.periods import Period
from needle.pool import ACCEPTED, WITHDRAWN, Pool
from needle.pool.tracking import (
    BEING_CHECKED,
    NOT_SUBMITTED,
    REJECTED,
    PartnerStatus,
    current_period,
    due_date,
    reporting_periods,
    submission_tracker,
)
from needle.quality import COMPLETENESS, PartnerQuality, Share, partner_quality
from needle_web.submissions.models import Upload
from needle_web.tracker.models import Reminder

__all__ = [
    "COMPLETENESS",
    "SHORT_LABELS",
    "STATUS_LABELS",
    "CompletenessRow",
    "Tracker",
    "TrackerRow",
    "UnknownPartner",
    "completeness_rows",
    "partner_quality_for",
    "periods",
    "quality_overview",
    "tracker",
]

# Status -> (words on the page, GOV.UK tag colour)
STATUS_LABELS = {
    NOT_SUBMITTED: ("Not yet submitted", "govuk-tag--grey"),
    BEING_CHECKED: ("Being checked", "govuk-tag--blue"),
    ACCEPTED: ("Accepted", "govuk-tag--green"),
    REJECTED: ("Rejected", "govuk-tag--red"),
    WITHDRAWN: ("Withdrawn", "govuk-tag--yellow"),
}


# The overview's column headers for the core's completeness measures (COMPLETENESS has
# the full wording, shown in the table's caption and on each partner's page).
SHORT_LABELS = {
    "ethnicity": "Ethnicity",
    "gender": "Gender",
    "home_area": "Home area",
    "session_category": "Session category",
    "questionnaires_paired": "Questionnaires paired",
}


class UnknownPartner(Exception):
    """No partner in the register has this code."""


@contextmanager
def _pool() -> Iterator[Pool]:
    import needle

    pool = needle.open_home(settings.HOME).open_pool()
    try:
        yield pool
    finally:
        pool.close()


def periods(today: date) -> tuple[list[Period], Period, int]:
    """The initiative's periods up to ``today`` (newest first), the current one, and the
    days after a period's end its data is due."""
    import needle

    config = needle.open_home(settings.HOME).config
    first, frequency = config.periods.first, config.periods.frequency
    return (
        reporting_periods(first, frequency, today),
        current_period(first, frequency, today),
        config.periods.submission_due_days,
    )


@dataclass(frozen=True)
class TrackerRow:
    """One partner's row: the core's status, and the latest reminder sent, if any."""

    status: PartnerStatus
    reminded_at: datetime | None

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status.status][0]

    @property
    def tag_class(self) -> str:
        return STATUS_LABELS[self.status.status][1]


@dataclass(frozen=True)
class Tracker:
    """The tracker for one period."""

    period: str
    due: date
    rows: list[TrackerRow]

    @property
    def late(self) -> int:
        return sum(1 for r in self.rows if r.status.late and r.status.status != ACCEPTED)

    @property
    def accepted(self) -> int:
        return sum(1 for r in self.rows if r.status.status == ACCEPTED)


def _waiting(period: str) -> set[str]:
    uploads = Upload.objects.filter(period=period, state__in=Upload.WAITING_STATES)
    return set(uploads.values_list("partner_code", flat=True))


def _reminders(period: str) -> dict[str, datetime]:
    latest: dict[str, datetime] = {}
    for code, sent_at in Reminder.objects.filter(period=period).values_list(
        "partner_code", "sent_at"
    ):
        if code not in latest or sent_at > latest[code]:
            latest[code] = sent_at
    return latest


def tracker(period: str, *, due_days: int, today: date) -> Tracker:
    """Every registered partner's status for ``period`` on ``today``."""
    with _pool() as pool:
        statuses = submission_tracker(
            pool, period, due_days=due_days, today=today, being_checked=_waiting(period)
        )
    reminded = _reminders(period)
    rows = [TrackerRow(s, reminded.get(s.code)) for s in statuses]
    return Tracker(period=period, due=due_date(period, due_days), rows=rows)


def quality_overview() -> list[PartnerQuality]:
    """Every registered partner's data quality."""
    with _pool() as pool:
        return partner_quality(pool)


def partner_quality_for(code: str) -> PartnerQuality:
    """One partner's data quality; UnknownPartner when no partner has ``code``."""
    with _pool() as pool:
        try:
            return partner_quality(pool, code)[0]
        except NeedleInputError:
            raise UnknownPartner(code) from None


@dataclass(frozen=True)
class CompletenessRow:
    """One measured field of one partner, for a page."""

    key: str
    label: str
    share: Share | None  # None: the partner has no data of that kind


def completeness_rows(quality: PartnerQuality) -> list[CompletenessRow]:
    return [
        CompletenessRow(key, label, quality.completeness.get(key))
        for key, label in COMPLETENESS.items()
    ]
