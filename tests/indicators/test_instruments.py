"""Instrument definitions and their scoring SQL, checked on DuckDB against hand calculation.

The expected scores, bands and conversion values below are written out by hand from the
published sources, not derived from needle's YAML, so a slip in either is caught.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import random
import re
import tomllib
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
import sqlglot
import yaml

from needle.errors import NeedleInputError
from needle.indicators.instruments import (
    OUTPUT_COLUMNS,
    load_instruments,
    scale_meta,
    scoring_sql,
)

# Stewart-Brown et al. 2009 raw-to-metric conversion, as published by Warwick.
SWEMWBS_TABLE = {
    7: 7.00, 8: 9.51, 9: 11.25, 10: 12.40, 11: 13.33, 12: 14.08, 13: 14.75, 14: 15.32,
    15: 15.84, 16: 16.36, 17: 16.88, 18: 17.43, 19: 17.98, 20: 18.59, 21: 19.25, 22: 19.98,
    23: 20.73, 24: 21.54, 25: 22.35, 26: 23.21, 27: 24.11, 28: 25.03, 29: 26.02, 30: 27.03,
    31: 28.13, 32: 29.31, 33: 30.70, 34: 32.55, 35: 35.00,
}  # fmt: skip

Q = [f"q{i}" for i in range(1, 15)]
SCHEMA = {
    "submission_id": pl.String(),
    "org": pl.String(),
    "period": pl.String(),
    "person_ref": pl.String(),
    "instrument": pl.String(),
    "administered_on": pl.Date(),
    "timepoint": pl.String(),
    **{q: pl.Int64() for q in Q},
    "age_at_activity": pl.Int64(),
}


def confidence(**changes: Any) -> dict[str, Any]:
    """An initiative's own 5-item confidence scale, 1-5, item 2 reverse-scored, prorated.

    With one item allowed blank a score is a whole number or a multiple of 1.25, so the
    bands below leave no possible score out.
    """
    definition: dict[str, Any] = {
        "id": "confidence",
        "title": "Confidence (local)",
        "owner": "Example initiative",
        "licence": "CC BY 4.0",
        "items": 5,
        "response": {"min": 1, "max": 5},
        "reverse_scored": [2],
        "scales": [
            {
                "id": "confidence",
                "title": "Confidence",
                "items": [1, 2, 3, 4, 5],
                "method": "sum",
                "missing": {"max_missing": 1, "method": "prorate"},
                "range": [5, 25],
                "direction": "up",
                "bands": [
                    {"code": "low", "label": "Low", "min": 5, "max": 12.5},
                    {"code": "medium", "label": "Medium", "min": 13, "max": 18.75},
                    {"code": "high", "label": "High", "min": 19, "max": 25},
                ],
                "low_band": "low",
                "reliable_change": {"sd": 4.0, "reliability": 0.8, "source": "local pilot"},
            }
        ],
    }
    definition.update(changes)
    return definition


def resilience() -> dict[str, Any]:
    """Two mean scales, no bands; the second may have one of its two items blank."""
    return {
        "id": "resilience",
        "title": "Resilience (local)",
        "items": 4,
        "response": {"min": 1, "max": 4},
        "scales": [
            {
                "id": "resilience_coping",
                "title": "Coping",
                "items": [1, 2],
                "method": "mean",
                "range": [1, 4],
                "direction": "up",
                "reliable_change": {"value": 1.0, "source": "assumption"},
            },
            {
                "id": "resilience_support",
                "title": "Support",
                "items": [3, 4],
                "method": "mean",
                "missing": {"max_missing": 1, "method": "prorate"},
                "range": [1, 4],
                "direction": "up",
                "reliable_change": {"value": 1.0, "source": "assumption"},
            },
        ],
    }


def measurement(instrument: str, responses: list[int | None], ref: str = "P1") -> dict:
    row: dict[str, Any] = {
        "submission_id": "S1",
        "org": "ORG",
        "period": "2025-Q1",
        "person_ref": ref,
        "instrument": instrument,
        "administered_on": dt.date(2025, 1, 15),
        "timepoint": "baseline",
        "age_at_activity": 15,
    }
    for i, q in enumerate(Q):
        row[q] = responses[i] if i < len(responses) else None
    return row


def score(instruments: dict, rows: list[dict], dialect: str = "duckdb") -> pl.DataFrame:
    """Run the generated SQL on DuckDB over the rows, sorted by person and scale."""
    frame = pl.DataFrame(rows, schema=SCHEMA)
    con = duckdb.connect()
    con.register("measurements", frame.to_arrow())
    result = con.sql(scoring_sql(instruments, dialect=dialect)).pl()
    return result.sort("person_ref", "scale")


def with_sum(total: int, items: int, lo: int = 1, hi: int = 5) -> list[int]:
    """Responses in lo..hi, ``items`` of them, adding up to ``total``."""
    responses = [lo] * items
    extra = total - lo * items
    for i in range(items):
        step = min(extra, hi - lo)
        responses[i] += step
        extra -= step
    assert extra == 0 and sum(responses) == total
    return responses


@pytest.fixture(scope="module")
def builtins():
    return load_instruments()


# --------------------------------------------------------------------------- definitions


def test_builtins_and_reliable_change(builtins):
    assert set(builtins) == {"ons4", "wemwbs", "swemwbs"}
    assert [s.id for s in builtins["ons4"].scales] == [
        "ons4_life_satisfaction",
        "ons4_worthwhile",
        "ons4_happiness",
        "ons4_anxiety",
    ]
    assert builtins["wemwbs"].scales[0].rci == pytest.approx(1.96 * 2**0.5 * 8.79 * 0.11**0.5)
    assert builtins["wemwbs"].scales[0].rci == pytest.approx(8.0808, abs=1e-4)
    assert builtins["swemwbs"].scales[0].rci == 2.87
    ons = builtins["ons4"].scales[0]
    assert ons.rci == pytest.approx(1.96 * 2**0.5 * 2 * 0.3**0.5)
    assert "ASSUMPTION" in ons.rci_source
    assert builtins["ons4"].scales[3].direction == "down"
    assert builtins["ons4"].scales[3].low_range() == (6.0, 10.0)
    assert all(not i.reverse_scored for i in builtins.values())


def test_builtins_agree_with_the_standard(builtins):
    """Validation (the standard) and scoring (this registry) must describe the same items."""
    from needle.standard import load_standard

    for name, spec in load_standard().instruments.items():
        mine = builtins[name]
        assert (mine.items, mine.response_min, mine.response_max) == (
            spec.items,
            spec.min,
            spec.max,
        )


def test_scale_meta(builtins):
    meta = scale_meta(builtins).filter(pl.col("scale").is_in(["ons4_anxiety", "swemwbs"]))
    rows = {r["scale"]: r for r in meta.to_dicts()}
    assert rows["ons4_anxiety"]["direction"] == "down"
    assert rows["ons4_anxiety"]["low_bands"] == "high"
    assert (rows["ons4_anxiety"]["low_min"], rows["ons4_anxiety"]["low_max"]) == (6.0, 10.0)
    assert (rows["swemwbs"]["min"], rows["swemwbs"]["max"], rows["swemwbs"]["rci"]) == (
        7.0,
        35.0,
        2.87,
    )
    assert scale_meta(builtins).columns[:8] == [
        "scale",
        "instrument",
        "title",
        "direction",
        "min",
        "max",
        "rci",
        "low_bands",
    ]


def test_custom_instrument_with_list_of_low_bands():
    defn = confidence()
    defn["scales"][0]["low_band"] = ["low", "medium"]
    scale = load_instruments([defn])["confidence"].scales[0]
    assert scale.low_range() == (5.0, 18.75)
    assert scale.rci == pytest.approx(1.96 * 2**0.5 * 4 * 0.2**0.5)


def test_toml_style_conversion_keys_are_accepted(builtins):
    """TOML and JSON keys are text: "7" must work like 7."""
    raw = {
        "id": "tiny",
        "title": "Tiny",
        "items": 2,
        "response": {"min": 0, "max": 1},
        "scales": [
            {
                "id": "tiny",
                "title": "Tiny",
                "items": [1, 2],
                "method": "sum",
                "conversion": {"0": 0.0, "1": 5.5, "2": 10.0},
                "range": [0, 10],
                "direction": "up",
                "reliable_change": {"value": 5, "source": "x"},
            }
        ],
    }
    tiny = load_instruments([raw])["tiny"]
    assert tiny.scales[0].conversion == ((0, 0.0), (1, 5.5), (2, 10.0))
    out = score({"tiny": tiny}, [measurement("tiny", [1, 0])])
    assert out["score"].to_list() == [5.5]


def _scale_edit(**changes: Any) -> dict[str, Any]:
    defn = confidence()
    defn["scales"][0].update(changes)
    return defn


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        (confidence(colour="blue"), r"instrument confidence: unknown key colour"),
        (_scale_edit(weight=2), r"scale confidence: unknown key weight"),
        (confidence(items=15), r"instrument confidence: items is 15"),
        (confidence(reverse_scored=[6]), r"reverse_scored has item 6, outside 1..5"),
        (_scale_edit(items=[1, 2, 3, 4, 9]), r"scale confidence: items has item 9"),
        (_scale_edit(method="median"), r"method must be one of"),
        (
            _scale_edit(
                bands=[
                    {"code": "low", "label": "Low", "min": 5, "max": 13},
                    {"code": "high", "label": "High", "min": 13, "max": 25},
                ]
            ),
            r"bands low and high overlap",
        ),
        (
            _scale_edit(
                bands=[
                    {"code": "low", "label": "Low", "min": 5, "max": 12},
                    {"code": "high", "label": "High", "min": 13, "max": 25},
                ]
            ),
            r"score 12.5 is possible but falls in no band",
        ),
        (_scale_edit(low_band="bad"), r"low_band 'bad' is not one of its bands"),
        (_scale_edit(low_band=["low", "high"]), r"low_band must be adjacent"),
        (_scale_edit(range=[5, 20]), r"score 21 is possible but outside range \[5, 20\]"),
        (
            _scale_edit(missing={"max_missing": 1, "method": "none"}),
            r"missing.method none allows no missing items",
        ),
        (
            _scale_edit(reliable_change={"value": 3, "sd": 2, "reliability": 0.7, "source": "x"}),
            r"either value or sd and reliability",
        ),
        (
            _scale_edit(reliable_change={"sd": 2, "reliability": 1.5, "source": "x"}),
            r"reliability must be in",
        ),
        (_scale_edit(reliable_change={"value": 3}), r"missing key source"),
        (_scale_edit(id="other"), r"only scale must have the instrument's id confidence"),
        (confidence(id="swemwbs"), r"must have the instrument's id swemwbs"),
    ],
)
def test_invalid_definitions(definition, message):
    with pytest.raises(NeedleInputError, match=message):
        load_instruments([definition])


def test_conversion_must_cover_the_raw_range():
    defn = _scale_edit(
        missing={"max_missing": 0, "method": "none"},
        conversion={str(r): float(r) for r in range(5, 25)},  # lacks 25
    )
    with pytest.raises(NeedleInputError, match=r"scale confidence: conversion .* lacks \[25\]"):
        load_instruments([defn])


def test_builtin_ids_are_replaced_only_on_purpose(builtins):
    swemwbs = copy.deepcopy(
        {
            "id": "swemwbs",
            "title": "SWEMWBS with local cut points",
            "items": 7,
            "response": {"min": 1, "max": 5},
            "scales": [
                {
                    "id": "swemwbs",
                    "title": "SWEMWBS",
                    "items": [1, 2, 3, 4, 5, 6, 7],
                    "method": "sum",
                    "conversion": SWEMWBS_TABLE,
                    "range": [7, 35],
                    "direction": "up",
                    "bands": [
                        {"code": "low", "label": "Low", "min": 7, "max": 17.98},
                        {"code": "rest", "label": "Rest", "min": 18, "max": 35},
                    ],
                    "low_band": "low",
                    "reliable_change": {"value": 2.87, "source": "Shah et al. 2018"},
                }
            ],
        }
    )
    with pytest.raises(NeedleInputError, match=r"instrument swemwbs: is built in"):
        load_instruments([swemwbs])
    replaced = load_instruments([{**swemwbs, "replaces_builtin": True}])
    assert [b.code for b in replaced["swemwbs"].scales[0].bands] == ["low", "rest"]


def test_scale_ids_are_unique_across_instruments():
    other = resilience()
    other["id"] = "resilience2"
    for s in other["scales"]:
        s["id"] = s["id"].replace("resilience", "resilience2")
    clash = copy.deepcopy(other)
    clash["scales"][0]["id"] = "resilience2_support"
    with pytest.raises(NeedleInputError, match="two scales have the same id"):
        load_instruments([clash])
    with pytest.raises(NeedleInputError, match="defined twice"):
        load_instruments([resilience(), resilience()])


# --------------------------------------------------------------------------- scoring


def test_output_columns_and_types(builtins):
    out = score(builtins, [measurement("wemwbs", [3] * 14)])
    assert tuple(out.columns) == OUTPUT_COLUMNS
    assert out.schema["score"] == pl.Float64
    assert out.schema["band"] == pl.String
    row = out.row(0, named=True)
    assert row == {
        "submission_id": "S1",
        "org": "ORG",
        "period": "2025-Q1",
        "person_ref": "P1",
        "instrument": "wemwbs",
        "scale": "wemwbs",
        "administered_on": dt.date(2025, 1, 15),
        "timepoint": "baseline",
        "score": 42.0,
        "band": "low",
    }


def test_swemwbs_every_raw_sum_maps_to_the_published_table(builtins):
    rows = [measurement("swemwbs", with_sum(t, 7), ref=f"P{t:02d}") for t in range(7, 36)]
    out = score(builtins, rows)
    assert out.height == 29
    assert out["scale"].unique().to_list() == ["swemwbs"]
    got = dict(zip(out["person_ref"], out["score"], strict=True))
    bands = dict(zip(out["person_ref"], out["band"], strict=True))
    for total, metric in SWEMWBS_TABLE.items():
        assert got[f"P{total:02d}"] == metric  # exact: a table lookup, no arithmetic
        expected = "low" if metric < 20 else "average" if metric < 28 else "high"
        assert bands[f"P{total:02d}"] == expected, total
    # The band boundaries fall between raw 22 (19.98) / 23 (20.73) and 30 / 31.
    assert (bands["P22"], bands["P23"], bands["P30"], bands["P31"]) == (
        "low",
        "average",
        "average",
        "high",
    )


def test_ons4_gives_four_rows_with_bands(builtins):
    out = score(builtins, [measurement("ons4", [4, 5, 8, 6])])
    assert out.select("scale", "score", "band").rows() == [
        ("ons4_anxiety", 6.0, "high"),
        ("ons4_happiness", 8.0, "high"),
        ("ons4_life_satisfaction", 4.0, "low"),
        ("ons4_worthwhile", 5.0, "medium"),
    ]


ONS_POSITIVE = ["low"] * 5 + ["medium"] * 2 + ["high"] * 2 + ["very_high"] * 2
ONS_ANXIETY = ["very_low"] * 2 + ["low"] * 2 + ["medium"] * 2 + ["high"] * 5


def test_ons4_every_band_boundary(builtins):
    rows = [measurement("ons4", [v, v, v, v], ref=f"P{v:02d}") for v in range(11)]
    out = score(builtins, rows)
    for scale in ("ons4_life_satisfaction", "ons4_worthwhile", "ons4_happiness"):
        part = out.filter(pl.col("scale") == scale)
        assert part["score"].to_list() == [float(v) for v in range(11)]
        assert part["band"].to_list() == ONS_POSITIVE
    assert out.filter(pl.col("scale") == "ons4_anxiety")["band"].to_list() == ONS_ANXIETY


def test_wemwbs_sum_and_band_boundaries(builtins):
    totals = [14, 42, 43, 59, 60, 70]
    rows = [measurement("wemwbs", with_sum(t, 14), ref=f"P{t}") for t in totals]
    rows.append(measurement("wemwbs", [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2, 3, 4], ref="PX"))
    out = score(builtins, rows)
    got = {r: (s, b) for r, s, b in out.select("person_ref", "score", "band").rows()}
    assert got == {
        "P14": (14.0, "low"),
        "P42": (42.0, "low"),
        "P43": (43.0, "moderate"),
        "P59": (59.0, "moderate"),
        "P60": (60.0, "high"),
        "P70": (70.0, "high"),
        "PX": (40.0, "low"),  # 15 + 15 + 10, by hand
    }


def test_missing_and_out_of_range_items(builtins):
    wemwbs_gap = [3] * 14
    wemwbs_gap[6] = None
    swemwbs_bad = [3, 3, 3, 3, 3, 3, 6]  # 6 is outside 1-5: treated as missing
    rows = [
        measurement("wemwbs", wemwbs_gap, ref="A"),
        measurement("swemwbs", swemwbs_bad, ref="B"),
        measurement("ons4", [7, 7, 7, None], ref="C"),
        measurement("ons4", [], ref="D"),
    ]
    out = score(builtins, rows)
    got = {
        (r, s): (v, b) for r, s, v, b in out.select("person_ref", "scale", "score", "band").rows()
    }
    assert got[("A", "wemwbs")] == (None, None)
    assert got[("B", "swemwbs")] == (None, None)
    assert got[("C", "ons4_happiness")] == (7.0, "high")
    assert got[("C", "ons4_anxiety")] == (None, None)
    assert all(got[("D", s.id)] == (None, None) for s in builtins["ons4"].scales)
    assert out.height == 1 + 1 + 4 + 4


def test_unknown_instruments_are_not_scored(builtins):
    out = score(builtins, [measurement("kessler10", [3] * 10), measurement("wemwbs", [2] * 14)])
    assert out["instrument"].to_list() == ["wemwbs"]


def test_custom_likert_with_reverse_item_and_prorating():
    instruments = load_instruments([confidence()])
    rows = [
        measurement("confidence", [5, 1, 5, 5, 5], ref="A"),  # item 2 -> 5: 25
        measurement("confidence", [5, 5, 5, 5, 5], ref="B"),  # item 2 -> 1: 21
        measurement("confidence", [4, None, 4, 4, 4], ref="C"),  # 16 * 5 / 4 = 20
        measurement("confidence", [None, 2, 3, 3, 3], ref="D"),  # (4+3+3+3) * 5/4 = 16.25
        measurement("confidence", [3, None, None, 3, 3], ref="E"),  # two blank: no score
        measurement("confidence", [2, 4, 2, 2, 2], ref="F"),  # 2+2+2+2+2 = 10
        measurement("confidence", [2, None, 2, 3, 3], ref="G"),  # 10 * 5 / 4 = 12.5
        measurement("confidence", [3, 3, 3, 2, 2], ref="H"),  # 3+3+3+2+2 = 13
        measurement("confidence", [4, None, 4, 4, 3], ref="I"),  # 15 * 5 / 4 = 18.75
        measurement("confidence", [4, 2, 4, 4, 3], ref="J"),  # 4+4+4+4+3 = 19
    ]
    out = score(instruments, rows)
    got = {r: (s, b) for r, s, b in out.select("person_ref", "score", "band").rows()}
    assert got == {
        "A": (25.0, "high"),
        "B": (21.0, "high"),
        "C": (20.0, "high"),
        "D": (16.25, "medium"),
        "E": (None, None),
        "F": (10.0, "low"),
        "G": (12.5, "low"),
        "H": (13.0, "medium"),
        "I": (18.75, "medium"),
        "J": (19.0, "high"),
    }


def test_mean_scales_without_bands():
    instruments = load_instruments([resilience()])
    rows = [
        measurement("resilience", [1, 4, 2, 3], ref="A"),
        measurement("resilience", [1, None, None, 3], ref="B"),
    ]
    out = score(instruments, rows)
    got = {
        (r, s): (v, b) for r, s, v, b in out.select("person_ref", "scale", "score", "band").rows()
    }
    assert got == {
        ("A", "resilience_coping"): (2.5, None),
        ("A", "resilience_support"): (2.5, None),
        ("B", "resilience_coping"): (None, None),
        ("B", "resilience_support"): (3.0, None),
    }


def _by_hand(defn: dict[str, Any], responses: list[int | None]) -> tuple[float | None, str | None]:
    """An independent scorer for the confidence definition, in plain Python."""
    lo, hi = defn["response"]["min"], defn["response"]["max"]
    scale = defn["scales"][0]
    values = []
    for item in scale["items"]:
        r = responses[item - 1]
        if r is None or not lo <= r <= hi:
            continue
        values.append(lo + hi - r if item in defn["reverse_scored"] else r)
    n = len(scale["items"])
    if len(values) < n - scale["missing"]["max_missing"]:
        return None, None
    value = sum(values) / len(values) * n
    band = next(b["code"] for b in scale["bands"] if b["min"] <= value <= b["max"])
    return value, band


def test_random_rows_match_an_independent_scorer():
    defn = confidence()
    instruments = load_instruments([defn])
    rng = random.Random(7)
    rows, expected = [], {}
    for k in range(300):
        responses = [rng.choice([None, 1, 2, 3, 4, 5, 5, 4, 3]) for _ in range(5)]
        rows.append(measurement("confidence", responses, ref=f"P{k:03d}"))
        expected[f"P{k:03d}"] = _by_hand(defn, responses)
    out = score(instruments, rows)
    for ref, value, band in out.select("person_ref", "score", "band").rows():
        want_value, want_band = expected[ref]
        if want_value is None:
            assert (value, band) == (None, None), ref
        else:
            assert math.isclose(value, want_value, rel_tol=1e-12), ref
            assert band == want_band, ref


@pytest.mark.parametrize("dialect", ["spark", "postgres"])
def test_transpiles_to_other_engines(builtins, dialect):
    instruments = {**builtins, **load_instruments([confidence(), resilience()])}
    sql = scoring_sql(instruments, source="pool.measurements", dialect=dialect)
    parsed = sqlglot.parse_one(sql, read=dialect)
    assert sql.count("UNION ALL") == sum(len(i.scales) for i in instruments.values()) - 1
    assert "pool.measurements" in sql
    assert parsed.named_selects == list(OUTPUT_COLUMNS)
    if dialect == "postgres":
        assert "DOUBLE PRECISION" in sql


def test_spark_sql_still_scores_correctly_when_read_back(builtins):
    """The Spark text, transpiled back to DuckDB, gives the same scores: nothing was lost."""
    rows = [measurement("swemwbs", with_sum(t, 7), ref=f"P{t:02d}") for t in (7, 22, 23, 35)]
    rows.append(measurement("ons4", [0, 10, 5, 2], ref="Q"))
    spark = scoring_sql(builtins, dialect="spark")
    back = sqlglot.transpile(spark, read="spark", write="duckdb")[0]
    con = duckdb.connect()
    con.register("measurements", pl.DataFrame(rows, schema=SCHEMA).to_arrow())
    via_spark = con.sql(back).pl().sort("person_ref", "scale")
    assert via_spark.equals(score(builtins, rows))


def test_the_guide_examples_are_valid_definitions():
    """The YAML and TOML examples in docs/guides/instruments.md load and score alike."""
    guide = Path(__file__).parents[2] / "docs" / "guides" / "instruments.md"
    text = guide.read_text(encoding="utf-8")
    from_yaml = yaml.safe_load(re.search(r"```yaml\n(.*?)```", text, re.S).group(1))
    from_toml = tomllib.loads(re.search(r"```toml\n(.*?)```", text, re.S).group(1))
    a = load_instruments([{"id": key, **body} for key, body in from_yaml["instruments"].items()])[
        "confidence"
    ]
    b = load_instruments(from_toml["instruments"])["confidence"]
    assert a.scales == b.scales
    assert (a.reverse_scored, a.scales[0].max_missing) == ((2,), 1)
