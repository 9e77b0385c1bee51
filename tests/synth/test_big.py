"""The big benchmark submission: exactly the size asked for, and valid."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from needle.errors import NeedleInputError
from needle.periods import parse_period
from needle.synth import big_submission
from needle.synth.geography import load_geography


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return big_submission(tmp_path_factory.mktemp("big") / "sub", people=3000, attendance=40_000)


def test_row_counts_are_exactly_as_asked(big: Path):
    assert pl.read_csv(big / "young_people.csv").height == 3000
    assert pl.read_csv(big / "attendance.csv").height == 40_000
    assert {p.name for p in big.iterdir()} >= {
        "young_people.csv", "provisions.csv", "sessions.csv", "attendance.csv",
        "measurements.csv", "instructions.txt",
    }  # fmt: skip


def test_everyone_comes_at_least_once_and_attendance_is_uneven(big: Path):
    visits = pl.read_csv(big / "attendance.csv").group_by("person_ref").len()["len"]
    assert visits.len() == 3000
    assert visits.min() >= 1
    assert (visits <= 2).mean() > 0.1  # many come once or twice
    assert (visits >= 1.5 * visits.median()).mean() > 0.1  # a core comes most weeks


def test_dates_are_in_2025_q1_and_postcodes_real(big: Path):
    sessions = pl.read_csv(big / "sessions.csv", try_parse_dates=True)
    period = parse_period("2025-Q1")
    assert sessions["session_date"].min() >= period.start
    assert sessions["session_date"].max() <= period.end
    real = set(load_geography().postcodes["postcode"])
    assert set(pl.read_csv(big / "young_people.csv")["postcode"]) <= real


def test_it_is_valid(big: Path):
    validation = pytest.importorskip("needle.validation")
    report = validation.validate_path(big, period=parse_period("2025-Q1"))
    assert report.problems == [] and report.valid


def test_small_and_odd_sizes_work(tmp_path: Path):
    path = big_submission(tmp_path / "tiny", people=5, attendance=3, seed=1)
    assert pl.read_csv(path / "attendance.csv").height == 3
    with pytest.raises(NeedleInputError):
        big_submission(tmp_path / "full", people=2, attendance=10_000)


def test_same_seed_same_bytes(tmp_path: Path):
    a = big_submission(tmp_path / "a", people=300, attendance=2000, seed=7)
    b = big_submission(tmp_path / "b", people=300, attendance=2000, seed=7)
    for f in a.iterdir():
        assert f.read_bytes() == (b / f.name).read_bytes(), f.name
