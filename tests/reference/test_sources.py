"""Readers: each supported format is recognised, read to canonical columns, and a bad or
missing file is a NeedleInputError naming the file and what is missing."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import polars as pl
import pytest
from openpyxl import Workbook

from needle.errors import NeedleInputError
from needle.reference import (
    bundled_sources,
    read_boundaries,
    read_ethnicity,
    read_imd,
    read_lsoa_lookup,
    read_names,
    read_population,
    read_postcodes,
)
from needle.standard import load_standard

from .conftest import FIXTURES


def _rewrite_header(src: Path, dst: Path, old: str, new: str) -> Path:
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[0] = ",".join(new if h == old else h for h in lines[0].rstrip("\n").split(",")) + "\n"
    dst.write_text("".join(lines), encoding="utf-8")
    return dst


# --- postcodes ------------------------------------------------------------------------


def test_trafford_postcodes_are_read_and_normalised():
    frame, info = read_postcodes(bundled_sources().postcodes)
    assert frame.height == 11_264
    assert info.format == "trafford_postcodes" and info.rows == 11_264
    assert info.licence == "OGL-UK-3.0" and "Trafford Data Lab" in info.attribution
    assert not frame["postcode"].str.contains(" ").any()
    assert frame["postcode"].is_unique().all()
    row = frame.filter(pl.col("postcode") == "M154AB").row(0, named=True)
    assert row["lsoa21"] == "E01034001"
    assert row["ward_name"] == "Gorse Hill & Cornbrook"
    assert row["la_code"] == "E08000009" and row["la_name"] == "Trafford"
    assert row["lsoa21_name"] == "Trafford 001H"
    assert frame["lat"].null_count() == 0 and not frame["terminated"].any()


def test_onspd_format_reads_only_what_it_needs():
    frame, info = read_postcodes(FIXTURES / "onspd_sample.csv")
    assert info.format == "onspd" and info.rows == 8
    assert "Royal Mail" in info.attribution
    by = {r["postcode"]: r for r in frame.iter_rows(named=True)}
    assert set(by) == {
        "M159ZA", "M159ZB", "M159ZD", "M339ZE", "M159ZF", "CF109ZZ", "EH19ZZ", "GY19ZZ"
    }  # fmt: skip
    assert by["M159ZA"]["lsoa21"] == "E01006109" and by["M159ZA"]["lsoa11"] == "E01006109"
    assert by["M159ZA"]["ward_code"] == "E05015253" and by["M159ZA"]["ward_name"] is None
    assert by["M159ZB"]["terminated"] and not by["M159ZA"]["terminated"]
    assert by["M159ZD"]["lsoa21"] == "E01034000" and by["M159ZD"]["lsoa11"] == "E01006185"
    # No grid reference: ONSPD's 99.999999 / 0 and pseudo codes become nulls.
    assert by["M159ZF"]["lat"] is None and by["M159ZF"]["lon"] is None
    assert by["M159ZF"]["lsoa21"] is None
    assert by["GY19ZZ"]["la_code"] is None
    assert by["CF109ZZ"]["la_code"] == "W06000015"


@pytest.mark.parametrize(
    ("old", "new"),
    [("lsoa21", "lsoa21cd"), ("osward", "wd24cd"), ("oslaua", "lad24cd"), ("pcds", "PCDS")],
)
def test_onspd_column_names_of_other_releases(tmp_path, old, new):
    path = _rewrite_header(FIXTURES / "onspd_sample.csv", tmp_path / "onspd.csv", old, new)
    frame, _ = read_postcodes(path)
    assert frame.height == 8 and frame["lsoa21"].drop_nulls().len() == 6


def test_onspd_missing_column_is_named(tmp_path):
    path = _rewrite_header(FIXTURES / "onspd_sample.csv", tmp_path / "ONSPD.csv", "osward", "x")
    with pytest.raises(NeedleInputError) as err:
        read_postcodes(path)
    assert "ONSPD.csv" in str(err.value) and '"osward"' in str(err.value)


def test_not_a_postcode_file(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("name,town\nA,B\n", encoding="utf-8")
    with pytest.raises(NeedleInputError) as err:
        read_postcodes(path)
    message = str(err.value)
    assert "people.csv" in message and '"postcode"' in message and '"lsoa_code"' in message


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(NeedleInputError, match=r"not found"):
        read_postcodes(tmp_path / "nope.csv")
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    with pytest.raises(NeedleInputError, match=r"empty"):
        read_postcodes(tmp_path / "empty.csv")


# --- IMD ------------------------------------------------------------------------------


def test_mysociety_composite_keeps_english_rows(tmp_path):
    frame, info = read_imd(bundled_sources().imd)
    assert frame.height == 138 and info.format == "mysociety_composite_imd"
    assert info.licence == "CC-BY-4.0" and "mySociety" in info.attribution
    assert frame["imd_decile"].is_between(1, 10).all()
    assert dict(frame.iter_rows())["E01006185"] == 2
    # Other nations' rows (their own codes and deciles) are not English IMD.
    mixed = tmp_path / "composite.csv"
    text = bundled_sources().imd.read_text(encoding="utf-8")
    head, first = text.splitlines()[:2]
    mixed.write_text(f"{head}\n{first}\nW,W01000001,1,1,1,1,3,3,1,1,1\n", encoding="utf-8")
    assert read_imd(mixed)[0]["lsoa11"].to_list() == [first.split(",")[1]]


def test_iod2019_file1_csv():
    frame, info = read_imd(FIXTURES / "iod2019_file1_sample.csv")
    assert info.format == "iod2019" and info.licence == "OGL-UK-3.0"
    assert dict(frame.iter_rows()) == {
        "E01006109": 1, "E01006112": 2, "E01006150": 8, "E01006185": 2
    }  # fmt: skip


def test_iod2019_file1_xlsx(tmp_path):
    book = Workbook()
    book.active.title = "Notes"
    book.active.append(["File 1: Index of Multiple Deprivation"])
    sheet = book.create_sheet("IMD2019")
    rows = pl.read_csv(FIXTURES / "iod2019_file1_sample.csv", infer_schema=False)
    sheet.append(rows.columns)
    for row in rows.iter_rows():
        sheet.append([*row[:-1], int(row[-1])])
    path = tmp_path / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx"
    book.save(path)
    frame, info = read_imd(path)
    assert info.format == "iod2019" and frame.height == 4
    assert dict(frame.iter_rows())["E01006150"] == 8


@pytest.mark.parametrize("decile", ["11", "0", "x", "2.5"])
def test_imd_bad_decile(tmp_path, decile):
    path = tmp_path / "imd.csv"
    text = (FIXTURES / "iod2019_file1_sample.csv").read_text(encoding="utf-8")
    path.write_text(text.replace("Trafford,8", f"Trafford,{decile}"), encoding="utf-8")
    with pytest.raises(NeedleInputError, match=r"imd\.csv: 1 English LSOAs have a decile"):
        read_imd(path)


def test_imd_wrong_file(tmp_path):
    with pytest.raises(NeedleInputError) as err:
        read_imd(FIXTURES / "lsoa11_lsoa21_lookup_sample.csv")
    assert "lsoa11_lsoa21_lookup_sample.csv" in str(err.value)
    assert "LSOA code (2011)" in str(err.value)


# --- population -----------------------------------------------------------------------


def test_trafford_population_drops_incomplete_lsoas():
    frame, info, stats = read_population(bundled_sources().population)
    assert info.format == "trafford_population"
    # The published extract stops at 25,000 rows: 91 complete LSOAs, one cut short.
    assert stats["lsoas"] == 91 and stats["lsoas_dropped_incomplete"] == 1
    assert stats["top_age"] == 90 and stats["sexes"] == ["female", "male"]
    assert frame.height == 91 * 91 * 2
    assert frame.filter(pl.col("and_over"))["age"].unique().to_list() == [90]
    assert "E01006095" not in frame["lsoa21"]  # the LSOA cut short
    one = frame.filter((pl.col("lsoa21") == "E01006109") & (pl.col("age") == 0))
    assert dict(zip(one["sex"], one["count"], strict=True)) == {"female": 6, "male": 13}


def _ons_population(path: Path, labels: list[str]) -> Path:
    rows = ["Lower layer Super Output Areas Code,Lower layer Super Output Areas,"
            "Age (101 categories) Code,Age (101 categories),Sex (2 categories) Code,"
            "Sex (2 categories),Observation"]  # fmt: skip
    for lsoa in ("E01006109", "E01006112"):
        for code, label in enumerate(labels):
            for sex_code, sex in ((1, "Female"), (2, "Male")):
                rows.append(f"{lsoa},Trafford,{code},{label},{sex_code},{sex},{code % 7}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_ons_custom_dataset_population(tmp_path):
    labels = ["Aged under 1 year", "Aged 1 year"]
    labels += [f"Aged {a} years" for a in range(2, 100)] + ["Aged 100 years and over"]
    frame, info, stats = read_population(_ons_population(tmp_path / "p.csv", labels))
    assert info.format == "ons_census_population"
    assert stats == {
        "lsoas": 2, "lsoas_dropped_incomplete": 0, "top_age": 100, "sexes": ["female", "male"]
    }  # fmt: skip
    assert frame.height == 2 * 101 * 2
    assert frame.filter(pl.col("age") == 8)["count"].to_list() == [1, 1, 1, 1]


def test_population_needs_single_years(tmp_path):
    path = _ons_population(tmp_path / "banded.csv", ["Aged 4 years and under", "Aged 5 to 9"])
    with pytest.raises(NeedleInputError, match=r'banded.csv.*"aged 4 years and under"'):
        read_population(path)


def test_population_missing_columns(tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text("area_code,age,value\nE01006109,Aged 1 year,3\n", encoding="utf-8")
    with pytest.raises(NeedleInputError, match=r'pop.csv.*"sex"'):
        read_population(path)


# --- ethnicity ------------------------------------------------------------------------


def test_trafford_ethnicity_becomes_the_standards_codes():
    frame, info, stats = read_ethnicity(bundled_sources().ethnicity)
    assert info.format == "trafford_ethnicity" and info.licence == "OGL-UK-3.0"
    assert info.rows == 139 * 19
    assert stats == {"lsoas": 139, "lsoas_dropped_incomplete": 0, "groups": 19}
    assert frame.columns == ["lsoa21", "ethnicity", "count"]
    codes = {c.code for c in load_standard().codelists["ethnicity"].codes if c.group}
    assert set(frame["ethnicity"]) == codes
    one = frame.filter(pl.col("lsoa21") == "E01006109")
    assert dict(one.select("ethnicity", "count").iter_rows())["asian_indian"] == 41


def _ons_ethnicity(path: Path, rows: list[tuple[str, str, int]]) -> Path:
    lines = [
        "Lower layer Super Output Areas Code,Lower layer Super Output Areas,"
        "Ethnic group (20 categories) Code,Ethnic group (20 categories),Observation"
    ]
    lines += [f'{lsoa},Trafford,{i},"{label}",{n}' for i, (lsoa, label, n) in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _census_labels() -> list[str]:
    return [c.label for c in load_standard().codelists["ethnicity"].codes if c.group]


def test_ons_custom_dataset_ethnicity(tmp_path):
    rows = [("E01006109", "Does not apply", 0)]
    rows += [(lsoa, label, i) for lsoa in ("E01006109", "E01006112")
             for i, label in enumerate(_census_labels())]  # fmt: skip
    rows.pop()  # E01006112 is cut short: dropped, counted
    frame, info, stats = read_ethnicity(_ons_ethnicity(tmp_path / "eth.csv", rows))
    assert info.format == "ons_census_ethnicity" and info.rows == 1 + 19 * 2 - 1
    assert stats == {"lsoas": 1, "lsoas_dropped_incomplete": 1, "groups": 19}
    assert frame.height == 19 and set(frame["lsoa21"]) == {"E01006109"}
    first = dict(frame.select("ethnicity", "count").iter_rows())
    assert first["asian_bangladeshi"] == 0 and first["other_any"] == 18


def test_ethnicity_labels_must_be_census_2021_groups(tmp_path):
    old_label = "Asian/Asian British: Indian"  # the 2011 Census wording
    path = _ons_ethnicity(tmp_path / "eth2011.csv", [("E01006109", old_label, 3)])
    with pytest.raises(NeedleInputError, match=r'eth2011.csv.*"Asian/Asian British: Indian"'):
        read_ethnicity(path)


def test_ethnicity_duplicate_rows_and_bad_counts(tmp_path):
    label = _census_labels()[0]
    path = _ons_ethnicity(tmp_path / "dup.csv", [("E01006109", label, 1)] * 2)
    with pytest.raises(NeedleInputError, match=r"dup.csv: LSOA E01006109 has more than one"):
        read_ethnicity(path)
    path = tmp_path / "bad.csv"
    path.write_text(f'area_code,ethnic_group,value\nE01006109,"{label}",x\n', encoding="utf-8")
    with pytest.raises(NeedleInputError, match=r"bad.csv: some counts are not whole numbers"):
        read_ethnicity(path)


def test_ethnicity_missing_columns(tmp_path):
    with pytest.raises(NeedleInputError, match=r'ethnic group file.*"ethnic_group"'):
        read_ethnicity(bundled_sources().population)


# --- boundaries -----------------------------------------------------------------------


def _geojson(path: Path, features: list[dict], crs: str | None = None) -> Path:
    data: dict = {"type": "FeatureCollection", "features": features}
    if crs:
        data["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _square(code: str, x: float, y: float, size: float = 1.0, key: str = "area_code") -> dict:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {
        "type": "Feature",
        "properties": {key: code},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def test_bundled_boundaries():
    b11 = read_boundaries(bundled_sources().lsoa2011_boundaries, year=2011)
    b21 = read_boundaries(bundled_sources().lsoa2021_boundaries, year=2021)
    assert len(b11) == 138 and len(b21) == 139
    assert b11.source.role == "lsoa2011_boundaries" and b11.source.licence == "OGL-UK-3.0"
    assert "E01006185" in set(b11.codes) and "E01034000" in set(b21.codes)
    assert b21.names[list(b21.codes).index("E01034000")] == "Trafford 001G"


def test_boundaries_in_british_national_grid_are_refused(tmp_path):
    path = _geojson(tmp_path / "bng.geojson", [_square("E01000001", 383000, 396000, 100)],
                    crs="urn:ogc:def:crs:EPSG::27700")  # fmt: skip
    with pytest.raises(NeedleInputError, match=r"bng.geojson.*27700.*ogr2ogr"):
        read_boundaries(path, year=2011)
    path = _geojson(tmp_path / "nocrs.geojson", [_square("E01000001", 383000, 396000, 100)])
    with pytest.raises(NeedleInputError, match=r"nocrs.geojson.*longitude/latitude"):
        read_boundaries(path, year=2011)


def test_boundaries_of_the_wrong_year_are_refused(tmp_path):
    path = _geojson(tmp_path / "lsoa21.geojson", [_square("E01034000", 0, 0, key="LSOA21CD")])
    with pytest.raises(NeedleInputError, match=r"LSOA 2021 areas.*LSOA 2011 boundaries"):
        read_boundaries(path, year=2011)
    assert len(read_boundaries(path, year=2021)) == 1


def test_boundaries_without_codes_or_not_geojson(tmp_path):
    path = _geojson(tmp_path / "x.geojson", [_square("E01000001", 0, 0, key="id")])
    with pytest.raises(NeedleInputError, match=r"x.geojson: the areas have no code property"):
        read_boundaries(path, year=2011)
    bad = tmp_path / "bad.geojson.gz"
    with gzip.open(bad, "wt") as fh:
        fh.write("{not json")
    with pytest.raises(NeedleInputError, match=r"bad.geojson.gz cannot be read as GeoJSON"):
        read_boundaries(bad, year=2011)


# --- lookups and names ----------------------------------------------------------------


def test_lsoa_lookup():
    frame, info = read_lsoa_lookup(FIXTURES / "lsoa11_lsoa21_lookup_sample.csv")
    assert info.format == "ons_lsoa_lookup" and frame.height == 3
    assert frame.filter(pl.col("lsoa21") == "E01034000")["lsoa11"].to_list() == ["E01006185"]


def test_names_with_byte_order_mark():
    frame, info = read_names(FIXTURES / "ward_names_sample.csv")
    assert info.format == "ons_names"
    assert dict(frame.iter_rows())["E05015253"] == "Old Trafford"
    assert dict(read_names(FIXTURES / "la_names_sample.csv")[0].iter_rows())["W06000015"] == (
        "Cardiff"
    )


def test_names_file_without_code_name_pair(tmp_path):
    path = tmp_path / "names.csv"
    path.write_text("code,label\nE1,x\n", encoding="utf-8")
    with pytest.raises(NeedleInputError, match=r"names.csv.*names and codes"):
        read_names(path)
