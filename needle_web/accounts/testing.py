"""Helpers for the web tests of every app: accounts of each role, signed-in clients, and
codes from an authenticator. Test-only, but importable from any app's tests."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from needle_web.accounts.models import User
from needle_web.accounts.roles import PARTNER_ROLES, Role

__all__ = [
    "PASSWORD",
    "HttpsClient",
    "https_client",
    "make_account",
    "signed_in_client",
    "totp_code",
    "totp_device",
]

PASSWORD = "correct horse battery staple"


class HttpsClient(Client):
    """A test client whose every request arrives over HTTPS, as in production (the
    settings redirect plain HTTP, and cookies are marked Secure)."""

    def generic(self, *args: Any, secure: bool = True, **kwargs: Any) -> Any:
        return super().generic(*args, secure=True, **kwargs)


def https_client(**defaults: Any) -> Client:
    """A new :class:`HttpsClient`."""
    return HttpsClient(**defaults)


def make_account(
    role: Role | str = Role.PARTNER_SUBMITTER,
    *,
    email: str | None = None,
    partner_code: str | None = None,
    password: str = PASSWORD,
    **fields: Any,
) -> User:
    """An active account of ``role``; partner roles get partner ``YC`` unless told."""
    if partner_code is None:
        partner_code = "YC" if role in PARTNER_ROLES else ""
    email = email or f"{role}-{User.objects.count() + 1}@example.org"
    return User.objects.create_user(email, password, role=role, partner_code=partner_code, **fields)


def totp_device(user: User, *, confirmed: bool = True) -> TOTPDevice:
    """An authenticator for ``user``."""
    return TOTPDevice.objects.create(user=user, name="test", confirmed=confirmed)


def totp_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code the device's app would show now (or ``steps_ahead`` steps later, to get a
    fresh code after one has been used: django-otp refuses a code twice)."""
    code = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0,
        digits=device.digits,
        drift=steps_ahead,
    )
    return f"{code:0{device.digits}d}"


def signed_in_client(user: User) -> Client:
    """A client signed in as ``user`` past every two-factor step: backbone accounts get a
    confirmed authenticator and a verified session."""
    client = https_client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    if user.is_backbone:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or totp_device(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client
