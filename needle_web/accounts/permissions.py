"""Who may see what: the helpers every later view uses.

Why functions over Django's permission tables: Needle's rules are few and fixed (a role,
and for partner roles one partner), so they read better as code than as rows an admin
could change by accident. Anonymous visitors are sent to sign in; signed-in accounts
without the role get 403, which says "not for you" rather than "sign in again".
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from needle_web.accounts.roles import BACKBONE_ROLES, PARTNER_ROLES, Role

__all__ = [
    "RoleRequiredMixin",
    "can_see_partner",
    "has_role",
    "is_backbone",
    "partner_scope",
    "role_required",
]

View = TypeVar("View", bound=Callable[..., HttpResponse])


def has_role(user: Any, *roles: Role | str) -> bool:
    """Whether ``user`` is a signed-in, active account holding one of ``roles``."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and getattr(user, "role", None) in {str(r) for r in roles}
    )


def is_backbone(user: Any) -> bool:
    """Whether ``user`` works for the backbone (admin or analyst)."""
    return has_role(user, *BACKBONE_ROLES)


def partner_scope(user: Any) -> str | None:
    """The partner code ``user`` is confined to, or None when the account is not a partner
    account (and so sees no partner's own records as that partner)."""
    if has_role(user, *PARTNER_ROLES):
        return user.partner_code
    return None


def can_see_partner(user: Any, partner_code: str) -> bool:
    """Whether ``user`` may see one partner's own records (submissions, validation reports,
    record-level data quality): the backbone may see every partner's, a partner account only
    its own, and no other role any."""
    if is_backbone(user):
        return True
    scope = partner_scope(user)
    return scope is not None and scope == partner_code


def role_required(*roles: Role | str) -> Callable[[View], View]:
    """Decorate a view so only accounts with one of ``roles`` reach it."""
    if not roles:
        raise TypeError("role_required needs at least one role")

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_roles = frozenset(str(r) for r in roles)  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


class RoleRequiredMixin:
    """The class-based form of :func:`role_required`: set ``required_roles``."""

    required_roles: tuple[Role | str, ...] = ()

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.required_roles:
            raise TypeError(f"{type(self).__name__} must set required_roles")
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not has_role(request.user, *self.required_roles):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
