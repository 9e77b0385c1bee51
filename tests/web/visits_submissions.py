"""Browser visits of the submissions pages (merged into test_pages_accessible.VISITS).

Each visit runs on a fresh initiative home made with the core's ``init_home`` (partners
YC and SPORT, quarterly from 2025-Q1), served as the app's ``HOME`` for the visit. The
task backend runs an upload's task as soon as it is queued, so a file sent in the browser
is decided by the time its status page opens; the "waiting" visit holds the task back and
runs it from the test while the page polls.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import resolve, reverse
from submission_builders import clean_rows, write_workbook
from web.site import Site, backbone_admin

import needle
from needle.initiative import InitiativeConfig, PartnerConfig, PeriodsConfig, init_home
from needle_web.accounts.models import User
from needle_web.accounts.roles import Role
from needle_web.accounts.testing import make_account
from needle_web.submissions import services
from needle_web.submissions.models import Upload
from needle_web.submissions.tasks import process_upload

PERIOD = "2025-Q1"
TITLE = f"Data for {PERIOD}"


@contextmanager
def _initiative() -> Iterator[Path]:
    """A fresh home, the app's HOME while the visit lasts; yields a scratch folder."""
    with tempfile.TemporaryDirectory() as folder:
        config = InitiativeConfig(
            name="Visit initiative",
            periods=PeriodsConfig(first="2025-Q1"),
            partners=(PartnerConfig("YC", "Youth Club"), PartnerConfig("SPORT", "Sport")),
        )
        home = init_home(Path(folder) / "home", config).home
        scratch = Path(folder) / "files"
        scratch.mkdir()
        with override_settings(HOME=home.root):
            yield scratch


def _with_home(visit: Callable[[Site, Path], None]) -> Callable[[Site], None]:
    @wraps(visit)
    def wrapped(site: Site) -> None:
        with _initiative() as scratch:
            visit(site, scratch)

    return wrapped


def _workbook(scratch: Path, name: str, *, messy: bool = False) -> Path:
    rows = clean_rows()
    if messy:
        rows["young_people"][1]["gender"] = "Femail"
        rows["attendance"][3]["session_ref"] = "S-999"
    return write_workbook(scratch / name, rows)


def _submitter() -> User:
    return make_account(
        Role.PARTNER_SUBMITTER, email="sam@youthclub.example.org", partner_code="YC"
    )


def _held_upload(account: User, path: Path) -> Upload:
    """An upload whose task is not queued, as if no worker had picked it up yet."""
    with mock.patch.object(services, "_enqueue"):
        return services.upload_create(
            account=account,
            period=PERIOD,
            file=SimpleUploadedFile(path.name, path.read_bytes()),
        )


def _send(site: Site, path: Path) -> None:
    site.page.get_by_label("Reporting period").select_option(PERIOD)
    # The file picker, as a person opens it: the upload button brings up the chooser.
    with site.page.expect_file_chooser() as chooser:
        site.page.get_by_role("button", name="Your data file").click()
    chooser.value.set_files(str(path))
    site.press("Send")


def _drop(site: Site, path: Path) -> None:
    """Drag a file onto the upload area, as a person would from their file manager."""
    zone = site.page.locator(".govuk-drop-zone")
    # GOV.UK Frontend's enhanced file upload has put a button (the drop target) in front.
    assert zone.locator(".govuk-file-upload-button").count() == 1
    transfer = site.page.evaluate_handle(
        """([name, bytes]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(bytes)], name));
            return transfer;
        }""",
        [path.name, list(path.read_bytes())],
    )
    button = zone.locator(".govuk-file-upload-button")
    button.dispatch_event("dragenter", {"dataTransfer": transfer})
    button.dispatch_event("drop", {"dataTransfer": transfer})
    assert site.page.locator("input[type=file]").evaluate("input => input.files.length") == 1
    assert path.name in zone.inner_text()


@_with_home
def visit_list(site: Site, scratch: Path) -> None:
    """A partner viewer's history, then the backbone's (with a partner column)."""
    submitter = _submitter()
    for name, messy in (("first.xlsx", True), ("second.xlsx", False)):
        upload = _held_upload(submitter, _workbook(scratch, name, messy=messy))
        process_upload.call(str(upload.pk))
    other = make_account(
        Role.PARTNER_SUBMITTER, email="pat@sport.example.org", partner_code="SPORT"
    )
    _held_upload(other, _workbook(scratch, "sport.xlsx"))
    site.sign_in(make_account(Role.PARTNER_VIEWER, email="val@youthclub.example.org"))
    site.open(reverse("submissions:list"))
    assert site.page.locator("tbody tr").count() == 2
    site.check("Submissions")
    site.page.context.clear_cookies()
    site.sign_in_verified(backbone_admin())
    site.open(reverse("submissions:list"))
    assert site.page.locator("tbody tr").count() == 3
    assert site.page.get_by_role("columnheader", name="Partner").count() == 1
    site.check("Submissions")


@_with_home
def visit_new(site: Site, scratch: Path) -> None:
    site.sign_in(_submitter())
    site.open(reverse("submissions:list"))
    site.press("Send your data")
    site.check("Send your data")
    site.press("Send")
    site.check("Send your data", errors=True)
    _drop(site, _workbook(scratch, "youth-club.xlsx"))
    site.page.get_by_label("Reporting period").select_option(PERIOD)
    site.press("Send")
    assert urlsplit(site.page.url).path.startswith("/submissions/")
    assert "Accepted" in site.page.locator("main").inner_text()
    site.check(TITLE)


@_with_home
def visit_template(site: Site, scratch: Path) -> None:
    site.sign_in(_submitter())
    site.open(reverse("submissions:new"))
    with site.page.expect_download() as download:
        site.page.get_by_role("link", name="Download the blank template").click()
    assert download.value.suggested_filename.startswith("needle-template-")
    assert download.value.path().read_bytes()[:2] == b"PK"  # a workbook is a zip
    # Playwright reports a download, not a page request: record the URL the browser fetched.
    site.requested.add(resolve(urlsplit(download.value.url).path).view_name)
    site.check("Send your data")


@_with_home
def visit_detail(site: Site, scratch: Path) -> None:
    """A rejected file: the error summary's links go to the problems' rows."""
    site.sign_in(_submitter())
    site.open(reverse("submissions:new"))
    _send(site, _workbook(scratch, "messy.xlsx", messy=True))
    site.check(TITLE, errors=True)
    first = site.page.locator(".govuk-error-summary__list a").first
    target = first.get_attribute("href")
    first.click()
    assert urlsplit(site.page.url).fragment == target.lstrip("#")
    row = site.page.locator(target)
    assert row.is_visible() and "Femail" in row.inner_text()


@_with_home
def visit_status(site: Site, scratch: Path) -> None:
    """Waiting: the page polls the status endpoint and shows the result once decided."""
    submitter = _submitter()
    upload = _held_upload(submitter, _workbook(scratch, "youth-club.xlsx"))
    site.sign_in(submitter)
    site.open(reverse("submissions:detail", args=[upload.pk]))
    assert site.page.get_by_role("link", name="Refresh this page").count() == 1
    site.check(TITLE)
    process_upload.call(str(upload.pk))
    # The script reloads the page at each change of state ("being checked", "accepted").
    site.page.get_by_text("Your data has been accepted").wait_for(timeout=20_000)
    site.settle()
    site.check(TITLE)


@_with_home
def visit_retry(site: Site, scratch: Path) -> None:
    submitter = _submitter()
    upload = _held_upload(submitter, _workbook(scratch, "youth-club.xlsx"))

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    with mock.patch.object(needle, "submit_path", broken):
        process_upload.call(str(upload.pk))
    site.sign_in(submitter)
    site.open(reverse("submissions:detail", args=[upload.pk]))
    site.check(TITLE)
    site.press("Try again")
    site.check(TITLE, banner="Your file has been sent to be checked again")
    assert "Accepted" in site.page.locator("main").inner_text()


VISITS: dict[str, Callable[[Site], None]] = {
    "submissions:list": visit_list,
    "submissions:new": visit_new,
    "submissions:template": visit_template,
    "submissions:detail": visit_detail,
    "submissions:status": visit_status,
    "submissions:retry": visit_retry,
}
