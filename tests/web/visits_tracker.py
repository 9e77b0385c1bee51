"""Browser visits of the tracker's pages (merged into test_pages_accessible.VISITS).

The live server serves the tracker's test home (needle_web/tracker/tests/homes.py: YC,
SPORT and ARTS over 2025-Q1 to Q3, SPORT's Q3 file rejected, nothing from ARTS for Q3),
built once per test process. The tracker is opened on 2025-Q3, where every status but
"being checked" appears, and again after a reminder has been sent.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from django.core import mail
from django.test import override_settings
from django.urls import reverse
from web.site import Site, admin_site

from needle_web.accounts.roles import Role
from needle_web.accounts.testing import make_account
from needle_web.tracker.tests.homes import tracker_home

PERIOD = "2025-Q3"


@cache
def _home() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="needle-tracker-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return tracker_home(folder / "home")


def _tracker(site: Site) -> None:
    site.open(f"{reverse('tracker:submissions')}?period={PERIOD}")


def visit_submissions(site: Site) -> None:
    with override_settings(HOME=_home()):
        admin_site(site)
        site.page.get_by_role("link", name="Tracker", exact=True).click()
        site.settle()
        site.check("Submission tracker")
        site.page.get_by_label("Reporting period").select_option(PERIOD)
        site.press("Show period")
        assert urlsplit(site.page.url).query == f"period={PERIOD}"
        statuses = site.page.locator("tr[data-status]")
        assert statuses.count() == 3
        assert site.page.locator("tr[data-partner='SPORT']").get_attribute("data-status") == (
            "rejected"
        )
        site.check("Submission tracker")
        site.open(f"{reverse('tracker:submissions')}?period=not-a-period")
        site.check("Submission tracker", errors=True)


def visit_remind(site: Site) -> None:
    """A reminder sent (success banner, "reminded on"), then one that cannot be (no
    submitter account: an "Important" banner saying what to do)."""
    make_account(Role.PARTNER_SUBMITTER, email="ari@arts.example.org", partner_code="ARTS")
    with override_settings(HOME=_home()):
        admin_site(site)
        _tracker(site)
        site.press("Send reminder to Arts Space")
        site.check("Submission tracker", banner="Reminder emailed to 1 submitter account")
        assert [m.to for m in mail.outbox] == [["ari@arts.example.org"]]
        arts = site.page.locator("tr[data-partner='ARTS']")
        assert "Reminded on" in arts.inner_text()
        _tracker(site)  # the banner is shown once only
        site.press("Send reminder to Sport for All")
        site.check("Submission tracker", banner="has no active partner submitter account")
        assert len(mail.outbox) == 1


def visit_data_quality(site: Site) -> None:
    with override_settings(HOME=_home()):
        admin_site(site)
        site.page.get_by_role("link", name="Data quality", exact=True).click()
        site.settle()
        assert site.page.locator("tr[data-partner]").count() == 3
        site.check("Data quality")


def visit_partner_quality(site: Site) -> None:
    """The backbone from the overview, then a partner on its own page and another's."""
    with override_settings(HOME=_home()):
        admin_site(site)
        site.open(reverse("tracker:data_quality"))
        site.page.get_by_role("link", name="Sport for All (SPORT)").click()
        site.settle()
        assert site.page.locator("tr[data-rule]").count() == 2
        site.check("Data quality of Sport for All")
        site.page.context.clear_cookies()
        site.sign_in(make_account(Role.PARTNER_VIEWER, email="val@youthclub.example.org"))
        site.open(reverse("tracker:partner_quality", args=["YC"]))
        site.check("Data quality of Youth Club")
        site.open(reverse("tracker:partner_quality", args=["SPORT"]), status=404)
        site.check("Page not found")


VISITS: dict[str, Callable[[Site], None]] = {
    "tracker:submissions": visit_submissions,
    "tracker:remind": visit_remind,
    "tracker:data_quality": visit_data_quality,
    "tracker:partner_quality": visit_partner_quality,
}
