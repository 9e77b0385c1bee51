"""The dashboards and the open-data page show the core's results for their audience, and
only to those allowed.

Expected numbers are read with the core (``results_for`` for the audience) and compared
cell by cell with the page; a few are also written out from the hand-made pool (13 young
people reached over all periods, which the public sees rounded to 15).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import frictionless
import polars as pl
import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from needle.indicators.refresh import registry_for, results_for
from needle.indicators.summary import format_result, headline, shows_n
from needle.initiative import open_home
from needle_web.accounts.roles import Role
from needle_web.accounts.testing import make_account, signed_in_client
from needle_web.audit.actions import AuditAction
from needle_web.audit.models import AuditEvent
from needle_web.dashboards.tests.homes import (
    INITIATIVE,
    empty_home,
    find,
    find_all,
    parse,
    text,
)

pytestmark = pytest.mark.django_db

Q1, Q2, Q3, ALL = "2025-Q1", "2025-Q2", "2025-Q3", "all"
PARTNER_WORDS = ("Youth Club", "Sport for All", "Arts Space", "SPORT", "ARTS")


def tree(client: Client, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return parse(response.content.decode())


def cell(page: Any, breakdown: str, group: str, period: str) -> str:
    table = find(page, "table", data_breakdown=breakdown)
    return text(find(find(table, "tr", data_group=group), "td", data_period=period))


def core_rows(home: Path, audience: str, indicator: str) -> dict[tuple[str, str, str], dict]:
    frame = results_for(home, audience).filter(pl.col("indicator") == indicator)
    return {(r["breakdown"], r["group"], r["period"]): r for r in frame.to_dicts()}


def expected_text(home: Path, audience: str, row: dict) -> str:
    """What the core says the cell reads, at the audience's threshold."""
    config = open_home(home).config.disclosure
    definition = registry_for(open_home(home)).get(row["indicator"])
    threshold = config.threshold(audience) or None
    return format_result(row, definition.unit, threshold=threshold, show_n=shows_n(definition))


@pytest.fixture
def steering_client() -> Client:
    return signed_in_client(make_account(Role.STEERING_GROUP, email="sg@example.org"))


# ---- the backbone ------------------------------------------------------------------------


def test_backbone_dashboard_shows_the_core_headlines(home: Path, admin_client: Client) -> None:
    page = tree(admin_client, reverse("dashboards:backbone"))
    lines = headline(results_for(home, "backbone"), registry_for(open_home(home)))
    assert len(lines) >= 10
    for line in lines:
        card = find(page, "div", id=f"headline-{line.indicator}")
        latest = find(card, "div", data_role="latest")
        assert text(latest) == f"{line.latest.period} {line.latest.text}"
        previous = text(find(card, "div", data_role="previous"))
        if line.previous is None:
            assert previous.endswith("No earlier period")
        else:
            assert previous == f"Period before ({line.previous.period}) {line.previous.text}"
    reach = find(page, "div", id="headline-reach")
    assert text(find(reach, "div", data_role="overall")) == "All periods 13"
    provenance = text(find_all(page, "dl", "govuk-summary-list")[0])
    assert "Submissions used 7" in provenance
    assert "2025-Q1 to 2025-Q3 (3 periods)" in provenance


def test_backbone_dashboard_links_every_indicator(home: Path, admin_client: Client) -> None:
    page = tree(admin_client, reverse("dashboards:backbone"))
    hrefs = {dict(a.attributes).get("href") for a in find_all(page, "a", "govuk-link")}
    present = set(results_for(home, "backbone")["indicator"].unique().to_list())
    assert len(present) > 20
    for indicator in present:
        assert reverse("dashboards:backbone_indicator", args=[indicator]) in hrefs


def test_backbone_indicator_page_shows_every_number(home: Path, admin_client: Client) -> None:
    page = tree(admin_client, reverse("dashboards:backbone_indicator", args=["reach"]))
    registry = registry_for(open_home(home))
    assert text(find(page, "h1")) == registry.get("reach").title
    assert registry.get("reach").description in text(page)
    assert "Young people" in text(find_all(page, "dl")[0])
    rows = core_rows(home, "backbone", "reach")
    assert cell(page, "", "", ALL) == "13"
    for key in [
        ("", "", Q1),
        ("gender", "female", Q1),
        ("gender", "male", ALL),
        ("ward", "E05000001", Q2),
        ("age_band", "16-18", Q3),
    ]:
        assert cell(page, *key) == expected_text(home, "backbone", rows[key]), key
    assert ("ward", "unknown", Q2) not in rows  # no one of unknown ward came in Q2
    assert cell(page, "ward", "unknown", Q2) == "– (no data)"
    # the backbone sees partners: its breakdown is there, and the view is audited
    assert cell(page, "partner", "SPORT", Q1) == expected_text(
        home, "backbone", rows[("partner", "SPORT", Q1)]
    )
    event = AuditEvent.objects.get(action=AuditAction.VIEWED_PARTNER_DATA)
    assert event.target == "indicator reach by partner"


def test_indicator_page_shows_a_confidence_interval(home: Path, admin_client: Client) -> None:
    page = tree(admin_client, reverse("dashboards:backbone_indicator", args=["wellbeing_change"]))
    row = core_rows(home, "backbone", "wellbeing_change")[("", "", ALL)]
    assert row["lower"] is not None
    shown = cell(page, "", "", ALL)
    assert "95% CI" in shown and shown == expected_text(home, "backbone", row)


@pytest.mark.parametrize(
    "url_name",
    [
        "dashboards:backbone_indicator",
        "dashboards:steering_indicator",
        "dashboards:public_indicator",
    ],
)
def test_an_unknown_indicator_is_not_found(home: Path, admin_client: Client, url_name: str) -> None:
    response = admin_client.get(reverse(url_name, args=["no_such_indicator"]))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


# ---- the steering group and funders ---------------------------------------------------------


def test_steering_dashboard_shows_the_steering_groups_results(
    home: Path, steering_client: Client
) -> None:
    page = tree(steering_client, reverse("dashboards:steering"))
    lines = headline(
        results_for(home, "steering_group"), registry_for(open_home(home)), threshold=2
    )
    hidden_here = []
    for line in lines:
        card = find(page, "div", id=f"headline-{line.indicator}")
        assert text(find(card, "div", data_role="latest")).endswith(line.latest.text)
        if line.previous is not None:
            assert text(find(card, "div", data_role="previous")).endswith(line.previous.text)
        if not line.latest.published:
            assert text(find(card, "div", data_role="latest")).endswith(
                "suppressed to protect privacy"
            )
            row = core_rows(home, "backbone", line.indicator)[("", "", line.latest.period)]
            if row["value"] is not None:
                hidden_here.append(line.indicator)
    assert hidden_here, "no headline the backbone sees and the steering group does not"
    assert "Submissions used" not in text(page)


def test_steering_indicator_page_suppresses_and_names_no_partner(
    home: Path, steering_client: Client
) -> None:
    page = tree(steering_client, reverse("dashboards:steering_indicator", args=["reach"]))
    rows = core_rows(home, "steering_group", "reach")
    gender = [key for key in rows if key[0] == "gender"]
    statuses = {rows[key]["status"] for key in gender}
    assert statuses == {"published", "suppressed"}  # both kinds, so the test means something
    for key in gender:
        shown = cell(page, *key)
        if rows[key]["status"] == "published":
            assert shown == expected_text(home, "steering_group", rows[key]), key
        else:
            assert shown == "suppressed to protect privacy", key
    # per-partner numbers are in the steering group's table, but never on its page
    assert any(key[0] == "partner" for key in rows)
    assert not find_all(page, "table", data_breakdown="partner")
    body = text(page)
    assert not any(word in body for word in PARTNER_WORDS)
    assert not AuditEvent.objects.filter(action=AuditAction.VIEWED_PARTNER_DATA).exists()


# ---- the public ----------------------------------------------------------------------------


def test_public_page_needs_no_account_and_shows_public_numbers(home: Path, client: Client) -> None:
    page = tree(client, reverse("dashboards:public"))
    reach = find(page, "div", id="headline-reach")
    assert text(find(reach, "div", data_role="overall")) == "All periods 15"  # 13, rounded
    assert "rounded to the nearest 5" in text(page)
    hrefs = {dict(a.attributes).get("href") for a in find_all(page, "a")}
    assert {reverse("dashboards:public_csv"), reverse("dashboards:public_datapackage")} <= hrefs


def test_public_indicator_page_shows_public_numbers(home: Path, client: Client) -> None:
    page = tree(client, reverse("dashboards:public_indicator", args=["reach"]))
    rows = core_rows(home, "public", "reach")
    assert cell(page, "", "", ALL) == "15"
    suppressed = [key for key, row in rows.items() if row["status"] != "published"]
    published = [key for key, row in rows.items() if row["status"] == "published"]
    assert suppressed and published
    for key in suppressed[:20] + published[:20]:
        expected = expected_text(home, "public", rows[key])
        assert cell(page, *key) == expected, key
    for key in suppressed:
        assert cell(page, *key).startswith("suppressed")
    assert not any(word in text(page) for word in PARTNER_WORDS)


def test_open_data_csv_is_the_public_results(home: Path, client: Client) -> None:
    response = client.get(reverse("dashboards:public_csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="data.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    core = results_for(home, "public")
    assert len(rows) == core.height
    by_key = {(r["indicator"], r["period"], r["breakdown"], r["group"]): r for r in rows}
    registry = registry_for(open_home(home))
    for expected in core.to_dicts():
        row = by_key[
            (expected["indicator"], expected["period"], expected["breakdown"], expected["group"])
        ]
        assert row["status"] == expected["status"]
        assert row["title"] == registry.get(expected["indicator"]).title
        for column in ("value", "n", "lower", "upper"):
            if expected[column] is None:
                assert row[column] == ""
            else:
                assert float(row[column]) == pytest.approx(expected[column])
        if expected["status"] != "published":
            assert row["value"] == row["n"] == ""
    assert {r["breakdown"] for r in rows}.isdisjoint({"partner"})
    assert {r["status"] for r in rows} == {"published", "suppressed"}


def test_data_package_describes_the_csv_and_validates(
    home: Path, client: Client, tmp_path: Path
) -> None:
    response = client.get(reverse("dashboards:public_datapackage"))
    assert response.status_code == 200
    package = json.loads(response.content)
    assert package["name"] == "hand-made-initiative-indicators"
    assert package["title"].startswith(INITIATIVE)
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    (resource,) = package["resources"]
    assert resource["path"] == "data.csv"
    data = client.get(reverse("dashboards:public_csv")).content
    header = data.decode().splitlines()[0].split(",")
    fields = resource["schema"]["fields"]
    assert [f["name"] for f in fields] == header
    assert all(f["type"] and f["description"] for f in fields)
    assert {f["name"]: f["type"] for f in fields}["value"] == "number"
    (tmp_path / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    (tmp_path / "data.csv").write_bytes(data)
    report = frictionless.validate(tmp_path / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_data_package_validation_catches_a_wrong_type(
    home: Path, client: Client, tmp_path: Path
) -> None:
    """The validation above can fail: a field declared as an integer that holds text."""
    package = json.loads(client.get(reverse("dashboards:public_datapackage")).content)
    for field in package["resources"][0]["schema"]["fields"]:
        if field["name"] == "indicator":
            field["type"] = "integer"
    (tmp_path / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    (tmp_path / "data.csv").write_bytes(client.get(reverse("dashboards:public_csv")).content)
    assert not frictionless.validate(tmp_path / "datapackage.json").valid


# ---- who may see what ------------------------------------------------------------------------

SIGNED_IN_ONLY = [
    ("dashboards:backbone", []),
    ("dashboards:backbone_indicator", ["reach"]),
    ("dashboards:steering", []),
    ("dashboards:steering_indicator", ["reach"]),
]
OPEN = [
    ("dashboards:public", []),
    ("dashboards:public_indicator", ["reach"]),
    ("dashboards:public_csv", []),
    ("dashboards:public_datapackage", []),
]


@pytest.mark.parametrize(("url_name", "args"), SIGNED_IN_ONLY)
def test_visitors_are_sent_to_sign_in(
    home: Path, client: Client, url_name: str, args: list
) -> None:
    url = reverse(url_name, args=args)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(("url_name", "args"), OPEN)
def test_the_public_pages_need_no_account(
    home: Path, client: Client, url_name: str, args: list
) -> None:
    assert client.get(reverse(url_name, args=args)).status_code == 200


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.BACKBONE_ADMIN, {"backbone", "steering"}),
        (Role.BACKBONE_ANALYST, {"backbone", "steering"}),
        (Role.STEERING_GROUP, {"steering"}),
        (Role.FUNDER, {"steering"}),
        (Role.PARTNER_SUBMITTER, set()),
        (Role.PARTNER_VIEWER, set()),
    ],
)
def test_each_role_reaches_only_its_dashboards(home: Path, role: Role, allowed: set[str]) -> None:
    client = signed_in_client(make_account(role))
    for url_name, args in SIGNED_IN_ONLY:
        dashboard = url_name.split(":")[1].split("_")[0]
        expected = 200 if dashboard in allowed else 403
        assert client.get(reverse(url_name, args=args)).status_code == expected, url_name
    for url_name, args in OPEN:
        assert client.get(reverse(url_name, args=args)).status_code == 200, url_name


# ---- before the first refresh ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["no home", "never refreshed"])
def test_every_page_says_when_there_are_no_results(
    settings: Settings, tmp_path: Path, admin_client: Client, kind: str
) -> None:
    settings.HOME = tmp_path / "nowhere" if kind == "no home" else empty_home(tmp_path / "home")
    for url_name, args in SIGNED_IN_ONLY + OPEN[:2]:
        page = tree(admin_client, reverse(url_name, args=args))
        assert find(page, "div", id="no-results")
        assert "There are no results yet" in text(page)
    for url_name in ("dashboards:public_csv", "dashboards:public_datapackage"):
        response = admin_client.get(reverse(url_name))
        assert response.status_code == 404
        assert response.content.decode() == "No open data has been published yet.\n"


@pytest.mark.parametrize(
    ("role", "links"),
    [
        (Role.BACKBONE_ANALYST, {"Dashboard", "Open data"}),
        (Role.STEERING_GROUP, {"Collective dashboard", "Open data"}),
        (Role.FUNDER, {"Collective dashboard", "Open data"}),
        (Role.PARTNER_VIEWER, {"Open data"}),
    ],
)
def test_navigation_links_each_role_to_its_dashboards(role: Role, links: set[str]) -> None:
    client = signed_in_client(make_account(role))
    labels = {label for label, _, _ in client.get(reverse("pages:home")).context["nav_items"]}
    assert labels & {"Dashboard", "Collective dashboard", "Open data"} == links
