"""What the readers hand to the checks: tables of text cells, before any standard applies.

Reading is kept apart from checking so that a workbook, a zip, a folder and a single CSV
all become the same thing, and so that the standard's version (which the file itself may
state) is known before headers are matched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import polars as pl

ROW = "_row"


class FileProblem(Exception):
    """A file (or part of one) cannot be read; ``rule`` and ``message`` say why, for the user.

    Raised by readers, caught by the orchestrator and turned into a file-level problem.
    The message names the file and never repeats cell contents.
    """

    def __init__(self, rule: str, message: str, source: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.source = source


@dataclass
class RawTable:
    """One sheet or CSV file as text.

    ``data`` holds ``_row`` (the row number the user sees; the header is row 1) and one
    String column per position, named ``c0``, ``c1``, ...: positions rather than header
    names, because headers can repeat or be blank. Cells are stripped, empty cells are
    null and blank rows are dropped.
    """

    name: str
    source: str
    headers: list[str | None]
    data: pl.DataFrame
    formulas: list[tuple[int, int]] = field(default_factory=list)  # (row, position)
    merged_header: list[str] = field(default_factory=list)  # e.g. "A1:C1"
    notes: list[tuple[str, str]] = field(default_factory=list)  # (rule, message) warnings

    @property
    def height(self) -> int:
        return self.data.height


@dataclass
class Member:
    """A sheet or file found in the submission, not necessarily read yet.

    ``load`` is None for files Needle cannot read as a table (a PDF in a zip); they are
    reported as unknown unless their name says they are notes for people.
    """

    name: str
    source: str
    load: Callable[[], RawTable] | None
    hidden: bool = False
    size: int = 0  # bytes, when known: the biggest files are started first


@dataclass
class RawSubmission:
    kind: str  # "xlsx", "csv-zip", "csv-folder" or "csv"
    members: list[Member]
    stated_version: str | None = None


def position(index: int) -> str:
    return f"c{index}"


Strip = Literal["none", "space", "any"]


def tidy(data: pl.DataFrame, *, strip: Strip = "any") -> pl.DataFrame:
    """Strip cells, turn empty ones into nulls and drop blank rows; keep ``_row``.

    Blank rows are common at the end of exported sheets and carry nothing to check;
    dropping them keeps the row numbers of the others because ``_row`` travels along.
    ``strip`` says which whitespace the caller knows cells might carry: stripping is the
    costliest step for a million short identifiers, so when spaces are the only possible
    padding, just the columns that have one at either end are stripped.
    """
    cells = [c for c in data.columns if c != ROW]
    if strip == "any":
        padded = set(cells)
    elif strip == "space" and cells and data.height:
        flags = data.select(
            (pl.col(c).str.starts_with(" ") | pl.col(c).str.ends_with(" ")).any() for c in cells
        ).row(0)
        padded = {c for c, flag in zip(cells, flags, strict=True) if flag}
    else:
        padded = set()
    stripped = [
        pl.col(c).str.strip_chars().replace("", None).alias(c)
        if c in padded
        else pl.when(pl.col(c).str.len_bytes() > 0).then(pl.col(c)).alias(c)
        for c in cells
    ]
    # One chunk per column: joins and hashing over many small chunks run far slower.
    out = data.select(pl.col(ROW).cast(pl.Int64), *stripped).rechunk()
    if cells:
        filled = pl.any_horizontal(pl.col(cells).is_not_null())
        if out.select((~filled).any()).item():
            out = out.filter(filled)
    return out
