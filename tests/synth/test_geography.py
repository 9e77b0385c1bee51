"""Shaping the bundled Trafford reference data for the generator."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from needle.errors import NeedleInputError
from needle.reference import build_reference, bundled_sources
from needle.synth import geography
from needle.synth.geography import geography_from_reference, load_geography


def test_every_lsoa_has_people_ethnicity_and_deprivation():
    geo = load_geography()
    assert len(geo.lsoas) == 139
    assert (geo.population.sum(axis=(1, 2)) > 0).all()
    assert np.allclose(geo.ethnicity_share.sum(axis=1), 1)
    assert len(geo.ethnicity_codes) == 19
    assert set(np.unique(geo.imd_decile)) <= set(range(1, 11)) and geo.imd_decile.min() >= 1
    # 47 LSOAs are absent from the age file and one is cut short (the reference store
    # leaves it out): their ages are estimated, honestly.
    assert geo.estimated.sum() == 48


def test_it_reads_only_the_bundled_files(monkeypatch: pytest.MonkeyPatch):
    """No environment variable and no folder beside the repository is consulted."""
    monkeypatch.setenv("NEEDLE_REFERENCE_DIR", "/nonexistent")
    assert geography.CHILDRENS_CENTRES.is_file()
    assert geography.CHILDRENS_CENTRES.parent == bundled_sources().postcodes.parent
    assert not hasattr(geography, "reference_dir")
    geography.load_geography.cache_clear()
    try:
        assert len(load_geography().lsoas) == 139
    finally:
        geography.load_geography.cache_clear()


def test_deciles_are_the_reference_bridge():
    ref = build_reference(bundled_sources())
    geo = geography_from_reference(ref)
    bridged = dict(zip(ref.lsoa["lsoa21"], ref.lsoa["imd_decile"], strict=True))
    assert geo.imd_decile.tolist() == [bridged[code] for code in geo.lsoas]
    # The two LSOA 2021 codes new since 2011 lie inside E01006185 (decile 2).
    for code in ("E01034000", "E01034001"):
        assert geo.imd_decile[geo.lsoas.index(code)] == 2


def test_postcodes_are_written_as_people_write_them():
    pcs = load_geography().postcodes
    assert pcs.height == 11_264
    assert pcs["postcode"].str.contains(r"^[A-Z0-9]{2,4} [0-9][A-Z]{2}$").all()
    venues = {v.postcode for v in load_geography().venues}
    assert venues and venues <= set(pcs["postcode"])


def test_an_lsoa_without_a_decile_is_an_error_not_a_guess():
    ref = build_reference(bundled_sources())
    lsoa = ref.lsoa.with_columns(
        pl.when(pl.col("lsoa21") == "E01034000").then(None).otherwise("imd_decile")
        .alias("imd_decile")
    )  # fmt: skip
    message = r"without an IMD 2019 decile.*: 1 \(first: E01034000\)"
    with pytest.raises(NeedleInputError, match=message):
        geography_from_reference(replace(ref, lsoa=lsoa))
