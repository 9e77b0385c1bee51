"""Indicator results through the API: each caller gets its audience's protected table from
the core, and a partner never another partner's rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
from django.urls import reverse

from needle.indicators.refresh import results_for
from needle_web.accounts.roles import Role
from needle_web.accounts.testing import https_client, make_account, signed_in_client
from needle_web.audit.models import AuditEvent
from needle_web.dashboards.tests.homes import empty_home

pytestmark = pytest.mark.django_db

PARTNERS = {"YC", "SPORT", "ARTS"}


def _as_token(token: str, url: str) -> Any:
    return https_client().get(url, HTTP_AUTHORIZATION=f"Bearer {token}")


def _reach() -> str:
    return reverse("api:indicator", args=["reach"])


def _partner_groups(rows: list[dict[str, Any]]) -> set[str]:
    return {r["group"] for r in rows if r["breakdown"] == "partner"}


def test_a_partner_token_reads_the_partner_view_with_its_own_rows_only(results_home, token_for):
    token = token_for("YC")
    listing = _as_token(token, reverse("api:indicators")).json()
    assert (listing["audience"], listing["partner"]) == ("partner", "YC")
    assert "reach" in {i["id"] for i in listing["indicators"]}
    assert listing["refreshed_at"] and listing["periods"]

    detail = _as_token(token, _reach())
    assert detail.status_code == 200
    rows = detail.json()["results"]
    assert _partner_groups(rows) == {"YC"}
    assert any(r["breakdown"] == "" for r in rows)  # the collective numbers too

    core = results_for(results_home, "partner", "YC").filter(pl.col("indicator") == "reach")
    assert len(rows) == core.height
    for other in PARTNERS - {"YC"}:
        assert other not in {r["group"] for r in rows if r["breakdown"] == "partner"}
        assert f'"{other}"' not in detail.content.decode()


def test_hidden_numbers_have_no_value(results_home, token_for):
    rows = _as_token(token_for("SPORT"), _reach()).json()["results"]
    hidden = [r for r in rows if r["status"] != "published"]
    assert hidden, "the small hand-made pool should have suppressed cells"
    assert all(r["value"] is None and r["n"] is None for r in hidden)


def test_signed_in_backbone_reads_every_partner_and_it_is_audited(results_home):
    client = signed_in_client(make_account(Role.BACKBONE_ANALYST))
    assert client.get(reverse("api:indicators")).json()["audience"] == "backbone"
    rows = client.get(_reach()).json()["results"]
    assert _partner_groups(rows) == PARTNERS
    event = AuditEvent.objects.get(action="viewed_partner_data")
    assert event.details == {"indicator": "reach", "audience": "backbone", "via": "api"}


@pytest.mark.parametrize("role", [Role.STEERING_GROUP, Role.FUNDER])
def test_the_steering_group_and_funders_read_collective_numbers(results_home, role):
    client = signed_in_client(make_account(role))
    body = client.get(_reach()).json()
    assert body["audience"] == "steering_group"
    assert body["results"] and _partner_groups(body["results"]) == set()


def test_a_signed_in_partner_reads_its_partner_view(results_home):
    client = signed_in_client(make_account(Role.PARTNER_VIEWER, partner_code="ARTS"))
    body = client.get(_reach()).json()
    assert (body["audience"], body["partner"]) == ("partner", "ARTS")
    assert _partner_groups(body["results"]) == {"ARTS"}


def test_anonymous_callers_are_refused(results_home):
    response = https_client().get(reverse("api:indicators"))
    assert response.status_code == 401 and "token" in response.json()["detail"]


def test_an_unknown_indicator_is_a_json_404(results_home, token_for):
    response = _as_token(token_for("YC"), reverse("api:indicator", args=["no_such_thing"]))
    assert response.status_code == 404
    assert "/api/indicators/" in response.json()["detail"]


def test_before_any_results_the_list_is_empty(tmp_path: Path, settings, token_for):
    settings.HOME = empty_home(tmp_path / "empty")
    token = token_for("YC")
    listing = _as_token(token, reverse("api:indicators"))
    assert listing.status_code == 200 and listing.json()["indicators"] == []
    detail = _as_token(token, _reach())
    assert detail.status_code == 404 and "computed" in detail.json()["detail"]


def test_the_docs_page_lists_every_operation_and_links_the_schema(results_home):
    schema = https_client().get(reverse("api:openapi-json")).json()
    page = https_client().get(reverse("api:docs")).content.decode()
    assert reverse("api:openapi-json") in page
    for path, methods in schema["paths"].items():
        for method in methods:
            assert f"{method.upper()} {path}" in page
    assert https_client().get(reverse("api:api-root"))["Location"] == reverse("api:docs")
    assert set(schema["components"]["securitySchemes"]) == {"PartnerToken", "SignedIn"}
