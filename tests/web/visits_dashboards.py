"""Browser visits of the dashboards app's pages (merged into test_pages_accessible.VISITS).

The live server serves a real initiative home with computed indicators (built once per
test process from the core's hand-made pool), and for one page also a home whose
indicators were never computed, so that both states pass axe-core.
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
from needle_web.dashboards.tests.homes import empty_home, home_with_results


@cache
def _folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="needle-dashboards-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


@cache
def results_home() -> Path:
    return home_with_results(_folder() / "results")


@cache
def no_results_home() -> Path:
    return empty_home(_folder() / "empty")


def _steering_member(site: Site) -> None:
    site.sign_in(make_account(Role.STEERING_GROUP, email="sg@example.org"))


def visit_backbone(site: Site) -> None:
    with override_settings(HOME=results_home()):
        admin_site(site)
        site.open(reverse("dashboards:backbone"))
        assert site.page.locator(".govuk-summary-card").count() >= 10
        site.check("Indicators dashboard")


def visit_backbone_indicator(site: Site) -> None:
    with override_settings(HOME=results_home()):
        admin_site(site)
        site.open(reverse("dashboards:backbone"))
        site.page.get_by_role("link", name="Breakdowns of young people reached", exact=True).click()
        site.settle()
        assert urlsplit(site.page.url).path == reverse(
            "dashboards:backbone_indicator", args=["reach"]
        )
        assert site.page.locator("table[data-breakdown='partner']").count() == 1
        site.check("Young people reached")
        site.open(reverse("dashboards:backbone_indicator", args=["wellbeing_change"]))
        site.check("Change in wellbeing (SWEMWBS)")
        site.open(reverse("dashboards:backbone_indicator", args=["no_such_thing"]), status=404)
        site.check("Page not found")


def visit_steering(site: Site) -> None:
    with override_settings(HOME=results_home()):
        _steering_member(site)
        site.open(reverse("dashboards:steering"))
        assert site.page.get_by_text("suppressed to protect privacy").count() > 0
        site.check("Collective dashboard")


def visit_steering_indicator(site: Site) -> None:
    with override_settings(HOME=results_home()):
        _steering_member(site)
        site.open(reverse("dashboards:steering_indicator", args=["reach"]))
        assert site.page.locator("table[data-breakdown='partner']").count() == 0
        site.check("Young people reached")


def visit_public(site: Site) -> None:
    with override_settings(HOME=no_results_home()):
        site.open(reverse("dashboards:public"))
        assert site.page.locator("#no-results").count() == 1
        site.check("Open data")
    with override_settings(HOME=results_home()):
        site.open(reverse("dashboards:public"))
        assert site.page.locator("#no-results").count() == 0
        site.check("Open data")


def visit_public_indicator(site: Site) -> None:
    with override_settings(HOME=results_home()):
        site.open(reverse("dashboards:public"))
        site.page.get_by_role("link", name="Young people reached", exact=True).click()
        site.settle()
        site.check("Young people reached")


def visit_public_csv(site: Site) -> None:
    """The CSV is a download from the public page's link; open data is also fetched by
    scripts in other pages and notebooks, as the page's own script fetches it here (a
    download does not show among the page's requests)."""
    with override_settings(HOME=results_home()):
        site.open(reverse("dashboards:public"))
        site.check("Open data")
        with site.page.expect_download() as download:
            site.page.get_by_role("link", name="Indicator results (CSV)").click()
        assert download.value.suggested_filename == "data.csv"
        first_line = Path(download.value.path()).read_text(encoding="utf-8").splitlines()[0]
        assert first_line.startswith("indicator,title,unit,period")
        fetched = site.page.evaluate(
            "url => fetch(url).then(response => response.text())", reverse("dashboards:public_csv")
        )
        assert fetched.splitlines()[0] == first_line


def visit_public_datapackage(site: Site) -> None:
    """The data package is JSON linked from the public page, fetched as a tool would (shown
    as a page, Chromium would also ask for /favicon.ico, which the app does not serve)."""
    with override_settings(HOME=results_home()):
        site.open(reverse("dashboards:public"))
        site.check("Open data")
        link = site.page.get_by_role("link", name="Data package describing the CSV")
        href = link.get_attribute("href")
        assert href == reverse("dashboards:public_datapackage")
        package = site.page.evaluate("url => fetch(url).then(response => response.json())", href)
        assert package["resources"][0]["path"] == "data.csv"


VISITS: dict[str, Callable[[Site], None]] = {
    "dashboards:backbone": visit_backbone,
    "dashboards:backbone_indicator": visit_backbone_indicator,
    "dashboards:steering": visit_steering,
    "dashboards:steering_indicator": visit_steering_indicator,
    "dashboards:public": visit_public,
    "dashboards:public_indicator": visit_public_indicator,
    "dashboards:public_csv": visit_public_csv,
    "dashboards:public_datapackage": visit_public_datapackage,
}
