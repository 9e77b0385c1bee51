"""Population indicators: reading a series, turning the curve, and keeping it in the home."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from needle.errors import NeedleInputError
from needle.indicators.population import (
    BUNDLED_TRAFFORD_SERIES,
    CURVE_SCHEMA,
    SERIES_SCHEMA,
    curve_summary,
    format_value,
    load_population_series,
    population_series_path,
    read_population_series,
    save_population_series,
    turn_the_curve,
)
from needle.initiative.config import (
    CurvePoint,
    PopulationIndicatorConfig,
    trafford_demo_config,
)

AREA = "E08000009"
HEADER = "indicator,area_code,period,value,numerator,denominator,source\n"


def _definition(
    direction: str = "up", unit: str = "number", **changes
) -> PopulationIndicatorConfig:
    parts = {
        "id": "score",
        "title": "A score",
        "unit": unit,
        "direction": direction,
        "baseline": CurvePoint("2022", 15),
        "target": CurvePoint("2024", 20),
    }
    parts.update(changes)
    return PopulationIndicatorConfig(**parts)


def _series(points: dict[str, float], indicator: str = "score", area: str = AREA):
    rows = [
        (indicator, area, label, float(label[:4]), value, None, None, None)
        for label, value in points.items()
    ]
    return pl.DataFrame(rows, schema=SERIES_SCHEMA, orient="row")


def _csv(tmp_path: Path, body: str, header: str = HEADER, name: str = "series.csv") -> Path:
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


DEFINITIONS = (
    PopulationIndicatorConfig(
        "neet_16_17",
        "NEET",
        "percent",
        "down",
        baseline=CurvePoint("2023", 4.3),
        target=CurvePoint("2028", 3.0),
    ),
    PopulationIndicatorConfig("school_absence", "Absence", "percent", "down"),
    PopulationIndicatorConfig("first_time_entrants", "FTE", "rate_per_100000", "down"),
)


# ---- turning the curve ----------------------------------------------------------------


def test_forecast_is_the_least_squares_line() -> None:
    # by hand: mean time 2020.5, mean value 12; sxx = 5, sxy = 7, so slope 1.4 and the
    # line is 12 + 1.4 (t - 2020.5): 2024 -> 16.9
    points = {"2019": 10.0, "2020": 12.0, "2021": 11.0, "2022": 15.0}
    curve = turn_the_curve(_series(points), _definition())
    assert curve.schema == pl.Schema(CURVE_SCHEMA)
    assert curve["period"].to_list() == ["2019", "2020", "2021", "2022", "2023", "2024"]
    forecast = dict(zip(curve["period"], curve["forecast"], strict=True))
    assert forecast["2024"] == pytest.approx(16.9)
    assert forecast["2019"] == pytest.approx(9.9)
    slope, intercept = np.polyfit([2019, 2020, 2021, 2022], list(points.values()), 1)
    assert slope == pytest.approx(1.4)
    expected = np.polyval([slope, intercept], curve["time"].to_numpy())
    np.testing.assert_allclose(curve["forecast"].to_numpy(), expected, rtol=1e-9)
    assert curve["actual"].to_list() == [10.0, 12.0, 11.0, 15.0, None, None]
    assert curve["fitted"].to_list() == [True, True, True, True, False, False]


def test_the_forecast_is_fitted_on_the_history_up_to_the_baseline() -> None:
    points = {"2019": 10.0, "2020": 12.0, "2021": 11.0, "2022": 15.0, "2023": 18.0}
    curve = turn_the_curve(_series(points), _definition())
    assert curve["fitted"].to_list() == [True, True, True, True, False, False]
    assert curve.filter(pl.col("period") == "2024")["forecast"].item() == pytest.approx(16.9)

    everything = turn_the_curve(_series(points), _definition(), history="all")
    assert everything["fitted"].to_list() == [True] * 5 + [False]
    slope, intercept = np.polyfit(range(2019, 2024), list(points.values()), 1)
    np.testing.assert_allclose(
        everything["forecast"].to_numpy(),
        np.polyval([slope, intercept], everything["time"].to_numpy()),
        rtol=1e-9,
    )
    # with fewer than two values by the baseline, every value is used
    early = turn_the_curve(_series(points), _definition(baseline=CurvePoint("2019", 10)))
    assert early["fitted"].to_list()[:5] == [True] * 5


def test_quarters_and_academic_years_fit_against_time() -> None:
    definition = _definition(
        baseline=CurvePoint("2024-Q1", 3), target=CurvePoint("2024-Q4", 6), unit="count"
    )
    rows = [
        ("score", AREA, "2023-Q3", 2023.5, 1.0, None, None, None),
        ("score", AREA, "2023-Q4", 2023.75, 2.0, None, None, None),
        ("score", AREA, "2024-Q1", 2024.0, 3.0, None, None, None),
    ]
    series = pl.DataFrame(rows, schema=SERIES_SCHEMA, orient="row")
    curve = turn_the_curve(series, definition)
    assert curve["period"].to_list() == [
        "2023-Q3",
        "2023-Q4",
        "2024-Q1",
        "2024-Q2",
        "2024-Q3",
        "2024-Q4",
    ]
    assert curve["forecast"].to_list() == pytest.approx([1, 2, 3, 4, 5, 6])
    assert curve["target"].to_list() == pytest.approx([None, None, 3, 4, 5, 6], nan_ok=True)

    academic = _definition(baseline=CurvePoint("2021/22", 5), target=CurvePoint("2023/24", 3))
    rows = [("score", AREA, "2020/21", 2020 + 8 / 12, 4.0, None, None, None)]
    rows.append(("score", AREA, "2021/22", 2021 + 8 / 12, 5.0, None, None, None))
    curve = turn_the_curve(pl.DataFrame(rows, schema=SERIES_SCHEMA, orient="row"), academic)
    assert curve["period"].to_list() == ["2020/21", "2021/22", "2022/23", "2023/24"]
    assert curve["forecast"].to_list() == pytest.approx([4, 5, 6, 7])


def test_baseline_and_target_path() -> None:
    definition = _definition(baseline=CurvePoint("2020", 10), target=CurvePoint("2025", 20))
    curve = turn_the_curve(_series({"2018": 9.0, "2020": 10.0, "2021": 12.0}), definition)
    assert curve["period"].to_list() == [str(y) for y in range(2018, 2026)]
    assert curve["actual"].to_list() == [9.0, None, 10.0, 12.0, None, None, None, None]
    assert curve["baseline"].to_list() == [10.0] * 8
    assert curve["target"].to_list()[:2] == [None, None]
    assert curve["target"].to_list()[2:] == pytest.approx([10, 12, 14, 16, 18, 20])
    # a baseline before the first published value starts the curve
    early = _definition(baseline=CurvePoint("2016", 8), target=CurvePoint("2019", 11))
    curve = turn_the_curve(_series({"2018": 9.0, "2020": 10.0}), early)
    assert curve["period"].to_list() == ["2016", "2017", "2018", "2019", "2020"]
    assert curve["target"].to_list() == pytest.approx([8, 9, 10, 11, None], nan_ok=True)


def test_no_baseline_or_target() -> None:
    definition = PopulationIndicatorConfig("score", "A score", "number", "up")
    curve = turn_the_curve(_series({"2020": 1.0, "2021": 3.0}), definition)
    assert curve["baseline"].to_list() == [None, None]
    assert curve["target"].to_list() == [None, None]
    assert curve["forecast"].to_list() == pytest.approx([1, 3])
    summary = curve_summary(curve, definition)
    assert summary["status"] == "no_target"
    assert summary["on_track"] is None and summary["change_since_baseline"] is None
    assert summary["better_than_forecast"] is False  # on the line


@pytest.mark.parametrize(
    ("direction", "better"),
    [("up", True), ("down", False)],
)
def test_status_follows_the_direction(direction: str, better: bool) -> None:
    points = {"2019": 10.0, "2020": 12.0, "2021": 11.0, "2022": 15.0, "2023": 18.0}
    definition = _definition(direction)
    summary = curve_summary(turn_the_curve(_series(points), definition), definition)
    assert summary["latest_period"] == "2023" and summary["latest_value"] == 18.0
    assert summary["change_since_baseline"] == pytest.approx(3.0)
    assert summary["better_than_baseline"] is better
    assert summary["target_at_latest"] == pytest.approx(17.5)  # halfway from 15 to 20
    assert summary["on_track"] is better
    assert summary["forecast_at_latest"] == pytest.approx(15.5)  # 12 + 1.4 * 2.5
    assert summary["better_than_forecast"] is better
    assert summary["status"] == ("on_track" if better else "off_track")
    words = summary["summary"]
    assert ("not on track" in words) is not better
    assert summary["unit"] == "number" and summary["direction"] == direction


def test_status_at_the_edges() -> None:
    down = _definition("down")
    # exactly on the path counts as on track
    on_path = curve_summary(turn_the_curve(_series({"2022": 15, "2023": 17.5}), down), down)
    assert on_path["on_track"] is True
    # after the target period: compared with the target itself
    late = _series({"2021": 16.0, "2022": 15.0, "2025": 19.0})
    summary = curve_summary(turn_the_curve(late, down), down)
    assert summary["target_at_latest"] == 20.0 and summary["on_track"] is True
    up = _definition("up")
    assert curve_summary(turn_the_curve(late, up), up)["on_track"] is False
    # latest value before the baseline: nothing to be on track for yet
    before = _definition(baseline=CurvePoint("2024", 15), target=CurvePoint("2026", 20))
    summary = curve_summary(turn_the_curve(_series({"2022": 15.0}), before), before)
    assert summary["on_track"] is None and summary["status"] == "no_target"
    assert summary["forecast_at_latest"] is None  # one value: no trend
    assert summary["better_than_forecast"] is None
    # no published value at all
    empty = turn_the_curve(_series({"2022": 15.0}), up).with_columns(actual=None)
    assert curve_summary(empty, up)["status"] == "no_data"


def test_forecasts_stay_within_the_unit() -> None:
    definition = _definition(
        "down",
        unit="percent",
        baseline=CurvePoint("2021", 4),
        target=CurvePoint("2030", 1),
    )
    curve = turn_the_curve(_series({"2020": 8.0, "2021": 4.0}), definition)
    assert min(curve["forecast"]) == 0.0
    assert curve.filter(pl.col("period") == "2022")["forecast"].item() == pytest.approx(0.0)


def test_turn_the_curve_errors() -> None:
    series = pl.concat([_series({"2022": 1.0}), _series({"2022": 2.0}, area="E92000001")])
    with pytest.raises(NeedleInputError, match=r"covers 2 areas \(E08000009, E92000001\)"):
        turn_the_curve(series, _definition())
    assert turn_the_curve(series, _definition(), "E92000001")["actual"].to_list()[0] == 2.0
    with pytest.raises(NeedleInputError, match=r"No series of score for area E06000052"):
        turn_the_curve(series, _definition(), "E06000052")
    with pytest.raises(NeedleInputError, match=r"No series for other"):
        turn_the_curve(series, _definition(id="other"))


# ---- reading a series -----------------------------------------------------------------


def test_a_series_is_read_and_made_canonical(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "neet_16_17,E08000009,2024,4.1,254,6200,DfE\n"
        "neet_16_17, E08000009 ,2023,4.3,264,6130,\n"
        "\n"
        'first_time_entrants,E08000009,2023,"1,045.0",,,"MoJ, YJB"\n'
        "school_absence,E92000001,202223,7.4,,,\n",
        header="Indicator,area_code,period,value,numerator,denominator,source\n",
    )
    frame = load_population_series(path, DEFINITIONS)
    assert frame.schema == pl.Schema(SERIES_SCHEMA)
    assert frame.rows() == [
        ("first_time_entrants", AREA, "2023", 2023.0, 1045.0, None, None, "MoJ, YJB"),
        ("neet_16_17", AREA, "2023", 2023.0, 4.3, 264.0, 6130.0, None),
        ("neet_16_17", AREA, "2024", 2024.0, 4.1, 254.0, 6200.0, "DfE"),
        (
            "school_absence",
            "E92000001",
            "2022/23",
            pytest.approx(2022 + 8 / 12),
            7.4,
            None,
            None,
            None,
        ),
    ]
    # the optional columns may be left out; definitions may be a mapping or the config
    path = _csv(
        tmp_path, "neet_16_17,E08000009,2023,4.3\n", header="indicator,area_code,period,value\n"
    )
    frame = load_population_series(path, {d.id: d for d in DEFINITIONS})
    assert frame["numerator"].to_list() == [None]
    assert load_population_series(path, trafford_demo_config()).height == 1


ROW = "neet_16_17,E08000009,2023,4.3,264,6130,DfE\n"


@pytest.mark.parametrize(
    ("header", "body", "where", "fix"),
    [
        (
            "indicator,area_code,period,numerator\n",
            "",
            "row 1",
            "missing column value. The header must have indicator, area_code, period, value",
        ),
        ("indicator,area,period,value\n", "", "row 1, column area", "did you mean 'area_code'?"),
        ("indicator,area_code,period,value,value\n", "", "row 1, column value", "twice"),
        ("indicator,area_code,period,value,\n", "", "row 1, column 5", "empty column name"),
        (
            HEADER,
            ROW + "neet_1617,E08000009,2024,4.1,,,\n",
            "row 3, column indicator",
            "Did you mean 'neet_16_17'? Known: neet_16_17, school_absence, first_time_entrants",
        ),
        (HEADER, "youth_voice,E08000009,2024,4,,,\n", "row 2, column indicator", "add a [[popul"),
        (HEADER, "neet_16_17,Trafford,2023,4.3,,,\n", "row 2, column area_code", "E08000009"),
        (HEADER, "neet_16_17,E08000009,2023,4.3%,,,\n", "row 2, column value", "no units or %"),
        (HEADER, "neet_16_17,E08000009,2023,,,,\n", "row 2, column value", "is not a number"),
        (HEADER, "neet_16_17,E08000009,2023,c,,,\n", "row 2, column value", "suppressed figure"),
        (HEADER, "neet_16_17,E08000009,2023,inf,,,\n", "row 2, column value", "not a number"),
        (HEADER, "neet_16_17,E08000009,2023,0.043e4,,,\n", "row 2, column value", "0 to 100"),
        (HEADER, "neet_16_17,E08000009,2023,4.3,x,6130,\n", "row 2, column numerator", "not a"),
        (HEADER, "neet_16_17,E08000009,2023,4.3,-1,6130,\n", "row 2, column numerator", "negat"),
        (
            HEADER,
            "neet_16_17,E08000009,2023,4.3,264,0,\n",
            "row 2, column denominator",
            "not a pop",
        ),
        (
            HEADER,
            "neet_16_17,E08000009,2023,4.3,6130,264,\n",
            "row 2, column numerator",
            "wrong way",
        ),
        (
            HEADER,
            "neet_16_17,E08000009,2023,9.9,264,6130,\n",
            "row 2, column value",
            "does not match",
        ),
        (HEADER, ROW + ROW.replace("4.3", "4.4"), "row 3, column period", "already in row 2"),
        (HEADER, "neet_16_17,E08000009,2023-Q5,4.3,,,\n", "row 2, column period", "2024-Q1"),
        (HEADER, "neet_16_17,E08000009,2022/24,4.3,,,\n", "row 2, column period", "2022/23"),
        (
            HEADER,
            "neet_16_17,E08000009,2022/23,4.3,,,\n",
            "row 2, column period",
            "2022/23 is an academic (or financial) year but the baseline of neet_16_17 in "
            "needle.toml, 2023, is a year",
        ),
        (
            HEADER,
            "school_absence,E08000009,2023,4.3,,,\nschool_absence,E08000009,2023-Q1,4.3,,,\n",
            "row 3, column period",
            "2023-Q1 is a quarter but row 2 gives school_absence for 2023, a year",
        ),
        (HEADER, "neet_16_17,E08000009,2023,4.3\n", "row 2", "has 4 values but the header has 7"),
        (HEADER, 'neet_16_17,E08000009,2023,4.3,,,"DfE\n', "row 2", "quotes"),
    ],
)
def test_each_problem_names_file_row_and_column(
    tmp_path: Path, header: str, body: str, where: str, fix: str
) -> None:
    path = _csv(tmp_path, body, header=header)
    with pytest.raises(NeedleInputError) as caught:
        load_population_series(path, DEFINITIONS)
    message = str(caught.value)
    assert message.startswith(f"{path}, {where}: "), message
    assert fix in message, message


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(NeedleInputError, match=r"absent.csv not found"):
        load_population_series(tmp_path / "absent.csv", DEFINITIONS)
    with pytest.raises(NeedleInputError, match=r"is a folder"):
        load_population_series(tmp_path, DEFINITIONS)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(HEADER.encode() + b"neet_16_17,E08000009,2023,4.3,,,Caf\xe9\n")
    with pytest.raises(NeedleInputError, match=r"latin.csv is not UTF-8"):
        load_population_series(latin, DEFINITIONS)
    empty = _csv(tmp_path, "", header="\n\n", name="empty.csv")
    with pytest.raises(NeedleInputError, match=r"empty.csv is empty: expected a CSV"):
        load_population_series(empty, DEFINITIONS)
    bare = _csv(tmp_path, "\n", name="bare.csv")
    with pytest.raises(NeedleInputError, match=r"bare.csv has a header but no rows"):
        load_population_series(bare, DEFINITIONS)
    with pytest.raises(NeedleInputError, match=r"No population indicators are defined"):
        load_population_series(_csv(tmp_path, ROW), ())
    # a byte order mark (Excel's "CSV UTF-8") is fine
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + (HEADER + ROW).encode())
    assert load_population_series(bom, DEFINITIONS).height == 1


# ---- the bundled Trafford series ------------------------------------------------------


def test_the_bundled_series_loads_cleanly_with_the_demo_config() -> None:
    demo = trafford_demo_config()
    frame = load_population_series(BUNDLED_TRAFFORD_SERIES, demo)
    assert set(frame["area_code"]) == {AREA}
    assert set(frame["source"]) == {
        "Illustrative synthetic series for the Needle demo, not official statistics"
    }
    for definition in demo.population_indicators:
        rows = frame.filter(pl.col("indicator") == definition.id)
        assert rows.height == 9, definition.id
        assert rows["period"][0].startswith(("2016/17", "2017"))
        assert rows["period"][-1].startswith(("2024/25", "2025"))
        # the demo's baselines are the series' values at the baseline period
        at_baseline = rows.filter(pl.col("period") == definition.baseline.period)["value"]
        assert at_baseline.item() == definition.baseline.value, definition.id
        curve = turn_the_curve(frame, definition)
        assert curve["period"][-1] == definition.target.period
        summary = curve_summary(curve, definition)
        assert summary["status"] in ("on_track", "off_track")
        assert summary["better_than_baseline"] is True


# ---- keeping it in the home -----------------------------------------------------------


def test_save_and_read_round_trip(tmp_path: Path) -> None:
    frame = load_population_series(BUNDLED_TRAFFORD_SERIES, trafford_demo_config())
    path = save_population_series(tmp_path, frame)
    assert (
        path == tmp_path / "indicators" / "population.parquet" == population_series_path(tmp_path)
    )
    assert read_population_series(tmp_path).equals(frame)
    # replacing it leaves no temporary file behind
    smaller = frame.head(3)
    save_population_series(str(tmp_path), smaller)
    assert read_population_series(tmp_path).equals(smaller)
    assert [p.name for p in path.parent.iterdir()] == ["population.parquet"]


def test_save_and_read_with_a_home(tmp_path: Path) -> None:
    class FakeHome:  # anything with a root, like needle.initiative.Home
        root = tmp_path

    frame = _series({"2022": 1.0})
    save_population_series(FakeHome(), frame)
    assert read_population_series(FakeHome()).equals(frame)


def test_a_failed_save_keeps_the_old_series(tmp_path: Path, monkeypatch) -> None:
    frame = _series({"2022": 1.0})
    save_population_series(tmp_path, frame)

    def broken(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", broken)
    with pytest.raises(OSError, match="disk full"):
        save_population_series(tmp_path, _series({"2023": 2.0}))
    monkeypatch.undo()
    assert read_population_series(tmp_path).equals(frame)
    assert len(list((tmp_path / "indicators").iterdir())) == 1


def test_read_and_save_errors(tmp_path: Path) -> None:
    with pytest.raises(
        NeedleInputError, match=r"No population series in .* `needle population load"
    ):
        read_population_series(tmp_path)
    path = population_series_path(tmp_path)
    path.parent.mkdir()
    path.write_bytes(b"not parquet")
    with pytest.raises(NeedleInputError, match=re.escape(f"{path} cannot be read")):
        read_population_series(tmp_path)
    with pytest.raises(NeedleInputError, match=r"is not a folder"):
        save_population_series(tmp_path / "missing", _series({"2022": 1.0}))


def test_format_value() -> None:
    assert format_value(4.26, "percent") == "4.3%"
    assert format_value(3.784, "percent", 2) == "3.78%"
    assert format_value(1234.5, "rate_per_100000") == "1,234.5 per 100,000"
    assert format_value(12.0, "rate_per_1000") == "12.0 per 1,000"
    assert format_value(1204.2, "count") == "1,204"
    assert format_value(-0.5, "number") == "-0.50"
    assert format_value(None, "count") == "-"
