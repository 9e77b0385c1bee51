"""A browser tab driven page by page, for the accessibility walk of every page
(test_pages_accessible.py) and the visit modules that add pages to it (visits_*.py)."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.core import mail
from django.urls import Resolver404, resolve, reverse
from playwright.sync_api import Page
from web.accessibility import assert_accessible

from needle_web.accounts import selectors, services
from needle_web.accounts.models import User
from needle_web.accounts.roles import Role
from needle_web.accounts.testing import PASSWORD, make_account, totp_code, totp_device

SUFFIX = " – Needle"


@dataclass
class Site:
    """One browser tab on the live server, recording which URL names it requested."""

    page: Page
    base: str
    console_errors: list[str]
    requested: set[str] = field(default_factory=set)
    checked: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("request", self._record)

    def _record(self, request) -> None:  # type: ignore[no-untyped-def]
        if not request.url.startswith(self.base):
            return
        with contextlib.suppress(Resolver404):  # a static file or an unknown address
            self.requested.add(resolve(urlsplit(request.url).path).view_name)

    def settle(self) -> None:
        """Wait until GOV.UK Frontend's JavaScript has started (it moves focus to an error
        summary or a success banner, which is part of what axe should judge)."""
        self.page.wait_for_load_state()
        self.page.wait_for_selector("body.govuk-frontend-supported")
        self.page.wait_for_selector("[data-module='govuk-skip-link'][data-govuk-skip-link-init]")

    def open(self, path: str, status: int = 200) -> None:
        """Go to ``path``, which must answer ``status``."""
        self._arrive(self.page.goto(self.base + path), status)

    def press(self, button: str, status: int = 200) -> None:
        """Click the button (or button-like link) named ``button``; the page it leads to
        must answer ``status``."""
        with self.page.expect_navigation() as navigation:
            self.page.get_by_role("button", name=button, exact=True).click()
        self._arrive(navigation.value, status)

    def _arrive(self, response, status: int) -> None:  # type: ignore[no-untyped-def]
        """Check the status, wait for the page; for an error status, expect (and drop) the
        one console line Chromium logs for it, and no other."""
        assert response is not None and response.status == status, (self.page.url, response)
        self.settle()
        if status >= 400:
            logged = f"Failed to load resource: the server responded with a status of {status}"
            expected = [line for line in self.console_errors if line.startswith(logged)]
            assert len(expected) == 1, self.console_errors
            self.console_errors.remove(expected[0])

    def fill(self, label: str, value: str) -> None:
        self.page.get_by_label(label, exact=True).fill(value)

    def check(self, title: str, *, errors: bool = False, banner: str = "") -> None:
        """The page as it is now: its title names it, one h1, no axe violations; with
        ``errors``, an error summary and "Error: " in the title; with ``banner``, a
        notification banner saying so (once: messages must not be shown twice)."""
        expected = ("Error: " if errors else "") + title + SUFFIX
        assert self.page.title() == expected, self.page.url
        assert self.page.locator("h1").count() == 1, f"not exactly one h1 on {self.page.url}"
        assert self.page.locator(".govuk-error-summary").count() == (1 if errors else 0)
        if errors:  # GOV.UK Frontend moves focus to the summary, so it is read first
            summary = self.page.locator(".govuk-error-summary")
            assert summary.evaluate("element => element.contains(document.activeElement)")
        banners = self.page.locator(".govuk-notification-banner")
        if banner:
            assert banners.count() == 1, f"{banners.count()} banners on {self.page.url}"
            assert banner in banners.inner_text()
        else:
            assert banners.count() == 0
        assert_accessible(self.page)
        self.checked.append(expected)

    # -- who is at the keyboard --

    def sign_in(self, user: User, password: str = PASSWORD) -> None:
        """Sign in with the password, from the sign-in page."""
        self.open(reverse("accounts:login"))
        self.fill("Email address", user.email)
        self.fill("Password", password)
        self.press("Sign in")

    def sign_in_verified(self, user: User) -> None:
        """Sign in and enter the code the account's authenticator shows now."""
        device = selectors.confirmed_totp_device(user)
        assert device is not None
        self.sign_in(user)
        assert urlsplit(self.page.url).path == reverse("accounts:two_factor_verify")
        self.fill("Code from your authenticator app", totp_code(device))
        self.press("Continue")
        assert urlsplit(self.page.url).path == reverse("pages:home")


def backbone_admin(email: str = "ada@backbone.example.org") -> User:
    """A backbone admin with a confirmed authenticator."""
    admin = make_account(Role.BACKBONE_ADMIN, email=email, full_name="Ada Admin")
    totp_device(admin)
    return admin


def admin_site(site: Site) -> User:
    admin = backbone_admin()
    site.sign_in_verified(admin)
    return admin


def invitation_link(site: Site, admin: User, email: str = "kim@youthclub.example.org") -> str:
    """A real invitation, sent the way the app sends it; the link is read from the email."""
    services.invitation_create(
        invited_by=admin,
        email=email,
        role=Role.PARTNER_SUBMITTER,
        partner_code="YC",
        site_url=site.base,
    )
    found = re.search(r"https?://\S+/invitation/\S+/", mail.outbox[-1].body)
    assert found, mail.outbox[-1].body
    return urlsplit(found.group(0)).path
