"""Demo accounts (needle_web.demo), the demo_code command, and `needle serve --demo`."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from needle_web.accounts.models import User
from needle_web.accounts.roles import Role
from needle_web.accounts.testing import make_account, totp_device
from needle_web.audit.actions import AuditAction
from needle_web.audit.models import AuditEvent
from needle_web.demo import (
    DEMO_PASSWORD,
    DemoRefused,
    demo_accounts_ensure,
    demo_code,
    is_demo_account,
)
from needle_web.tests.test_serve import (
    ROOT,
    Browser,
    _make_home,
    csrf_token,
    start_server,
    watch_server,
)

PARTNERS = ["YC", "SPORT", "ARTS"]


@pytest.fixture(autouse=True)
def fast_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.django_db
def test_one_account_of_each_role_with_the_right_partners() -> None:
    accounts = demo_accounts_ensure(partners=PARTNERS)
    roles = sorted((a.role, a.partner_code) for a in accounts)
    assert roles == sorted(
        [
            (Role.BACKBONE_ADMIN, ""),
            (Role.BACKBONE_ANALYST, ""),
            (Role.PARTNER_SUBMITTER, "YC"),
            (Role.PARTNER_VIEWER, "YC"),
            (Role.PARTNER_SUBMITTER, "SPORT"),
            (Role.STEERING_GROUP, ""),
            (Role.FUNDER, ""),
        ]
    )
    for account in accounts:
        user = User.objects.get(email=account.email)
        assert (user.role, user.partner_code) == (account.role, account.partner_code)
        assert user.check_password(DEMO_PASSWORD) and is_demo_account(user)
        devices = TOTPDevice.objects.filter(user=user, confirmed=True)
        assert devices.count() == (1 if user.is_backbone else 0)
        assert bool(account.totp_key) == user.is_backbone
        if user.is_backbone:
            assert account.otpauth_uri.startswith("otpauth://totp/")
            assert account.totp_key.replace(" ", "") in account.otpauth_uri


@pytest.mark.django_db
def test_making_them_again_changes_nothing() -> None:
    first = demo_accounts_ensure(partners=PARTNERS)
    again = demo_accounts_ensure(partners=PARTNERS)
    assert all(a.created for a in first) and not any(a.created for a in again)
    assert [(a.email, a.totp_key) for a in again] == [(a.email, a.totp_key) for a in first]
    assert User.objects.count() == len(first)
    assert TOTPDevice.objects.count() == 2
    created = AuditEvent.objects.filter(action=AuditAction.DEMO_ACCOUNT_CREATED)
    assert created.count() == len(first)


@pytest.mark.django_db
def test_a_database_with_real_accounts_gets_no_demo_accounts() -> None:
    make_account(Role.BACKBONE_ADMIN, email="real@backbone.example.org")
    with pytest.raises(DemoRefused, match="1 account"):
        demo_accounts_ensure(partners=PARTNERS)
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_demo_code_is_the_code_the_authenticator_shows() -> None:
    demo_accounts_ensure(partners=PARTNERS)
    admin = User.objects.get(role=Role.BACKBONE_ADMIN)
    code = demo_code(admin.email.upper())
    assert re.fullmatch(r"\d{6}", code)
    assert TOTPDevice.objects.get(user=admin).verify_token(code)


@pytest.mark.django_db
def test_demo_code_refuses_accounts_the_demo_did_not_make(capsys) -> None:  # type: ignore[no-untyped-def]
    demo_accounts_ensure(partners=PARTNERS)
    real = make_account(Role.BACKBONE_ADMIN, email="real@backbone.example.org")
    totp_device(real)
    for email in (real.email, "nobody@example.org"):
        with pytest.raises(CommandError, match="not a demo account"):
            call_command("demo_code", email)
    with pytest.raises(CommandError, match="no authenticator"):
        call_command("demo_code", User.objects.get(role=Role.FUNDER).email)
    call_command("demo_code", User.objects.get(role=Role.BACKBONE_ANALYST).email)
    assert re.fullmatch(r"\d{6}\n", capsys.readouterr().out)


@pytest.mark.slow
def test_the_served_demo_lets_the_backbone_admin_in_with_the_printed_details(
    tmp_path: Path,
) -> None:
    home = _make_home(tmp_path / "home")
    running = start_server(home, "--demo")
    try:
        output = running.output
        admin = "backbone-admin@demo.example.org"
        assert f"password {DEMO_PASSWORD}" in output
        assert re.search(rf"{admin}: [A-Z2-7]{{4}}( [A-Z2-7]{{4}})+\n\s+otpauth://", output)
        assert "submitter-yc@demo.example.org" in output and "demo_code EMAIL" in output
        browser = Browser(running.url)
        token = csrf_token(browser.get("/sign-in/").text)
        signed_in = browser.post(
            "/sign-in/",
            {"csrfmiddlewaretoken": token, "username": admin, "password": DEMO_PASSWORD},
        )
        assert signed_in.status == 302, signed_in.text
        verify = browser.get("/two-factor/verify/")
        assert verify.status == 200
        code = subprocess.run(
            [sys.executable, "-m", "needle_web", "demo_code", admin],
            cwd=ROOT,
            env={"NEEDLE_HOME": str(home)},
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout.strip()
        verified = browser.post(
            "/two-factor/verify/", {"csrfmiddlewaretoken": csrf_token(verify.text), "code": code}
        )
        assert verified.status == 302, verified.text
        assert browser.get("/accounts/").status == 200  # an admin's page, past two-factor
    finally:
        running.stop()
    assert "Traceback" not in running.output


@pytest.mark.slow
def test_bin_demo_ends_by_serving_the_demo_home(tmp_path: Path) -> None:
    """The README's command: the core demo, then the web app over its home, until stopped."""
    running = watch_server(
        [str(ROOT / "bin" / "demo"), str(tmp_path / "demo")],
        env={"PATH": os.environ["PATH"]},
        timeout=900,  # the whole demo runs first
    )
    try:
        assert "All as planned." in running.output
        assert f"Demo home: {tmp_path / 'demo' / 'home'}" in running.output
        served = f"Needle web app for Trafford Youth Collective ({tmp_path / 'demo' / 'home'})"
        assert served in running.output
        for role in ("Backbone admin", "Partner viewer", "Steering group member", "Funder"):
            assert role in running.output
        assert Browser(running.url).get("/sign-in/").status == 200
    finally:
        code = running.stop(signal.SIGTERM)
    assert code == 0 and "Stopped." in running.output, running.output[-2000:]
