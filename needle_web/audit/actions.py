"""The actions the audit log knows. Adding one is adding a member here, nothing more (the
column has no database-level choices, so no migration)."""

from __future__ import annotations

from django.db import models

__all__ = ["AuditAction"]


class AuditAction(models.TextChoices):
    """What happened."""

    SIGNED_IN = "signed_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    SIGNED_OUT = "signed_out", "Signed out"
    TWO_FACTOR_VERIFIED = "two_factor_verified", "Two-factor code accepted"
    TWO_FACTOR_CONFIRMED = "two_factor_confirmed", "Authenticator app set up"
    INVITATION_CREATED = "invitation_created", "Invitation sent"
    INVITATION_ACCEPTED = "invitation_accepted", "Invitation accepted"
    INVITATION_REVOKED = "invitation_revoked", "Invitation withdrawn"
    ACCOUNT_CREATED = "account_created", "Account created"
    ACCOUNT_DEACTIVATED = "account_deactivated", "Account deactivated"
    PASSWORD_RESET = "password_reset", "Password reset"
    VIEWED_PARTNER_DATA = "viewed_partner_data", "Viewed partner data"
    EXPORTED = "exported", "Exported data"
    SUBMISSION_UPLOADED = "submission_uploaded", "Data file sent"
    SUBMISSION_RETRIED = "submission_retried", "Data file sent to be checked again"
    DEMO_ACCOUNT_CREATED = "demo_account_created", "Demo account created"
    API_TOKEN_CHANGED = "api_token_changed", "API token created or revoked"
    SETTINGS_CHANGED = "settings_changed", "Initiative settings changed"
    REMINDER_SENT = "reminder_sent", "Reminder to send data emailed"
    LINKAGE_DECIDED = "linkage_decided", "Linkage review decision"
