"""Helpers for the synthetic-data tests: the settings of the shared initiative, a reader."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl

SCALE = 0.25
SEED = 2026


def read_tables(path: Path) -> dict[str, pl.DataFrame]:
    """A submission's entity tables with every cell as text (dates as ISO for workbooks)."""
    if path.suffix == ".xlsx":
        book = openpyxl.load_workbook(path, read_only=True)
        tables = {}
        for sheet in book.worksheets:
            if sheet.title == "instructions":
                continue
            rows = list(sheet.iter_rows(values_only=True))
            header = [str(h) for h in rows[0]]
            body = [[_text(v) for v in row] for row in rows[1:]]
            tables[sheet.title] = pl.DataFrame(
                body, schema=dict.fromkeys(header, pl.String), orient="row"
            )
        book.close()
        return tables
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            files = {n: archive.read(n) for n in archive.namelist()}
    else:
        files = {p.name: p.read_bytes() for p in path.iterdir()}
    return {
        Path(name).stem: pl.read_csv(
            io.BytesIO(data.decode("utf-8-sig").encode("utf-8")), infer_schema=False
        )
        for name, data in files.items()
        if name.endswith(".csv")
    }


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if hasattr(value, "date"):
        return value.date().isoformat()
    return str(value)
