"""`needle indicators ...` and the refresh that follows a withdrawal, on a hand-made pool
in a real initiative home."""

from __future__ import annotations

import io

import openpyxl
import polars as pl
import pytest
from click.testing import CliRunner
from indicators.pools import PARTNERS, Data, submit_all

from needle.cli import main
from needle.indicators.refresh import load_results
from needle.initiative import init_home, open_home
from needle.initiative.config import InitiativeConfig, PartnerConfig, PeriodsConfig


def make_home(root):
    """A home whose pool holds the hand-made submissions (indicators not yet computed)."""
    config = InitiativeConfig(
        name="Hand-made initiative",
        periods=PeriodsConfig(first="2025-Q1"),
        partners=tuple(PartnerConfig(code, name) for code, name in PARTNERS.items()),
    )
    init_home(root, config)
    with open_home(root).open_pool() as pool:
        submit_all(pool, Data.original())
    return root


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    root = make_home(tmp_path_factory.mktemp("indicators-cli") / "home")
    result = CliRunner().invoke(main, ["indicators", "refresh", "--home", str(root)])
    assert result.exit_code == 0, result.output
    assert "Indicators refreshed from 7 submission(s) (7 read again" in result.output
    return root


def run(*args: str):
    return CliRunner().invoke(main, ["indicators", *args])


def test_list_names_every_indicator(home):
    result = run("list", "--home", str(home))
    assert result.exit_code == 0
    ids = {line.split()[0] for line in result.output.splitlines()}
    assert {"reach", "attendances", "wellbeing_change", "referrals_made"} <= ids


def test_show_prints_the_stored_numbers(home):
    result = run("show", "reach", "--by", "period", "--home", str(home))
    assert result.exit_code == 0, result.output
    backbone = load_results(home).filter(
        (pl.col("indicator") == "reach") & (pl.col("breakdown") == "") & (pl.col("period") != "all")
    )
    assert backbone.height == 3
    for period, value in backbone.select("period", "value").iter_rows():
        assert any(
            line.split()[:3] == [period, "(all)", f"{value:,.0f}"]
            for line in result.output.splitlines()
        ), result.output


def test_show_by_a_breakdown_over_all_periods(home):
    result = run("show", "reach", "--by", "gender", "--home", str(home))
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines()[2:]]
    assert rows and all(r[0] == "all" for r in rows)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "reach", "--by", "shoe_size"], "is not a breakdown"),
        (["show", "reach", "--by", "ward,gender"], "one breakdown at a time"),
        (["show", "reaches"], "Did you mean reach"),
        (["show", "sessions_delivered", "--by", "gender"], "has no gender breakdown"),
        (["show", "reach", "--audience", "partner"], "needs --partner"),
        (["export", "--format", "xlsx"], "needs --output"),
    ],
)
def test_mistakes_get_a_clear_message(home, args, message):
    result = run(*args, "--home", str(home))
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_public_sees_no_partner_and_one_suppressed_marker(home):
    result = run("export", "--audience", "public", "--home", str(home))
    assert result.exit_code == 0
    frame = pl.read_csv(io.StringIO(result.output), infer_schema_length=None)
    assert "partner" not in frame["breakdown"].fill_null("").to_list()
    assert set(frame["status"].unique()) <= {"published", "suppressed"}
    assert "suppressed" in set(frame["status"])  # a dozen young people: much is hidden
    published = frame.filter(
        (pl.col("status") == "published") & (pl.col("unit").is_in(["people", "count"]))
    )
    assert (published["value"] % 5 == 0).all()  # public counts are rounded to 5


def test_a_partner_sees_only_its_own_partner_rows(home):
    result = run("export", "--audience", "partner", "--partner", "yc", "--home", str(home))
    assert result.exit_code == 0, result.output
    frame = pl.read_csv(io.StringIO(result.output), infer_schema_length=None)
    groups = set(frame.filter(pl.col("breakdown") == "partner")["group"])
    assert groups == {"YC"}


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_export_writes_every_result_of_the_audience(home, tmp_path, fmt):
    out = tmp_path / f"steering.{fmt}"
    result = run(
        "export", "--format", fmt, "-o", str(out), "--audience", "steering_group",
        "--home", str(home),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    expected = load_results(home, "steering_group").height
    if fmt == "csv":
        rows = pl.read_csv(out).height
    elif fmt == "parquet":
        rows = pl.read_parquet(out).height
    else:
        rows = openpyxl.load_workbook(out, read_only=True)["indicators"].max_row - 1
    assert rows == expected
    assert f"Wrote {expected:,} results for steering_group" in result.output


def test_peers_need_enough_similar_partners(home):
    result = run("peers", "--partner", "YC", "--home", str(home))
    assert result.exit_code == 0
    assert "too few similar partners" in result.output  # 3 partners, 5 needed


def test_withdrawing_refreshes_the_indicators(tmp_path):
    root = make_home(tmp_path / "home")
    assert run("refresh", "--home", str(root)).exit_code == 0
    before = load_results(root).filter(
        (pl.col("indicator") == "reach") & (pl.col("breakdown") == "partner")
    )
    assert "SPORT" in set(before.filter(pl.col("period") == "2025-Q1")["group"])

    result = CliRunner().invoke(main, ["withdraw", "SPORT", "2025-Q1", "--home", str(root)])
    assert result.exit_code == 0, result.output
    assert "Indicators refreshed from 6 submission(s) (0 read again, 6 unchanged, 1 gone)" in (
        result.output
    )
    after = load_results(root).filter(
        (pl.col("indicator") == "reach")
        & (pl.col("breakdown") == "partner")
        & (pl.col("period") == "2025-Q1")
    )
    assert "SPORT" not in set(after["group"])
