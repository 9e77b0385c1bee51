"""Browser visits of the feedback app's pages (merged into test_pages_accessible.VISITS).

The pages are checked with results (charts drawn inline: the browser test fails on any
Content-Security-Policy violation, so the SVG must need no inline style) and before the
indicators were ever computed. The homes are the dashboards' visits' (built once).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.test import override_settings
from django.urls import reverse
from web.site import Site, admin_site
from web.visits_dashboards import no_results_home, results_home

from needle_web.accounts.roles import Role
from needle_web.accounts.testing import make_account

TITLE = "How we are doing"
# The first view of a partner's page after a refresh draws its charts (a few dozen, about a
# tenth of a second each, then cached): allow for that on a busy test machine.
FIRST_VIEW_MS = 60_000


def _charts_are_drawn(site: Site) -> None:
    charts = site.page.locator(".feedback-chart svg[role='img']")
    # Several measures are drawn (how many depends on which of the partner's numbers the
    # disclosure control publishes on this small pool).
    assert charts.count() >= 3
    box = charts.first.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100
    assert "Young people reached" in (charts.first.get_attribute("aria-label") or "")


def visit_home(site: Site) -> None:
    """A partner's own page, first with no results, then with them; and the backbone's
    list of partners."""
    site.page.set_default_navigation_timeout(FIRST_VIEW_MS)
    site.sign_in(make_account(Role.PARTNER_VIEWER, email="val@youthclub.example.org"))
    with override_settings(HOME=no_results_home()):
        site.open(reverse("feedback:home"))
        assert site.page.locator("#no-results").count() == 1
        site.check(TITLE)
    with override_settings(HOME=results_home()):
        site.open(reverse("feedback:home"))
        assert site.page.locator("#no-results").count() == 0
        _charts_are_drawn(site)
        site.page.get_by_text("Show the numbers for young people reached", exact=True).click()
        assert site.page.locator("table[data-indicator='reach']").is_visible()
        site.check(TITLE)


def visit_partner(site: Site) -> None:
    """The backbone chooses a partner and sees its page; a partner account asking for
    another partner's page is told there is no such page."""
    site.page.set_default_navigation_timeout(FIRST_VIEW_MS)
    with override_settings(HOME=results_home()):
        admin_site(site)
        site.open(reverse("feedback:home"))
        site.check("Partners' feedback")
        with site.page.expect_navigation():
            site.page.get_by_role("link", name="Sport for All (SPORT)").click()
        site.settle()
        assert urlsplit(site.page.url).path == reverse("feedback:partner", args=["SPORT"])
        assert site.page.locator("#viewing-as").count() == 1
        _charts_are_drawn(site)
        site.check(TITLE)
        site.page.context.clear_cookies()
        site.sign_in(make_account(Role.PARTNER_SUBMITTER, email="sam@youthclub.example.org"))
        site.open(reverse("feedback:partner", args=["YC"]))
        site.check(TITLE)
        site.open(reverse("feedback:partner", args=["SPORT"]), status=404)
        site.check("Page not found")


VISITS: dict[str, Callable[[Site], None]] = {
    "feedback:home": visit_home,
    "feedback:partner": visit_partner,
}
