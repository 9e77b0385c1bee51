"""API tokens: made and revoked by backbone admins in the browser, kept only as a hash,
shown once, and checked on every API request."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse
from web.html_tree import attrs, find, find_all, parse, text

from needle_web.accounts.roles import Role
from needle_web.accounts.testing import https_client, make_account, signed_in_client
from needle_web.api import services
from needle_web.api.models import ApiToken
from needle_web.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_only_the_hash_and_a_short_prefix_are_stored(admin):
    stored, raw = services.api_token_create(created_by=admin, partner_code="YC", name="CMS")
    stored.refresh_from_db()
    assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw.startswith(stored.prefix) and len(stored.prefix) < len(raw) // 3
    assert raw not in {str(v) for v in ApiToken.objects.values().get().values()}
    event = AuditEvent.objects.get(action="api_token_changed")
    assert event.details["change"] == "created" and raw not in str(event.details)
    assert event.target == f"API token {stored.prefix} for partner YC"


def test_each_token_is_new(admin):
    tokens = {
        services.api_token_create(created_by=admin, partner_code="YC", name="a")[1]
        for _ in range(3)
    }
    assert len(tokens) == 3


@pytest.mark.parametrize("role", [Role.BACKBONE_ANALYST, Role.PARTNER_SUBMITTER])
def test_only_backbone_admins_manage_tokens(home, role):
    client = signed_in_client(make_account(role))
    for name in ("api:tokens", "api:token_new"):
        assert client.get(reverse(name)).status_code == 403
    anonymous = https_client().get(reverse("api:tokens"))
    assert anonymous.status_code == 302 and reverse("accounts:login") in anonymous["Location"]
    with pytest.raises(Exception, match="Only backbone admins"):
        services.api_token_create(created_by=make_account(role), partner_code="YC", name="x")


def test_the_token_is_shown_once_and_listed_by_its_prefix(home, admin_client):
    page = admin_client.get(reverse("api:token_new"))
    partner_options = [attrs(o)["value"] for o in find_all(parse(page.content.decode()), "option")]
    assert partner_options == ["", "YC", "SPORT"]  # the initiative's partners

    created = admin_client.post(reverse("api:token_new"), {"partner_code": "YC", "name": "CMS"})
    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    raw = attrs(find(parse(created.content.decode()), "input", id="api-token"))["value"]
    assert raw
    token = ApiToken.objects.get()
    assert (
        token.token_hash == services.token_digest(raw) and token.created_by.role == "backbone_admin"
    )

    listing = admin_client.get(reverse("api:tokens")).content.decode()
    assert raw not in listing
    yc_table = find(parse(listing), "table", data_partner="YC")
    assert f"{token.prefix}…" in text(yc_table) and "CMS" in text(yc_table)
    assert "No tokens." in text(find(parse(listing), "table", data_partner="SPORT"))


def test_the_form_says_what_is_missing(home, admin_client):
    response = admin_client.post(reverse("api:token_new"), {"partner_code": "ARTS"})
    errors = response.context["form"].errors
    assert errors["partner_code"] == ["Choose a partner organisation from the list"]
    assert errors["name"] == ["Enter what the token is for"]
    assert not ApiToken.objects.exists()


def test_a_revoked_token_is_refused_with_a_json_reason(home, admin_client, token_for):
    raw = token_for("YC")
    token = ApiToken.objects.get()
    assert https_client().get(reverse("api:submissions"), **_bearer(raw)).status_code == 200

    confirm = admin_client.get(reverse("api:token_revoke", args=[token.pk]))
    assert "Revoke token" in confirm.content.decode()
    done = admin_client.post(reverse("api:token_revoke", args=[token.pk]))
    assert done.status_code == 302 and done["Location"] == reverse("api:tokens")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(details__change="revoked").count() == 1

    refused = https_client().get(reverse("api:submissions"), **_bearer(raw))
    assert refused.status_code == 401
    assert refused["Content-Type"].startswith("application/json")
    assert "revoked" in refused.json()["detail"] and "Bearer" in refused["WWW-Authenticate"]

    again = admin_client.post(reverse("api:token_revoke", args=[token.pk]))
    assert again.status_code == 200  # nothing to do: the page says it is revoked
    assert AuditEvent.objects.filter(details__change="revoked").count() == 1


@pytest.mark.parametrize(
    "header",
    [None, "Bearer needle_not-a-real-token", "Bearer something-else", "Basic dXNlcjpwdw=="],
)
def test_unknown_or_missing_tokens_get_401(home, token_for, header):
    token_for("YC")
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = https_client().get(reverse("api:submissions"), **extra)
    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["detail"]


def test_each_use_is_recorded(home, token_for):
    raw = token_for("YC")
    assert ApiToken.objects.get().last_used_at is None
    https_client().get(reverse("api:submissions"), **_bearer(raw))
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    https_client().get(reverse("api:submissions"), **_bearer(raw))
    assert ApiToken.objects.get().last_used_at > first
