"""Invitation tokens: random, sent once, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets

__all__ = ["new_token", "token_hash"]


def new_token() -> str:
    """256 random bits, URL-safe: unguessable, so a plain hash is enough to store it."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """SHA-256 of the token, hex. No salt is needed: the token is random, not chosen by a
    person, so there is no dictionary to attack."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
