"""Every page of the web app, in real Chromium, checked by axe-core.

The URL configuration is walked (``django.urls.get_resolver()``, recursively) for every
named URL pattern, and ``VISITS`` maps each name to a function that drives the browser to
that page in the state a person meets it: signed out, as a partner, or as a backbone
admin who has entered a two-factor code; with data on the page (accounts, invitations,
audit events); and, for each form, once more after submitting it empty so that its
errors are shown. At every stop the page must pass axe-core (WCAG 2.2 AA), have exactly
one ``h1`` and a ``<title>`` naming the page.

``test_every_named_url_is_visited`` fails as soon as a URL pattern is added that is not in
``VISITS`` (or in ``NOT_VISITED`` with a reason), so no page can be forgotten; and each
visit must actually request its URL in the browser. An app's pages bring their visits in
``tests/web/visits_<app>.py`` (a ``VISITS`` dict, driving ``web.site.Site``).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import (
    URLPattern,
    URLResolver,
    get_resolver,
    include,
    path,
    reverse,
)
from django.urls.resolvers import RegexPattern
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer
from web.site import Site, admin_site, backbone_admin, invitation_link

from needle_web.accounts import selectors, services
from needle_web.accounts.models import User
from needle_web.accounts.roles import Role
from needle_web.accounts.testing import make_account, totp_code
from needle_web.audit.actions import AuditAction
from needle_web.audit.services import audit_record

# Named URL patterns that are not pages a browser shows, each with the reason.
NOT_VISITED: dict[str, str] = {
    "pages:healthz": "plain-text health check for load balancers, not an HTML page",
}


def named_url_patterns(resolver: URLResolver | None = None, namespace: str = "") -> set[str]:
    """Every named URL pattern, as ``namespace:name``, through every include."""
    resolver = resolver or get_resolver()
    names: set[str] = set()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= named_url_patterns(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(f"{namespace}{entry.name}")
    return names


# ---- one visit per URL name ---------------------------------------------------------------


def visit_home(site: Site) -> None:
    site.open(reverse("pages:home"))
    site.check("Home")
    site.sign_in(make_account(Role.PARTNER_VIEWER, email="val@youthclub.example.org"))
    site.check("Home")


def visit_accessibility(site: Site) -> None:
    """Reached from the footer link every page has."""
    site.open(reverse("pages:home"))
    with site.page.expect_navigation():
        site.page.get_by_role("link", name="Accessibility statement").click()
    site.settle()
    site.check("Accessibility statement")


def visit_login(site: Site) -> None:
    site.open(reverse("accounts:login"))
    site.check("Sign in")
    site.press("Sign in")
    site.check("Sign in", errors=True)
    site.fill("Email address", "nobody@example.org")
    site.fill("Password", "not the password")
    site.press("Sign in")
    site.check("Sign in", errors=True)


def visit_logout(site: Site) -> None:
    """Sign-out is a POST from the home page's button; it lands on the sign-in page."""
    site.sign_in(make_account(Role.PARTNER_SUBMITTER, email="sam@youthclub.example.org"))
    site.press("Sign out")
    assert urlsplit(site.page.url).path == reverse("accounts:login")
    site.check("Sign in")


def visit_password_reset(site: Site) -> None:
    site.open(reverse("accounts:password_reset"))
    site.check("Reset your password")
    site.press("Send the link")
    site.check("Reset your password", errors=True)


def visit_password_reset_done(site: Site) -> None:
    make_account(Role.PARTNER_VIEWER, email="val@youthclub.example.org")
    site.open(reverse("accounts:password_reset"))
    site.fill("Email address", "val@youthclub.example.org")
    site.press("Send the link")
    site.check("Check your email")


def _reset_link(site: Site) -> str:
    make_account(Role.PARTNER_VIEWER, email="val@youthclub.example.org")
    site.open(reverse("accounts:password_reset"))
    site.fill("Email address", "val@youthclub.example.org")
    site.press("Send the link")
    found = re.search(r"https?://\S+/password-reset/\S+/\S+/", mail.outbox[-1].body)
    assert found, mail.outbox[-1].body
    return urlsplit(found.group(0)).path


def visit_password_reset_confirm(site: Site) -> None:
    site.open(_reset_link(site))  # redirects to a URL without the token
    site.check("Choose a new password")
    site.press("Save the new password")
    site.check("Choose a new password", errors=True)
    site.open(reverse("accounts:password_reset_confirm", args=["MQ", "not-a-token"]))
    site.check("Password reset link does not work")


def visit_password_reset_complete(site: Site) -> None:
    site.open(_reset_link(site))
    site.fill("New password", "a much longer new passphrase")
    site.fill("Confirm your new password", "a much longer new passphrase")
    site.press("Save the new password")
    site.check("Password changed")


def visit_invitation_open(site: Site) -> None:
    """The emailed link moves the token into the session and lands on the accept page."""
    link = invitation_link(site, backbone_admin())
    site.open(link)
    assert urlsplit(site.page.url).path == reverse("accounts:invitation_accept")
    site.check("Accept your invitation")


def visit_invitation_accept(site: Site) -> None:
    site.open(reverse("accounts:invitation_accept"), status=410)  # no token in the session
    site.check("Invitation link does not work")
    site.open(invitation_link(site, backbone_admin()))
    site.press("Create my account")
    site.check("Accept your invitation", errors=True)
    site.fill("Full name", "Kim Partner")
    site.fill("Create a password", "a long enough passphrase")
    site.fill("Confirm your password", "a different passphrase!!")
    site.press("Create my account")
    site.check("Accept your invitation", errors=True)
    site.fill("Create a password", "a long enough passphrase")
    site.fill("Confirm your password", "a long enough passphrase")
    site.press("Create my account")
    assert urlsplit(site.page.url).path == reverse("pages:home")
    site.check("Home")


def visit_two_factor_setup(site: Site) -> None:
    """A backbone admin without an authenticator is sent to set one up after the password;
    a partner may choose to; once set up, the page says it is on."""
    admin = make_account(Role.BACKBONE_ADMIN, email="new@backbone.example.org")
    site.sign_in(admin)
    assert urlsplit(site.page.url).path == reverse("accounts:two_factor_setup")
    site.check("Set up two-factor sign-in")
    site.press("Confirm")
    site.check("Set up two-factor sign-in", errors=True)
    device = selectors.pending_totp_device(admin)
    assert device is not None
    site.fill("Code from your authenticator app", totp_code(device))
    site.press("Confirm")
    site.check("Home", banner="Two-factor sign-in is set up")
    site.open(reverse("accounts:two_factor_setup"))
    site.check("Sign-in security")
    site.page.get_by_role("link", name="set up a new authenticator app").click()
    site.settle()
    site.check("Set up two-factor sign-in")


def visit_two_factor_verify(site: Site) -> None:
    admin = backbone_admin()
    site.sign_in(admin)
    assert urlsplit(site.page.url).path == reverse("accounts:two_factor_verify")
    site.check("Enter your code")
    site.press("Continue")
    site.check("Enter your code", errors=True)
    site.fill("Code from your authenticator app", "000000")
    site.press("Continue")
    site.check("Enter your code", errors=True)


def _accounts_and_invitations(admin: User) -> None:
    make_account(Role.BACKBONE_ANALYST, email="ana@backbone.example.org", full_name="Ana Lyst")
    make_account(Role.PARTNER_SUBMITTER, email="sam@youthclub.example.org", full_name="Sam")
    make_account(Role.PARTNER_VIEWER, email="gone@youthclub.example.org", is_active=False)
    make_account(Role.FUNDER, email="fran@funder.example.org", full_name="Fran Funder")
    for email, role, partner in [
        ("kim@youthclub.example.org", Role.PARTNER_SUBMITTER, "YC"),
        ("sg@example.org", Role.STEERING_GROUP, ""),
    ]:
        services.invitation_create(
            invited_by=admin, email=email, role=role, partner_code=partner, site_url="https://x"
        )


def visit_account_list(site: Site) -> None:
    admin = admin_site(site)
    _accounts_and_invitations(admin)
    site.open(reverse("accounts:account_list"))
    assert site.page.locator("tbody tr").count() == 5 + 2  # accounts, then invitations
    site.check("Accounts")


def visit_invitation_new(site: Site) -> None:
    admin_site(site)
    site.open(reverse("accounts:account_list"))
    site.press("Invite someone")
    site.check("Invite someone")
    site.press("Send invitation")
    site.check("Invite someone", errors=True)
    site.fill("Email address", "kim@youthclub.example.org")
    site.page.get_by_label("Partner viewer", exact=True).check()
    site.press("Send invitation")  # a partner role without a partner
    site.check("Invite someone", errors=True)
    site.fill("Partner organisation code", "YC")
    site.press("Send invitation")
    site.check("Accounts", banner="Invitation sent to kim@youthclub.example.org")


def visit_invitation_revoke(site: Site) -> None:
    """Withdrawing is a POST from the account list; it comes back to the list."""
    admin = admin_site(site)
    _accounts_and_invitations(admin)
    site.open(reverse("accounts:account_list"))
    site.press("Withdraw invitation to sg@example.org")
    site.check("Accounts", banner="Invitation to sg@example.org withdrawn")


def visit_account_deactivate(site: Site) -> None:
    admin = admin_site(site)
    leaver = make_account(Role.PARTNER_SUBMITTER, email="leaver@youthclub.example.org")
    site.open(reverse("accounts:account_list"))
    site.page.get_by_role("link", name="Deactivate leaver@youthclub.example.org").click()
    site.settle()
    site.check("Deactivate leaver@youthclub.example.org")
    site.press("Deactivate account")
    site.check("Accounts", banner="leaver@youthclub.example.org can no longer sign in")
    site.open(reverse("accounts:account_deactivate", args=[leaver.pk]))
    site.check("Deactivate leaver@youthclub.example.org")  # already deactivated
    site.open(reverse("accounts:account_deactivate", args=[admin.pk]))
    site.press("Deactivate account")  # one's own account: refused
    site.check(f"Deactivate {admin.email}", errors=True)


def visit_event_list(site: Site) -> None:
    admin = admin_site(site)
    for number in range(110):  # more than two pages, one of each action
        audit_record(
            action=AuditAction.INVITATION_CREATED if number % 2 else AuditAction.SIGNED_IN,
            actor=admin,
            target=f"invitation {number}",
        )
    site.open(reverse("audit:event_list"))
    assert site.page.locator(".govuk-pagination").count() == 1
    site.check("Audit log")
    site.page.get_by_label("Action").select_option(label="Invitation sent")
    site.press("Show")
    site.check("Audit log")
    site.page.get_by_role("link", name="Next page").click()  # keeps the chosen action
    site.settle()
    assert "55 events" in site.page.locator("caption").inner_text()
    site.check("Audit log")


# Pages added by other apps bring their visits in tests/web/visits_<app>.py (a VISITS
# dict of their own, merged below).
VISITS: dict[str, Callable[[Site], None]] = {
    "pages:home": visit_home,
    "pages:accessibility": visit_accessibility,
    "accounts:login": visit_login,
    "accounts:logout": visit_logout,
    "accounts:password_reset": visit_password_reset,
    "accounts:password_reset_done": visit_password_reset_done,
    "accounts:password_reset_confirm": visit_password_reset_confirm,
    "accounts:password_reset_complete": visit_password_reset_complete,
    "accounts:invitation_open": visit_invitation_open,
    "accounts:invitation_accept": visit_invitation_accept,
    "accounts:two_factor_setup": visit_two_factor_setup,
    "accounts:two_factor_verify": visit_two_factor_verify,
    "accounts:account_list": visit_account_list,
    "accounts:invitation_new": visit_invitation_new,
    "accounts:invitation_revoke": visit_invitation_revoke,
    "accounts:account_deactivate": visit_account_deactivate,
    "audit:event_list": visit_event_list,
}

for _module in sorted(Path(__file__).parent.glob("visits_*.py")):
    VISITS.update(importlib.import_module(f"web.{_module.stem}").VISITS)


# ---- the tests ----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fast_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    """A fast password hasher: the tests are about the pages, not the hash's cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def site(
    browser_page: Page, console_errors: list[str], live_server: LiveServer, transactional_db: None
) -> Site:
    return Site(browser_page, live_server.url, console_errors)


def unvisited(names: set[str]) -> set[str]:
    """The URL names neither visited nor excused."""
    return names - set(VISITS) - set(NOT_VISITED)


def test_every_named_url_is_visited() -> None:
    names = named_url_patterns()
    assert "accounts:login" in names and "audit:event_list" in names  # the walk works
    assert not set(VISITS) & set(NOT_VISITED), "a URL name is both visited and excused"
    forgotten = unvisited(names)
    assert not forgotten, (
        "add a visit to VISITS in tests/web/visits_<app>.py (or a reason to NOT_VISITED) for: "
        + ", ".join(sorted(forgotten))
    )
    stale = (set(VISITS) | set(NOT_VISITED)) - names
    assert not stale, f"no such URL names any more: {', '.join(sorted(stale))}"


def test_a_page_added_later_would_be_caught() -> None:
    """The check above fails for a new page, even one nested in a new namespace."""
    later = [path("", include(([path("", lambda request: None, name="tracker")], "reports")))]
    project = URLResolver(RegexPattern(r"^/"), [*get_resolver().url_patterns, *later])
    assert unvisited(named_url_patterns(project)) == {"reports:tracker"}


@pytest.mark.parametrize("url_name", sorted(VISITS))
def test_page_is_accessible(url_name: str, site: Site) -> None:
    VISITS[url_name](site)
    assert url_name in site.requested, f"the visit never requested {url_name}"
    assert site.checked, "the visit checked no page"


def test_error_and_lockout_pages_are_accessible(site: Site) -> None:
    """Pages that are no URL pattern of their own: refused, not found, locked out."""
    site.sign_in(make_account(Role.PARTNER_SUBMITTER, email="sam@youthclub.example.org"))
    site.open(reverse("accounts:account_list"), status=403)
    site.check("You cannot see this page")
    site.open("/no-such-page/", status=404)
    site.check("Page not found")
    site.open(reverse("pages:home"))
    site.press("Sign out")
    victim = make_account(Role.PARTNER_VIEWER, email="val@youthclub.example.org")
    for attempt in range(1, 6):
        site.fill("Email address", victim.email)
        site.fill("Password", "not the password")
        site.press("Sign in", status=429 if attempt == 5 else 200)
    site.check("Sign-in paused")
