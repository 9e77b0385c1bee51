"""Writing to the audit log: ``audit_record`` is the only way in.

Other apps call it for what they audit ("viewed partner data", "exported"); the accounts
app calls it for administrative changes; ``receivers`` calls it for sign-in and sign-out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from needle_web.audit.actions import AuditAction
from needle_web.audit.models import AuditEvent

__all__ = ["FORBIDDEN_DETAIL_KEYS", "audit_record", "client_ip"]

# The standard's personal identifiers (PRODUCT.md, marked PI) and the person reference: an
# audit detail under one of these names would be a young person's data in the log.
FORBIDDEN_DETAIL_KEYS = frozenset(
    {"given_name", "family_name", "name", "date_of_birth", "dob", "postcode", "person_ref"}
)


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as the server saw it (``REMOTE_ADDR``).

    Behind a reverse proxy this is the proxy's address unless the proxy rewrites it (e.g.
    uWSGI/gunicorn with ``--forwarded-allow-ips``); a forwarded header is not trusted here
    because any client can send one.
    """
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _check_details(details: Mapping[str, Any]) -> None:
    for key, value in details.items():
        if key.lower() in FORBIDDEN_DETAIL_KEYS:
            raise ValueError(f"audit details must not hold personal identifiers ({key!r})")
        if isinstance(value, Mapping):
            _check_details(value)


@transaction.atomic
def audit_record(
    *,
    action: AuditAction | str,
    actor: Any = None,
    target: str = "",
    request: HttpRequest | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Record that ``actor`` (an account, or None for an anonymous visitor) did ``action``
    to ``target`` (a short description such as ``partner YC, 2026-Q3``).

    ``details`` is JSON for what a reader of the log needs (counts, a format, a period),
    never a young person's identifiers: keys named like one are refused with ValueError.
    """
    action = AuditAction(action)
    details = dict(details or {})
    _check_details(details)
    is_account = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        action=action.value,
        actor_account_id=actor.pk if is_account else None,
        actor_email=actor.email if is_account else "",
        target=target[:255],
        ip_address=client_ip(request),
        details=details,
    )
