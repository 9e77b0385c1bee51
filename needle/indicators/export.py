"""Results as a file people open elsewhere: CSV, Excel or Parquet.

Why one place: ``needle indicators export`` and the web dashboards' downloads must write
the same columns in the same formats, so a spreadsheet made from either reads the same.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

import polars as pl

from needle.errors import NeedleInputError
from needle.indicators.definitions import Registry, with_titles

__all__ = ["CONTENT_TYPES", "FORMATS", "export_bytes", "export_frame", "write_export"]

FORMATS = ("csv", "parquet", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def export_frame(results: pl.DataFrame, registry: Registry) -> pl.DataFrame:
    """The results with each indicator's title and unit beside its id."""
    return with_titles(results, registry)


def write_export(frame: pl.DataFrame, fmt: str, target: Path | BinaryIO) -> None:
    """Write ``frame`` to ``target`` (a path or a binary file) in ``fmt``."""
    if fmt not in FORMATS:
        raise NeedleInputError(f"{fmt!r} is not an export format: use one of {', '.join(FORMATS)}.")
    if fmt == "csv":
        frame.write_csv(target)
    elif fmt == "parquet":
        frame.write_parquet(target)
    else:
        frame.write_excel(target, worksheet="indicators", autofit=True)


def export_bytes(frame: pl.DataFrame, fmt: str) -> bytes:
    """``frame`` as the bytes of a file in ``fmt``, for a download."""
    buffer = io.BytesIO()
    write_export(frame, fmt, buffer)
    return buffer.getvalue()
