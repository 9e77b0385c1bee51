"""Trend and "turn the curve" charts, the equity view, the map and its GeoJSON, and the
downloads: each shows the core's protected numbers for its audience, and only to those
allowed.

Expected numbers are read with the core (``results_for``, ``curve_chart``) and compared
with the page; the map's areas are a small hand-made lookup over the hand-made pool's
neighbourhoods (the test home has no reference store).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from django.test import Client
from django.urls import reverse

from needle.indicators.definitions import with_titles
from needle.indicators.html import curve_chart
from needle.indicators.maps import AREA_SCHEMA
from needle.indicators.population import read_population_series, turn_the_curve
from needle.indicators.refresh import registry_for, results_for
from needle.indicators.summary import format_number, format_result, shows_n
from needle.initiative import open_home
from needle_web.accounts.roles import Role
from needle_web.accounts.testing import make_account, signed_in_client
from needle_web.audit.actions import AuditAction
from needle_web.audit.models import AuditEvent
from needle_web.dashboards import selectors
from needle_web.dashboards.tests.homes import empty_home, find, find_all, parse, text

pytestmark = pytest.mark.django_db

THRESHOLDS = {"backbone": None, "steering_group": 2, "public": 3}
PREFIX = {"backbone": "backbone", "steering_group": "steering", "public": "public"}
# The hand-made pool's neighbourhoods (tests/indicators/pools.py AREA) and one more with
# no one reached; the outside ward E05099999 is nobody's on the map.
AREAS = pl.DataFrame(
    [
        ("E01000001", "E05000001", "Riverside", 1),
        ("E01000002", "E05000001", "Riverside", 2),
        ("E01000003", "E05000002", "Hillside", 7),
        ("E01000004", "E05000003", "Meadow", 10),
    ],
    schema=AREA_SCHEMA,
    orient="row",
)


def square(code: str, x: float) -> dict[str, Any]:
    ring = [[x, 53.4], [x + 0.01, 53.4], [x + 0.01, 53.41], [x, 53.41], [x, 53.4]]
    return {
        "type": "Feature",
        "properties": {"area_code": code, "area_name": f"Neighbourhood {code[-1]}"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


BOUNDARIES = {
    "type": "FeatureCollection",
    "features": [square(code, -2.4 + i / 50) for i, code in enumerate(AREAS["lsoa21"])],
}


@pytest.fixture
def steering_client() -> Client:
    return signed_in_client(make_account(Role.STEERING_GROUP, email="sg@example.org"))


@pytest.fixture
def areas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selectors, "map_areas", lambda: (BOUNDARIES, AREAS))


def tree(client: Client, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return parse(response.content.decode())


def core(home: Path, audience: str, indicator: str, breakdown: str) -> list[dict]:
    frame = results_for(home, audience).filter(
        (pl.col("indicator") == indicator) & (pl.col("breakdown") == breakdown)
    )
    return frame.to_dicts()


def expected(home: Path, audience: str, row: dict) -> str:
    definition = registry_for(open_home(home)).get(row["indicator"])
    return format_result(
        row, definition.unit, threshold=THRESHOLDS[audience], show_n=shows_n(definition)
    )


# ---- trends ---------------------------------------------------------------------------------


@pytest.mark.parametrize("audience", ["backbone", "steering_group"])
def test_indicator_page_draws_the_trend_with_its_numbers(
    home: Path, admin_client: Client, steering_client: Client, audience: str
) -> None:
    client = admin_client if audience == "backbone" else steering_client
    url = reverse(f"dashboards:{PREFIX[audience]}_indicator", args=["reach"])
    page = tree(client, url)
    figure = find(page, "figure", id="trend")
    svg = find(figure, "svg")
    assert dict(svg.attributes)["role"] == "img"
    assert "Line chart of Young people reached" in dict(svg.attributes)["aria-label"]
    rows = {r["period"]: r for r in core(home, audience, "reach", "") if r["period"] != "all"}
    assert len(rows) == 3
    table = find(figure, "table", data_role="trend")
    for period, row in rows.items():
        shown = text(find(find(table, "tr", data_period=period), "td"))
        assert shown == expected(home, audience, row), period
    assert "Show the numbers" in text(find(figure, "summary"))


def test_a_hidden_period_is_listed_as_not_drawn(home: Path, steering_client: Client) -> None:
    headline = results_for(home, "steering_group").filter(
        (pl.col("breakdown") == "") & (pl.col("period") != "all")
    )
    hidden = [
        (r["indicator"], r["period"]) for r in headline.to_dicts() if r["status"] != "published"
    ]
    assert hidden, "no suppressed headline period to test with"
    indicator, period = hidden[0]
    page = tree(steering_client, reverse("dashboards:steering_indicator", args=[indicator]))
    figure = find(page, "figure", id="trend")
    assert period in text(find(figure, "p", "govuk-body-s"))
    assert text(find(find(figure, "tr", data_period=period), "td")).startswith("suppressed")


def test_dashboards_turn_the_curve_with_baseline_and_target(
    home: Path, client: Client, admin_client: Client
) -> None:
    definitions = open_home(home).config.population_indicators
    series = read_population_series(home)
    assert any(d.target is not None for d in definitions)
    for the_client, url_name in ((client, "public"), (admin_client, "backbone")):
        page = tree(the_client, reverse(f"dashboards:{url_name}"))
        for d in definitions:
            chart = curve_chart(d, turn_the_curve(series, d))
            figure = find(page, "figure", id=f"curve-{d.id}")
            assert text(find(figure, "p", data_role="curve-summary")) == chart.said
            assert find(figure, "svg") is not None
            table = find(figure, "table", data_curve=d.id)
            headers = [text(th) for th in find_all(find(table, "thead"), "th")]
            assert headers == list(chart.headers)
            if d.target is not None:
                assert {"Baseline", "Target path"} <= set(headers)
            body = [
                [text(c) for c in find_all(tr, "th") + find_all(tr, "td")]
                for tr in find_all(find(table, "tbody"), "tr")
            ]
            assert body == [list(r) for r in chart.rows]


# ---- equity ---------------------------------------------------------------------------------


@pytest.mark.parametrize("audience", ["backbone", "steering_group", "public"])
def test_equity_page_shows_the_cores_numbers_by_decile(
    home: Path, admin_client: Client, audience: str
) -> None:
    page = tree(admin_client, reverse(f"dashboards:{PREFIX[audience]}_equity"))
    table = find(page, "table", data_role="equity")
    rows = [r for r in core(home, audience, "reach_equity", "imd_decile") if r["period"] == "all"]
    rates = {
        r["group"]: r
        for r in core(home, audience, "reach_population_rate", "imd_decile")
        if r["period"] == "all"
    }
    assert rows
    for row in rows:
        tr = find(table, "tr", data_group=row["group"])
        cells = {dict(td.attributes)["data-column"]: text(td) for td in find_all(tr, "td")}
        assert cells["ratio"] == expected(home, audience, row)
        if row["status"] == "published":
            assert cells["reached"] == format_number(row["numerator"], "people")
            assert cells["residents"] == format_number(row["denominator"], "people")
            if row["group"] in rates:
                assert cells["rate"] == expected(home, audience, rates[row["group"]])
        else:
            assert all(value.startswith("suppressed") for value in cells.values())
    assert find(find(page, "figure", id="equity"), "svg") is not None


def test_equity_page_can_show_one_period(home: Path, client: Client) -> None:
    page = tree(client, reverse("dashboards:public_equity") + "?period=2025-Q2")
    assert "2025-Q2" in text(find(page, "figure", id="equity"))
    select = find(page, "select", id="period")
    chosen = [o for o in find_all(select, "option") if "selected" in dict(o.attributes)]
    assert [text(o) for o in chosen] == ["2025-Q2"]


def test_public_equity_never_shows_a_hidden_number(home: Path, client: Client) -> None:
    backbone = {
        r["group"]: r
        for r in core(home, "backbone", "reach_equity", "imd_decile")
        if r["period"] == "all"
    }
    public = {
        r["group"]: r
        for r in core(home, "public", "reach_equity", "imd_decile")
        if r["period"] == "all"
    }
    page = tree(client, reverse("dashboards:public_equity"))
    hidden = [g for g, r in public.items() if r["status"] != "published"] + [
        g for g in backbone if g not in public
    ]
    for group in hidden:
        tr = find_all(page, "tr", data_group=group)
        for row in tr:
            assert not any(ch.isdigit() for td in find_all(row, "td") for ch in text(td)), group


# ---- the map --------------------------------------------------------------------------------


def geojson(client: Client, audience: str) -> dict:
    response = client.get(reverse(f"dashboards:{PREFIX[audience]}_map_data"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    return response.json()


def test_public_map_has_no_unsuppressed_small_number(
    home: Path, client: Client, admin_client: Client, areas: None
) -> None:
    wards = {r["group"]: r for r in core(home, "public", "reach", "ward") if r["period"] == "all"}
    backbone = {
        r["group"]: r for r in core(home, "backbone", "reach", "ward") if r["period"] == "all"
    }
    features = geojson(client, "public")["features"]
    assert len(features) == AREAS.height
    seen_hidden = False
    for feature in features:
        p = feature["properties"]
        row = wards.get(p["ward"])
        if p["value"] is None:
            seen_hidden |= row is not None and backbone[p["ward"]]["value"] is not None
            assert row is None or row["status"] != "published"
        else:
            assert row["status"] == "published"
            assert p["value"] == row["value"] >= THRESHOLDS["public"]
    assert seen_hidden, "no ward the backbone sees and the public does not"
    # the backbone's map has every number
    for feature in geojson(admin_client, "backbone")["features"]:
        p = feature["properties"]
        if p["ward"] in backbone:
            assert p["value"] == backbone[p["ward"]]["value"]


def test_map_page_has_the_same_numbers_as_a_table(
    home: Path, steering_client: Client, areas: None
) -> None:
    page = tree(steering_client, reverse("dashboards:steering_map"))
    features = geojson(steering_client, "steering_group")["features"]
    table = find(page, "table", data_role="map")
    map_box = find(page, "div", id="map")
    assert dict(map_box.attributes)["data-map-url"] == reverse("dashboards:steering_map_data")
    for feature in features:
        p = feature["properties"]
        cell = text(find(find(table, "tr", data_code=p["code"]), "td", data_column="reach"))
        if p["value"] is None:
            assert not any(ch.isdigit() for ch in cell)
        else:
            assert cell == format_number(p["value"], "people")
    assert "Meadow" in text(table)  # a ward with no one reached is on the map too


def test_without_reference_data_there_is_no_map(home: Path, admin_client: Client) -> None:
    page = tree(admin_client, reverse("dashboards:backbone_map"))
    assert find(page, "div", id="no-map")
    assert "needle reference load" in text(page)
    response = admin_client.get(reverse("dashboards:backbone_map_data"))
    assert response.status_code == 404
    assert "no reference data" in response.content.decode()


# ---- downloads ------------------------------------------------------------------------------


def read(data: bytes, fmt: str) -> pl.DataFrame:
    if fmt == "csv":
        return pl.read_csv(io.BytesIO(data), infer_schema_length=None)
    if fmt == "parquet":
        return pl.read_parquet(io.BytesIO(data))
    return pl.read_excel(io.BytesIO(data), sheet_name="indicators", engine="openpyxl")


@pytest.mark.parametrize(
    ("audience", "fmt"),
    [("backbone", "xlsx"), ("steering_group", "parquet"), ("public", "csv")],
)
def test_backbone_downloads_any_audiences_results_and_it_is_audited(
    home: Path, admin_client: Client, audience: str, fmt: str
) -> None:
    response = admin_client.get(reverse("dashboards:backbone_export", args=[audience, fmt]))
    assert response.status_code == 200
    assert f"-{audience.replace('_', '-')}-" in response["Content-Disposition"]
    assert response["Content-Disposition"].endswith(f'.{fmt}"')
    got = read(response.content, fmt)
    want = with_titles(results_for(home, audience), registry_for(open_home(home)))
    assert got.height == want.height
    assert got["indicator"].to_list() == want["indicator"].to_list()
    assert got["title"].to_list() == want["title"].to_list()
    event = AuditEvent.objects.get(action=AuditAction.EXPORTED)
    assert event.details["audience"] == audience
    assert event.details["format"] == fmt
    assert event.details["rows"] == want.height


def test_steering_group_downloads_its_collective_table(home: Path, steering_client: Client) -> None:
    response = steering_client.get(reverse("dashboards:steering_export"))
    assert response.status_code == 200
    got = read(response.content, "csv")
    table = results_for(home, "steering_group")
    assert (table["breakdown"] == "partner").any()  # the stored table has partner rows ...
    assert "partner" not in got["breakdown"].fill_null("").to_list()  # ... the file none
    assert got.height == table.filter(pl.col("breakdown") != "partner").height
    assert set(got.filter(pl.col("status") != "published")["value"].to_list()) == {None}
    event = AuditEvent.objects.get(action=AuditAction.EXPORTED)
    assert event.actor_email == "sg@example.org"
    assert event.details["audience"] == "steering_group"


def test_who_may_download_what(home: Path, steering_client: Client, admin_client: Client) -> None:
    backbone_url = reverse("dashboards:backbone_export", args=["backbone", "csv"])
    assert steering_client.get(backbone_url).status_code == 403
    funder = signed_in_client(make_account(Role.FUNDER, email="fund@example.org"))
    assert funder.get(reverse("dashboards:steering_export")).status_code == 200
    partner = signed_in_client(make_account(Role.PARTNER_VIEWER, email="val@example.org"))
    assert partner.get(reverse("dashboards:steering_export")).status_code == 403
    for args in (["backbone", "ods"], ["partner", "csv"]):
        url = reverse("dashboards:backbone_export", args=args)
        assert admin_client.get(url).status_code == 404
    assert AuditEvent.objects.filter(action=AuditAction.EXPORTED).count() == 1  # the funder


def test_who_may_see_equity_and_the_map(
    home: Path, client: Client, steering_client: Client, areas: None
) -> None:
    for name in ("backbone_equity", "backbone_map", "backbone_map_data"):
        assert steering_client.get(reverse(f"dashboards:{name}")).status_code == 403
        assert client.get(reverse(f"dashboards:{name}")).status_code == 302
    for name in ("steering_equity", "steering_map", "steering_map_data"):
        assert steering_client.get(reverse(f"dashboards:{name}")).status_code == 200
        assert client.get(reverse(f"dashboards:{name}")).status_code == 302
    for name in ("public_equity", "public_map", "public_map_data"):
        assert client.get(reverse(f"dashboards:{name}")).status_code == 200


def test_dashboards_link_the_views_and_downloads(
    home: Path, admin_client: Client, steering_client: Client, client: Client
) -> None:
    page = tree(admin_client, reverse("dashboards:backbone"))
    hrefs = {dict(a.attributes).get("href") for a in find_all(page, "a")}
    assert {reverse("dashboards:backbone_equity"), reverse("dashboards:backbone_map")} <= hrefs
    assert reverse("dashboards:backbone_export", args=["public", "xlsx"]) in hrefs
    page = tree(steering_client, reverse("dashboards:steering"))
    hrefs = {dict(a.attributes).get("href") for a in find_all(page, "a")}
    assert reverse("dashboards:steering_export") in hrefs
    assert not any("/dashboard/" in (h or "") for h in hrefs)
    page = tree(client, reverse("dashboards:public"))
    hrefs = {dict(a.attributes).get("href") for a in find_all(page, "a")}
    assert reverse("dashboards:public_map") in hrefs
    assert not any("results" in (h or "") for h in hrefs)


def test_new_pages_say_when_there_are_no_results(
    settings: Any, tmp_path: Path, admin_client: Client
) -> None:
    settings.HOME = empty_home(tmp_path / "home")
    for name in ("backbone_equity", "backbone_map", "public_equity", "public_map"):
        assert find(tree(admin_client, reverse(f"dashboards:{name}")), "div", id="no-results")
    for name in ("public_map_data", "steering_export"):
        assert admin_client.get(reverse(f"dashboards:{name}")).status_code == 404
