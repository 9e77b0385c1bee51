"""The look in a real browser: stylesheet, fonts, keyboard, error summary, phone, axe.

Each test opens the test page of urls_look.py (base.html with the GOV.UK components and
a form with errors) served by live_server, in Chromium.
"""

from __future__ import annotations

import re

import pytest
from web.accessibility import assert_accessible
from web.viewports import PHONE

pytestmark = pytest.mark.urls("web.urls_look")

SYSTEM_FONT_STACK = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", arial, sans-serif'
)
FONT_FILE = re.compile(r"\.(woff2?|ttf|otf|eot)(\?|$)", re.IGNORECASE)


def open_look(page, live_server, query: str = "") -> None:
    """Open the test page and wait until GOV.UK Frontend's JavaScript has started."""
    response = page.goto(f"{live_server.url}/look/{query}")
    assert response is not None and response.ok
    page.wait_for_function("document.body.classList.contains('govuk-frontend-supported')")
    page.wait_for_selector("[data-module='govuk-skip-link'][data-govuk-skip-link-init]")


def test_stylesheet_loads_with_the_system_font_and_no_font_file(browser_page, live_server):
    requests: list[tuple[str, str]] = []
    browser_page.on("request", lambda r: requests.append((r.resource_type, r.url)))

    open_look(browser_page, live_server)

    stylesheets = [url for kind, url in requests if kind == "stylesheet"]
    assert [url.rsplit("/", 1)[-1] for url in stylesheets] == ["needle.css"]
    fonts = [url for kind, url in requests if kind == "font" or FONT_FILE.search(url)]
    assert fonts == []
    body_font = browser_page.evaluate("getComputedStyle(document.body).fontFamily")
    heading_font = browser_page.evaluate(
        "getComputedStyle(document.querySelector('h1')).fontFamily"
    )
    assert body_font == heading_font == SYSTEM_FONT_STACK
    # needle.css applied, not only fetched: the header has Needle's colour, not GOV.UK's.
    header = browser_page.evaluate(
        "getComputedStyle(document.querySelector('.govuk-header')).backgroundColor"
    )
    assert header == "rgb(11, 59, 74)"


def test_the_skip_link_is_the_first_thing_tab_reaches_and_skips_to_main(browser_page, live_server):
    open_look(browser_page, live_server, "?valid")

    browser_page.keyboard.press("Tab")
    focused = browser_page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    browser_page.keyboard.press("Enter")
    assert browser_page.evaluate("document.activeElement.id") == "main-content"


def test_error_summary_is_focused_and_each_link_focuses_its_field(browser_page, live_server):
    open_look(browser_page, live_server)

    assert browser_page.title() == "Error: Check the look – Needle"
    summary = browser_page.locator(".govuk-error-summary")
    assert summary.evaluate("element => element === document.activeElement")
    links = summary.locator("a")
    targets = [href.lstrip("#") for href in links.evaluate_all("as => as.map(a => a.hash)")]
    # The form-wide error first (to the first field), then one per field, in page order.
    assert targets == ["id_email", "id_email", "id_organisation", "id_role_0"]
    for index, target in enumerate(targets):
        links.nth(index).click()
        assert browser_page.evaluate("document.activeElement.id") == target


def test_no_horizontal_scroll_at_phone_width(browser_page, live_server):
    browser_page.set_viewport_size(PHONE)
    open_look(browser_page, live_server)

    widths = browser_page.evaluate(
        "({page: document.documentElement.scrollWidth, view: window.innerWidth})"
    )
    assert widths["page"] <= widths["view"] == PHONE["width"]


@pytest.mark.parametrize(
    ("query", "viewport"),
    [("", None), ("?valid&message", None), ("", PHONE)],
    ids=["errors", "success-message", "phone"],
)
def test_axe_finds_no_wcag_22_aa_violation(browser_page, live_server, query, viewport):
    if viewport:
        browser_page.set_viewport_size(viewport)
    open_look(browser_page, live_server, query)

    assert_accessible(browser_page)


def test_axe_failure_names_the_rule_and_the_element(browser_page, live_server):
    """The helper must fail, readably, on a page with a known violation."""
    open_look(browser_page, live_server, "?valid")
    browser_page.evaluate("document.querySelector('label[for=id_email]').remove()")

    with pytest.raises(AssertionError, match=r"label \((critical|serious)\)[\s\S]*#id_email"):
        assert_accessible(browser_page)
