"""Every change to accounts, invitations and two-factor devices.

Each service takes keyword-only arguments, runs in one transaction, and records what it did
in the audit log, so a view never writes a model itself (CONVENTIONS, principle 9).
Problems a person can fix (an expired link, a weak password) raise ``ValidationError`` or
``InvitationInvalid`` with a message to show; anything else is a bug.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from needle_web.accounts.models import Invitation, User, normalise_email
from needle_web.accounts.roles import Role, role_partner_problem
from needle_web.accounts.tokens import new_token, token_hash
from needle_web.audit.actions import AuditAction
from needle_web.audit.services import audit_record

__all__ = [
    "TOO_MANY_CODES",
    "InvitationInvalid",
    "account_create",
    "account_deactivate",
    "invitation_accept",
    "invitation_check",
    "invitation_create",
    "invitation_revoke",
    "totp_device_confirm",
    "totp_device_start",
]


TOO_MANY_CODES = "Too many wrong codes: wait a minute, then try again"


class InvitationInvalid(Exception):
    """An invitation link that cannot be used; the message says why, for its holder."""


def _check_role(role: str, partner_code: str) -> None:
    problem = role_partner_problem(role, partner_code)
    if problem:
        field = "role" if role not in Role.values else "partner_code"
        raise ValidationError({field: problem})


@transaction.atomic
def account_create(
    *, email: str, role: Role | str, partner_code: str = "", password: str, full_name: str = ""
) -> User:
    """An active account with a checked password: for the bootstrap command and the demo.

    Everyone else joins by invitation (:func:`invitation_accept`).
    """
    email = normalise_email(email)
    _check_role(role, partner_code)
    if User.objects.filter(email=email).exists():
        raise ValidationError({"email": "An account with this email address already exists"})
    user = User(email=email, role=role, partner_code=partner_code, full_name=full_name)
    validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    audit_record(action=AuditAction.ACCOUNT_CREATED, target=f"account {user.pk} ({email})")
    return user


@transaction.atomic
def invitation_create(
    *,
    invited_by: User,
    email: str,
    role: Role | str,
    partner_code: str = "",
    site_url: str,
    request: HttpRequest | None = None,
) -> Invitation:
    """Invite ``email`` to an account with ``role`` and email them a single-use link.

    ``site_url`` is the scheme and host the link starts with (``https://needle.example.org``).
    The email is sent inside the transaction: if it cannot be sent, no invitation exists
    that nobody received. Earlier pending invitations for the same address are revoked, so
    only the newest link works.
    """
    if invited_by.role != Role.BACKBONE_ADMIN or not invited_by.is_active:
        raise PermissionError("only an active backbone admin can invite")
    email = normalise_email(email)
    _check_role(role, partner_code)
    if User.objects.filter(email=email).exists():
        raise ValidationError({"email": "An account with this email address already exists"})
    now = timezone.now()
    Invitation.objects.filter(
        email=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    token = new_token()
    invitation = Invitation(
        email=email,
        role=role,
        partner_code=partner_code,
        token_hash=token_hash(token),
        invited_by=invited_by,
        created_at=now,
        expires_at=now + settings.INVITATION_VALID_FOR,
    )
    invitation.full_clean()
    invitation.save()
    link = site_url.rstrip("/") + reverse("accounts:invitation_open", args=[token])
    context = {"invitation": invitation, "link": link, "invited_by": invited_by}
    send_mail(
        subject="You are invited to Needle",
        message=render_to_string("accounts/email/invitation.txt", context),
        from_email=None,
        recipient_list=[email],
    )
    audit_record(
        action=AuditAction.INVITATION_CREATED,
        actor=invited_by,
        target=f"invitation {invitation.pk} ({email})",
        request=request,
        details={"role": str(role), "partner_code": partner_code},
    )
    return invitation


def _usable_invitation(token: str) -> Invitation:
    invitation = Invitation.objects.select_for_update().filter(token_hash=token_hash(token)).first()
    if invitation is None:
        raise InvitationInvalid("This invitation link is not valid.")
    if invitation.accepted_at is not None:
        raise InvitationInvalid("This invitation link has already been used.")
    if invitation.revoked_at is not None:
        raise InvitationInvalid("This invitation has been withdrawn.")
    if invitation.expires_at <= timezone.now():
        raise InvitationInvalid("This invitation link has expired.")
    return invitation


@transaction.atomic
def invitation_check(*, token: str) -> Invitation:
    """The pending invitation ``token`` opens, or InvitationInvalid saying why not."""
    return _usable_invitation(token)


@transaction.atomic
def invitation_accept(
    *, token: str, password: str, full_name: str = "", request: HttpRequest | None = None
) -> User:
    """Turn a pending invitation into an active account with ``password``.

    The invitation is locked while it is used, so two clicks on one link cannot make two
    accounts; once accepted the link never works again.
    """
    invitation = _usable_invitation(token)
    if User.objects.filter(email=invitation.email).exists():
        raise InvitationInvalid("An account with this email address already exists.")
    user = User(
        email=invitation.email,
        role=invitation.role,
        partner_code=invitation.partner_code,
        full_name=full_name.strip(),
    )
    validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    invitation.accepted_at = timezone.now()
    invitation.account = user
    invitation.save(update_fields=["accepted_at", "account"])
    audit_record(
        action=AuditAction.INVITATION_ACCEPTED,
        actor=user,
        target=f"invitation {invitation.pk} ({user.email})",
        request=request,
        details={"role": user.role, "partner_code": user.partner_code},
    )
    return user


@transaction.atomic
def invitation_revoke(
    *, actor: User, invitation: Invitation, request: HttpRequest | None = None
) -> Invitation:
    """Withdraw a pending invitation so its link stops working."""
    if actor.role != Role.BACKBONE_ADMIN:
        raise PermissionError("only a backbone admin can withdraw invitations")
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(
            action=AuditAction.INVITATION_REVOKED,
            actor=actor,
            target=f"invitation {invitation.pk} ({invitation.email})",
            request=request,
        )
    return invitation


@transaction.atomic
def account_deactivate(*, actor: User, account: User, request: HttpRequest | None = None) -> User:
    """Stop ``account`` signing in, keeping it (and its history) rather than deleting it.

    An admin cannot deactivate themselves, so an initiative is never left without the
    admin who could undo a mistake. Sessions of the account end at its next request,
    because Django refuses inactive users.
    """
    if actor.role != Role.BACKBONE_ADMIN:
        raise PermissionError("only a backbone admin can deactivate accounts")
    if account.pk == actor.pk:
        raise ValidationError("You cannot deactivate your own account")
    if account.is_active:
        account.is_active = False
        account.save(update_fields=["is_active"])
        audit_record(
            action=AuditAction.ACCOUNT_DEACTIVATED,
            actor=actor,
            target=f"account {account.pk} ({account.email})",
            request=request,
        )
    return account


@transaction.atomic
def totp_device_start(*, user: User) -> TOTPDevice:
    """A fresh, unconfirmed authenticator key for ``user`` (replacing any earlier
    unconfirmed one), to show as a QR code until a code from the app confirms it."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


@transaction.atomic
def totp_device_confirm(
    *, user: User, device: TOTPDevice, code: str, request: HttpRequest | None = None
) -> bool:
    """Confirm ``device`` when ``code`` is right; False (and nothing changed) otherwise,
    and ValidationError while wrong codes are being throttled.

    A confirmed device replaces any earlier one: one authenticator per account keeps
    recovery simple (an admin removes it, the person sets up a new one).
    """
    if device.user_id != user.pk or device.confirmed:
        raise ValidationError("This authenticator set-up is not yours or is already done")
    allowed, _ = device.verify_is_allowed()  # django-otp slows down repeated wrong codes
    if not allowed:
        raise ValidationError(TOO_MANY_CODES)
    if not device.verify_token(code.strip().replace(" ", "")):
        return False
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(
        action=AuditAction.TWO_FACTOR_CONFIRMED,
        actor=user,
        target=f"account {user.pk} ({user.email})",
        request=request,
    )
    return True
