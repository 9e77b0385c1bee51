"""The reach map: neighbourhoods carry their ward's protected number and their decile."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import polars as pl
import pytest

from needle.errors import NeedleInputError
from needle.indicators.maps import AREA_SCHEMA, NO_DATA, area_lookup, reach_map, read_geojson
from needle.reference.sources import bundled_sources


def square(code: str, x: float) -> dict:
    ring = [[x, 53.0], [x + 0.01, 53.0], [x + 0.01, 53.01], [x, 53.01], [x, 53.0]]
    return {
        "type": "Feature",
        "properties": {"area_code": code, "area_name": f"Area {code[-1]}"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


BOUNDARIES = {
    "type": "FeatureCollection",
    "features": [square("E01000001", -2.3), square("E01000002", -2.2), square("E01000009", -2.1)],
}
AREAS = pl.DataFrame(
    [("E01000001", "W1", "North", 1), ("E01000002", "W2", "South", 6)],
    schema=AREA_SCHEMA,
    orient="row",
)


def results(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "indicator": pl.String,
            "period": pl.String,
            "breakdown": pl.String,
            "group": pl.String,
            "value": pl.Float64,
            "status": pl.String,
        },
        orient="row",
    )


def test_each_area_carries_its_wards_published_number_and_decile() -> None:
    table = results(
        [
            ("reach", "all", "ward", "W1", 12.0, "published"),
            ("reach", "2025-Q1", "ward", "W1", 7.0, "published"),
            ("reach", "all", "gender", "W1", 99.0, "published"),
            ("reach_equity", "all", "ward", "W1", 0.8, "published"),
        ]
    )
    collection = reach_map(BOUNDARIES, AREAS, table, period="all")
    by_code = {f["properties"]["code"]: f["properties"] for f in collection["features"]}
    assert set(by_code) == {"E01000001", "E01000002"}  # only the initiative's areas
    assert by_code["E01000001"] == {
        "code": "E01000001",
        "name": "Area 1",
        "ward": "W1",
        "ward_name": "North",
        "imd_decile": 1,
        "value": 12.0,
        "status": "published",
    }
    assert by_code["E01000002"]["value"] is None
    assert by_code["E01000002"]["status"] == NO_DATA


def test_a_suppressed_ward_has_no_number_whatever_the_table_held() -> None:
    table = results([("reach", "all", "ward", "W1", 2.0, "suppressed")])
    (first, _) = reach_map(BOUNDARIES, AREAS, table, period="all")["features"]
    assert first["properties"]["value"] is None
    assert first["properties"]["status"] == "suppressed"


def test_without_areas_every_boundary_is_drawn_and_coordinates_are_rounded() -> None:
    boundaries = {"type": "FeatureCollection", "features": [square("E01000009", -2.123456789)]}
    empty = pl.DataFrame(schema=AREA_SCHEMA)
    (feature,) = reach_map(boundaries, empty, results([]), period="all")["features"]
    assert feature["properties"]["ward"] is None
    assert feature["geometry"]["coordinates"][0][0] == [-2.12346, 53.0]


def test_read_geojson_reads_gzip_and_refuses_other_json(tmp_path: Path) -> None:
    good = tmp_path / "areas.geojson.gz"
    good.write_bytes(gzip.compress(json.dumps(BOUNDARIES).encode()))
    assert len(read_geojson(good)["features"]) == 3
    bad = tmp_path / "areas.geojson"
    bad.write_text('{"type": "Feature"}', encoding="utf-8")
    with pytest.raises(NeedleInputError, match="not a GeoJSON FeatureCollection"):
        read_geojson(bad)
    broken = tmp_path / "broken.geojson"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(NeedleInputError, match="cannot be read as GeoJSON"):
        read_geojson(broken)


def test_bundled_trafford_boundaries_read() -> None:
    collection = read_geojson(bundled_sources().lsoa2021_boundaries)
    assert len(collection["features"]) > 100


def test_area_lookup_takes_the_ward_most_postcodes_are_in() -> None:
    class Reference:
        postcodes = pl.DataFrame(
            {
                "lsoa21": ["L1", "L1", "L1", "L2", None],
                "ward_code": ["W2", "W1", "W1", "W2", "W9"],
                "ward_name": ["South", "North", "North", "South", "Nowhere"],
            }
        )
        lsoa = pl.DataFrame({"lsoa21": ["L2", "L1"], "imd_decile": [4, 9]})

    lookup = area_lookup(Reference())
    assert lookup.rows() == [("L1", "W1", "North", 9), ("L2", "W2", "South", 4)]
