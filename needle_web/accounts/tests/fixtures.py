"""Fixtures shared by the web apps' tests (each app's conftest re-exports them)."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from needle_web.accounts.models import User
from needle_web.accounts.roles import Role
from needle_web.accounts.testing import https_client, make_account, signed_in_client

__all__ = ["admin", "admin_client", "client", "fast_hashing"]


@pytest.fixture(autouse=True)
def fast_hashing(settings: Settings) -> None:
    """A fast password hasher: the tests are about the flows, not the hash's cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def client() -> Client:
    """pytest-django's client, but over HTTPS as in production."""
    return https_client()


@pytest.fixture
def admin(db: None) -> User:
    return make_account(Role.BACKBONE_ADMIN, email="admin@backbone.example.org")


@pytest.fixture
def admin_client(admin: User) -> Client:
    """Signed in as a backbone admin, two-factor verified."""
    return signed_in_client(admin)
