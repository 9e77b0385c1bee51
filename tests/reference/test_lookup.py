"""Deriving geography from postcodes: one normalisation everywhere, order kept, unknown
postcodes counted but never echoed."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from needle.reference import (
    GEOGRAPHY_COLUMNS,
    bundled_sources,
    derive_geography,
    normalise_postcode_expr,
    unknown_postcode_message,
)


def _norm(values: list[str | None]) -> list[str | None]:
    frame = pl.DataFrame({"postcode": values}, schema={"postcode": pl.String})
    return frame.select(normalise_postcode_expr())["postcode"].to_list()


def test_normalisation():
    assert _norm(["m15 4ab", " M15  4AB ", "M154AB", "m15-4ab", "M15\t4AB"]) == ["M154AB"] * 5
    assert _norm(["ｍ１５ ４ＡＢ"]) == ["M154AB"]  # full-width forms fold
    # Not postcodes: empty, no digit, NHS "no fixed abode" ZZ99, absurdly long.
    assert _norm(["", "   ", None, "NFA", "Unknown", "ZZ99 3VZ", "M1 1AA" * 4]) == [None] * 7
    assert _norm(["GIR 0AA", "BFPO 123"]) == ["GIR0AA", "BFPO123"]


def test_normalise_accepts_a_name_or_an_expression():
    frame = pl.DataFrame({"pc": ["m15 4ab"]})
    assert frame.select(normalise_postcode_expr("pc"))["pc"].item() == "M154AB"
    assert frame.select(normalise_postcode_expr(pl.col("pc")))["pc"].item() == "M154AB"


def test_derive_geography_keeps_order_and_flags_unknowns(trafford):
    raw = pl.Series("postcode", ["m15 4ab", "XX1 1XX", None, "M15 4AD", "NFA", "xx1 1xx"])
    out = derive_geography(raw, trafford)
    assert out.columns == list(GEOGRAPHY_COLUMNS)
    assert "postcode" not in out.columns
    assert out["geography_status"].cast(pl.String).to_list() == [
        "found", "not_found", "missing", "found", "missing", "not_found"
    ]  # fmt: skip
    first = out.row(0, named=True)
    assert first["lsoa21"] == "E01034001" and first["ward_name"] == "Gorse Hill & Cornbrook"
    assert (first["la_code"], first["la_name"]) == ("E08000009", "Trafford")
    assert (first["imd_decile"], first["imd_quintile"]) == (2, 1)
    assert out.row(1, named=True)["lsoa21"] is None
    assert out["lsoa21"][3] == "E01006112"


def test_unknown_postcode_message_counts_without_echoing(trafford):
    out = derive_geography(pl.Series(["XX1 1XX", "YY2 2YY", "M15 4AB"]), trafford)
    message = unknown_postcode_message(out)
    assert message == "2 postcodes were not found in the reference data."
    assert "XX1" not in message and "YY2" not in message
    one = derive_geography(pl.Series(["XX1 1XX"]), trafford)
    assert unknown_postcode_message(one) == "1 postcode was not found in the reference data."
    assert unknown_postcode_message(derive_geography(pl.Series(["M15 4AB"]), trafford)) is None


def test_derive_from_a_frame_column(trafford):
    frame = pl.DataFrame({"person_ref": ["a", "b"], "home": ["WA14 5LR", "m16 9we"]})
    out = derive_geography(frame, trafford, column="home")
    assert out.height == 2 and (out["geography_status"] == "found").all()
    assert out["ward_name"].to_list() == ["Broadheath", "Old Trafford"]


def test_derive_is_vectorised_over_every_trafford_postcode(trafford):
    raw = pl.read_csv(bundled_sources().postcodes, columns=["postcode", "lsoa_code"])
    out = derive_geography(raw["postcode"], trafford)
    assert (out["geography_status"] == "found").all()
    assert (out["lsoa21"] == raw["lsoa_code"]).all()
    assert out["imd_decile"].null_count() == 0


@pytest.fixture(scope="module")
def sample_postcodes(trafford) -> list[str]:
    return trafford.postcodes["postcode"].sample(50, seed=7).to_list()


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_spacing_or_case_finds_the_postcode(trafford, sample_postcodes, data):
    key = data.draw(st.sampled_from(sample_postcodes))
    spaced = data.draw(st.sampled_from([0, 1, 2]))
    text = key[:-3] + " " * spaced + key[-3:]
    text = "".join(c.lower() if data.draw(st.booleans()) else c for c in text)
    text = " " * data.draw(st.integers(0, 2)) + text + " " * data.draw(st.integers(0, 2))
    out = derive_geography(pl.Series([text]), trafford)
    expected = trafford.postcodes.filter(pl.col("postcode") == key)
    assert out["geography_status"].cast(pl.String).item() == "found"
    assert out["lsoa21"].item() == expected["lsoa21"].item()
