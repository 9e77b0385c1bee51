"""Roles and partners go together only one way: a partner role has exactly one partner."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from needle_web.accounts.models import User
from needle_web.accounts.roles import Role, role_partner_problem
from needle_web.accounts.testing import make_account


@pytest.mark.parametrize(
    ("role", "partner_code", "ok"),
    [
        (Role.BACKBONE_ADMIN, "", True),
        (Role.BACKBONE_ADMIN, "YC", False),
        (Role.BACKBONE_ANALYST, "", True),
        (Role.PARTNER_SUBMITTER, "YC", True),
        (Role.PARTNER_SUBMITTER, "", False),
        (Role.PARTNER_VIEWER, "yc", False),  # codes are capitals, as in the register
        (Role.PARTNER_VIEWER, "A", False),
        (Role.PARTNER_VIEWER, "TRAFFORD-YS_2", True),
        (Role.STEERING_GROUP, "", True),
        (Role.STEERING_GROUP, "YC", False),
        (Role.FUNDER, "", True),
        ("public", "", False),
    ],
)
def test_role_partner_rule(role: str, partner_code: str, ok: bool) -> None:
    assert (role_partner_problem(role, partner_code) is None) is ok


@pytest.mark.django_db
def test_model_clean_enforces_the_rule() -> None:
    with pytest.raises(ValidationError) as caught:
        User(email="a@example.org", role=Role.PARTNER_VIEWER, partner_code="").full_clean()
    assert "partner_code" in caught.value.message_dict
    with pytest.raises(ValidationError):
        make_account(Role.FUNDER, partner_code="YC")


@pytest.mark.django_db
def test_database_constraint_backs_the_rule() -> None:
    """Even code that skips ``clean`` cannot store a backbone account tied to a partner."""
    with pytest.raises(IntegrityError):
        User.objects.create(email="b@example.org", role=Role.BACKBONE_ANALYST, partner_code="YC")


@pytest.mark.django_db
def test_email_is_the_case_insensitive_login_name() -> None:
    user = make_account(Role.FUNDER, email="Sam.Jones@Example.ORG")
    assert user.email == "sam.jones@example.org"
    assert User.objects.get_by_natural_key("SAM.jones@example.org") == user
    with pytest.raises(ValidationError):
        make_account(Role.FUNDER, email="sam.jones@example.org")
