"""Finding and shaping the Trafford reference data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from needle.errors import NeedleInputError
from needle.synth import geography
from needle.synth.geography import REFERENCE_ENV, load_geography, reference_dir


def test_the_reference_data_is_found_beside_the_repository():
    assert (reference_dir() / "trafford_postcodes.csv").is_file()


def test_the_environment_variable_wins(monkeypatch: pytest.MonkeyPatch):
    real = reference_dir()
    monkeypatch.setenv(REFERENCE_ENV, str(real.parent))  # the parent of geography/ works too
    assert reference_dir() == real / "geography" or reference_dir() == real


def test_missing_reference_data_is_a_clear_user_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.setenv(REFERENCE_ENV, str(tmp_path))
    monkeypatch.setattr(geography, "__file__", str(tmp_path / "a/b/c/geography.py"))
    with pytest.raises(NeedleInputError, match=REFERENCE_ENV):
        reference_dir()


def test_every_lsoa_has_people_ethnicity_and_deprivation():
    geo = load_geography()
    assert len(geo.lsoas) == 139
    assert (geo.population.sum(axis=(1, 2)) > 0).all()
    assert np.allclose(geo.ethnicity_share.sum(axis=1), 1)
    assert len(geo.ethnicity_codes) == 19
    assert set(np.unique(geo.imd_decile)) <= set(range(1, 11)) and geo.imd_decile.min() >= 1
    assert geo.estimated.sum() == 47  # LSOAs missing from the age file, estimated honestly
