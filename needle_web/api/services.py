"""Writes of the api app: create and revoke a partner's API token, record a token's use,
and the account an upload through the API is made as.

Tokens are 256 random bits, shown once and stored only as their SHA-256 (like invitation
links, decision 0008). A request's token is found by the hash of what it sent: the lookup
is an index match on a digest, so the time it takes tells nothing about how much of a
guess was right.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from needle_web.accounts.models import User
from needle_web.accounts.roles import PARTNER_CODE_PATTERN, Role
from needle_web.api.models import ApiToken
from needle_web.audit.actions import AuditAction
from needle_web.audit.services import audit_record

__all__ = [
    "TOKEN_START",
    "api_account_for",
    "api_token_create",
    "api_token_revoke",
    "api_token_use",
    "token_digest",
]

# Every token starts so, which lets secret scanners (and people) recognise a leaked one.
TOKEN_START = "needle_"
PREFIX_LENGTH = len(TOKEN_START) + 6
API_ACCOUNT_DOMAIN = "api.needle.invalid"  # RFC 2606: can never receive email


def token_digest(token: str) -> str:
    """The SHA-256 of ``token``, as stored."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _target(token: ApiToken) -> str:
    return f"API token {token.prefix} for partner {token.partner_code}"


@transaction.atomic
def api_token_create(
    *, created_by: Any, partner_code: str, name: str, request: HttpRequest | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``partner_code``; returns it with the token itself, which exists
    nowhere else from now on (only its hash is kept)."""
    if not created_by.is_active or created_by.role != Role.BACKBONE_ADMIN:
        raise ValidationError("Only backbone admins create API tokens")
    if not PARTNER_CODE_PATTERN.fullmatch(partner_code):
        raise ValidationError({"partner_code": "Choose a partner organisation from the list"})
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Enter what the token is for"})
    raw = TOKEN_START + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        partner_code=partner_code,
        name=name[:100],
        token_hash=token_digest(raw),
        prefix=raw[:PREFIX_LENGTH],
        created_by=created_by,
    )
    audit_record(
        action=AuditAction.API_TOKEN_CHANGED,
        actor=created_by,
        target=_target(token),
        request=request,
        details={"change": "created", "token": token.pk, "label": token.name},
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: Any, token: ApiToken, request: HttpRequest | None = None) -> None:
    """Stop ``token`` working, at once and for good. Revoking twice changes nothing."""
    if not actor.is_active or actor.role != Role.BACKBONE_ADMIN:
        raise ValidationError("Only backbone admins revoke API tokens")
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        action=AuditAction.API_TOKEN_CHANGED,
        actor=actor,
        target=_target(token),
        request=request,
        details={"change": "revoked", "token": token.pk, "label": token.name},
    )


def api_token_use(*, token: str) -> ApiToken | None:
    """The live token ``token`` is, with its last use set to now; None for an unknown or
    revoked one."""
    if not token.startswith(TOKEN_START) or len(token) > 200:
        return None
    found = ApiToken.objects.filter(token_hash=token_digest(token), revoked_at=None).first()
    if found is None:
        return None
    now = timezone.now()
    ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
    found.last_used_at = now
    return found


def api_account_for(partner_code: str) -> User:
    """The partner's API account: what an upload sent with a token is recorded as made by.

    Why an account: an upload belongs to an account (``Upload.account``) and
    ``upload_create`` accepts only a partner submitter, so the API sends files exactly as
    the browser does, checks included, through an account that cannot sign in (no usable
    password, an address that receives no email). A backbone admin who deactivates it
    stops the partner's uploads through the API.
    """
    email = f"api-{partner_code.lower()}@{API_ACCOUNT_DOMAIN}"
    account = User.objects.filter(email=email).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email,
                None,
                role=Role.PARTNER_SUBMITTER,
                partner_code=partner_code,
                full_name=f"API ({partner_code})",
            )
    except IntegrityError:  # a first upload at the same moment made it
        return User.objects.get(email=email)
