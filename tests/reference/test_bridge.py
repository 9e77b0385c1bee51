"""The LSOA 2021 -> IMD 2019 (LSOA 2011) bridge: real Trafford cases checked against a
hand computation, and tiny synthetic squares for every method (split, merge, tie, lookup,
directory, area, outside England, unbridgeable)."""

from __future__ import annotations

import gzip
import json
from collections import Counter

import numpy as np
import polars as pl
import pytest
import shapely
from shapely.geometry import box, shape

from needle.reference import Boundaries, bridge_imd, bundled_sources

# --- Trafford (bundled extracts) --------------------------------------------------------


def _geojson_codes(path) -> dict[str, object]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    return {f["properties"]["area_code"]: shape(f["geometry"]) for f in data["features"]}


@pytest.fixture(scope="module")
def imd_deciles() -> dict[str, int]:
    imd = pl.read_csv(bundled_sources().imd).filter(pl.col("nation") == "E")
    return dict(zip(imd["lsoa"], imd["original_decile"], strict=True))


def test_unchanged_codes_take_their_own_decile(trafford, imd_deciles):
    unchanged = trafford.lsoa.filter(pl.col("imd_source") == "unchanged")
    assert unchanged.height == 137
    for code, lsoa11, decile, quint in unchanged.select(
        "lsoa21", "lsoa11", "imd_decile", "imd_quintile"
    ).iter_rows():
        assert lsoa11 == code and decile == imd_deciles[code]
        assert quint == (decile + 1) // 2
    pcs = trafford.postcodes.filter(pl.col("imd_source") == "unchanged")
    assert (pcs["lsoa11"] == pcs["lsoa21"]).all()
    assert pcs["imd_decile"].to_list() == [imd_deciles[c] for c in pcs["lsoa21"]]


def test_changed_trafford_lsoas_match_a_hand_computation(trafford, imd_deciles):
    sources = bundled_sources()
    polygons_2011 = _geojson_codes(sources.lsoa2011_boundaries)
    codes_2021 = set(_geojson_codes(sources.lsoa2021_boundaries))
    changed = sorted(codes_2021 - set(polygons_2011))
    assert changed == ["E01034000", "E01034001"]  # both split from 2011's E01006185

    raw = pl.read_csv(sources.postcodes)
    for code in changed:
        pcs = raw.filter(pl.col("lsoa_code") == code)
        # By hand: test every postcode against every 2011 polygon.
        holders = Counter()
        for lon, lat in pcs.select("lon", "lat").iter_rows():
            inside = [c for c, poly in polygons_2011.items() if shapely.contains_xy(poly, lon, lat)]
            assert len(inside) == 1
            holders[inside[0]] += 1
        (parent, n), *_ = holders.most_common()
        assert parent == "E01006185" and n == pcs.height  # every postcode, so "located"

        row = trafford.lsoa.filter(pl.col("lsoa21") == code).row(0, named=True)
        assert row["imd_source"] == "located"
        assert row["lsoa11"] == parent and row["imd_decile"] == imd_deciles[parent] == 2
        assert row["imd_quintile"] == 1 and row["imd_share"] == 1.0
        assert row["postcodes"] == pcs.height

        keys = pcs["postcode"].str.replace_all(" ", "")
        got = trafford.postcodes.filter(pl.col("postcode").is_in(keys.implode()))
        assert got.height == pcs.height
        assert (got["imd_source"] == "located").all() and (got["lsoa11"] == parent).all()


def test_every_trafford_postcode_gets_a_decile(trafford):
    bridge = trafford.manifest["bridge"]
    print(f"\nTrafford postcodes without an IMD decile: {bridge['postcodes_without_decile']}")
    assert bridge["postcodes_without_decile"] == 0
    assert trafford.postcodes["imd_decile"].null_count() == 0
    assert bridge["postcodes"] == {
        "directory": 0, "unchanged": 11_145, "lookup": 0, "located": 119, "lsoa_bridge": 0,
        "outside_england": 0, "unbridged": 0,
    }  # fmt: skip
    assert bridge["lsoa"]["unchanged"] == 137 and bridge["lsoa"]["located"] == 2
    assert bridge["lsoa_without_decile"] == 0


def test_points_in_generalised_polygons_miss_a_few_unchanged_postcodes(trafford):
    """Why points are located only where the LSOA changed: for unchanged LSOAs the ONS's
    own assignment beats a point in a generalised polygon (which is wrong for ~0.4%)."""
    b11 = _boundaries(bundled_sources().lsoa2011_boundaries)
    pcs = trafford.postcodes.filter(pl.col("imd_source") == "unchanged")
    located = b11.locate(pcs["lon"].to_numpy(), pcs["lat"].to_numpy())
    disagree = int((located != pcs["lsoa21"].to_numpy()).sum())
    assert disagree == 41 and pcs.height == 11_145


def _boundaries(path) -> Boundaries:
    from needle.reference import read_boundaries

    return read_boundaries(path, year=2011)


def test_the_trafford_bridge_agrees_with_the_full_imd_file(trafford, shared):
    full = pl.read_csv(shared / "uk_imd_2019_lsoa2011_composite.csv").filter(
        pl.col("nation") == "E"
    )
    deciles = dict(zip(full["lsoa"], full["original_decile"], strict=True))
    for lsoa11, decile in trafford.lsoa.select("lsoa11", "imd_decile").iter_rows():
        assert deciles[lsoa11] == decile


# --- Synthetic squares ----------------------------------------------------------------
#
#   2011:  A = [0,1]x[0,1] (decile 3)   B = [1,2]x[0,1] (decile 7)   C = [2,3]x[0,1] (decile 7)
#
IMD = pl.DataFrame(
    {"lsoa11": ["E01000001", "E01000002", "E01000003"], "imd_decile": [3, 7, 7]},
    schema={"lsoa11": pl.String, "imd_decile": pl.Int8},
)
A, B, C = "E01000001", "E01000002", "E01000003"
B2011 = Boundaries.from_geometries([A, B, C], [box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)])


def _postcodes(rows: list[tuple]) -> pl.DataFrame:
    """rows of (postcode, lsoa21, lon, lat[, lsoa11])"""
    full = [(*r, None) if len(r) == 4 else r for r in rows]
    return pl.DataFrame(
        full,
        schema={"postcode": pl.String, "lsoa21": pl.String, "lon": pl.Float64,
                "lat": pl.Float64, "lsoa11": pl.String},
        orient="row",
    )  # fmt: skip


def _by(frame: pl.DataFrame, key: str) -> dict[str, dict]:
    return {r[key]: r for r in frame.iter_rows(named=True)}


def test_split_merge_and_unchanged():
    pcs = _postcodes([
        ("P1", "E01900001", 0.2, 0.5),  # split of A, west half
        ("P2", "E01900002", 0.7, 0.5),  # split of A, east half
        ("P3", "E01900003", 0.9, 0.5),  # merge of A and B: one postcode in A ...
        ("P4", "E01900003", 1.2, 0.5),  # ... three in B
        ("P5", "E01900003", 1.5, 0.5),
        ("P6", "E01900003", 1.8, 0.2),
        ("P7", C, 2.5, 0.5),  # unchanged code
    ])  # fmt: skip
    result = bridge_imd(pcs, IMD, lsoa2011=B2011)
    lsoa, pc = _by(result.lsoa, "lsoa21"), _by(result.postcodes, "postcode")

    assert lsoa["E01900001"]["imd_source"] == "located" and lsoa["E01900001"]["imd_decile"] == 3
    assert lsoa["E01900002"]["lsoa11"] == A and lsoa["E01900002"]["imd_quintile"] == 2
    merged = lsoa["E01900003"]
    assert merged["imd_source"] == "majority_of_postcodes"
    assert merged["lsoa11"] == B and merged["imd_decile"] == 7 and merged["imd_share"] == 0.75
    assert lsoa[C]["imd_source"] == "unchanged" and lsoa[C]["imd_decile"] == 7

    # Per postcode, the 2011 LSOA its own point is in: P3 is in A although its LSOA is mostly B.
    assert (pc["P3"]["imd_decile"], pc["P3"]["imd_source"]) == (3, "located")
    assert (pc["P4"]["imd_decile"], pc["P4"]["imd_source"]) == (7, "located")
    assert pc["P7"]["imd_source"] == "unchanged"
    assert result.summary["lsoa"]["majority_of_postcodes"] == 1
    assert result.summary["postcodes_without_decile"] == 0


def test_a_tie_between_different_deciles_is_not_guessed():
    pcs = _postcodes([("P1", "E01900004", 0.5, 0.5), ("P2", "E01900004", 1.5, 0.5)])
    result = bridge_imd(pcs, IMD, lsoa2011=B2011)
    row = result.lsoa.row(0, named=True)
    assert row["imd_source"] == "unbridged" and row["imd_decile"] is None
    assert result.summary["lsoa_without_decile"] == 1
    # Each postcode still has its own, exact, answer.
    assert result.postcodes["imd_decile"].to_list() == [3, 7]


def test_a_tie_between_equal_deciles_is_an_answer():
    pcs = _postcodes([("P1", "E01900005", 1.5, 0.5), ("P2", "E01900005", 2.5, 0.5)])
    row = bridge_imd(pcs, IMD, lsoa2011=B2011).lsoa.row(0, named=True)
    assert row["imd_source"] == "majority_of_postcodes" and row["imd_decile"] == 7
    assert row["imd_share"] == 0.5


def test_points_outside_every_polygon_stay_unbridged():
    pcs = _postcodes([("P1", "E01900006", 5.0, 5.0), ("P2", "E01900006", None, None)])
    result = bridge_imd(pcs, IMD, lsoa2011=B2011)
    assert result.lsoa["imd_source"].to_list() == ["unbridged"]
    assert result.postcodes["imd_source"].to_list() == ["unbridged", "unbridged"]
    assert result.summary["postcodes_without_decile"] == 2


def test_without_boundaries_changed_lsoas_are_counted_not_guessed():
    pcs = _postcodes([("P1", "E01900001", 0.2, 0.5), ("P2", C, 2.5, 0.5)])
    result = bridge_imd(pcs, IMD)
    assert _by(result.lsoa, "lsoa21")["E01900001"]["imd_decile"] is None
    assert result.summary["lsoa"]["unbridged"] == 1 and result.summary["lsoa"]["unchanged"] == 1


def test_lookup_single_parent_and_lsoa_bridge_fallback():
    lookup = pl.DataFrame({"lsoa11": [A, A], "lsoa21": ["E01900001", "E01900002"]})
    # P2 has no coordinates: it takes its LSOA's bridged decile.
    pcs = _postcodes([("P1", "E01900001", 0.2, 0.5), ("P2", "E01900002", None, None)])
    result = bridge_imd(pcs, IMD, lookup=lookup)
    assert result.lsoa["imd_source"].to_list() == ["lookup", "lookup"]
    assert result.postcodes["imd_source"].to_list() == ["lookup", "lookup"]
    assert result.postcodes["imd_decile"].to_list() == [3, 3]

    # A merge in the lookup (two parents): points outside the parents are boundary noise.
    lookup = pl.DataFrame({"lsoa11": [A, B], "lsoa21": ["E01900003", "E01900003"]})
    pcs = _postcodes([
        ("P1", "E01900003", 0.5, 0.5),
        ("P2", "E01900003", 2.5, 0.5),  # in C, not a parent: ignored
        ("P3", "E01900003", 2.6, 0.5),  # in C, not a parent: ignored
        ("P4", "E01900003", None, None),  # no point: takes the LSOA's decile
    ])  # fmt: skip
    result = bridge_imd(pcs, IMD, lsoa2011=B2011, lookup=lookup)
    row = result.lsoa.row(0, named=True)
    assert (row["imd_source"], row["lsoa11"], row["imd_share"]) == ("located", A, 1.0)
    assert result.postcodes["imd_source"].to_list() == [
        "located", "lsoa_bridge", "lsoa_bridge", "lsoa_bridge"
    ]  # fmt: skip
    assert result.postcodes["imd_decile"].to_list() == [3, 3, 3, 3]


def test_directory_lsoa11_wins_per_postcode():
    # The ONSPD's own lsoa11 for a postcode beats a point in a (generalised) polygon.
    pcs = _postcodes([("P1", "E01900003", 0.9, 0.5, B), ("P2", "E01900003", 1.5, 0.5, B)])
    result = bridge_imd(pcs, IMD, lsoa2011=B2011)
    assert result.postcodes["imd_source"].to_list() == ["directory", "directory"]
    assert result.postcodes["imd_decile"].to_list() == [7, 7]
    assert result.lsoa.row(0, named=True)["imd_source"] == "located"


def test_lsoas_without_postcodes_use_polygon_overlap():
    b2021 = Boundaries.from_geometries(
        ["E01900007", "E01900008", A],
        [box(0.1, 0.1, 0.9, 0.9), box(0.8, 0, 2, 1), box(0, 0, 1, 1)],
    )
    result = bridge_imd(_postcodes([]), IMD, lsoa2011=B2011, lsoa2021=b2021)
    lsoa = _by(result.lsoa, "lsoa21")
    assert lsoa["E01900007"]["imd_source"] == "located" and lsoa["E01900007"]["lsoa11"] == A
    assert lsoa["E01900008"]["imd_source"] == "majority_of_area"
    assert lsoa["E01900008"]["lsoa11"] == B
    assert lsoa["E01900008"]["imd_share"] == pytest.approx(1 / 1.2)
    assert lsoa[A]["imd_source"] == "unchanged" and lsoa[A]["postcodes"] == 0


def test_outside_england():
    pcs = _postcodes([("P1", "W01000001", 0.5, 0.5), ("P2", None, 9.0, 9.0)])
    pcs = pcs.with_columns(pl.Series("la_code", ["W06000015", "S12000036"]))
    result = bridge_imd(pcs, IMD, lsoa2011=B2011)
    assert result.postcodes["imd_source"].to_list() == ["outside_england", "outside_england"]
    assert result.lsoa["imd_source"].to_list() == ["outside_england"]
    assert result.summary["postcodes_without_decile"] == 0
    assert result.summary["lsoa_without_decile"] == 0


def test_locate_refuses_boundaries_and_overlaps():
    overlapping = Boundaries.from_geometries([A, B], [box(0, 0, 1, 1), box(0.5, 0, 2, 1)])
    got = overlapping.locate(np.array([0.2, 0.7, 1.5, 1.0]), np.array([0.5, 0.5, 0.5, 5.0]))
    assert got.tolist() == [A, None, B, None]
    # On the shared edge x = 1 a point is within neither square.
    assert B2011.locate(np.array([1.0]), np.array([0.5])).tolist() == [None]


def test_invalid_polygons_are_repaired():
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
    b = Boundaries.from_geometries([A], [bowtie])
    assert shapely.is_valid(b.geometries).all()
    assert b.locate(np.array([0.9]), np.array([0.5])).tolist() == [A]
