"""Reading the audit log."""

from __future__ import annotations

from django.db.models import QuerySet

from needle_web.audit.actions import AuditAction
from needle_web.audit.models import AuditEvent

__all__ = ["audit_event_list"]


def audit_event_list(*, action: str | None = None) -> QuerySet[AuditEvent]:
    """Events, newest first, optionally of one action (an unknown action gives none)."""
    events = AuditEvent.objects.all()
    if action:
        events = events.filter(action=action) if action in AuditAction.values else events.none()
    return events
