"""The accounts pages are for backbone admins only: others get 403, visitors sign in."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from needle_web.accounts.models import Invitation, User
from needle_web.accounts.roles import Role
from needle_web.accounts.testing import PASSWORD, https_client, make_account, signed_in_client
from needle_web.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

ADMIN_ONLY = ("accounts:account_list", "accounts:invitation_new", "audit:event_list")
OTHER_ROLES = [r for r in Role if r != Role.BACKBONE_ADMIN]


@pytest.mark.parametrize("name", ADMIN_ONLY)
def test_anonymous_visitors_are_sent_to_sign_in(name: str) -> None:
    url = reverse(name)
    response = https_client().get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next={url}"


@pytest.mark.parametrize("role", OTHER_ROLES)
@pytest.mark.parametrize("name", ADMIN_ONLY)
def test_other_roles_are_forbidden(name: str, role: Role) -> None:
    client = signed_in_client(make_account(role))
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_roles_cannot_deactivate_or_withdraw(role: Role, admin: User) -> None:
    victim = make_account(Role.FUNDER)
    client = signed_in_client(make_account(role))
    url = reverse("accounts:account_deactivate", args=[victim.pk])
    assert client.post(url).status_code == 403
    victim.refresh_from_db()
    assert victim.is_active


@pytest.mark.parametrize("name", ADMIN_ONLY)
def test_admins_see_them(name: str, admin_client: Client) -> None:
    response = admin_client.get(reverse(name))
    assert response.status_code == 200
    labels = [label for label, _, _ in response.context["nav_items"]]
    assert labels == [
        "Home", "Dashboard", "Open data", "Submissions", "Journeys", "Tracker", "Data quality",
        "Linkage", "Initiative settings", "Accounts", "API tokens", "Audit log", "Sign-in security",
    ]  # fmt: skip


def test_navigation_follows_the_role() -> None:
    client = signed_in_client(make_account(Role.PARTNER_SUBMITTER))
    items = client.get(reverse("pages:home")).context["nav_items"]
    assert items == [
        ("Home", "/", True),
        ("Open data", reverse("dashboards:public"), False),
        ("Submissions", reverse("submissions:list"), False),
        ("Our feedback", reverse("feedback:home"), False),
        ("Sign-in security", "/two-factor/", False),
    ]
    assert https_client().get(reverse("pages:home")).context["nav_items"] == []


def test_deactivating_an_account(admin_client: Client, admin: User) -> None:
    user = make_account(Role.PARTNER_SUBMITTER, email="leaver@example.org")
    listing = admin_client.get(reverse("accounts:account_list")).content.decode()
    url = reverse("accounts:account_deactivate", args=[user.pk])
    assert url in listing
    assert reverse("accounts:account_deactivate", args=[admin.pk]) not in listing

    confirm = admin_client.get(url)
    assert "Deactivate leaver@example.org?" in confirm.content.decode()
    user.refresh_from_db()
    assert user.is_active  # a GET changes nothing

    done = admin_client.post(url, follow=True)
    assert "leaver@example.org can no longer sign in" in done.content.decode()
    user.refresh_from_db()
    assert not user.is_active
    event = AuditEvent.objects.get(action="account_deactivated")
    assert (event.actor_account_id, event.target) == (
        admin.pk,
        f"account {user.pk} (leaver@example.org)",
    )

    signed_out = https_client().post(
        reverse("accounts:login"), {"username": "leaver@example.org", "password": PASSWORD}
    )
    assert signed_out.status_code == 200  # refused


def test_admins_cannot_deactivate_themselves(admin_client: Client, admin: User) -> None:
    response = admin_client.post(reverse("accounts:account_deactivate", args=[admin.pk]))
    assert response.status_code == 200
    assert "You cannot deactivate your own account" in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active


def test_withdrawing_an_invitation(admin_client: Client) -> None:
    admin_client.post(
        reverse("accounts:invitation_new"), {"email": "w@example.org", "role": "funder"}
    )
    invitation = Invitation.objects.get()
    url = reverse("accounts:invitation_revoke", args=[invitation.pk])
    assert admin_client.get(url).status_code == 405
    done = admin_client.post(url, follow=True).content.decode()
    assert "Invitation to w@example.org withdrawn" in done and url not in done
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert AuditEvent.objects.filter(action="invitation_revoked").count() == 1
