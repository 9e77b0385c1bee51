"""A reminder the backbone emailed to a partner about one period's data.

Kept so that the tracker can say "reminded on ..." and nobody sends the same reminder
twice by accident; the audit log records the sending as well, but it is not a place
pages should query.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

__all__ = ["Reminder"]


class Reminder(models.Model):
    """One reminder: to which partner, for which period, when, by whom, to how many."""

    partner_code = models.CharField(max_length=16)
    period = models.CharField(max_length=7)
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reminders_sent"
    )
    recipients = models.PositiveSmallIntegerField(
        help_text="How many partner submitter accounts it was emailed to."
    )

    class Meta:
        ordering = ("-sent_at",)
        indexes = (models.Index(fields=("period", "partner_code")),)

    def __str__(self) -> str:
        return f"reminder to {self.partner_code} for {self.period} ({self.sent_at:%Y-%m-%d})"
