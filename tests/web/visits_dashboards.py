"""Browser visits of the dashboards app's pages (merged into test_pages_accessible.VISITS).

The live server serves a real initiative home with computed indicators (built once per
test process from the core's hand-made pool), and for one page also a home whose
indicators were never computed, so that both states pass axe-core. The map's areas are
the bundled Trafford boundaries with made-up wards and deciles matching the pool's wards
(the test home has no reference store), patched into the selectors.

With NEEDLE_DASHBOARD_SCREENSHOTS=1 the visits also photograph the main pages into
docs/screenshots/dashboards-*.png (desktop width, whole page):

    NEEDLE_DASHBOARD_SCREENSHOTS=1 .venv/bin/pytest tests/web -q -k dashboards
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import polars as pl
from django.test import override_settings
from django.urls import reverse
from web.site import Site, admin_site

from needle.indicators.maps import AREA_SCHEMA, read_geojson
from needle.reference.sources import bundled_sources
from needle_web.accounts.roles import Role
from needle_web.accounts.testing import make_account
from needle_web.dashboards import selectors
from needle_web.dashboards.tests.homes import empty_home, home_with_results

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WARDS = (("E05000001", "Riverside"), ("E05000002", "Hillside"), ("E05099999", "Outside"))


def _shot(site: Site, name: str) -> None:
    """Photograph the page for the docs, when asked to (see the module's docstring)."""
    if os.environ.get("NEEDLE_DASHBOARD_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        site.page.screenshot(path=SCREENSHOTS / f"dashboards-{name}.png", full_page=True)


@cache
def _map_areas() -> tuple[dict[str, Any], pl.DataFrame]:
    """Trafford's neighbourhoods, west to east in three made-up wards (the pool's), with
    made-up deciles: enough to see the map work, and no real area's numbers."""
    boundaries = read_geojson(bundled_sources().lsoa2021_boundaries)

    def west(feature: dict[str, Any]) -> float:
        ring = feature["geometry"]["coordinates"][0]
        while isinstance(ring[0][0], list):
            ring = ring[0]
        return min(point[0] for point in ring)

    ordered = sorted(boundaries["features"], key=west)
    third = len(ordered) // 3 + 1
    rows = [
        (f["properties"]["area_code"], *WARDS[i // third], (i * 7) % 10 + 1)
        for i, f in enumerate(ordered)
    ]
    return boundaries, pl.DataFrame(rows, schema=AREA_SCHEMA, orient="row")


def _with_areas() -> Any:
    return mock.patch.object(selectors, "map_areas", _map_areas)


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
        assert site.page.locator("figure[id^='curve-'] svg").count() >= 1
        site.check("Indicators dashboard")
        _shot(site, "backbone")


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
        chart = site.page.locator("#trend svg[role='img']")
        assert chart.bounding_box()["height"] > 100  # drawn, not blocked
        site.page.get_by_text("Show the numbers", exact=False).first.click()
        assert site.page.locator("table[data-role='trend']").is_visible()
        site.check("Young people reached")
        _shot(site, "indicator")
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
        _shot(site, "steering")


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
        _shot(site, "public")


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


# ---- equity, the map and downloads --------------------------------------------------------


def _equity(site: Site) -> None:
    chart = site.page.locator("#equity svg[role='img']")
    assert chart.bounding_box()["height"] > 50
    assert site.page.locator("table[data-role='equity'] tbody tr").count() >= 3
    site.check("Equity: reach by deprivation")


def visit_backbone_equity(site: Site) -> None:
    with override_settings(HOME=results_home()):
        admin_site(site)
        site.open(reverse("dashboards:backbone"))
        site.page.get_by_role("link", name="Equity: reach by deprivation").click()
        site.settle()
        _equity(site)
        _shot(site, "equity")
        site.page.get_by_label("Period", exact=True).select_option("2025-Q2")
        site.press("Show this period")
        _equity(site)


def visit_steering_equity(site: Site) -> None:
    with override_settings(HOME=results_home()):
        _steering_member(site)
        site.open(reverse("dashboards:steering_equity"))
        _equity(site)


def visit_public_equity(site: Site) -> None:
    with override_settings(HOME=no_results_home()):
        site.open(reverse("dashboards:public_equity"))
        assert site.page.locator("#no-results").count() == 1
        site.check("Equity: reach by deprivation")
    with override_settings(HOME=results_home()):
        site.open(reverse("dashboards:public_equity"))
        _equity(site)


def _map(site: Site) -> None:
    """The polygons are drawn (no tiles: only our own files), the legend is there, the
    layer can be switched, and the page passes axe with the map on it."""
    site.page.wait_for_selector("#map[data-map-ready]")
    drawn = int(site.page.locator("#map").get_attribute("data-map-ready"))
    assert drawn > 100
    assert site.page.locator("#map path.leaflet-interactive").count() == drawn
    assert site.page.locator(".leaflet-tile").count() == 0
    assert "ward" in site.page.locator("#map-legend").inner_text()
    site.check("Map of reach against deprivation")
    site.page.get_by_label("Deprivation (by neighbourhood)").check()
    assert "most deprived" in site.page.locator("#map-legend").inner_text()
    site.check("Map of reach against deprivation")


def visit_backbone_map(site: Site) -> None:
    with override_settings(HOME=results_home()), _with_areas():
        admin_site(site)
        site.open(reverse("dashboards:backbone"))
        site.page.get_by_role("link", name="Map of reach against deprivation").click()
        site.settle()
        _map(site)
        site.page.get_by_label("Young people reached (by ward)").check()
        _shot(site, "map")


def visit_backbone_map_data(site: Site) -> None:
    """The GeoJSON is fetched by the map page's script."""
    visit_backbone_map(site)


def visit_steering_map(site: Site) -> None:
    with override_settings(HOME=results_home()), _with_areas():
        _steering_member(site)
        site.open(reverse("dashboards:steering_map"))
        _map(site)


def visit_steering_map_data(site: Site) -> None:
    visit_steering_map(site)


def visit_public_map(site: Site) -> None:
    with override_settings(HOME=results_home()):  # no reference data: no map, a message
        site.open(reverse("dashboards:public_map"))
        assert site.page.locator("#no-map").count() == 1
        site.check("Map of reach against deprivation")
    with override_settings(HOME=results_home()), _with_areas():
        site.open(reverse("dashboards:public_map"))
        _map(site)


def visit_public_map_data(site: Site) -> None:
    visit_public_map(site)


def visit_backbone_export(site: Site) -> None:
    """Each download link of the backbone's dashboard gives a file of its format."""
    with override_settings(HOME=results_home()):
        admin_site(site)
        site.open(reverse("dashboards:backbone"))
        site.check("Indicators dashboard")
        for name, suffix in (
            ("CSV of the results as the public sees them", ".csv"),
            ("XLSX of the results every result, unprotected", ".xlsx"),
            ("PARQUET of the results as the steering group and funders see them", ".parquet"),
        ):
            with site.page.expect_download() as download:
                site.page.get_by_role("link", name=name).click()
            assert download.value.suggested_filename.endswith(suffix)
            assert Path(download.value.path()).stat().st_size > 100
        # A download does not show among the page's requests: fetch one as a script would.
        url = reverse("dashboards:backbone_export", args=["public", "csv"])
        fetched = site.page.evaluate("url => fetch(url).then(response => response.text())", url)
        assert fetched.startswith("indicator,title,unit,period")


def visit_steering_export(site: Site) -> None:
    with override_settings(HOME=results_home()):
        _steering_member(site)
        site.open(reverse("dashboards:steering"))
        site.check("Collective dashboard")
        with site.page.expect_download() as download:
            site.page.get_by_role("link", name="The collective results (CSV)").click()
        assert "-steering-group-" in download.value.suggested_filename
        first = Path(download.value.path()).read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("indicator,title,unit,period")
        url = reverse("dashboards:steering_export")  # as above, fetched to be seen
        fetched = site.page.evaluate("url => fetch(url).then(response => response.text())", url)
        assert fetched.splitlines()[0] == first


VISITS: dict[str, Callable[[Site], None]] = {
    "dashboards:backbone": visit_backbone,
    "dashboards:backbone_indicator": visit_backbone_indicator,
    "dashboards:steering": visit_steering,
    "dashboards:steering_indicator": visit_steering_indicator,
    "dashboards:public": visit_public,
    "dashboards:public_indicator": visit_public_indicator,
    "dashboards:public_csv": visit_public_csv,
    "dashboards:public_datapackage": visit_public_datapackage,
    "dashboards:backbone_equity": visit_backbone_equity,
    "dashboards:steering_equity": visit_steering_equity,
    "dashboards:public_equity": visit_public_equity,
    "dashboards:backbone_map": visit_backbone_map,
    "dashboards:steering_map": visit_steering_map,
    "dashboards:public_map": visit_public_map,
    "dashboards:backbone_map_data": visit_backbone_map_data,
    "dashboards:steering_map_data": visit_steering_map_data,
    "dashboards:public_map_data": visit_public_map_data,
    "dashboards:backbone_export": visit_backbone_export,
    "dashboards:steering_export": visit_steering_export,
}
