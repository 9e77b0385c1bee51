"""Which two-factor step, if any, stands between a signed-in account and the app."""

from __future__ import annotations

from typing import Any, Literal

from needle_web.accounts.selectors import confirmed_totp_device

__all__ = ["two_factor_step"]


def two_factor_step(user: Any) -> Literal["setup", "verify"] | None:
    """``"verify"`` when the account has an authenticator but has not entered a code in this
    session, ``"setup"`` when it is a backbone account without one (two-factor is required
    for the backbone), else None. Anonymous visitors have no step: sign-in comes first."""
    if user is None or not user.is_authenticated:
        return None
    is_verified = getattr(user, "is_verified", None)  # set by django_otp's middleware
    if callable(is_verified) and is_verified():
        return None
    if confirmed_totp_device(user) is not None:
        return "verify"
    if user.is_backbone:
        return "setup"
    return None
