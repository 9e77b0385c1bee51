"""The journeys pages: each shows the core's numbers protected for the visitor's audience,
and one young person's timeline only to the backbone, audited.

Expected numbers are read with the core (``needle.journeys``) on the same home and
compared with the page, queried as a tree (tests/web/html_tree.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
from django.test import Client
from django.urls import reverse
from web.html_tree import attrs

from needle.initiative import open_home
from needle.journeys import ALL, COUNT, open_journeys, pathways, protected, timeline
from needle_web.accounts.roles import Role
from needle_web.accounts.testing import make_account, signed_in_client
from needle_web.audit.actions import AuditAction
from needle_web.audit.models import AuditEvent
from needle_web.dashboards.tests.homes import empty_home, find, find_all, parse, text
from needle_web.journeys.tests.homes import LINKED

pytestmark = pytest.mark.django_db


@pytest.fixture
def steering_client() -> Client:
    return signed_in_client(make_account(Role.STEERING_GROUP, email="sg@example.org"))


def tree(client: Client, url: str, **data: Any) -> Any:
    response = client.get(url, data)
    assert response.status_code == 200, (url, response.status_code)
    return parse(response.content.decode())


def table_rows(page: Any, role: str) -> list[list[str]]:
    body = find(find(page, "table", data_role=role), "tbody")
    return [
        [text(cell) for cell in row.children if getattr(cell, "name", "") in ("th", "td")]
        for row in find_all(body, "tr")
    ]


def options(page: Any, select_id: str) -> list[Any]:
    return find_all(find(page, "select", id=select_id), "option")


def core_flows(home: Path, audience: str) -> pl.DataFrame:
    the_home = open_home(home)
    with open_journeys(the_home) as data:
        return protected(pathways(data), audience, the_home.config).filter(
            (pl.col("source") != ALL) & (pl.col("target") != ALL)
        )


def test_backbone_sees_every_flow(home: Path, admin_client: Client) -> None:
    page = tree(admin_client, reverse("journeys:pathways"))
    expected = core_flows(home, "backbone")
    rows = table_rows(page, "flows")
    assert [r[3] for r in rows] == [str(c) for c in expected[COUNT]]
    assert "suppressed" not in {r[3] for r in rows}
    figure = find(page, "figure", id="pathways")
    assert attrs(find(figure, "svg", role="img"))["aria-label"]
    assert len(find_all(figure, "path")) == len(
        expected.filter(~pl.col("target").is_in(["end", "more"]))
    )
    assert text(find(figure, "figcaption"))


def test_steering_group_sees_flows_protected(home: Path, steering_client: Client) -> None:
    page = tree(steering_client, reverse("journeys:pathways"))
    expected = core_flows(home, "steering_group")
    shown = [r[3] for r in table_rows(page, "flows")]
    assert shown == [str(c) if c is not None else "suppressed" for c in expected[COUNT]]
    assert "suppressed" in shown
    assert all(v == "suppressed" or int(v) >= 2 for v in shown)


def test_backbone_can_look_as_the_steering_group(home: Path, admin_client: Client) -> None:
    page = tree(admin_client, reverse("journeys:pathways"), audience="steering_group")
    assert "suppressed" in [r[3] for r in table_rows(page, "flows")]


def test_referrals_by_partner_for_the_backbone_only(
    home: Path, admin_client: Client, steering_client: Client
) -> None:
    page = tree(admin_client, reverse("journeys:referrals"), by="partner")
    partners = {r[0] for r in table_rows(page, "funnel")}
    assert {"YC", "SPORT", "All"} <= partners
    assert "partner" in {attrs(o)["value"] for o in options(page, "by")}
    # The steering group is not offered partners, and asking does not break them down.
    page = tree(steering_client, reverse("journeys:referrals"), by="partner")
    assert "partner" not in {attrs(o)["value"] for o in options(page, "by")}
    assert [r[0] for r in table_rows(page, "funnel")] == [
        "Made",
        "Accepted",
        "Started",
        "Completed",
    ]


def test_funnel_numbers(home: Path, admin_client: Client) -> None:
    page = tree(admin_client, reverse("journeys:referrals"))
    funnel = {r[0]: r[1:] for r in table_rows(page, "funnel")}
    assert funnel["Made"] == ["9", "100%"]
    assert funnel["Completed"][0] == "1"
    waits = table_rows(page, "waits")
    assert waits == [["All referrals", "2", "10.5", "18", "25.5"]]  # linked: 3 and 33 days
    assert find(find(page, "figure", id="funnel"), "svg", role="img")


def test_disengagement_gap_is_chosen_from_a_list(home: Path, admin_client: Client) -> None:
    page = tree(admin_client, reverse("journeys:disengagement"), gap_days="30")
    rows = find_all(find(page, "dl", id="totals"), "div")
    totals = {text(find(row, "dt")): text(find(row, "dd")) for row in rows}
    assert totals == {"Stopped": "6", "Still attending": "5"}
    page = tree(admin_client, reverse("journeys:disengagement"), gap_days="7; DROP")
    selected = [attrs(o)["value"] for o in options(page, "gap_days") if "selected" in attrs(o)]
    assert selected == ["90"]


def test_typical_journeys(home: Path, steering_client: Client) -> None:
    page = tree(steering_client, reverse("journeys:typical"), by="gender")
    cohorts = [r[0] for r in table_rows(page, "typical")]
    assert "Everyone" in cohorts and "Female" in cohorts


def test_timeline_is_audited_and_for_the_backbone(
    home: Path, admin_client: Client, steering_client: Client
) -> None:
    url = reverse("journeys:timeline")
    assert steering_client.get(url).status_code == 403
    assert steering_client.post(url, {"person_id": LINKED}).status_code == 403
    response = admin_client.post(url, {"person_id": LINKED})
    assert response.status_code == 200
    rows = table_rows(parse(response.content.decode()), "timeline")
    with open_journeys(open_home(home)) as data:
        assert len(rows) == timeline(data, LINKED).height
    assert {r[2] for r in rows} == {"YC", "SPORT"}
    event = AuditEvent.objects.get(action=AuditAction.VIEWED_PARTNER_DATA)
    assert event.details == {"person_id": LINKED}


def test_timeline_refuses_what_is_not_an_id_without_echoing_it(
    home: Path, admin_client: Client
) -> None:
    url = reverse("journeys:timeline")
    for typed, message in (
        ("Sam Taylor 2009-05-17", "only letters, digits"),
        ("XX:NOBODY", "No young person has that id"),
    ):
        response = admin_client.post(url, {"person_id": typed})
        body = response.content.decode()
        assert response.status_code == 200
        assert message in body
        assert typed not in body
        assert find(parse(body), "div", "govuk-error-summary")
    assert not AuditEvent.objects.filter(action=AuditAction.VIEWED_PARTNER_DATA).exists()


def test_pages_without_an_initiative(tmp_path: Path, settings: Any, admin_client: Client) -> None:
    settings.HOME = empty_home(tmp_path / "empty")
    for name in ("pathways", "referrals", "disengagement", "typical"):
        page = tree(admin_client, reverse(f"journeys:{name}"))
        assert text(find(page, "h1"))
    settings.HOME = tmp_path / "nowhere"
    page = tree(admin_client, reverse("journeys:pathways"))
    assert find(page, "div", id="no-data")


def test_home_lists_the_timeline_for_the_backbone_only(
    home: Path, admin_client: Client, steering_client: Client
) -> None:
    def links(client: Client) -> set[str]:
        page = tree(client, reverse("journeys:home"))
        return {attrs(a)["href"] for a in find_all(find(page, "ul", id="journeys-pages"), "a")}

    assert reverse("journeys:timeline") in links(admin_client)
    assert reverse("journeys:timeline") not in links(steering_client)
    assert reverse("journeys:pathways") in links(steering_client)
