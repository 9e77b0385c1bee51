"""The reference store: Parquet tables and a manifest that round-trip, carry their sources'
licences, and are replaced whole or not at all."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from needle.errors import NeedleInputError
from needle.reference import (
    Sources,
    build_reference,
    bundled_sources,
    load_reference,
    open_reference,
)
from needle.reference.store import (
    ETHNICITY_SCHEMA,
    LSOA_SCHEMA,
    POPULATION_SCHEMA,
    POSTCODE_SCHEMA,
)

from .conftest import FIXTURES


def test_round_trip(trafford):
    opened = open_reference(trafford.directory)
    assert_frame_equal(opened.postcodes, trafford.postcodes)
    assert_frame_equal(opened.lsoa, trafford.lsoa)
    assert_frame_equal(opened.population, trafford.population)
    assert_frame_equal(opened.ethnicity, trafford.ethnicity)
    assert opened.manifest == trafford.manifest
    assert dict(opened.postcodes.schema) == POSTCODE_SCHEMA
    assert dict(opened.lsoa.schema) == LSOA_SCHEMA
    assert dict(opened.population.schema) == POPULATION_SCHEMA
    assert dict(opened.ethnicity.schema) == ETHNICITY_SCHEMA
    assert sorted(p.name for p in trafford.directory.iterdir()) == [
        "ethnicity.parquet", "lsoa.parquet", "manifest.json", "population.parquet",
        "postcodes.parquet",
    ]  # fmt: skip


def test_manifest_records_sources_licences_and_counts(trafford):
    m = json.loads((trafford.directory / "manifest.json").read_text(encoding="utf-8"))
    assert m["format"] == "needle-reference" and m["format_version"] == 2
    assert datetime.fromisoformat(m["loaded_at"]).tzinfo is not None
    roles = {s["role"]: s for s in m["sources"]}
    assert set(roles) == {
        "postcodes", "imd", "lsoa2011_boundaries", "lsoa2021_boundaries", "population",
        "ethnicity",
    }  # fmt: skip
    assert roles["imd"]["licence"] == "CC-BY-4.0" and "mySociety" in roles["imd"]["attribution"]
    assert roles["postcodes"]["licence"] == "OGL-UK-3.0"
    for source in m["sources"]:
        assert "/" not in source["file"]  # names only, never a user's folders
        assert len(source["sha256"]) == 64 and source["rows"] > 0
        assert source["licence_url"].startswith("https://")
    assert m["tables"] == {
        "postcodes": {"file": "postcodes.parquet", "rows": 11_264},
        "lsoa": {"file": "lsoa.parquet", "rows": 139},
        "population": {"file": "population.parquet", "rows": 91 * 91 * 2},
        "ethnicity": {"file": "ethnicity.parquet", "rows": 139 * 19},
    }
    assert m["postcodes"]["wards"] == 21 and m["postcodes"]["local_authorities"] == 1
    assert m["population"]["lsoas_without_population"] == 48
    assert m["ethnicity"] == {
        "lsoas": 139, "lsoas_dropped_incomplete": 0, "groups": 19, "lsoas_without_ethnicity": 0
    }  # fmt: skip
    assert m["warnings"] == ["1 LSOA with incomplete rows in the population file left out."]
    assert any("Open Government Licence" in a for a in trafford.attributions())
    assert len(trafford.attributions()) == len(set(trafford.attributions()))


def test_lsoa_table_has_names_and_local_authority(trafford):
    row = trafford.lsoa.filter(pl.col("lsoa21") == "E01034000").row(0, named=True)
    assert row["name"] == "Trafford 001G"
    assert (row["la_code"], row["la_name"]) == ("E08000009", "Trafford")
    assert trafford.lsoa["name"].null_count() == 0


def test_describe(trafford):
    text = trafford.describe()
    assert "IMD 2019 decile for 139 of 139 in England (unchanged 137, located 2)" in text
    assert "postcodes with an IMD decile: 11,264 of 11,264" in text
    assert "1 local authority, 21 wards" in text
    assert "ethnicity: 139 LSOAs by 19 ethnic groups" in text
    assert "CC-BY-4.0" in text and "Attribution" in text


def test_ethnicity_table_is_census_counts_by_standard_code(trafford):
    eth = trafford.ethnicity
    assert eth.height == 139 * 19 and eth["lsoa21"].n_unique() == 139
    assert set(eth["lsoa21"]) == set(trafford.lsoa["lsoa21"])
    one = dict(eth.filter(pl.col("lsoa21") == "E01006109").select("ethnicity", "count").iter_rows())
    assert one["asian_bangladeshi"] == 6 and one["asian_pakistani"] == 119
    assert eth["count"].min() >= 0


def test_build_reference_writes_nothing(tmp_path, monkeypatch, trafford):
    monkeypatch.chdir(tmp_path)
    built = build_reference(bundled_sources())
    assert built.directory is None and list(tmp_path.iterdir()) == []
    for name, frame in built.tables().items():
        assert_frame_equal(frame, getattr(trafford, name))
    assert built.describe().startswith("Reference data in memory (not saved)")


def test_reload_replaces_the_whole_store(tmp_path):
    store = tmp_path / "home" / "reference"
    first = load_reference(store, bundled_sources(), loaded_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert first.manifest["loaded_at"] == "2026-01-01T00:00:00+00:00"
    second = load_reference(
        store,
        Sources(
            postcodes=FIXTURES / "onspd_sample.csv",
            imd=FIXTURES / "iod2019_file1_sample.csv",
            lsoa_lookup=FIXTURES / "lsoa11_lsoa21_lookup_sample.csv",
            names=(FIXTURES / "ward_names_sample.csv", FIXTURES / "la_names_sample.csv"),
        ),
    )
    opened = open_reference(store)
    assert opened.postcodes.height == second.postcodes.height == 8
    assert opened.population.height == 0 and opened.ethnicity.height == 0
    assert sorted(p.name for p in (tmp_path / "home").iterdir()) == ["reference"]  # no debris


def test_onspd_store(tmp_path):
    ref = load_reference(
        tmp_path / "reference",
        Sources(
            postcodes=FIXTURES / "onspd_sample.csv",
            imd=FIXTURES / "iod2019_file1_sample.csv",
            lsoa_lookup=FIXTURES / "lsoa11_lsoa21_lookup_sample.csv",
            names=(FIXTURES / "ward_names_sample.csv", FIXTURES / "la_names_sample.csv"),
        ),
    )
    pcs = {r["postcode"]: r for r in ref.postcodes.iter_rows(named=True)}
    assert pcs["M159ZA"]["ward_name"] == "Old Trafford" and pcs["M159ZA"]["la_name"] == "Trafford"
    assert (pcs["M159ZA"]["imd_decile"], pcs["M159ZA"]["imd_source"]) == (1, "directory")
    assert pcs["M159ZB"]["terminated"] and pcs["M159ZB"]["imd_decile"] == 1
    assert (pcs["M159ZD"]["imd_decile"], pcs["M159ZD"]["imd_source"]) == (2, "directory")
    assert pcs["CF109ZZ"]["imd_source"] == "outside_england"
    assert pcs["CF109ZZ"]["la_name"] == "Cardiff"
    assert pcs["GY19ZZ"]["imd_source"] == "outside_england"  # by its country code
    # No grid reference, no LSOA: nothing honest to say about its deprivation.
    assert pcs["M159ZF"]["imd_decile"] is None and pcs["M159ZF"]["imd_source"] == "unbridged"
    lsoa = {r["lsoa21"]: r for r in ref.lsoa.iter_rows(named=True)}
    assert lsoa["E01034000"]["imd_source"] == "lookup" and lsoa["E01034000"]["imd_decile"] == 2
    m = ref.manifest
    assert m["postcodes"]["terminated"] == 1 and m["postcodes"]["without_coordinates"] == 1
    assert m["bridge"]["postcodes_without_decile"] == 1
    assert {s["format"] for s in m["sources"]} == {
        "onspd", "iod2019", "ons_lsoa_lookup", "ons_names"
    }  # fmt: skip
    assert "1 postcode in England without an IMD decile." in m["warnings"]


def test_without_imd_every_decile_is_empty(tmp_path):
    ref = load_reference(tmp_path / "r", Sources(postcodes=FIXTURES / "onspd_sample.csv"))
    assert ref.postcodes["imd_decile"].null_count() == 8
    assert ref.manifest["warnings"][0] == "No IMD file was given: every IMD decile is empty."


def test_refuses_to_replace_a_folder_that_is_not_a_store(tmp_path):
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "thesis.docx").write_text("precious", encoding="utf-8")
    with pytest.raises(NeedleInputError, match=r"not a Needle reference store"):
        load_reference(tmp_path / "reference", Sources(postcodes=FIXTURES / "onspd_sample.csv"))
    assert (tmp_path / "reference" / "thesis.docx").read_text(encoding="utf-8") == "precious"


def test_a_failed_load_leaves_the_old_store(tmp_path):
    store = tmp_path / "reference"
    load_reference(store, Sources(postcodes=FIXTURES / "onspd_sample.csv"))
    with pytest.raises(NeedleInputError):
        load_reference(store, Sources(postcodes=FIXTURES / "onspd_sample.csv",
                                      imd=FIXTURES / "ward_names_sample.csv"))  # fmt: skip
    assert open_reference(store).postcodes.height == 8
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reference"]


def test_open_errors(tmp_path):
    with pytest.raises(NeedleInputError, match=r"No reference data in .*needle reference load"):
        open_reference(tmp_path / "nothing")
    store = tmp_path / "reference"
    load_reference(store, Sources(postcodes=FIXTURES / "onspd_sample.csv"))
    manifest = json.loads((store / "manifest.json").read_text(encoding="utf-8"))

    manifest["tables"]["postcodes"]["rows"] = 9
    (store / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(NeedleInputError, match=r"does not match its manifest"):
        open_reference(store)

    manifest["format_version"] = 99
    (store / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(NeedleInputError, match=r"format 99.*reads format 2"):
        open_reference(store)

    (store / "manifest.json").write_text("{", encoding="utf-8")
    with pytest.raises(NeedleInputError, match=r"damaged"):
        open_reference(store)
