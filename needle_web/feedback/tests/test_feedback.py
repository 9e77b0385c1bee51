"""The feedback page shows a partner its own numbers and its peer benchmarks from the core,
never another partner's, and only to those allowed.

Expected numbers are read with the core (``results_for(..., "partner", code)`` and
``for_partner(load_results(..., "peers"), code)``) over the hand-made pool of three
partners (``home_with_results``: min_peers 3, partner threshold 2), and compared cell by
cell with the page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from needle.indicators.feedback import format_benchmark, partner_measures, summary_line
from needle.indicators.peers import for_partner
from needle.indicators.refresh import load_results, registry_for, results_for
from needle.indicators.summary import format_number, format_result, shows_n
from needle.initiative import open_home
from needle_web.accounts.roles import Role
from needle_web.accounts.testing import make_account, signed_in_client
from needle_web.audit.actions import AuditAction
from needle_web.audit.models import AuditEvent
from needle_web.dashboards.tests.homes import empty_home, find, find_all, parse, text

pytestmark = pytest.mark.django_db

PARTNERS = {"YC": "Youth Club", "SPORT": "Sport for All", "ARTS": "Arts Space"}


def partner_client(code: str = "YC", role: Role = Role.PARTNER_VIEWER) -> Client:
    return signed_in_client(make_account(role, partner_code=code))


def page_of(client: Client, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return parse(response.content.decode())


def table_cells(page: Any, indicator: str) -> dict[str, dict[str, str]]:
    """period -> column (own, compared-with, median, middle-half) -> text."""
    table = find(page, "table", data_indicator=indicator)
    rows = {}
    for tr in find_all(table, "tr", "govuk-table__row"):
        period = dict(tr.attributes).get("data-period")
        if period:
            rows[period] = {dict(td.attributes)["data-role"]: text(td) for td in find_all(tr, "td")}
    return rows


def core_measures(home: Path, code: str) -> list:
    view = results_for(home, "partner", code)
    peers = for_partner(load_results(home, "peers"), code)
    return partner_measures(view, peers, registry_for(open_home(home)), code)


# ---- the numbers -------------------------------------------------------------------------


@pytest.mark.slow  # the first page of each partner draws its charts: a few seconds
@pytest.mark.parametrize("code", ["YC", "SPORT"])
def test_every_number_is_the_cores(home: Path, code: str) -> None:
    page = page_of(partner_client(code), reverse("feedback:home"))
    config = open_home(home).config.disclosure
    measures = core_measures(home, code)
    assert len(measures) >= 10
    assert sum(m.has_benchmark for m in measures) >= 3
    for measure in measures:
        d = measure.definition
        section = find(page, "section", id=f"measure-{d.id}")
        line = text(find(section, "p", data_role="summary"))
        assert line == summary_line(measure, min_peers=config.min_peers)
        cells = table_cells(page, d.id)
        assert list(cells) == [p.period for p in measure.points]
        for point in measure.points:
            row = cells[point.period]
            own = format_result(point.own, d.unit, threshold=config.partner, show_n=shows_n(d))
            assert row["own"] == own
            b = point.benchmark
            if b is None:
                assert row["compared-with"] == "No benchmark"
                assert row["median"] == row["middle-half"] == "–"
            else:
                assert row["compared-with"] == f"All partners: {b.peers}"
                assert row["median"] == format_benchmark(b.median, d.unit)
                assert row["middle-half"] == (
                    f"{format_benchmark(b.p25, d.unit)} to {format_benchmark(b.p75, d.unit)}"
                )


def test_own_numbers_match_the_partner_view_row_for_row(home: Path) -> None:
    page = page_of(partner_client("YC"), reverse("feedback:home"))
    own_rows = results_for(home, "partner", "YC").filter(pl.col("breakdown") == "partner")
    shown = sum(len(table_cells(page, i)) for i in own_rows["indicator"].unique())
    assert shown == own_rows.height
    # Written out from the hand-made pool: YC reached 7 young people over all periods.
    assert table_cells(page, "reach")["all"]["own"] == "7"


def test_charts_are_inline_images_with_a_label(home: Path) -> None:
    page = page_of(partner_client("YC"), reverse("feedback:home"))
    charts = find_all(page, "svg", role="img")
    assert len(charts) >= 10
    for svg in charts:
        assert dict(svg.attributes)["aria-label"].startswith("Chart of ")
        assert "style" not in dict(svg.attributes)


# ---- no leak -------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("code", ["YC", "SPORT", "ARTS"])
def test_a_partner_never_sees_another_partners_name_code_or_value(home: Path, code: str) -> None:
    html = partner_client(code).get(reverse("feedback:home")).content.decode()
    page = parse(html)
    assert PARTNERS[code] in html
    for other, name in PARTNERS.items():
        if other != code:
            assert other not in html and name not in html
    backbone = results_for(home, "backbone").filter(pl.col("breakdown") == "partner")
    checked = 0
    for measure in core_measures(home, code):
        unit = measure.definition.unit
        cells = table_cells(page, measure.definition.id)
        for point in measure.points:
            b = point.benchmark
            legit = {format_number(point.value, unit)} if point.value is not None else set()
            if b is not None:
                legit |= {format_benchmark(x, unit) for x in (b.p25, b.median, b.p75)}
            row = cells[point.period]
            shown = {row["own"], row["median"], *row["middle-half"].split(" to ")}
            others = backbone.filter(
                (pl.col("indicator") == measure.definition.id)
                & (pl.col("period") == point.period)
                & (pl.col("group") != code)
            )
            for value in others["value"].drop_nulls():
                said = format_number(value, unit)
                if said not in legit:  # not the same text as its own number or a quartile
                    checked += 1
                    assert said not in shown, (measure.definition.id, point.period)
    assert checked > 20


def test_another_partners_page_is_not_found_for_a_partner(home: Path) -> None:
    client = partner_client("YC", Role.PARTNER_SUBMITTER)
    assert client.get(reverse("feedback:partner", args=["YC"])).status_code == 200
    for code in ("SPORT", "ARTS", "NOPE", "yc"):
        response = client.get(reverse("feedback:partner", args=[code]))
        assert response.status_code == 404
        assert b"Sport for All" not in response.content
        assert b"Arts Space" not in response.content


# ---- who may see it ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "home_status", "own_status", "other_status"),
    [
        (Role.PARTNER_SUBMITTER, 200, 200, 404),
        (Role.PARTNER_VIEWER, 200, 200, 404),
        (Role.BACKBONE_ADMIN, 200, 200, 200),
        (Role.BACKBONE_ANALYST, 200, 200, 200),
        (Role.STEERING_GROUP, 403, 403, 403),
        (Role.FUNDER, 403, 403, 403),
    ],
)
def test_roles(home: Path, role: Role, home_status: int, own_status: int, other_status: int):
    client = signed_in_client(make_account(role))  # partner roles: partner YC
    assert client.get(reverse("feedback:home")).status_code == home_status
    assert client.get(reverse("feedback:partner", args=["YC"])).status_code == own_status
    assert client.get(reverse("feedback:partner", args=["ARTS"])).status_code == other_status


def test_visitors_are_sent_to_sign_in(home: Path, client: Client) -> None:
    for url in (reverse("feedback:home"), reverse("feedback:partner", args=["YC"])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_backbone_chooses_a_partner_from_the_register(home: Path, admin_client: Client) -> None:
    page = page_of(admin_client, reverse("feedback:home"))
    hrefs = {dict(a.attributes)["href"] for a in find_all(find(page, "ul", id="partners"), "a")}
    assert hrefs == {reverse("feedback:partner", args=[code]) for code in PARTNERS}
    assert not AuditEvent.objects.filter(action=AuditAction.VIEWED_PARTNER_DATA).exists()
    assert admin_client.get(reverse("feedback:partner", args=["NOPE"])).status_code == 404


def test_backbone_sees_the_partners_page_and_is_audited(
    home: Path, admin_client: Client, admin: Any
) -> None:
    as_partner = page_of(partner_client("ARTS"), reverse("feedback:home"))
    assert not AuditEvent.objects.filter(action=AuditAction.VIEWED_PARTNER_DATA).exists()

    as_backbone = page_of(admin_client, reverse("feedback:partner", args=["ARTS"]))

    for measure in core_measures(home, "ARTS"):
        d = measure.definition
        assert table_cells(as_backbone, d.id) == table_cells(as_partner, d.id)
    assert "Arts Space's page" in text(find(as_backbone, "div", id="viewing-as"))
    (event,) = AuditEvent.objects.filter(action=AuditAction.VIEWED_PARTNER_DATA)
    assert event.actor_email == admin.email
    assert "ARTS" in event.target
    assert event.details["partner"] == "ARTS"


# ---- before there are numbers --------------------------------------------------------------


def test_no_results_yet(tmp_path: Path, settings: Settings, admin_client: Client) -> None:
    settings.HOME = empty_home(tmp_path / "home")
    page = page_of(partner_client("YC"), reverse("feedback:home"))
    assert "not been computed" in text(find(page, "div", id="no-results"))
    page = page_of(admin_client, reverse("feedback:partner", args=["YC"]))
    assert find(page, "div", id="no-results")
    assert not AuditEvent.objects.filter(action=AuditAction.VIEWED_PARTNER_DATA).exists()


def test_no_home_at_all_is_an_empty_state(
    tmp_path: Path, settings: Settings, admin_client: Client
) -> None:
    settings.HOME = tmp_path / "nowhere"
    page = page_of(partner_client("YC"), reverse("feedback:home"))
    assert find(page, "div", id="no-results")
    assert find(page_of(admin_client, reverse("feedback:home")), "div", id="no-partners")


def test_a_partner_without_numbers_of_its_own(home: Path) -> None:
    page = page_of(partner_client("NEW"), reverse("feedback:home"))
    assert "no numbers for NEW yet" in text(find(page, "div", id="no-own-results"))
    assert not find_all(page, "table")
