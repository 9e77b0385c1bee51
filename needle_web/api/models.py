"""API tokens: what lets a partner's own systems send data and read results without a
person signing in.

Only the token's SHA-256 is stored, as for invitations (decision 0008): someone who reads
the database (a backup, a support query) cannot use a token. The first characters are kept
in clear as a label, so a backbone admin can tell tokens apart and a partner can tell which
one to replace.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

__all__ = ["ApiToken"]


class ApiToken(models.Model):
    """One partner's token, created by a backbone admin; revoked, never deleted, so the
    list still says who made a token that was once in use."""

    partner_code = models.CharField(max_length=16, db_index=True)
    name = models.CharField(max_length=100, help_text="What the token is for, as a label.")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=16, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens_created"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("partner_code", "-created_at")

    def __str__(self) -> str:
        return f"API token {self.prefix}… for {self.partner_code}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
