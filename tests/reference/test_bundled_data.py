"""The bundled Trafford extracts: small, attributed, licensed, and faithful to the public
files they were cut from."""

from __future__ import annotations

import gzip
import hashlib
import re

import polars as pl

from needle.reference import bundled_sources
from needle.reference.sources import DATA


def test_every_bundled_file_is_attributed_and_licensed():
    attribution = (DATA / "ATTRIBUTION.txt").read_text(encoding="utf-8")
    data_files = [p for p in DATA.iterdir() if not p.name.endswith(".txt")]
    assert data_files
    for path in data_files:
        assert path.name in attribution, f"{path.name} is not in ATTRIBUTION.txt"
    for licence in ("LICENCE-OGL-3.0.txt", "LICENCE-CC-BY-4.0.txt"):
        assert licence in attribution and (DATA / licence).is_file()
    assert "Open Government Licence" in (DATA / "LICENCE-OGL-3.0.txt").read_text("utf-8")
    cc = (DATA / "LICENCE-CC-BY-4.0.txt").read_text("utf-8")
    assert "Section 8 -- Interpretation." in cc


def test_bundled_data_is_small():
    total = sum(p.stat().st_size for p in DATA.iterdir())
    assert total < 500_000, f"bundled reference data is {total:,} bytes"


def test_sources_point_at_bundled_files():
    sources = bundled_sources()
    for path in (sources.postcodes, sources.imd, sources.lsoa2011_boundaries,
                 sources.lsoa2021_boundaries, sources.population,
                 sources.ethnicity):  # fmt: skip
        assert path.is_file() and path.parent == DATA


def test_gzipped_extracts_are_the_original_files(shared):
    attribution = (DATA / "ATTRIBUTION.txt").read_text(encoding="utf-8")
    for name in ("trafford_postcodes.csv", "trafford_lsoa_2011_generalised.geojson",
                 "trafford_lsoa_2021_generalised.geojson",
                 "trafford_population_by_sex_and_age_lsoa_2021.csv",
                 "trafford_population_ethnic_group_lsoa_2021.csv"):  # fmt: skip
        original = (shared / name).read_bytes()
        assert gzip.decompress((DATA / f"{name}.gz").read_bytes()) == original
        assert hashlib.sha256(original).hexdigest() in attribution


def test_childrens_centres_are_the_original_file(shared):
    attribution = (DATA / "ATTRIBUTION.txt").read_text(encoding="utf-8")
    name = "trafford_childrens_centres.csv"
    original = (shared / name).read_bytes()
    assert (DATA / name).read_bytes() == original
    assert hashlib.sha256(original).hexdigest() in attribution


def test_every_sha256_in_the_attribution_is_of_a_bundled_file():
    """Without the full files: each bundled file's original digest is the one recorded."""
    attribution = (DATA / "ATTRIBUTION.txt").read_text(encoding="utf-8")
    for path in DATA.iterdir():
        if path.suffix == ".gz":
            digest = hashlib.sha256(gzip.decompress(path.read_bytes())).hexdigest()
        elif path.name in ("trafford_childrens_centres.csv",):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            continue  # licences, the attribution itself, the IMD extract (rows selected)
        assert digest in attribution, f"{path.name}: SHA-256 not in ATTRIBUTION.txt"


def test_imd_extract_is_the_trafford_rows_of_the_composite_file(shared):
    full = (shared / "uk_imd_2019_lsoa2011_composite.csv").read_text(encoding="utf-8")
    extract = (DATA / "trafford_imd_2019_lsoa2011.csv").read_text(encoding="utf-8")
    lines = extract.splitlines(keepends=True)
    assert lines[0] == full.splitlines(keepends=True)[0]
    full_lines = set(full.splitlines(keepends=True))
    assert all(line in full_lines for line in lines[1:])
    codes = {re.split(",", line)[1] for line in lines[1:]}
    with gzip.open(bundled_sources().lsoa2011_boundaries, "rt", encoding="utf-8") as fh:
        boundary_codes = set(re.findall(r'"area_code": "(E01\d{6})"', fh.read()))
    assert codes == boundary_codes and len(codes) == 138
    english = pl.read_csv(shared / "uk_imd_2019_lsoa2011_composite.csv").filter(
        pl.col("nation") == "E"
    )
    assert english.filter(pl.col("lsoa").is_in(sorted(codes))).height == 138
