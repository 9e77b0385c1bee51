"""Browser visits of the api app (merged into test_pages_accessible.VISITS).

The token pages and the docs page are visited as a backbone admin or a visitor would meet
them. The JSON operations are not pages: they are fetched from a page of the site, as a
partner's script or a signed-in analyst's notebook would call them (with a token, or with
the browser's session), so each is still requested in the browser and checked to answer
JSON.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from web.site import Site, admin_site
from web.visits_dashboards import results_home

from needle_web.accounts.roles import Role
from needle_web.accounts.testing import make_account
from needle_web.api import services
from needle_web.api.models import ApiToken
from needle_web.dashboards.tests.homes import empty_home
from needle_web.submissions.services import upload_create

FETCH = """([url, token]) => fetch(url, token ? {headers: {Authorization: "Bearer " + token}} : {})
    .then(async response => ({status: response.status, type: response.headers.get("Content-Type"),
                              body: await response.json()}))"""


@cache
def partners_home() -> Path:
    """A home with partners YC, SPORT and ARTS and no results: enough for the token pages."""
    folder = Path(tempfile.mkdtemp(prefix="needle-api-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return empty_home(folder / "home")


def _fetch(site: Site, url: str, token: str = "") -> Any:
    """GET ``url`` from the current page; it must answer JSON."""
    answer = site.page.evaluate(FETCH, [url, token])
    assert answer["type"].startswith("application/json"), answer
    return answer


def _token(partner: str = "YC") -> str:
    admin = make_account(Role.BACKBONE_ADMIN, email=f"maker-{partner}@backbone.example.org")
    return services.api_token_create(created_by=admin, partner_code=partner, name="CMS export")[1]


def visit_api_root(site: Site) -> None:
    site.open(reverse("api:api-root"))
    assert urlsplit(site.page.url).path == reverse("api:docs")
    site.check("Needle API")


def visit_docs(site: Site) -> None:
    site.open(reverse("api:docs"))
    assert site.page.locator("tbody tr").count() == 5
    site.check("Needle API")


def visit_openapi_json(site: Site) -> None:
    """The schema, linked from the docs page, fetched as an OpenAPI tool would."""
    site.open(reverse("api:docs"))
    site.check("Needle API")
    href = site.page.get_by_role("link", name="OpenAPI schema (JSON)").get_attribute("href")
    assert href == reverse("api:openapi-json")
    schema = _fetch(site, href)["body"]
    assert schema["info"]["title"] == "Needle API" and "/api/submissions/" in schema["paths"]


def visit_tokens(site: Site) -> None:
    with override_settings(HOME=partners_home()):
        _token("YC")
        admin_site(site)
        site.open(reverse("api:tokens"))
        assert site.page.locator("table").count() == 3  # one per partner
        site.check("API tokens")


def visit_token_new(site: Site) -> None:
    with override_settings(HOME=partners_home()):
        admin_site(site)
        site.open(reverse("api:tokens"))
        site.press("Create a token")
        site.check("Create an API token")
        site.press("Create token")
        site.check("Create an API token", errors=True)
        site.page.get_by_label("Partner organisation").select_option("SPORT")
        site.fill("What the token is for", "Nightly export")
        site.press("Create token")
        site.check("API token created")
        assert site.page.get_by_label("The token").input_value().startswith("needle_")


def visit_token_revoke(site: Site) -> None:
    with override_settings(HOME=partners_home()):
        _token("YC")
        prefix = ApiToken.objects.get().prefix
        admin_site(site)
        site.open(reverse("api:tokens"))
        site.page.get_by_role("link", name=f"Revoke token {prefix} for YC").click()
        site.settle()
        site.check(f"Revoke API token {prefix}")
        site.press("Revoke token")
        site.check("API tokens", banner=f"API token {prefix}… for YC revoked")


def _uploaded() -> str:
    """A file sent for YC; returns its id."""
    account = services.api_account_for("YC")
    upload = upload_create(
        account=account, period="2025-Q1", file=SimpleUploadedFile("attendance.csv", b"x,y\n")
    )
    return str(upload.pk)


def visit_submissions(site: Site) -> None:
    with override_settings(HOME=partners_home()):
        token = _token("YC")
        upload_id = _uploaded()
        site.open(reverse("api:docs"))
        site.check("Needle API")
        listed = _fetch(site, reverse("api:submissions"), token)
        assert listed["status"] == 200 and [u["id"] for u in listed["body"]] == [upload_id]
        refused = _fetch(site, reverse("api:submissions"))
        assert refused["status"] == 401 and "Bearer" in refused["body"]["detail"]
        site.console_errors.clear()  # Chromium logs the 401 it was meant to get


def visit_submission(site: Site) -> None:
    with override_settings(HOME=partners_home()):
        upload_id = _uploaded()
        site.open(reverse("api:docs"))
        site.check("Needle API")
        url = reverse("api:submission", args=[upload_id])
        mine = _fetch(site, url, _token("YC"))
        assert mine["status"] == 200 and mine["body"]["id"] == upload_id
        theirs = _fetch(site, url, _token("SPORT"))
        assert theirs["status"] == 404 and theirs["body"]["detail"]
        site.console_errors.clear()  # the 404 it was meant to get


def visit_indicators(site: Site) -> None:
    """A signed-in analyst's browser session reads the backbone's results."""
    with override_settings(HOME=results_home()):
        admin_site(site)
        site.open(reverse("dashboards:backbone"))
        site.check("Indicators dashboard")
        listing = _fetch(site, reverse("api:indicators"))
        assert listing["status"] == 200 and listing["body"]["audience"] == "backbone"
        assert {i["id"] for i in listing["body"]["indicators"]} >= {"reach"}


def visit_indicator(site: Site) -> None:
    """A partner's token reads its own view of one indicator."""
    with override_settings(HOME=results_home()):
        site.open(reverse("api:docs"))
        site.check("Needle API")
        answer = _fetch(site, reverse("api:indicator", args=["reach"]), _token("YC"))
        assert answer["status"] == 200
        partners = {r["group"] for r in answer["body"]["results"] if r["breakdown"] == "partner"}
        assert partners == {"YC"}


VISITS: dict[str, Callable[[Site], None]] = {
    "api:api-root": visit_api_root,
    "api:docs": visit_docs,
    "api:openapi-json": visit_openapi_json,
    "api:tokens": visit_tokens,
    "api:token_new": visit_token_new,
    "api:token_revoke": visit_token_revoke,
    "api:submissions": visit_submissions,
    "api:submission": visit_submission,
    "api:indicators": visit_indicators,
    "api:indicator": visit_indicator,
}
