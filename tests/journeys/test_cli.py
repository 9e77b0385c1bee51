"""`needle journeys ...` on the hand-made pool in a real initiative home, linked by a
hand-written person_links.parquet where linkage would write it."""

from __future__ import annotations

import io

import polars as pl
import pytest
from click.testing import CliRunner
from indicators.pools import PARTNERS, Data, submit_all
from journeys.links import LINKED, write_links

from needle.cli import main
from needle.initiative import init_home, open_home
from needle.initiative.config import (
    DisclosureConfig,
    InitiativeConfig,
    PartnerConfig,
    PeriodsConfig,
)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("journeys-cli") / "home"
    config = InitiativeConfig(
        name="Hand-made initiative",
        periods=PeriodsConfig(first="2025-Q1"),
        partners=tuple(PartnerConfig(code, name) for code, name in PARTNERS.items()),
        disclosure=DisclosureConfig(public=3, steering_group=3, partner=3),
    )
    init_home(root, config, reference=False)
    with open_home(root).open_pool() as pool:
        submit_all(pool, Data.original())
    write_links(root / "indicators" / "person_links.parquet")
    return root


def run(home, *args: str):
    return CliRunner().invoke(main, ["journeys", *args, "--home", str(home)])


def csv(result) -> pl.DataFrame:
    assert result.exit_code == 0, result.output
    return pl.read_csv(io.StringIO(result.output))


def test_pathways_as_csv_count_linked_young_people(home) -> None:
    table = csv(run(home, "pathways", "--format", "csv"))
    assert table.columns == ["step", "source", "target", "count", "status"]
    first = table.filter((pl.col("step") == 1) & (pl.col("source") == "all"))
    assert first.filter(pl.col("target") == "all")["count"].to_list() == [11]


def test_steering_group_view_hides_small_numbers(home) -> None:
    table = csv(run(home, "pathways", "--audience", "steering_group", "--format", "csv"))
    assert set(table["status"]) == {"published", "suppressed"}
    shown = table.filter(pl.col("status") == "published")["count"]
    assert shown.min() >= 3


def test_funnel_prints_stages_and_waits(home) -> None:
    result = run(home, "funnel")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    made = next(line for line in lines if line.startswith("made"))
    assert made.split()[:2] == ["made", "9"]
    assert "Days from referral to first attendance" in result.output


def test_disengagement_and_typical(home) -> None:
    stopped = csv(run(home, "disengagement", "--gap-days", "30", "--format", "csv"))
    everyone = stopped.filter(
        (pl.col("engagement") == "stopped")
        & (pl.col("last_category") == "all")
        & (pl.col("sessions") == "all")
    )
    assert everyone["count"].to_list() == [6]  # 7 records, two of them P-0001 (linked)
    typical = csv(run(home, "typical", "--by", "gender", "--format", "csv"))
    assert "gender" in typical.columns and "share" in typical.columns


def test_timeline_of_a_linked_young_person(home) -> None:
    result = run(home, "timeline", LINKED)
    assert result.exit_code == 0, result.output
    assert "backbone only" in result.output
    assert "SPORT" in result.output and "YC" in result.output


def test_clean_errors(home) -> None:
    unknown = run(home, "timeline", "Sam Taylor")
    assert unknown.exit_code == 2
    assert unknown.output.startswith("Error: No young person has that id")
    assert "Sam" not in unknown.output
    public = run(home, "funnel", "--by", "partner", "--audience", "public")
    assert public.exit_code == 2
    assert "not named to the public" in public.output


def test_help_says_the_timeline_is_for_the_backbone() -> None:
    result = CliRunner().invoke(main, ["journeys", "timeline", "--help"])
    assert "backbone only" in result.output
