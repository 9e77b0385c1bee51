"""Signing in and out, lockout after repeated failures, and password reset by email, none
of which tells a stranger whether an address has an account."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from needle_web.accounts.roles import Role
from needle_web.accounts.testing import PASSWORD, https_client, make_account
from needle_web.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
LOGIN = reverse("accounts:login")


def _sign_in(client, email: str, password: str, ip: str = "203.0.113.5"):  # type: ignore[no-untyped-def]
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_sign_in_and_out() -> None:
    user = make_account(Role.PARTNER_VIEWER, email="viewer@example.org", full_name="Val")
    client = https_client()
    page = client.get(LOGIN).content.decode()
    assert 'autocomplete="email"' in page and 'autocomplete="current-password"' in page
    assert '<label class="govuk-label" for="id_username">Email address</label>' in page

    response = _sign_in(client, "Viewer@Example.org", PASSWORD)
    assert response.status_code == 302 and response.url == reverse("pages:home")
    home = client.get(reverse("pages:home")).content.decode()
    assert "viewer@example.org" in home and "Partner viewer" in home and "YC" in home

    assert client.get(reverse("accounts:logout")).status_code == 405  # GET does nothing
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "Sign in" in client.get(reverse("pages:home")).content.decode()
    actions = list(AuditEvent.objects.order_by("id").values_list("action", "actor_account_id"))
    assert actions == [("signed_in", user.pk), ("signed_out", user.pk)]
    assert AuditEvent.objects.get(action="signed_in").ip_address == "203.0.113.5"


def test_wrong_password_and_unknown_address_look_the_same() -> None:
    make_account(Role.FUNDER, email="funder@example.org")
    client = https_client()
    wrong = _sign_in(client, "funder@example.org", "not the password")
    unknown = _sign_in(client, "nobody@example.org", "not the password")
    for response in (wrong, unknown):
        body = response.content.decode()
        assert response.status_code == 200
        assert "Enter a correct email address and password" in body and 'role="alert"' in body
    failed = AuditEvent.objects.filter(action="sign_in_failed")
    assert sorted(failed.values_list("target", flat=True)) == [
        "funder@example.org",
        "nobody@example.org",
    ]
    _sign_in(client, "my secret password", "oops")  # a password typed in the email box
    assert failed.order_by("-id").first().target == "(not an email address)"  # type: ignore[union-attr]


def test_five_failures_lock_out_that_address_from_that_ip() -> None:
    make_account(Role.FUNDER, email="target@example.org")
    client = https_client()
    statuses = [_sign_in(client, "target@example.org", f"guess {i}").status_code for i in range(5)]
    assert statuses[:4] == [200] * 4 and statuses[4] == 429
    locked = _sign_in(client, "target@example.org", PASSWORD)  # even the right password
    assert locked.status_code == 429
    assert "Sign-in is paused for 15 minutes" in locked.content.decode()
    assert "_auth_user_id" not in client.session

    # The same message for an address with no account: the lockout reveals nothing.
    for i in range(5):
        ghost = _sign_in(client, "ghost@example.org", f"guess {i}")
    assert ghost.status_code == 429
    assert "Sign-in is paused for 15 minutes" in ghost.content.decode()

    # Another device (IP address) is not locked out of the account.
    assert (
        _sign_in(https_client(), "target@example.org", PASSWORD, ip="198.51.100.7").status_code
        == 302
    )


def test_password_reset_by_email() -> None:
    user = make_account(Role.STEERING_GROUP, email="chair@example.org")
    client = https_client()
    url = reverse("accounts:password_reset")
    unknown = client.post(url, {"email": "stranger@example.org"})
    known = client.post(url, {"email": "CHAIR@example.org"})
    assert unknown.status_code == known.status_code == 302 and unknown.url == known.url
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["chair@example.org"]
    assert "within 2 hours" in mail.outbox[0].body

    link = re.search(r"https://testserver(/password-reset/\S+/\S+/)", mail.outbox[0].body)
    assert link
    form_url = client.get(link.group(1)).url  # Django swaps the token out of the address
    weak = client.post(form_url, {"new_password1": "abc", "new_password2": "abc"})
    assert "at least 12 characters" in weak.content.decode()
    new = "a new and long passphrase"
    done = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert done.status_code == 302 and done.url == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(new)
    assert AuditEvent.objects.filter(action="password_reset", actor_account_id=user.pk).exists()
    reused = client.get(link.group(1), follow=True).content.decode()
    assert "This link does not work" in reused


def test_deactivated_accounts_cannot_sign_in() -> None:
    make_account(Role.FUNDER, email="gone@example.org", is_active=False)
    response = _sign_in(https_client(), "gone@example.org", PASSWORD)
    assert response.status_code == 200
    assert "Enter a correct email address and password" in response.content.decode()
