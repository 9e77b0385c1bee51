"""Reading accounts and invitations."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from needle_web.accounts.models import Invitation, User

__all__ = [
    "account_get",
    "account_list",
    "confirmed_totp_device",
    "invitation_get",
    "invitation_list_pending",
    "pending_totp_device",
]


def account_list() -> QuerySet[User]:
    """Every account, active first, then by email."""
    return User.objects.order_by("-is_active", "email")


def account_get(*, account_id: int) -> User | None:
    return User.objects.filter(pk=account_id).first()


def invitation_list_pending() -> QuerySet[Invitation]:
    """Invitations not yet accepted, withdrawn or expired, newest first."""
    return Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).select_related("invited_by")


def invitation_get(*, invitation_id: int) -> Invitation | None:
    return Invitation.objects.filter(pk=invitation_id).first()


def confirmed_totp_device(user: User) -> TOTPDevice | None:
    """The account's authenticator, if it has set one up."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def pending_totp_device(user: User) -> TOTPDevice | None:
    """An authenticator key shown but not yet confirmed."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
