"""Template context for every page: the header navigation for the signed-in account."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from needle_web.accounts.permissions import has_role
from needle_web.accounts.roles import BACKBONE_ROLES, Role
from needle_web.accounts.two_factor import two_factor_step

__all__ = ["NAV", "NavLink", "navigation"]


@dataclass(frozen=True)
class NavLink:
    """One header link: its label, URL name and the roles that see it (empty: everyone
    signed in)."""

    label: str
    url_name: str
    roles: frozenset[str] = frozenset()


# Later issues add their pages here (submissions, dashboard, ...), in display order.
NAV: list[NavLink] = [
    NavLink("Home", "pages:home"),
    NavLink("Dashboard", "dashboards:backbone", frozenset(BACKBONE_ROLES)),
    NavLink(
        "Collective dashboard", "dashboards:steering", frozenset({Role.STEERING_GROUP, Role.FUNDER})
    ),
    NavLink("Open data", "dashboards:public"),
    NavLink(
        "Submissions",
        "submissions:list",
        frozenset({*BACKBONE_ROLES, Role.PARTNER_SUBMITTER, Role.PARTNER_VIEWER}),
    ),
    NavLink(
        "Journeys", "journeys:home", frozenset({*BACKBONE_ROLES, Role.STEERING_GROUP, Role.FUNDER})
    ),
    NavLink("Tracker", "tracker:submissions", frozenset(BACKBONE_ROLES)),
    NavLink("Data quality", "tracker:data_quality", frozenset(BACKBONE_ROLES)),
    NavLink("Linkage", "linkage:quality", frozenset(BACKBONE_ROLES)),
    NavLink(
        "Our feedback", "feedback:home", frozenset({Role.PARTNER_SUBMITTER, Role.PARTNER_VIEWER})
    ),
    NavLink("Initiative settings", "initiative:overview", frozenset(BACKBONE_ROLES)),
    NavLink("Accounts", "accounts:account_list", frozenset({Role.BACKBONE_ADMIN})),
    NavLink("API tokens", "api:tokens", frozenset({Role.BACKBONE_ADMIN})),
    NavLink("Audit log", "audit:event_list", frozenset({Role.BACKBONE_ADMIN})),
    NavLink("Sign-in security", "accounts:two_factor_setup"),
]


def navigation(request: HttpRequest) -> dict[str, list[tuple[str, str, bool]]]:
    """``nav_items``: (label, url, current) for each link the account may follow; empty for
    anonymous visitors and for accounts still to enter their two-factor code."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or two_factor_step(user) is not None:
        return {"nav_items": []}
    items = []
    for link in NAV:
        if link.roles and not has_role(user, *link.roles):
            continue
        try:
            url = reverse(link.url_name)
        except NoReverseMatch:
            continue
        current = request.path == url or (url != "/" and request.path.startswith(url))
        items.append((link.label, url, current))
    return {"nav_items": items}
