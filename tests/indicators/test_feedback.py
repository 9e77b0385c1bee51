"""A partner's measures beside its peer benchmarks (needle.indicators.feedback).

The tables are small and hand-made, with a second partner in both so that every test can
also check that nothing of it comes through.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from needle.errors import NeedleInputError
from needle.indicators.definitions import IndicatorDefinition, Registry
from needle.indicators.feedback import (
    ABOVE,
    BELOW,
    WITHIN,
    Benchmark,
    Measure,
    Point,
    format_benchmark,
    partner_measures,
    position,
    read_partner_results,
    summary_line,
)
from needle.indicators.peers import ALL_PARTNERS, PEER_SCHEMA
from needle.indicators.schema import PUBLISHED, SUPPRESSED

REACH = IndicatorDefinition(
    id="reach",
    title="Young people reached",
    description="Unique young people.",
    kind="people",
    unit="people",
    direction="up",
)
SHARE = IndicatorDefinition(
    id="share",
    title="Attending often",
    description="A share.",
    kind="share",
    unit="percent",
    direction="up",
    theme="engagement",
)
REGISTRY = Registry({d.id: d for d in (REACH, SHARE)})


def result(indicator: str, period: str, group: str, value: float | None, status: str = PUBLISHED):
    breakdown = "partner" if group else ""
    return {
        "indicator": indicator,
        "period": period,
        "breakdown": breakdown,
        "group": group,
        "value": value,
        "n": 10,
        "status": status,
    }


def peer(indicator: str, period: str, partner: str, p25: float, median: float, p75: float):
    return {
        "indicator": indicator,
        "period": period,
        "partner": partner,
        "value": None,
        "peer_group": ALL_PARTNERS,
        "peers": 4,
        "p25": p25,
        "median": median,
        "p75": p75,
    }


@pytest.fixture
def view() -> pl.DataFrame:
    return pl.DataFrame(
        [
            result("reach", "2025-Q2", "YC", 12.0),
            result("reach", "2025-Q1", "YC", 5.0),
            result("reach", "all", "YC", 15.0),
            result("reach", "2025-Q3", "YC", None, SUPPRESSED),
            result("reach", "2025-Q1", "OTHER", 99.0),
            result("reach", "2025-Q1", "", 104.0),  # a collective number
            result("share", "2025-Q1", "OTHER", 50.0),
        ]
    )


@pytest.fixture
def peers() -> pl.DataFrame:
    return pl.DataFrame(
        [
            peer("reach", "2025-Q2", "YC", 4.0, 6.0, 10.0),
            peer("reach", "2025-Q3", "YC", 4.0, 6.0, 10.0),
            peer("reach", "2025-Q1", "OTHER", 1.0, 2.0, 3.0),
            peer("share", "2025-Q1", "OTHER", 10.0, 20.0, 30.0),
        ],
        schema=PEER_SCHEMA,
    )


def benchmark(p25: float, median: float, p75: float, group: str = ALL_PARTNERS) -> Benchmark:
    return Benchmark(group, 5, p25, median, p75)


# ---- where a number stands ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(11.0, ABOVE), (10.0, WITHIN), (7.0, WITHIN), (4.0, WITHIN), (3.9, BELOW)],
)
def test_position_against_the_middle_half_includes_its_edges(value, expected):
    assert position(value, benchmark(4.0, 6.0, 10.0)) == expected


def test_peer_group_is_named_in_words():
    assert benchmark(1, 2, 3).compared_with == "all partners"
    similar = benchmark(1, 2, 3, group="sport_physical_activity").compared_with
    assert similar == "similar partners (sport and physical activity)"


def test_quartiles_of_whole_numbers_keep_their_half():
    assert format_benchmark(2.5, "people") == "2.5"
    assert format_benchmark(2.0, "people") == "2"
    assert format_benchmark(1234.0, "count") == "1,234"
    assert format_benchmark(44.4444, "percent") == "44.4%"


# ---- pairing a partner's rows with its benchmarks ---------------------------------------


def test_only_the_partners_own_rows_are_paired_with_its_benchmarks(view, peers):
    measures = partner_measures(view, peers, REGISTRY, "YC")

    assert [m.definition.id for m in measures] == ["reach"]  # no own row of "share"
    points = measures[0].points
    assert [p.period for p in points] == ["2025-Q1", "2025-Q2", "2025-Q3", "all"]
    assert [p.value for p in points] == [5.0, 12.0, None, 15.0]
    assert all(p.own is None or p.own["group"] == "YC" for p in points)
    assert points[0].benchmark is None  # OTHER's 2025-Q1 benchmark is not YC's
    assert points[1].benchmark == Benchmark(ALL_PARTNERS, 4, 4.0, 6.0, 10.0)


def test_a_partner_with_no_rows_has_no_measures(view, peers):
    assert partner_measures(view, peers, REGISTRY, "NEW") == []


def test_the_line_speaks_of_the_latest_period_with_both_numbers(view, peers):
    (measure,) = partner_measures(view, peers, REGISTRY, "YC")

    assert measure.compared is not None and measure.compared.period == "2025-Q2"
    assert summary_line(measure, min_peers=3) == (
        "In 2025-Q2 your 12 was above the middle half of all partners "
        "(median 6, middle half 4 to 10, 4 partners)."
    )


def test_the_line_falls_back_to_all_periods():
    measure = Measure(
        SHARE,
        (
            Point("2025-Q1", result("share", "2025-Q1", "YC", None, SUPPRESSED), None),
            Point("all", result("share", "all", "YC", 12.5), benchmark(20.0, 25.0, 30.0)),
        ),
    )

    assert summary_line(measure, min_peers=3).startswith(
        "Over all periods your 12.5% is below the middle half of all partners (median 25.0%"
    )


def test_the_line_says_why_there_is_no_comparison():
    hidden = result("share", "2025-Q1", "YC", None, SUPPRESSED)
    with_benchmark = Measure(SHARE, (Point("2025-Q1", hidden, benchmark(1, 2, 3)),))
    without = Measure(SHARE, (Point("2025-Q1", result("share", "2025-Q1", "YC", 5.0), None),))

    assert "cannot be compared" in summary_line(with_benchmark, min_peers=3)
    assert summary_line(without, min_peers=7) == (
        "No benchmark: fewer than 7 partners have a number large enough to compare with yours."
    )


# ---- reading one run ---------------------------------------------------------------------


def write_run(root: Path, run_id: str, view: pl.DataFrame, peers: pl.DataFrame) -> None:
    folder = root / "indicators" / "runs" / run_id
    folder.mkdir(parents=True)
    view.write_parquet(folder / "partner.parquet")
    peers.write_parquet(folder / "peers.parquet")
    (folder / "run.json").write_text(json.dumps({"run_id": run_id}), encoding="utf-8")


def test_reads_the_partners_share_of_one_run(tmp_path, view, peers):
    write_run(tmp_path, "old", view.head(0), peers.head(0))
    write_run(tmp_path, "new", view, peers)
    (tmp_path / "indicators" / "current.json").write_text('{"run_id": "new"}')

    current = read_partner_results(tmp_path, "YC")
    older = read_partner_results(tmp_path, "YC", "old")

    assert current.run["run_id"] == "new"
    assert set(current.view.filter(pl.col("breakdown") == "partner")["group"]) == {"YC"}
    assert current.view.filter(pl.col("breakdown") == "").height == 1  # collective kept
    assert set(current.peers["partner"]) == {"YC"}
    assert older.view.is_empty() and older.peers.is_empty()


def test_reading_before_any_refresh_is_a_user_error(tmp_path):
    with pytest.raises(NeedleInputError, match="not been computed"):
        read_partner_results(tmp_path, "YC")
