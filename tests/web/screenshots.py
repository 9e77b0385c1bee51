"""Screenshots for docs/screenshots/: the look's test page, and the main pages of the app.

Why a script and not a test: pictures are for people reading the docs; the tests check
the same pages with assertions (test_look.py, test_pages_accessible.py). Run from the
repository root, after `apt-get install chromium`:

    .venv/bin/python tests/web/screenshots.py     # writes docs/screenshots/*.png

It serves the project with its own settings (HTTPS redirect off, since this server
speaks plain HTTP on loopback) and Django's static files handler, on a throwaway
initiative home: a temporary NEEDLE_HOME with a fresh SQLite database holding made-up
accounts, so it never touches a real initiative's data or sends an email.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CHROMIUM = os.environ.get("NEEDLE_CHROMIUM", "/usr/bin/chromium")

DESKTOP = {"width": 1280, "height": 900}

# (file name, path on the test page, viewport, whole page or first screen only)
SHOTS = [
    ("look-desktop.png", "/look/", DESKTOP, False),
    ("look-phone.png", "/look/", {"width": 375, "height": 812}, True),
    ("look-success-desktop.png", "/look/?valid&message", {"width": 1280, "height": 700}, False),
]

# The app's main pages at desktop width: (file name, who is signed in, path).
PAGE_SHOTS = [
    ("sign-in-desktop.png", None, "/sign-in/"),
    ("two-factor-setup-desktop.png", "new-admin", "/two-factor/"),
    ("account-list-desktop.png", "admin", "/accounts/"),
]
PASSWORD = "correct horse battery staple"


class QuietHandler(WSGIRequestHandler):
    """No access log on the terminal: the script reports the files it wrote instead."""

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serving(urlconf: str | None = None) -> Iterator[str]:
    """Serve the project (or ``urlconf``) on a free loopback port; yield its base URL."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.wsgi import get_wsgi_application
    from django.test.utils import override_settings

    overrides: dict[str, object] = {"SECURE_SSL_REDIRECT": False}
    if urlconf:
        overrides["ROOT_URLCONF"] = urlconf
    with override_settings(**overrides):
        server = make_server(
            "127.0.0.1", 0, StaticFilesHandler(get_wsgi_application()), handler_class=QuietHandler
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://localhost:{server.server_port}"
        finally:
            server.shutdown()


def made_up_initiative() -> dict[str, object]:
    """Accounts and invitations for the pictures: an admin with an authenticator, a new
    admin without one, a few people of other roles, two pending invitations."""
    from needle_web.accounts import services
    from needle_web.accounts.models import User
    from needle_web.accounts.roles import Role
    from needle_web.accounts.testing import make_account, totp_device

    admin = make_account(
        Role.BACKBONE_ADMIN, email="ada@backbone.example.org", full_name="Ada Okafor"
    )
    device = totp_device(admin)
    new_admin = make_account(
        Role.BACKBONE_ADMIN, email="ben@backbone.example.org", full_name="Ben Hughes"
    )
    people = [
        (Role.BACKBONE_ANALYST, "priya@backbone.example.org", "Priya Shah", ""),
        (Role.PARTNER_SUBMITTER, "sam@youthclub.example.org", "Sam Clarke", "YC"),
        (Role.PARTNER_VIEWER, "jo@sportstrust.example.org", "Jo Evans", "SST"),
        (Role.STEERING_GROUP, "chair@example.org", "Morgan Lee", ""),
    ]
    for role, email, name, partner in people:
        make_account(role, email=email, full_name=name, partner_code=partner or None)
    User.objects.filter(email="jo@sportstrust.example.org").update(is_active=False)
    for email, role, partner in [
        ("kim@youthclub.example.org", Role.PARTNER_SUBMITTER, "YC"),
        ("fran@funder.example.org", Role.FUNDER, ""),
    ]:
        services.invitation_create(
            invited_by=admin,
            email=email,
            role=role,
            partner_code=partner,
            site_url="https://needle.example.org",
        )
    return {"admin": (admin, device), "new-admin": (new_admin, None)}


def sign_in(page, base: str, user, device) -> None:  # type: ignore[no-untyped-def]
    """Sign in through the pages, entering the authenticator's code when asked."""
    from needle_web.accounts.testing import totp_code

    page.goto(base + "/sign-in/")
    page.get_by_label("Email address", exact=True).fill(user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()
    if device is not None:
        page.get_by_label("Code from your authenticator app").fill(totp_code(device))
        with page.expect_navigation():
            page.get_by_role("button", name="Continue", exact=True).click()


def take_screenshots(out: Path) -> list[Path]:
    """Photograph the look's test page and the app's main pages in Chromium."""
    sys.path.insert(0, str(HERE.parent))  # makes web.urls_look importable, as in pytest
    home = Path(tempfile.mkdtemp(prefix="needle-screenshots-"))
    os.environ["NEEDLE_HOME"] = str(home)  # a throwaway initiative: its own database
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "needle_web.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import override_settings
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    call_command("migrate", verbosity=0)
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    ):
        people = made_up_initiative()  # before Playwright's event loop, which Django refuses
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
            with serving("web.urls_look") as base:
                for name, path, viewport, full_page in SHOTS:
                    page = browser.new_page(viewport=viewport, locale="en-GB")
                    page.goto(base + path)
                    page.wait_for_selector("[data-govuk-skip-link-init]")
                    page.screenshot(path=out / name, full_page=full_page)
                    page.close()
                    written.append(out / name)
            with serving() as base:
                for name, who, path in PAGE_SHOTS:
                    page = browser.new_page(viewport=DESKTOP, locale="en-GB")
                    if who is not None:
                        sign_in(page, base, *people[who])
                    page.goto(base + path)
                    page.wait_for_selector("[data-govuk-skip-link-init]")
                    page.screenshot(path=out / name, full_page=True)
                    page.close()
                    written.append(out / name)
            browser.close()
    shutil.rmtree(home, ignore_errors=True)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    for path in take_screenshots(parser.parse_args().out):
        print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
