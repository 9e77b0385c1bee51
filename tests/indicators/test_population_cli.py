"""`needle population load` and `show`, through click's test runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from needle.indicators.population import BUNDLED_TRAFFORD_SERIES, read_population_series
from needle.indicators.population_cli import population
from needle.initiative import InitiativeConfig, PeriodsConfig, init_home, trafford_demo_config


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "NEEDLE_HOME",
        "DATABASE_URL",
        "NEEDLE_LINKAGE_SECRET",
        "NEEDLE_LINKAGE_SECRET_FILE",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return init_home(tmp_path / "trafford", trafford_demo_config(), reference=False).home.root


def run(*args: str):
    return CliRunner().invoke(population, list(args))


def _is_clean_error(result) -> None:
    assert result.exit_code == 2, result.output
    assert result.output.startswith("Error: "), result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_load_the_bundled_series_and_show(home: Path) -> None:
    result = run("load", "--bundled-trafford", "--home", str(home))
    assert result.exit_code == 0, result.output
    assert "Loaded 27 values" in result.output
    assert "school_absence  E08000009  9 periods, 2016/17 to 2024/25" in result.output
    assert "not official data" in result.output
    assert (home / "indicators" / "population.parquet").is_file()

    shown = run("show", "--home", str(home))
    assert shown.exit_code == 0, shown.output
    for indicator in ("neet_16_17", "school_absence", "first_time_entrants"):
        assert f"{indicator} (E08000009)" in shown.output
    assert "latest    2025     3.8%" in shown.output
    assert "target    2028     3.0%  (path at 2025: 3.78%: not on track)" in shown.output
    assert "on track: better than the baseline; on track for the target" in shown.output
    assert "131.8 per 100,000" in shown.output


def test_show_as_json(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEEDLE_HOME", str(home))
    assert run("load", str(BUNDLED_TRAFFORD_SERIES)).exit_code == 0
    result = run("show", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [s["indicator"] for s in data["indicators"]] == [
        "neet_16_17",
        "school_absence",
        "first_time_entrants",
    ]
    neet = data["indicators"][0]
    assert neet["latest_value"] == 3.8 and neet["on_track"] is False
    assert neet["better_than_forecast"] is True and neet["status"] == "off_track"
    assert data["no_data"] == []
    other = run("show", "--area", "E92000001")
    assert other.exit_code == 2 and "No population series for area E92000001" in other.output


def test_load_reads_the_configured_file_by_default(home: Path) -> None:
    missing = run("load", "--home", str(home))
    _is_clean_error(missing)
    assert "population_indicators.csv (indicators.population_file" in missing.output
    lines = BUNDLED_TRAFFORD_SERIES.read_text(encoding="utf-8").splitlines()
    (home / "population_indicators.csv").write_text(
        "\n".join(line for line in lines if not line.startswith("school_absence")) + "\n",
        encoding="utf-8",
    )
    result = run("load", "--home", str(home))
    assert result.exit_code == 0, result.output
    assert "No values for school_absence" in result.output
    assert read_population_series(home).height == 18
    shown = run("show", "--home", str(home))
    assert "No data: school_absence." in shown.output


def test_a_bad_file_is_a_clean_error_naming_row_and_column(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "indicator,area_code,period,value\nneet_16_17,E08000009,2023,four\n", encoding="utf-8"
    )
    result = run("load", str(bad), "--home", str(home))
    _is_clean_error(result)
    assert f"{bad}, row 2, column value: 'four' is not a number" in result.output
    assert not (home / "indicators" / "population.parquet").exists()


def test_other_errors_are_clean(home: Path, tmp_path: Path) -> None:
    _is_clean_error(run("show", "--home", str(home)))  # nothing loaded yet
    assert "needle population load" in run("show", "--home", str(home)).output
    _is_clean_error(run("show", "--home", str(tmp_path / "nowhere")))
    both = run("load", str(BUNDLED_TRAFFORD_SERIES), "--bundled-trafford", "--home", str(home))
    _is_clean_error(both)
    plain = init_home(
        tmp_path / "plain",
        InitiativeConfig(name="Plain", periods=PeriodsConfig(first="2025-Q1")),
        reference=False,
    ).home.root
    result = run("load", "--bundled-trafford", "--home", str(plain))
    _is_clean_error(result)
    assert "has no [[population_indicators]]" in result.output
    _is_clean_error(run("show", "--home", str(plain)))
