"""Browser visits of the initiative settings pages (merged into test_pages_accessible.VISITS).

Each visit runs on a fresh initiative home made with the core's ``init_home`` (partners
YC and SPORT, quarterly from 2025-Q1, no reference data), served as the app's ``HOME``,
signed in as a backbone admin; every form is also checked after an invalid submission,
and after a valid one with its success banner.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from urllib.parse import urlsplit

from django.test import override_settings
from django.urls import reverse
from web.site import Site, admin_site

from needle.initiative import InitiativeConfig, PartnerConfig, PeriodsConfig, init_home, load_config


def _admin_on_a_fresh_home(visit: Callable[[Site, Path], None]) -> Callable[[Site], None]:
    @wraps(visit)
    def wrapped(site: Site) -> None:
        with tempfile.TemporaryDirectory() as folder:
            config = InitiativeConfig(
                name="Visit initiative",
                periods=PeriodsConfig(first="2025-Q1"),
                partners=(PartnerConfig("YC", "Youth Club"), PartnerConfig("SPORT", "Sport")),
            )
            home = init_home(Path(folder) / "home", config, reference=False).home
            with override_settings(HOME=home.root):
                admin_site(site)
                visit(site, home.config_path)

    return wrapped


def _path(site: Site) -> str:
    return urlsplit(site.page.url).path


@_admin_on_a_fresh_home
def visit_overview(site: Site, config: Path) -> None:
    site.open(reverse("pages:home"))
    site.page.get_by_role("link", name="Initiative settings").click()
    site.settle()
    assert _path(site) == reverse("initiative:overview")
    site.check("Initiative settings")


@_admin_on_a_fresh_home
def visit_partners(site: Site, config: Path) -> None:
    site.open(reverse("initiative:overview"))
    site.page.get_by_role("link", name="Partners", exact=True).click()
    site.settle()
    assert site.page.locator("tbody tr").count() == 2
    site.check("Partners")


@_admin_on_a_fresh_home
def visit_partner_add(site: Site, config: Path) -> None:
    site.open(reverse("initiative:partners"))
    site.page.get_by_role("button", name="Add a partner").click()
    site.settle()
    site.check("Add a partner")
    site.fill("Partner code", "YC")
    site.fill("Organisation name", "Another Youth Club")
    site.press("Add partner")
    site.check("Add a partner", errors=True)
    site.fill("Partner code", "ARTS")
    site.press("Add partner")
    assert _path(site) == reverse("initiative:partners")
    assert site.page.locator("tbody tr").count() == 3
    site.check("Partners", banner="Partner ARTS added")
    assert load_config(config).partner("ARTS").name == "Another Youth Club"


@_admin_on_a_fresh_home
def visit_partner_rename(site: Site, config: Path) -> None:
    site.open(reverse("initiative:partners"))
    site.page.get_by_role("link", name="Rename YC").click()
    site.settle()
    site.check("Rename partner YC")
    site.fill("New name", "")
    site.press("Save name")
    site.check("Rename partner YC", errors=True)
    site.fill("New name", "Youth Club Trafford")
    site.press("Save name")
    site.check("Partners", banner="Partner YC renamed")
    assert load_config(config).partner("YC").name == "Youth Club Trafford"


@_admin_on_a_fresh_home
def visit_periods(site: Site, config: Path) -> None:
    site.open(reverse("initiative:periods"))
    assert site.page.locator("#periods-so-far li").last.inner_text() == "2025-Q1"
    site.check("Reporting periods")


@_admin_on_a_fresh_home
def visit_outcomes(site: Site, config: Path) -> None:
    site.open(reverse("initiative:outcomes"))
    assert site.page.locator(".govuk-summary-card").count() == len(load_config(config).outcomes)
    site.check("Outcomes framework")


@_admin_on_a_fresh_home
def visit_vision(site: Site, config: Path) -> None:
    site.open(reverse("initiative:outcomes"))
    site.page.get_by_role("link", name="Change shared vision").click()
    site.settle()
    site.check("Change the shared vision")
    site.fill("Shared vision", "x" * 2001)
    site.press("Save vision")
    site.check("Change the shared vision", errors=True)
    site.fill("Shared vision", "Every young person in the area thrives.")
    site.press("Save vision")
    site.check("Outcomes framework", banner="Shared vision saved")
    assert load_config(config).agenda.vision == "Every young person in the area thrives."


@_admin_on_a_fresh_home
def visit_indicators(site: Site, config: Path) -> None:
    site.open(reverse("initiative:indicators"))
    assert site.page.locator("tr[data-indicator='reach'] a").get_attribute("href") == reverse(
        "dashboards:backbone_indicator", args=["reach"]
    )
    site.check("Indicators")


@_admin_on_a_fresh_home
def visit_thresholds(site: Site, config: Path) -> None:
    site.open(reverse("initiative:thresholds"))
    site.check("Disclosure thresholds")
    site.fill("Fewest partners in a peer benchmark", "2")
    site.fill("Public", "ten")
    site.press("Save thresholds")
    site.check("Disclosure thresholds", errors=True)
    assert site.page.locator(".govuk-error-summary li").count() == 1  # the number first
    site.fill("Public", "12")
    site.press("Save thresholds")
    site.check("Disclosure thresholds", errors=True)  # then the core's rule on min_peers
    assert "3 or more" in site.page.locator("#id_min_peers-error").inner_text()
    site.fill("Fewest partners in a peer benchmark", "4")
    site.press("Save thresholds")
    site.check("Disclosure thresholds", banner="next indicator refresh")
    assert (load_config(config).disclosure.public, load_config(config).disclosure.min_peers) == (
        12,
        4,
    )


@_admin_on_a_fresh_home
def visit_refresh(site: Site, config: Path) -> None:
    site.open(reverse("initiative:thresholds"))
    site.press("Refresh the indicators now")
    assert _path(site) == reverse("initiative:thresholds")
    site.check("Disclosure thresholds", banner="refresh is queued")


VISITS: dict[str, Callable[[Site], None]] = {
    "initiative:overview": visit_overview,
    "initiative:partners": visit_partners,
    "initiative:partner_add": visit_partner_add,
    "initiative:partner_rename": visit_partner_rename,
    "initiative:periods": visit_periods,
    "initiative:outcomes": visit_outcomes,
    "initiative:vision": visit_vision,
    "initiative:indicators": visit_indicators,
    "initiative:thresholds": visit_thresholds,
    "initiative:refresh": visit_refresh,
}
