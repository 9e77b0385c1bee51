"""Reads of the submissions app: whose uploads an account sees, the periods a partner can
send for, and an upload's validation report laid out for its page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import QuerySet

from needle_web.accounts.permissions import is_backbone, partner_scope
from needle_web.submissions.models import Upload

__all__ = [
    "MAX_LISTED_PROBLEMS",
    "ProblemRow",
    "ReportView",
    "period_choices",
    "report_view",
    "upload_status",
    "uploads_visible_to",
]

# A report may list up to a thousand problems of each rule; a page of more than this many
# is no help to anyone, and the counts say how many there are in all.
MAX_LISTED_PROBLEMS = 200


def uploads_visible_to(user: Any) -> QuerySet[Upload]:
    """The uploads ``user`` may see, newest first: every partner's for the backbone, its
    own partner's for a partner account, none for anyone else."""
    uploads = Upload.objects.select_related("account").order_by("-created_at")
    if is_backbone(user):
        return uploads
    partner = partner_scope(user)
    if partner:
        return uploads.filter(partner_code=partner)
    return uploads.none()


def period_choices(config: Any, today: date) -> list[str]:
    """The reporting periods of the initiative (``needle.toml``'s ``[periods]``) from the
    first up to the one ``today`` falls in, newest first."""
    from needle.initiative import period_containing

    frequency = config.periods.frequency
    current = config.periods.first_period
    labels: list[str] = []
    while current.start <= today:
        labels.append(current.label)
        current = period_containing(frequency, current.end + timedelta(days=1))
    return labels[::-1]


@dataclass(frozen=True)
class ProblemRow:
    """One problem of a validation report, as the page shows it."""

    anchor: str
    severity: str
    where: str
    row: int | None
    column: str
    message: str
    hint: str

    @property
    def summary(self) -> str:
        place = [self.where]
        if self.row is not None:
            place.append(f"row {self.row}")
        if self.column:
            place.append(f"column {self.column}")
        return f"{', '.join(place)}: {self.message}"


@dataclass(frozen=True)
class ReportView:
    """A validation report for a page: its errors and warnings (the first
    :data:`MAX_LISTED_PROBLEMS` of each), the totals, and the rows read per entity."""

    errors: list[ProblemRow]
    warnings: list[ProblemRow]
    error_count: int
    warning_count: int
    rows: dict[str, int]

    @property
    def errors_not_listed(self) -> int:
        return max(self.error_count - len(self.errors), 0)

    @property
    def warnings_not_listed(self) -> int:
        return max(self.warning_count - len(self.warnings), 0)


def report_view(upload: Upload) -> ReportView | None:
    """The upload's report laid out for its page, or None before there is one."""
    report = upload.report
    if not report:
        return None
    rows: dict[str, list[ProblemRow]] = {"error": [], "warning": []}
    for number, problem in enumerate(report.get("problems", []), start=1):
        severity = problem.get("severity", "error")
        listed = rows.setdefault(severity, [])
        if len(listed) >= MAX_LISTED_PROBLEMS:
            continue
        listed.append(
            ProblemRow(
                anchor=f"problem-{number}",
                severity=severity,
                where=problem.get("source") or problem.get("entity") or upload.original_name,
                row=problem.get("row"),
                column=problem.get("column") or "",
                message=problem.get("message", ""),
                hint=problem.get("hint", ""),
            )
        )
    summary = report.get("summary", {})
    return ReportView(
        errors=rows["error"],
        warnings=rows["warning"],
        error_count=int(summary.get("errors", len(rows["error"]))),
        warning_count=int(summary.get("warnings", len(rows["warning"]))),
        rows={k: v for k, v in summary.get("rows", {}).items() if v},
    )


def upload_status(upload: Upload) -> dict[str, Any]:
    """What the status page's script polls for: the state, and whether to keep asking."""
    return {
        "state": upload.state,
        "label": upload.state_label,
        "waiting": upload.is_waiting,
    }
