"""The journey the web platform exists for, end to end in real Chromium.

A partner's data person sends a messy workbook, watches it being checked, follows the
error summary to each problem and its fix, sends the corrected workbook and sees it
accepted; the backbone, signed in with a two-factor code, sees the headline indicator
"young people reached" grow by exactly the young people in the corrected file.

Nothing is simulated: the app is served by `needle serve` over a real initiative home
(the core pooled one partner's data and computed the indicators beforehand), the files go
through the file picker, and a real database worker (``python -m needle_web db_worker``,
started by the test once the first file is waiting, so the "being checked" page can be
seen and checked) decides them through the core. Every page on the way passes axe-core.
"""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from submission_builders import Rows, clean_rows, write_workbook
from web.site import Site
from web.viewports import DESKTOP

import needle
from needle.initiative import InitiativeConfig, PartnerConfig, PeriodsConfig, init_home
from needle.initiative.config import DisclosureConfig
from needle_web.accounts.models import User
from needle_web.accounts.testing import PASSWORD, totp_code
from needle_web.tests.test_serve import ROOT, Server, start_server, web_command

pytestmark = pytest.mark.slow

PERIOD = "2025-Q1"
TITLE = f"Data for {PERIOD}"
SUBMITTER = "pat@sport.example.org"
ADMIN = "ada@backbone.example.org"
WORKER_TIMEOUT = 90_000  # ms for the worker to decide a file (the indicators are refreshed)

# Runs in the served app's own process: the two people of the journey. The admin's
# authenticator key is printed so the test can compute its codes, as an app would.
_ACCOUNTS = f"""
from needle_web.accounts.roles import Role
from needle_web.accounts.testing import make_account, totp_device
make_account(Role.PARTNER_SUBMITTER, email={SUBMITTER!r}, partner_code="SPORT")
admin = make_account(Role.BACKBONE_ADMIN, email={ADMIN!r})
print("KEY", totp_device(admin).key)
"""


def _new_people(rows: Rows) -> Rows:
    """``rows`` about young people nobody has sent before (other names), so linkage
    cannot take them for the first partner's."""
    for person, given in zip(rows["young_people"], ("Noor", "Eli", "Rory", "Tam"), strict=True):
        person.update(given_name=given, family_name="Okafor")
    return rows


def _messy(rows: Rows) -> Rows:
    """Two planted problems: a misspelt code and attendance at a session that is not there."""
    messy = copy.deepcopy(rows)
    messy["young_people"][2]["gender"] = "Femail"
    messy["attendance"][4]["session_ref"] = "S-999"
    return messy


PLANTED = {("young_people", "4", "gender"), ("attendance", "6", "session_ref")}  # header row 1


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """Partners YC and SPORT; YC's data for the quarter pooled and the indicators computed."""
    config = InitiativeConfig(
        name="Journey initiative",
        periods=PeriodsConfig(first=PERIOD),
        partners=(PartnerConfig("YC", "Youth Club"), PartnerConfig("SPORT", "Sport for All")),
        disclosure=DisclosureConfig(public=3, steering_group=2, partner=2, min_peers=3),
    )
    the_home = init_home(tmp_path / "home", config).home
    with the_home.open_pool() as pool:
        result = needle.submit_path(
            pool,
            write_workbook(tmp_path / "youth-club.xlsx", clean_rows()),
            org="YC",
            period=needle.parse_period(PERIOD),
            secret=the_home.linkage_secret(),
            reference=the_home.open_reference(),
        )
    assert result.submission.state == "accepted", result.report
    needle.refresh_indicators(the_home)
    return the_home.root


@pytest.fixture
def server(home: Path) -> Iterator[Server]:
    """`needle serve` without its own worker: the test starts one when it is time."""
    running = start_server(home, "--no-worker")
    try:
        yield running
    finally:
        running.stop()
    assert "Traceback" not in running.output


def _worker(home: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "needle_web", "db_worker", "--no-reload", "--interval", "0.2"],
        cwd=ROOT,
        env={"NEEDLE_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _tab(browser, base: str, console_errors: list[str]) -> Site:  # type: ignore[no-untyped-def]
    """A second person at a second browser (its own cookies), failing on console errors
    like ``browser_page``."""
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    page.on(
        "console",
        lambda message: console_errors.append(message.text) if message.type == "error" else None,
    )
    return Site(page, base, console_errors)


def _young_people_reached(site: Site) -> int:
    """The backbone dashboard's headline number of young people reached, all periods."""
    site.open(reverse("dashboards:backbone"))
    site.check("Indicators dashboard")
    value = site.page.locator("#headline-reach [data-role='overall'] dd").inner_text()
    found = re.fullmatch(r"([\d,]+)", value.strip())
    assert found, f"not a plain count: {value!r}"
    return int(found.group(1).replace(",", ""))


def _send(site: Site, path: Path) -> None:
    site.page.get_by_label("Reporting period").select_option(PERIOD)
    with site.page.expect_file_chooser() as chooser:  # the file picker, as a person opens it
        site.page.get_by_label("Your data file").click()
    chooser.value.set_files(str(path))
    site.press("Send")
    assert re.fullmatch(r"/submissions/[0-9a-f-]{36}/", urlsplit(site.page.url).path)


def test_a_partner_fixes_a_messy_file_and_the_backbone_sees_the_difference(
    home: Path,
    server: Server,
    browser,  # type: ignore[no-untyped-def]
    browser_page,  # type: ignore[no-untyped-def]
    console_errors: list[str],
    tmp_path: Path,
) -> None:
    key = web_command(home, "shell", "-c", _ACCOUNTS).split("KEY ", 1)[1].strip()
    corrected = _new_people(clean_rows())
    messy_file = write_workbook(tmp_path / "sport-club.xlsx", _messy(corrected))
    corrected_file = write_workbook(tmp_path / "sport-club-fixed.xlsx", corrected)

    # The backbone admin signs in with a code from the authenticator and notes the number.
    backbone = _tab(browser, server.url, console_errors)
    backbone.sign_in(User(email=ADMIN), PASSWORD)
    assert urlsplit(backbone.page.url).path == reverse("accounts:two_factor_verify")
    backbone.check("Enter your code")
    backbone.fill("Code from your authenticator app", totp_code(TOTPDevice(key=key)))
    backbone.press("Continue")
    assert urlsplit(backbone.page.url).path == reverse("pages:home")
    before = _young_people_reached(backbone)

    # The partner's data person sends the messy workbook and sees it waiting to be checked.
    partner = Site(browser_page, server.url, console_errors)
    partner.sign_in(User(email=SUBMITTER), PASSWORD)
    partner.open(reverse("submissions:list"))
    partner.check("Submissions")
    partner.press("Send your data")
    partner.check("Send your data")
    _send(partner, messy_file)
    assert "We are checking your file" in partner.page.locator("main").inner_text()
    partner.check(TITLE)

    worker = _worker(home)
    try:
        # The page follows the check and shows the error summary when it is decided.
        partner.page.locator(".govuk-error-summary").wait_for(timeout=WORKER_TIMEOUT)
        partner.settle()
        partner.check(TITLE, errors=True)
        links = partner.page.locator(".govuk-error-summary__list a")
        assert links.count() == len(PLANTED)
        found = set()
        for index in range(links.count()):
            link = links.nth(index)
            target = link.get_attribute("href")
            assert target and target.startswith("#")
            link.click()
            assert urlsplit(partner.page.url).fragment == target[1:]
            row = partner.page.locator(target)
            assert row.is_visible()
            where, number, column, problem, fix = row.locator("td").all_inner_texts()
            assert problem.strip() and fix.strip(), (problem, fix)  # what is wrong, how to fix
            found.add((where, number, column))
        assert found == PLANTED
        assert "Okafor" not in partner.page.content()  # no name is ever shown back

        # The corrected workbook is accepted.
        partner.press("Send your data again")
        partner.check("Send your data")
        _send(partner, corrected_file)
        partner.page.get_by_text("Your data has been accepted").wait_for(timeout=WORKER_TIMEOUT)
        partner.settle()
        partner.check(TITLE)
    finally:
        worker.terminate()
        _, errors = worker.communicate(timeout=60)
    assert "Traceback" not in errors, errors

    # The backbone's number grew by exactly the young people of the corrected file.
    assert _young_people_reached(backbone) == before + len(corrected["young_people"])
    backbone.page.context.close()
