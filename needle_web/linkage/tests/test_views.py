"""The linkage pages: who may see them, what the quality report and the review queue
show (and never show), and what a review decision does through the core."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from web.html_tree import attrs, find, find_all, parse, text

from needle.initiative import open_home
from needle.linkage import link, link_status, review_queue
from needle.linkage.store import decisions
from needle_web.accounts.roles import Role
from needle_web.accounts.testing import make_account, signed_in_client
from needle_web.audit.actions import AuditAction
from needle_web.audit.models import AuditEvent
from needle_web.linkage.tests.homes import PEOPLE, pooled_people

pytestmark = pytest.mark.django_db

PAGES = ["linkage:quality", "linkage:review"]
REFUSED = [Role.STEERING_GROUP, Role.FUNDER, Role.PARTNER_SUBMITTER, Role.PARTNER_VIEWER]


def analyst_client() -> Client:
    return signed_in_client(make_account(Role.BACKBONE_ANALYST, email="ana@backbone.example.org"))


def page(client: Client, name: str) -> Any:
    response = client.get(reverse(name))
    assert response.status_code == 200, (name, response.status_code)
    return parse(response.content.decode())


def pair_of(root: Path) -> str:
    return review_queue(root)["pair_id"][0]


def decide(client: Client, pair: str, decision: str) -> Any:
    return client.post(reverse("linkage:decide"), {"pair": pair, "decision": decision})


def decided_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditAction.LINKAGE_DECIDED))


# ---- who may see ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_both_backbone_roles_see_the_pages(name: str, home: Path, admin_client: Client) -> None:
    for client in (admin_client, analyst_client()):
        assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("role", REFUSED)
def test_other_roles_are_refused_everything(role: str, home: Path) -> None:
    client = signed_in_client(make_account(role, email=f"{role}@example.org"))
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 403
    assert decide(client, pair_of(home), "confirmed").status_code == 403
    assert client.post(reverse("linkage:run")).status_code == 403
    assert decisions(home).height == 0


def test_visitors_are_sent_to_sign_in(home: Path, client: Client) -> None:
    for name in PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


# ---- the quality report --------------------------------------------------------------------


def test_the_report_shows_the_last_runs_counts(home: Path, admin_client: Client) -> None:
    report = link_status(home)
    tree = page(admin_client, "linkage:quality")
    summary = {
        text(find(row, "dt")): text(find(row, "dd"))
        for row in find_all(find(tree, "dl", id="report"), "div")
    }
    assert summary["Young people (person ids)"] == f"{report['person_ids']:,}"
    assert summary["Records"].startswith(f"{report['records']:,} ")
    assert summary["Match rate (records linked to another record)"] == (
        f"{report['match_rate']:.1%}"
    )
    sizes = find(tree, "table", id="sizes")
    rows = {
        text(find(r, "th")): text(find_all(r, "td")[0])
        for r in find_all(find(sizes, "tbody"), "tr")
    }
    assert len(rows) == len(report["cluster_sizes"])
    assert rows["2 records"] == str(report["cluster_sizes"]["2"])
    chart = attrs(find(tree, "svg"))
    assert chart["role"] == "img" and "records" in (chart["aria-label"] or "")
    changes = [text(d) for d in find_all(find(tree, "dl", id="changes"), "dd")]
    assert changes == [str(report["review_backlog"]), str(report["merges"]), str(report["splits"])]


def test_only_the_admin_may_start_a_run(home: Path, admin_client: Client) -> None:
    run = reverse("linkage:run")
    assert find_all(page(admin_client, "linkage:quality"), "form", action=run)
    assert not find_all(page(analyst_client(), "linkage:quality"), "form", action=run)


def test_before_the_first_run_both_pages_say_so(unlinked: Path, admin_client: Client) -> None:
    assert find(page(admin_client, "linkage:quality"), "div", id="not-linked")
    tree = page(admin_client, "linkage:review")
    assert find(tree, "div", id="not-linked") and not find_all(tree, "form")


# ---- the review queue ----------------------------------------------------------------------


def test_the_queue_shows_each_pair_with_what_is_safe(home: Path, admin_client: Client) -> None:
    queue = review_queue(home)
    tree = page(admin_client, "linkage:review")
    cards = find_all(tree, "div", "govuk-summary-card")
    assert [attrs(card)["data-pair"] for card in cards] == queue["pair_id"].to_list()
    first = {
        text(find(row, "dt")): text(find(row, "dd"))
        for row in find_all(cards[0], "div", "govuk-summary-list__row")
    }
    names = {p.code: p.name for p in open_home(home).config.partners}
    left, right = queue["org_l"][0], queue["org_r"][0]
    both = f"{names[left]} ({left})" + (
        ", both records" if left == right else f" and {names[right]} ({right})"
    )
    assert first["Partners"] == both
    assert first["Names"] == queue["name_level"][0].replace(">=", "≥")
    assert first["Gender recorded"] == queue["gender_l"][0]
    assert first["Ward"] == queue["ward_code_l"][0]
    buttons = [text(b) for b in find_all(cards[0], "button")]
    assert [b.split(" pair")[0] for b in buttons] == ["Confirm", "Reject"]


def test_no_page_shows_an_identifier_a_reference_or_an_encoding(
    home: Path, admin_client: Client
) -> None:
    encoded = pooled_people(PEOPLE)  # what homes.py pooled: the same key and seed
    secrets: set[str] = set()
    for column in encoded.columns:
        if column.startswith("mk_"):
            secrets |= set(encoded[column].drop_nulls().to_list())
        elif column.startswith("bf_"):
            for value in encoded[column].drop_nulls().to_list():
                secrets |= {value.hex(), base64.b64encode(value).decode()}
    personal = {p[3] for p in PEOPLE} | {p[4] for p in PEOPLE} | {p[6] for p in PEOPLE}
    personal |= {p[5].isoformat() for p in PEOPLE} | {p[5].strftime("%d/%m/%Y") for p in PEOPLE}
    references = {p[2] for p in PEOPLE}
    assert len(secrets) > 100  # every record's keys and filters
    for name in PAGES:
        body = admin_client.get(reverse(name)).content.decode()
        assert not [s for s in secrets if s in body], name
        assert not [p for p in personal if p in body], name
        words = set(re.findall(r"\b\w+\b", text(find(parse(body), "main"))))
        assert not words & references, name


# ---- deciding ------------------------------------------------------------------------------


@pytest.mark.parametrize("decision", ["confirmed", "rejected"])
def test_a_decision_is_recorded_by_the_core_and_audited(
    decision: str, home: Path, admin: Any, admin_client: Client
) -> None:
    pair = pair_of(home)
    response = decide(admin_client, pair, decision)
    assert response.status_code == 302 and response["Location"] == reverse("linkage:review")
    recorded = decisions(home).row(0, named=True)
    assert (recorded["pair_id"], recorded["decision"], recorded["decided_by"]) == (
        pair,
        decision,
        admin.email,
    )
    [event] = decided_events()
    assert event.actor_email == admin.email and event.target == f"pair {pair}"
    assert event.details["decision"] == decision
    tree = parse(admin_client.get(response["Location"]).content.decode())
    assert f"Pair {pair} {decision}" in text(find(tree, "div", "govuk-notification-banner"))
    card = find(tree, "div", "govuk-summary-card", **{"data-pair": pair})
    assert text(find(card, "strong", "govuk-tag")) == decision.capitalize()
    other = "Reject" if decision == "confirmed" else "Confirm"
    assert [text(b).split(" pair")[0] for b in find_all(card, "button")] == [other]
    assert text(find(tree, "h2", id="queue")).startswith("0 pairs waiting")


def test_an_analyst_may_decide_too(home: Path) -> None:
    client = analyst_client()
    assert decide(client, pair_of(home), "rejected").status_code == 302
    assert decisions(home)["decided_by"].to_list() == ["ana@backbone.example.org"]


@pytest.mark.parametrize(
    ("pair", "decision", "message"),
    [
        ("Lnot-a-pair", "confirmed", "is not waiting for review"),
        ("", "confirmed", "Choose a pair from the list"),
        (None, "maybe", "Press Confirm or Reject"),
    ],
)
def test_a_wrong_decision_is_explained_on_the_page(
    pair: str | None, decision: str, message: str, home: Path, admin_client: Client
) -> None:
    response = decide(admin_client, pair_of(home) if pair is None else pair, decision)
    assert response.status_code == 200
    tree = parse(response.content.decode())
    assert text(find(tree, "title")).startswith("Error: ")
    assert message in text(find(tree, "div", "govuk-error-summary"))
    assert decisions(home).height == 0 and not decided_events()


def test_deciding_before_any_run_is_explained(unlinked: Path, admin_client: Client) -> None:
    response = decide(admin_client, "Lb5dae2007c94", "confirmed")
    assert response.status_code == 200
    assert "not waiting for review" in text(
        find(parse(response.content.decode()), "div", "govuk-error-summary")
    )


def test_the_next_run_applies_the_decision_and_empties_the_queue(
    home: Path, admin_client: Client
) -> None:
    decide(admin_client, pair_of(home), "confirmed")
    link(open_home(home))
    assert find(page(admin_client, "linkage:review"), "div", id="empty-queue")
    changes = [
        text(d)
        for d in find_all(find(page(admin_client, "linkage:quality"), "dl", id="changes"), "dd")
    ]
    assert changes[:2] == ["0", "1"]  # nothing waiting; the twins' two ids merged


def test_link_and_refresh_now_runs_the_core(home: Path, admin_client: Client, settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    decide(admin_client, pair_of(home), "confirmed")
    response = admin_client.post(reverse("linkage:run"))
    assert response.status_code == 302 and response["Location"] == reverse("linkage:quality")
    assert link_status(home)["merges"] == 1
    assert (home / "indicators" / "person_links.parquet").exists()
