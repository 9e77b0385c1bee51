"""Invitation-only sign-up: a backbone admin invites, the email holds a single-use link,
and accepting it sets a strong password and signs in."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from needle_web.accounts import services
from needle_web.accounts.models import Invitation, User
from needle_web.accounts.roles import Role
from needle_web.accounts.testing import PASSWORD, https_client, make_account
from needle_web.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
SITE = "https://needle.example.org"
NEW_PASSWORD = "blue kettle winter garden"


def _link(message: mail.EmailMessage) -> str:
    match = re.search(r"https://testserver(/invitation/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def _invite(admin_client: Client, **data: str) -> str:
    response = admin_client.post(reverse("accounts:invitation_new"), data)
    assert response.status_code == 302, response.content.decode()
    return _link(mail.outbox[-1])


def test_invitation_end_to_end(admin_client: Client, admin: User) -> None:
    path = _invite(
        admin_client, email="Kim@YouthClub.example.org", role="partner_submitter", partner_code="yc"
    )
    message = mail.outbox[0]
    assert message.to == ["kim@youthclub.example.org"]
    assert "Partner submitter for partner YC" in message.body

    invitation = Invitation.objects.get()
    token = path.split("/")[2]
    assert invitation.token_hash != token and token not in str(vars(invitation))
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    listing = admin_client.get(reverse("accounts:account_list")).content.decode()
    assert "kim@youthclub.example.org" in listing

    guest = https_client()
    opened = guest.get(path)
    assert opened.status_code == 302 and opened.url == reverse("accounts:invitation_accept")
    page = guest.get(opened.url)
    assert page.status_code == 200 and "kim@youthclub.example.org" in page.content.decode()

    weak = guest.post(
        opened.url, {"full_name": "Kim Lee", "password1": "short", "password2": "short"}
    )
    body = weak.content.decode()
    assert weak.status_code == 200 and "govuk-error-summary" in body
    assert "at least 12 characters" in body and 'href="#id_password1"' in body
    assert not User.objects.filter(email="kim@youthclub.example.org").exists()

    accepted = guest.post(
        opened.url, {"full_name": "Kim Lee", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert accepted.status_code == 302 and accepted.url == reverse("pages:home")
    user = User.objects.get(email="kim@youthclub.example.org")
    assert (user.role, user.partner_code, user.full_name) == ("partner_submitter", "YC", "Kim Lee")
    assert user.check_password(NEW_PASSWORD)
    home = guest.get(reverse("pages:home")).content.decode()
    assert "Kim Lee" in home and "Partner submitter" in home

    invitation.refresh_from_db()
    assert invitation.accepted_at is not None and invitation.account == user
    events = AuditEvent.objects.exclude(action="signed_in", actor_account_id=admin.pk)
    actions = list(events.order_by("id").values_list("action", flat=True))
    assert actions == ["invitation_created", "invitation_accepted", "signed_in"]

    again = https_client()
    reused = again.get(again.get(path).url)
    assert reused.status_code == 410 and "already been used" in reused.content.decode()


def test_common_and_mismatched_passwords_are_refused(admin: User) -> None:
    services.invitation_create(
        invited_by=admin, email="p@example.org", role=Role.FUNDER, site_url=SITE
    )
    token = _link_token(mail.outbox[-1])
    with pytest.raises(ValidationError):
        services.invitation_accept(token=token, password="password1234")  # too common
    with pytest.raises(ValidationError):
        services.invitation_accept(token=token, password="p@example.org1")  # like the email
    guest = https_client()
    guest.get(f"/invitation/{token}/")
    response = guest.post(
        reverse("accounts:invitation_accept"),
        {"full_name": "P", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"},
    )
    assert "The passwords do not match" in response.content.decode()
    assert not User.objects.filter(email="p@example.org").exists()


def _link_token(message: mail.EmailMessage) -> str:
    match = re.search(r"/invitation/([^/\s]+)/", message.body)
    assert match
    return match.group(1)


def test_expired_forged_and_withdrawn_links_are_refused(admin: User) -> None:
    invitation = services.invitation_create(
        invited_by=admin, email="x@example.org", role=Role.STEERING_GROUP, site_url=SITE
    )
    token = _link_token(mail.outbox[-1])
    guest = https_client()

    forged = guest.get(guest.get("/invitation/" + "A" * 43 + "/").url)
    assert forged.status_code == 410 and "not valid" in forged.content.decode()

    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    expired = guest.get(guest.get(f"/invitation/{token}/").url)
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    with pytest.raises(services.InvitationInvalid, match="expired"):
        services.invitation_accept(token=token, password=NEW_PASSWORD)

    fresh = services.invitation_create(
        invited_by=admin, email="x@example.org", role=Role.STEERING_GROUP, site_url=SITE
    )
    services.invitation_revoke(actor=admin, invitation=fresh)
    with pytest.raises(services.InvitationInvalid, match="withdrawn"):
        services.invitation_accept(token=_link_token(mail.outbox[-1]), password=NEW_PASSWORD)
    assert not User.objects.filter(email="x@example.org").exists()


def test_a_new_invitation_replaces_the_pending_one(admin: User) -> None:
    services.invitation_create(
        invited_by=admin, email="r@example.org", role=Role.FUNDER, site_url=SITE
    )
    first = _link_token(mail.outbox[-1])
    services.invitation_create(
        invited_by=admin, email="r@example.org", role=Role.FUNDER, site_url=SITE
    )
    second = _link_token(mail.outbox[-1])
    with pytest.raises(services.InvitationInvalid):
        services.invitation_accept(token=first, password=NEW_PASSWORD)
    assert services.invitation_accept(token=second, password=NEW_PASSWORD).role == Role.FUNDER


def test_only_active_admins_invite_and_roles_must_fit(admin: User) -> None:
    analyst = make_account(Role.BACKBONE_ANALYST)
    with pytest.raises(PermissionError):
        services.invitation_create(
            invited_by=analyst, email="n@example.org", role=Role.FUNDER, site_url=SITE
        )
    with pytest.raises(ValidationError, match="partner"):
        services.invitation_create(
            invited_by=admin, email="n@example.org", role=Role.PARTNER_VIEWER, site_url=SITE
        )
    with pytest.raises(ValidationError, match="already exists"):
        services.invitation_create(
            invited_by=admin, email=analyst.email.upper(), role=Role.FUNDER, site_url=SITE
        )
    assert not Invitation.objects.exists() and not mail.outbox


def test_the_invitation_form_shows_each_problem(admin_client: Client) -> None:
    response = admin_client.post(
        reverse("accounts:invitation_new"), {"email": "not-an-email", "role": "partner_viewer"}
    )
    body = response.content.decode()
    assert response.status_code == 200 and 'role="alert"' in body
    assert 'href="#id_email"' in body and 'href="#id_partner_code"' in body
    assert 'aria-describedby="id_partner_code-hint id_partner_code-error"' in body
    no_role = admin_client.post(reverse("accounts:invitation_new"), {"email": "a@example.org"})
    assert 'href="#id_role_0"' in no_role.content.decode()
    assert not mail.outbox


def test_the_bootstrap_password_is_checked_too() -> None:
    with pytest.raises(ValidationError):
        services.account_create(
            email="boss@example.org", role=Role.BACKBONE_ADMIN, password="short"
        )
    user = services.account_create(
        email="boss@example.org", role=Role.BACKBONE_ADMIN, password=PASSWORD
    )
    assert user.check_password(PASSWORD) and user.is_backbone
