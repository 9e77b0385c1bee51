"""The initiative settings pages: who may see and change them, what a change does to
needle.toml and the register, and what is recorded."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from web.html_tree import find, find_all, parse

from needle.initiative import load_config, open_home
from needle.initiative.config import period_containing
from needle_web.accounts.roles import Role
from needle_web.accounts.testing import make_account, signed_in_client
from needle_web.audit.actions import AuditAction
from needle_web.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PAGES = [
    ("initiative:overview", ()),
    ("initiative:partners", ()),
    ("initiative:partner_add", ()),
    ("initiative:partner_rename", ("YC",)),
    ("initiative:periods", ()),
    ("initiative:outcomes", ()),
    ("initiative:vision", ()),
    ("initiative:indicators", ()),
    ("initiative:thresholds", ()),
]
ADMIN_ONLY = ["initiative:partner_add", "initiative:partner_rename", "initiative:vision"]
CHANGES = [
    ("initiative:partner_add", (), {"code": "ARTS", "name": "Arts Space"}),
    ("initiative:partner_rename", ("YC",), {"name": "Youth Club Trafford"}),
    ("initiative:vision", (), {"vision": "Every young person thrives."}),
    (
        "initiative:thresholds",
        (),
        {
            "public": "11",
            "steering_group": "5",
            "partner": "5",
            "public_rounding": "5",
            "min_peers": "5",
        },
    ),
    ("initiative:refresh", (), {}),
]


def page(client: Client, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return parse(response.content.decode())


def changes() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditAction.SETTINGS_CHANGED).order_by("id"))


@pytest.fixture
def analyst_client(db: None) -> Client:
    return signed_in_client(make_account(Role.BACKBONE_ANALYST, email="ana@backbone.example.org"))


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_an_admin_sees_every_page(home, admin_client: Client, name: str, args: tuple) -> None:
    tree = page(admin_client, reverse(name, args=args))
    assert len(find_all(tree, "h1")) == 1


@pytest.mark.parametrize(
    "role", [Role.PARTNER_SUBMITTER, Role.PARTNER_VIEWER, Role.STEERING_GROUP, Role.FUNDER]
)
def test_no_other_role_sees_any_page(home, role: Role) -> None:
    client = signed_in_client(make_account(role))
    for name, args in PAGES:
        assert client.get(reverse(name, args=args)).status_code == 403, name
    before = home.config_path.read_bytes()
    for name, args, data in CHANGES:
        assert client.post(reverse(name, args=args), data).status_code == 403, name
    assert home.config_path.read_bytes() == before
    assert changes() == []


def test_a_visitor_is_sent_to_sign_in(home, client: Client) -> None:
    response = client.get(reverse("initiative:thresholds"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_an_analyst_reads_but_cannot_change(home, analyst_client: Client) -> None:
    for name, args in PAGES:
        status = analyst_client.get(reverse(name, args=args)).status_code
        assert status == (403 if name in ADMIN_ONLY else 200), name
    before = home.config_path.read_bytes()
    for name, args, data in CHANGES:
        assert analyst_client.post(reverse(name, args=args), data).status_code == 403, name
    assert home.config_path.read_bytes() == before
    assert changes() == []
    thresholds = page(analyst_client, reverse("initiative:thresholds"))
    assert find_all(thresholds, "form") == []
    assert "10" in str(find(thresholds, "dl", id="thresholds"))
    partners = page(analyst_client, reverse("initiative:partners"))
    hrefs = [dict(a.attributes).get("href") or "" for a in find_all(partners, "a")]
    assert hrefs and not [href for href in hrefs if href.endswith("/rename/")]


# ---- thresholds --------------------------------------------------------------------------


def thresholds_data(**changed: int) -> dict[str, str]:
    values = {"public": 10, "steering_group": 5, "partner": 5, "public_rounding": 5, "min_peers": 5}
    values.update(changed)
    return {key: str(value) for key, value in values.items()}


def test_an_admin_changes_the_thresholds(home, admin_client: Client, admin) -> None:
    url = reverse("initiative:thresholds")
    response = admin_client.post(url, thresholds_data(public=12, min_peers=4))
    assert response.status_code == 302 and response["Location"] == url
    assert load_config(home.config_path).disclosure.public == 12
    assert load_config(home.config_path).disclosure.min_peers == 4
    [event] = changes()
    assert event.actor_email == admin.email
    assert event.details == {
        "setting": "disclosure",
        "before": {"public": 10, "min_peers": 5},
        "after": {"public": 12, "min_peers": 4},
    }
    tree = page(admin_client, url)
    banner = find(tree, "div", "govuk-notification-banner")
    assert "next indicator refresh" in str(banner)
    assert dict(find(tree, "input", id="id_public").attributes)["value"] == "12"


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (thresholds_data(min_peers=2), "min_peers", "3 or more"),
        (thresholds_data(public=-1), "public", "negative"),
        ({**thresholds_data(), "partner": "five"}, "partner", "whole number"),
        ({**thresholds_data(), "steering_group": ""}, "steering_group", "Enter"),
    ],
)
def test_a_refused_threshold_is_shown_on_its_field(
    home, admin_client: Client, data: dict, field: str, words: str
) -> None:
    before = home.config_path.read_bytes()
    response = admin_client.post(reverse("initiative:thresholds"), data)
    assert response.status_code == 200
    tree = parse(response.content.decode())
    summary = find(tree, "div", "govuk-error-summary")
    [link] = find_all(summary, "a")
    assert dict(link.attributes)["href"] == f"#id_{field}"
    message = find(tree, "p", "govuk-error-message", id=f"id_{field}-error")
    assert words in str(message)
    assert response.content.decode().count("<title>Error: ") == 1
    assert home.config_path.read_bytes() == before
    assert changes() == []


def test_unchanged_thresholds_record_nothing(home, admin_client: Client) -> None:
    admin_client.post(reverse("initiative:thresholds"), thresholds_data())
    assert changes() == []


def test_the_refresh_button_queues_the_core_refresh(
    home, admin_client: Client, monkeypatch
) -> None:
    refreshed = []
    monkeypatch.setattr(
        "needle.indicators.refresh.refresh", lambda the_home: refreshed.append(the_home.root)
    )
    response = admin_client.post(reverse("initiative:refresh"))
    assert response.status_code == 302
    assert refreshed == [home.root]
    tree = page(admin_client, reverse("initiative:thresholds"))
    assert "queued" in str(find(tree, "div", "govuk-notification-banner"))


def test_refresh_only_by_post(home, admin_client: Client) -> None:
    assert admin_client.get(reverse("initiative:refresh")).status_code == 405


# ---- partners ----------------------------------------------------------------------------


def test_an_admin_adds_a_partner(home, admin_client: Client) -> None:
    response = admin_client.post(
        reverse("initiative:partner_add"), {"code": "arts", "name": "Arts Space"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("initiative:partners")
    with open_home(home.root).open_pool() as pool:
        assert pool.partner("ARTS").name == "Arts Space"
    assert load_config(home.config_path).partner("ARTS").name == "Arts Space"
    [event] = changes()
    assert event.target == "partner ARTS"
    assert event.details["after"] == "Arts Space"
    tree = page(admin_client, reverse("initiative:partners"))
    assert len(find_all(tree, "tr", data_partner="ARTS")) == 1
    assert "Partner ARTS added" in str(find(tree, "div", "govuk-notification-banner"))


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"code": "A", "name": "Arts"}, "code", "2 to 16"),
        ({"code": "YC", "name": "Another club"}, "code", "YC"),
        ({"code": "", "name": "Arts"}, "code", "Enter the partner"),
        ({"code": "ARTS", "name": ""}, "name", "Enter the organisation"),
        ({"code": "ARTS", "name": "x" * 201}, "name", "200"),
    ],
)
def test_a_refused_partner_is_shown_on_its_field(
    home, admin_client: Client, data: dict, field: str, words: str
) -> None:
    before = home.config_path.read_bytes()
    response = admin_client.post(reverse("initiative:partner_add"), data)
    assert response.status_code == 200
    tree = parse(response.content.decode())
    assert words in str(find(tree, "p", "govuk-error-message", id=f"id_{field}-error"))
    assert (
        dict(find_all(find(tree, "div", "govuk-error-summary"), "a")[0].attributes)["href"]
        == f"#id_{field}"
    )
    assert home.config_path.read_bytes() == before
    with open_home(home.root).open_pool() as pool:
        assert [p.code for p in pool.partners()] == ["SPORT", "YC"]
    assert changes() == []


def test_an_admin_renames_a_partner(home, admin_client: Client) -> None:
    url = reverse("initiative:partner_rename", args=["YC"])
    assert (
        dict(find(page(admin_client, url), "input", id="id_name").attributes)["value"]
        == "Youth Club"
    )
    response = admin_client.post(url, {"name": "Youth Club Trafford"})
    assert response.status_code == 302
    assert load_config(home.config_path).partner("YC").name == "Youth Club Trafford"
    [event] = changes()
    assert (event.details["before"], event.details["after"]) == (
        "Youth Club",
        "Youth Club Trafford",
    )


def test_an_empty_name_is_refused(home, admin_client: Client) -> None:
    before = home.config_path.read_bytes()
    response = admin_client.post(reverse("initiative:partner_rename", args=["YC"]), {"name": " "})
    assert response.status_code == 200
    assert find_all(parse(response.content.decode()), "div", "govuk-error-summary")
    assert home.config_path.read_bytes() == before
    assert changes() == []


def test_an_unknown_partner_is_not_found(home, admin_client: Client) -> None:
    assert admin_client.get(reverse("initiative:partner_rename", args=["NOPE"])).status_code == 404


# ---- the common agenda, periods, indicators -------------------------------------------------


def test_an_admin_changes_the_vision(home, admin_client: Client) -> None:
    response = admin_client.post(
        reverse("initiative:vision"), {"vision": "Every young person thrives."}
    )
    assert response.status_code == 302
    assert load_config(home.config_path).agenda.vision == "Every young person thrives."
    tree = page(admin_client, reverse("initiative:outcomes"))
    assert "Every young person thrives." in str(find(tree, "dd", id="vision"))
    [event] = changes()
    assert event.details["after"] == "Every young person thrives."


def test_outcomes_list_their_indicators(home, admin_client: Client) -> None:
    tree = page(admin_client, reverse("initiative:outcomes"))
    config = load_config(home.config_path)
    for outcome in config.outcomes:
        card = find(tree, "div", "govuk-summary-card", data_outcome=outcome.code)
        assert len(find_all(card, "li")) == len(outcome.indicators)


def test_periods_run_from_the_first_to_today(home, admin_client: Client) -> None:
    tree = page(admin_client, reverse("initiative:periods"))
    today = date.today()
    current = period_containing("quarter", today).label
    assert current in str(find(tree, "dd", id="current-period"))
    items = [str(li) for li in find_all(find(tree, "ul", id="periods-so-far"), "li")]
    assert "2025-Q1" in items[-1] and current in items[0]
    assert len(items) == (today.year - 2025) * 4 + (today.month - 1) // 3 + 1


def test_indicators_list_the_registry(home, admin_client: Client) -> None:
    from needle.indicators.refresh import registry_for

    tree = page(admin_client, reverse("initiative:indicators"))
    registry = registry_for(open_home(home.root))
    rows = find_all(tree, "tr", data_indicator="reach")
    assert len(rows) == 1
    assert len(find_all(find(tree, "table", id="indicators"), "tr")) == len(registry) + 1
    link = find(rows[0], "a")
    assert dict(link.attributes)["href"] == reverse("dashboards:backbone_indicator", args=["reach"])
