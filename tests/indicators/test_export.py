"""Exports write the same columns in every format, and the CLI writes through them."""

from __future__ import annotations

import io

import polars as pl
import pytest

from needle.errors import NeedleInputError
from needle.indicators import cli
from needle.indicators.definitions import load_registry
from needle.indicators.export import FORMATS, export_bytes, export_frame, write_export

FRAME = pl.DataFrame(
    {"indicator": ["reach", "reach"], "period": ["2025-Q1", "all"], "value": [3.0, None]}
)


def read(data: bytes, fmt: str) -> pl.DataFrame:
    if fmt == "csv":
        return pl.read_csv(io.BytesIO(data))
    if fmt == "parquet":
        return pl.read_parquet(io.BytesIO(data))
    return pl.read_excel(io.BytesIO(data), sheet_name="indicators", engine="openpyxl")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_round_trips(fmt: str) -> None:
    frame = export_frame(FRAME, load_registry())
    assert frame.columns[:3] == ["indicator", "title", "unit"]
    back = read(export_bytes(frame, fmt), fmt)
    assert back["title"].to_list() == frame["title"].to_list()
    assert back["value"].to_list() == [3.0, None]


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(NeedleInputError, match="use one of csv, parquet, xlsx"):
        write_export(FRAME, "ods", io.BytesIO())


def test_the_cli_offers_the_same_formats() -> None:
    assert cli.FORMATS == FORMATS
