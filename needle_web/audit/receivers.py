"""Sign-in, failed sign-in and sign-out, recorded from Django's authentication signals.

Why signals: Django's own views (and django-axes) raise them, so every way of signing in is
caught without wrapping those views.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from needle_web.audit.actions import AuditAction
from needle_web.audit.services import audit_record


@receiver(user_logged_in, dispatch_uid="needle_audit_signed_in")
def _signed_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    audit_record(action=AuditAction.SIGNED_IN, actor=user, target=user.email, request=request)


@receiver(user_logged_out, dispatch_uid="needle_audit_signed_out")
def _signed_out(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(action=AuditAction.SIGNED_OUT, actor=user, target=user.email, request=request)


@receiver(user_login_failed, dispatch_uid="needle_audit_sign_in_failed")
def _sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """The attempted address is kept only when it looks like one: people sometimes type
    their password into the email box, and that must not land in the log."""
    attempted = str(credentials.get("username") or credentials.get("email") or "")
    target = attempted.strip().lower()[:254] if "@" in attempted else "(not an email address)"
    audit_record(action=AuditAction.SIGN_IN_FAILED, target=target, request=request)
