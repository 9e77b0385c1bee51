"""Browser visits of the journeys app's pages (merged into test_pages_accessible.VISITS).

The live server serves an initiative home with the core's hand-made pool and two of its
records linked as one young person (needle_web/journeys/tests/homes.py), built once per
test process. Each page is checked by axe-core as the backbone sees it and, for the
collective pages, as a steering group member does (with suppressed numbers).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from django.test import override_settings
from django.urls import reverse
from web.site import Site, admin_site

from needle_web.accounts.roles import Role
from needle_web.accounts.testing import make_account
from needle_web.journeys.tests.homes import LINKED, journeys_home


@cache
def pool_home() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="needle-journeys-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return journeys_home(folder / "home")


def _steering_member(site: Site) -> None:
    site.sign_in(make_account(Role.STEERING_GROUP, email="sg-journeys@example.org"))


def _numbers(site: Site, role: str) -> None:
    """Open "Show the numbers" and see the table."""
    site.page.get_by_text("Show the numbers", exact=False).first.click()
    assert site.page.locator(f"table[data-role='{role}']").is_visible()


def visit_home(site: Site) -> None:
    with override_settings(HOME=pool_home()):
        admin_site(site)
        site.open(reverse("pages:home"))
        site.page.get_by_role("link", name="Journeys", exact=True).click()
        site.settle()
        assert urlsplit(site.page.url).path == reverse("journeys:home")
        site.check("Journeys")


def visit_pathways(site: Site) -> None:
    with override_settings(HOME=pool_home()):
        admin_site(site)
        site.open(reverse("journeys:home"))
        site.page.get_by_role("link", name="Pathways", exact=True).click()
        site.settle()
        chart = site.page.locator("#pathways svg[role='img']")
        assert chart.bounding_box()["height"] > 100
        _numbers(site, "flows")
        site.check("Pathways between provision categories")
        site.page.get_by_role("link", name="See this page as the steering group").click()
        site.settle()
        assert site.page.get_by_text("suppressed", exact=True).count() > 0
        site.check("Pathways between provision categories")


def visit_referrals(site: Site) -> None:
    with override_settings(HOME=pool_home()):
        admin_site(site)
        site.open(reverse("journeys:referrals"))
        _numbers(site, "funnel")
        site.check("Referrals")
        site.page.get_by_label("Break down by", exact=True).select_option("partner")
        site.press("Show")
        assert site.page.locator("table[data-role='funnel'] tbody tr").count() >= 12
        site.check("Referrals")


def visit_disengagement(site: Site) -> None:
    with override_settings(HOME=pool_home()):
        _steering_member(site)
        site.open(reverse("journeys:disengagement"))
        site.check("Where young people stop")
        site.page.get_by_label("Days without attending", exact=True).select_option("30")
        site.press("Show")
        assert "30 days" in site.page.locator("h1 + p").inner_text()
        site.check("Where young people stop")


def visit_typical(site: Site) -> None:
    with override_settings(HOME=pool_home()):
        _steering_member(site)
        site.open(reverse("journeys:typical"))
        site.check("Typical journeys")
        site.page.get_by_label("Cohorts by", exact=True).select_option("gender")
        site.press("Show")
        assert site.page.locator("table[data-role='typical'] tbody tr").count() >= 2
        site.check("Typical journeys")


def visit_timeline(site: Site) -> None:
    with override_settings(HOME=pool_home()):
        admin_site(site)
        site.open(reverse("journeys:timeline"))
        site.check("One young person's timeline")
        site.press("Show the timeline")  # empty: an error
        site.check("One young person's timeline", errors=True)
        site.fill("Person id", LINKED)
        site.press("Show the timeline")
        assert site.page.locator("table[data-role='timeline'] tbody tr").count() > 10
        site.check("One young person's timeline")


VISITS: dict[str, Callable[[Site], None]] = {
    "journeys:home": visit_home,
    "journeys:pathways": visit_pathways,
    "journeys:referrals": visit_referrals,
    "journeys:disengagement": visit_disengagement,
    "journeys:typical": visit_typical,
    "journeys:timeline": visit_timeline,
}
