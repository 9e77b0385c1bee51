"""The audit event: one row per thing that happened, never changed or deleted.

The actor is kept as a plain id and email rather than a foreign key, so an event still says
who acted if an account is ever removed. Nothing here may hold a young person's personal
identifiers: targets are described by partner code, submission, period or account, and
:func:`needle_web.audit.services.audit_record` refuses details that look like identifiers.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

from needle_web.audit.actions import AuditAction

__all__ = ["AuditEvent"]


class AuditEvent(models.Model):
    """Something someone did (or tried to do) in the web app."""

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_account_id = models.BigIntegerField(null=True, blank=True)
    actor_email = models.CharField(max_length=254, blank=True, default="")
    action = models.CharField(max_length=64, db_index=True)
    target = models.CharField(max_length=255, blank=True, default="")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("-occurred_at", "-id")

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action} by {self.actor_email or '-'}"

    @property
    def action_label(self) -> str:
        return AuditAction(self.action).label if self.action in AuditAction.values else self.action

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Append only: an audit log that can be edited proves nothing."""
        if self.pk is not None:
            raise RuntimeError("audit events are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RuntimeError("audit events are never deleted")
