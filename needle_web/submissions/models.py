"""An upload: one file a partner sent for one period, and what became of it.

The file itself is not in the database: it waits under ``HOME/uploads/<id>/`` until the
worker has passed it to the core, and is deleted once the core has decided (accepted or
rejected), because it holds young people's names, dates of birth and postcodes, which
only the core's pseudonymised pool may keep. The core owns the submission; the upload
keeps only its id, version and validation report (the core's JSON report, which never
quotes a personal identifier).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

__all__ = ["Upload"]


class Upload(models.Model):
    """A partner's file and its journey: queued, processing, then accepted, rejected or
    failed (something went wrong on our side; the partner can try again)."""

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting to be checked"
        PROCESSING = "processing", "Being checked"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Not accepted"
        FAILED = "failed", "Could not be checked"

    # A random id: the status page's address reveals nothing about other uploads.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="uploads"
    )
    partner_code = models.CharField(max_length=16, db_index=True)
    period = models.CharField(max_length=7)
    original_name = models.CharField(
        max_length=255, help_text="The file's name as sent: a label to show, never a path."
    )
    stored_name = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    submission_id = models.CharField(max_length=32, blank=True)
    version = models.PositiveIntegerField(null=True, blank=True)
    report = models.JSONField(null=True, blank=True)
    notes = models.JSONField(default=list, blank=True)
    failure = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    FINAL_STATES = frozenset({State.ACCEPTED, State.REJECTED})
    WAITING_STATES = frozenset({State.QUEUED, State.PROCESSING})

    class Meta:
        ordering = ("-created_at",)
        indexes = (models.Index(fields=("partner_code", "period")),)

    def __str__(self) -> str:
        return f"upload {self.pk} ({self.partner_code} {self.period}, {self.state})"

    @property
    def is_waiting(self) -> bool:
        return self.state in self.WAITING_STATES

    @property
    def state_label(self) -> str:
        return self.State(self.state).label
