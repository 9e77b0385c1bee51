"""Two-factor sign-in: required for backbone roles, optional for the others, and once set
up, a code is needed before any other page."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from needle_web.accounts.models import User
from needle_web.accounts.roles import Role
from needle_web.accounts.testing import (
    PASSWORD,
    https_client,
    make_account,
    totp_code,
    totp_device,
)
from needle_web.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
SETUP = reverse("accounts:two_factor_setup")
VERIFY = reverse("accounts:two_factor_verify")
HOME = reverse("pages:home")


def _password_sign_in(user: User) -> Client:
    client = https_client()
    response = client.post(
        reverse("accounts:login"), {"username": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def test_backbone_user_without_a_device_must_set_one_up() -> None:
    analyst = make_account(Role.BACKBONE_ANALYST, email="analyst@example.org")
    client = _password_sign_in(analyst)
    for url in (HOME, reverse("accounts:account_list"), reverse("audit:event_list")):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(SETUP), url
    assert client.get(HOME).url == f"{SETUP}?next=%2F"

    page = client.get(SETUP + "?next=/")
    body = page.content.decode()
    assert page.status_code == 200 and "<svg" in body and 'role="img"' in body
    device = TOTPDevice.objects.get(user=analyst, confirmed=False)
    manual_key = re.search(r'<code class="needle-otp-key">([A-Z2-7 ]+)</code>', body)
    assert manual_key and len(manual_key.group(1).replace(" ", "")) == 32  # 20-byte key
    assert 'autocomplete="one-time-code"' in body and page.context["nav_items"] == []

    wrong = client.post(SETUP, {"code": "000000" if totp_code(device) != "000000" else "111111"})
    assert (
        "The code is not right" in wrong.content.decode()
        and 'role="alert"' in wrong.content.decode()
    )
    assert client.get(SETUP).context["manual_key"] == page.context["manual_key"]  # same key
    throttled = client.post(SETUP, {"code": totp_code(device)})  # too soon after a wrong one
    assert "Too many wrong codes" in throttled.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    device.throttle_reset()  # as waiting would

    done = client.post(SETUP, {"code": totp_code(device), "next": "/"})
    assert done.status_code == 302 and done.url == "/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(HOME).status_code == 200
    assert AuditEvent.objects.filter(
        action="two_factor_confirmed", actor_account_id=analyst.pk
    ).exists()


def test_backbone_user_with_a_device_must_enter_a_code() -> None:
    admin = make_account(Role.BACKBONE_ADMIN)
    device = totp_device(admin)
    client = _password_sign_in(admin)
    assert client.get(reverse("accounts:account_list")).url.startswith(VERIFY)
    # The set-up page cannot be used to swap the authenticator with a password alone.
    assert client.get(SETUP).url == VERIFY
    assert client.post(SETUP, {"code": "123456"}).url == VERIFY
    assert TOTPDevice.objects.filter(user=admin).count() == 1

    wrong = client.post(VERIFY, {"code": "12345"})
    assert "Enter the 6 digits" in wrong.content.decode()
    response = client.post(
        VERIFY, {"code": totp_code(device), "next": reverse("accounts:account_list")}
    )
    assert response.status_code == 302 and response.url == reverse("accounts:account_list")
    assert client.get(reverse("accounts:account_list")).status_code == 200
    assert AuditEvent.objects.filter(
        action="two_factor_verified", actor_account_id=admin.pk
    ).exists()


def test_a_used_code_cannot_be_replayed() -> None:
    admin = make_account(Role.BACKBONE_ADMIN)
    device = totp_device(admin)
    code = totp_code(device)
    assert _password_sign_in(admin).post(VERIFY, {"code": code}).status_code == 302
    replay = _password_sign_in(admin).post(VERIFY, {"code": code})
    assert replay.status_code == 200 and "not right" in replay.content.decode()


def test_offsite_next_is_ignored() -> None:
    admin = make_account(Role.BACKBONE_ADMIN)
    device = totp_device(admin)
    client = _password_sign_in(admin)
    response = client.post(VERIFY, {"code": totp_code(device), "next": "https://evil.example/"})
    assert response.url == HOME


def test_other_roles_are_not_forced_but_may_opt_in() -> None:
    viewer = make_account(Role.PARTNER_VIEWER)
    client = _password_sign_in(viewer)
    assert client.get(HOME).status_code == 200
    assert not TOTPDevice.objects.filter(user=viewer).exists()

    page = client.get(SETUP)
    assert page.status_code == 200 and not page.context["required"]
    device = TOTPDevice.objects.get(user=viewer)
    assert client.post(SETUP, {"code": totp_code(device)}).status_code == 302
    assert client.get(SETUP).templates[0].name == "accounts/two_factor_on.html"

    # Having opted in, the next sign-in asks for a code too.
    again = _password_sign_in(viewer)
    assert again.get(HOME).url.startswith(VERIFY)
    assert again.post(VERIFY, {"code": totp_code(device, steps_ahead=1)}).status_code == 302
    assert again.get(HOME).status_code == 200


def test_replacing_the_authenticator_keeps_one() -> None:
    viewer = make_account(Role.PARTNER_VIEWER)
    old = totp_device(viewer)
    client = _password_sign_in(viewer)
    assert client.post(VERIFY, {"code": totp_code(old)}).status_code == 302
    client.get(SETUP + "?replace=1")
    new = TOTPDevice.objects.get(user=viewer, confirmed=False)
    assert client.post(SETUP, {"code": totp_code(new)}).status_code == 302
    assert list(TOTPDevice.objects.filter(user=viewer)) == [new]
