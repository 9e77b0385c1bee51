"""Match the header row of a sheet to the columns of its entity.

Partners retype headers ("Date of Birth"), keep old names after an upgrade, or add their
own columns. Headers are compared after ``normalise_token``, so spelling of case, spaces
and punctuation never matters; anything else is reported with the closest known name.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import polars as pl

from needle.standard.model import Entity, normalise_token
from needle.validation.emit import Reporter, column_letter, quote
from needle.validation.raw import RawTable, position


@dataclass
class Columns:
    """Where each of the entity's columns is in the table, by canonical name."""

    positions: dict[str, str] = field(default_factory=dict)  # column -> "c3"
    letters: dict[str, str] = field(default_factory=dict)  # column -> "D"
    usable: bool = True  # False when row 1 is not a header row

    def name_at(self, index: int) -> str | None:
        wanted = position(index)
        return next((name for name, pos in self.positions.items() if pos == wanted), None)


def match_headers(table: RawTable, entity: Entity, out: Reporter) -> Columns:
    """Map header cells to columns, reporting unknown, duplicate, deprecated and missing ones."""
    where = {"entity": entity.name, "source": table.source, "row": 1}
    for ref in table.merged_header:
        out.add(
            "header_merged",
            f"Cells {ref} of the header row are merged.",
            **where,
        )
    headers = [(i, h.strip()) for i, h in enumerate(table.headers) if h and h.strip()]
    recognised = [i for i, h in headers if normalise_token(h) in entity.columns]
    if not recognised:
        if headers or table.height:
            out.add(
                "header_missing",
                f"Row 1 of {table.source} holds none of the column names of {entity.name}, "
                "so Needle cannot tell which column is which.",
                **where,
            )
        return Columns(usable=False)

    columns = Columns()
    given: dict[str, tuple[int, str]] = {}  # column -> (index, header as written)
    unknown: list[tuple[int, str]] = []
    for index, header in headers:
        name = normalise_token(header)
        spec = entity.columns.get(name)
        if spec is None:
            unknown.append((index, header))
            continue
        target = name
        if spec.deprecated:
            target = spec.deprecated.use if spec.deprecated.use in entity.columns else name
            replacement = f"; use '{target}' instead" if target != name else ""
            extra = f" {spec.deprecated.message}" if spec.deprecated.message else ""
            out.add(
                "column_deprecated",
                f"The column {quote(header)} is deprecated since version "
                f"{spec.deprecated.since}{replacement}.{extra}",
                **where,
                column=name,
            )
        if target in given:
            first_index, first_header = given[target]
            out.add(
                "column_duplicate",
                f"Column {column_letter(index)} ({quote(header)}) is the same column as "
                f"{column_letter(first_index)} ({quote(first_header)}); Needle read only the "
                "first.",
                **where,
                column=target,
            )
            continue
        given[target] = (index, header)
        columns.positions[target] = position(index)
        columns.letters[target] = column_letter(index)

    free = [n for n, c in entity.columns.items() if n not in given and c.deprecated is None]
    for index, header in unknown:
        match = difflib.get_close_matches(normalise_token(header), free, n=1, cutoff=0.75)
        hint = f"; did you mean '{match[0]}'?" if match else "."
        out.add(
            "column_unknown",
            f"Needle does not know the column {quote(header)} (column "
            f"{column_letter(index)}){hint}",
            **where,
            column=header,
        )
    named = {i for i, _ in headers}
    for index in _unnamed_columns_with_values(table, named):
        out.add(
            "column_unknown",
            f"Column {column_letter(index)} has values but no name in row 1; Needle ignored it.",
            **where,
            column=column_letter(index),
        )
    for name in entity.required_columns:
        if name not in columns.positions:
            out.add(
                "column_missing",
                f"The required column '{name}' is missing from {table.source}.",
                **where,
                column=name,
            )
    return columns


def _unnamed_columns_with_values(table: RawTable, named: set[int]) -> list[int]:
    unnamed = [i for i in range(len(table.headers)) if i not in named and position(i) in table.data]
    if not unnamed or not table.height:
        return []
    filled = table.data.select(pl.col(position(i)).is_not_null().any() for i in unnamed).row(0)
    return [i for i, has_values in zip(unnamed, filled, strict=True) if has_values]
