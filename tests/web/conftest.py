"""The browser test harness: real Chromium driven by Playwright, pages from live_server.

Fixtures: ``browser`` (one headless Chromium per test session) and ``browser_page`` (a
fresh context and page per test, which fails the test on any error in the browser
console). Serve pages with pytest-django's ``live_server`` and check them with
``web.accessibility.assert_accessible``.

Chromium comes from the system (``apt-get install chromium``; ``NEEDLE_CHROMIUM``
overrides the path) because Playwright cannot download its own browsers here. Without it
the browser tests skip on a developer's machine and fail in CI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings
from pytest_django.live_server_helper import LiveServer
from required import skip_or_fail
from web.viewports import DESKTOP

# Playwright's sync API runs an event loop in the test thread, which makes Django
# refuse database access from that thread unless told it is safe: it is, since the
# loop only drives the browser.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("NEEDLE_CHROMIUM", "/usr/bin/chromium"))


@pytest.fixture(scope="session")
def live_server(request) -> Iterator[LiveServer]:
    """pytest-django's live server, built while the HTTPS redirect is off.

    The live server speaks plain HTTP, but the production-safe settings redirect every
    request to HTTPS. Django's SecurityMiddleware reads SECURE_SSL_REDIRECT once, when
    the server thread builds its handler, so the override lasts only while the server
    starts: the settings other tests see are left as they were. (Secure cookies still
    work, since Chromium trusts http://localhost.)
    """
    address = (
        request.config.getvalue("liveserver")
        or os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    with override_settings(SECURE_SSL_REDIRECT=False):
        server = LiveServer(address)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session: starting it costs about a second."""
    if not CHROMIUM.exists():
        skip_or_fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser
        browser.close()


@pytest.fixture
def console_errors() -> list[str]:
    """The errors the browser logged during the test, which ``browser_page`` fails on.

    A test that opens an error page on purpose (a 403, a 410) removes the one line
    Chromium logs for it ("Failed to load resource: ... status of 403"), and only that.
    """
    return []


@pytest.fixture
def browser_page(browser, console_errors: list[str]) -> Iterator:
    """A new page at desktop size in its own context (no cookies shared between tests).

    The test fails if the browser logs any error: an uncaught exception, a file that did
    not load, or something the Content-Security-Policy blocked.
    """
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = console_errors
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: errors.append(message.text) if message.type == "error" else None,
    )
    yield page
    context.close()
    if errors:
        pytest.fail("Errors in the browser console:\n" + "\n".join(errors))


@pytest.fixture(autouse=True)
def tasks_in_the_request(settings) -> None:  # type: ignore[no-untyped-def]
    """Files sent in the browser are decided as soon as they are queued, without a worker
    (needle_web/submissions/tests/test_worker.py runs the real one)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
