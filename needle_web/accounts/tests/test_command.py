"""Bootstrapping the first backbone admin."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from needle_web.accounts.models import User
from needle_web.accounts.testing import PASSWORD

pytestmark = pytest.mark.django_db


def test_create_backbone_admin_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEEDLE_WEB_ADMIN_PASSWORD", PASSWORD)
    out = StringIO()
    call_command("create_backbone_admin", "--email", "Lead@Backbone.example.org", stdout=out)
    user = User.objects.get()
    assert (user.email, user.role, user.partner_code) == (
        "lead@backbone.example.org",
        "backbone_admin",
        "",
    )
    assert user.check_password(PASSWORD) and "two-factor" in out.getvalue()
    assert PASSWORD not in out.getvalue()
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_backbone_admin", "--email", "lead@backbone.example.org")


def test_create_backbone_admin_prompts_and_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEEDLE_WEB_ADMIN_PASSWORD", raising=False)
    answers = iter(["tooshort", "tooshort"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    with pytest.raises(CommandError, match="at least 12"):
        call_command("create_backbone_admin", "--email", "a@example.org")
    answers = iter([PASSWORD, PASSWORD + "!"])
    with pytest.raises(CommandError, match="do not match"):
        call_command("create_backbone_admin", "--email", "a@example.org")
    assert not User.objects.exists()
