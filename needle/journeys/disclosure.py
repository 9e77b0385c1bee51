"""Disclosure control for journey tables: the indicators' rules, on the journeys' shapes.

Journey tables are not indicator results (a pathway's flow is a cell of a source x target
table, not a group of one breakdown), so :func:`needle.indicators.disclosure.protect`
cannot read their relations from the result schema. What it does with relations is the
same, though, so this module only writes the relations down and hands them to the same
machinery: the fast repair and the exact linear-programming audit
(``needle.indicators.disclosure._suppress``), with the same thresholds per audience
(``[disclosure]`` in needle.toml, :func:`needle.indicators.refresh.thresholds`) and the
same public rounding.

The relations a reader can use, read from the table's shape (:mod:`needle.journeys.tables`):

* every margin: a row whose key is ``all`` is the sum of the rows it stands for, for
  every key that has ``all`` rows (flows out of a category add up to the young people
  there, cohorts add up to everyone, outcomes to the referrals made);
* for pathways, the young people arriving in a category at one step are those leaving it
  at the next (the ``source`` ``all`` cell of step k equals the ``target`` ``all`` cell
  of step k + 1 for that category).

Counts of 1 to threshold - 1 are suppressed, then as many others as needed for no
suppressed count to be worked out to within the threshold. Values that rest on a count
(a median of days) are hidden with it. For the public, counts are then rounded to 5.
Relations *between* tables (everyone in the pathways is also in the disengagement table)
are not modelled, as for the indicators: protect one table per page or file.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from needle.errors import NeedleInputError
from needle.indicators.disclosure import _Relations, _suppress
from needle.indicators.refresh import thresholds
from needle.indicators.schema import AUDIENCES, PUBLISHED, SUPPRESSED
from needle.journeys.pathways import END, MORE
from needle.journeys.tables import ALL, COUNT, key_columns

__all__ = ["NAMES_PARTNERS", "protected"]

# Keys whose groups are partners (or other organisations): never shown to the public, as
# for the indicators.
NAMES_PARTNERS = ("partner", "receiver")
_EMPTY = np.empty(0, dtype=np.int64)


def protected(table: pl.DataFrame, audience: str, config: Any) -> pl.DataFrame:
    """``table`` as ``audience`` may see it, with a ``status`` column: ``published`` or,
    hidden, ``suppressed`` (the backbone sees the reason, as in the indicators), the count
    and the values resting on it emptied. ``config`` is the initiative's configuration
    (its ``[disclosure]`` thresholds)."""
    if audience not in AUDIENCES:
        raise NeedleInputError(
            f"{audience!r} is not an audience; use one of {', '.join(AUDIENCES)}."
        )
    keys = key_columns(table)
    if "status" in table.columns:
        raise ValueError("a journey table to protect has no 'status' column yet")
    if audience == "public" and any(k in NAMES_PARTNERS for k in keys):
        raise NeedleInputError("Partners are not named to the public: choose another breakdown.")
    threshold, rounding = thresholds(config)[audience]
    if threshold <= 0 or table.height == 0:
        return table.with_columns(pl.lit(PUBLISHED).alias("status"))
    v = table[COUNT].cast(pl.Float64).fill_null(0.0).to_numpy().copy()
    small = (v > 0) & (v < threshold)
    hidden = _suppress(_relations(table, keys), v, small, small.copy(), threshold)
    reason = np.where(
        small, "suppressed_small", np.where(hidden, "suppressed_secondary", PUBLISHED)
    )
    if audience != "backbone":
        reason = np.where(hidden, SUPPRESSED, PUBLISHED)
    values = table.columns[table.columns.index(COUNT) :]
    out = table.with_columns(pl.Series("status", reason, dtype=pl.String)).with_columns(
        pl.when(pl.col("status") == PUBLISHED).then(pl.col(c)).otherwise(None).alias(c)
        for c in values
    )
    if audience == "public" and rounding > 0:
        rounded = ((pl.col(COUNT) / rounding) + 0.5).floor() * rounding
        out = out.with_columns(
            pl.when(pl.col(COUNT) > 0)
            .then(pl.max_horizontal(rounded, pl.lit(float(rounding))))
            .otherwise(pl.col(COUNT))
            .cast(pl.Int64)
            .alias(COUNT)
        )
    return out


def _relations(table: pl.DataFrame, keys: list[str]) -> _Relations:
    """Every margin relation of ``table`` (and, for pathways, the links between steps)
    as flat arrays over row numbers, the form the indicators' repair and audit take."""
    cells = table.select(keys).with_row_index("_cell").with_columns(pl.col("_cell").cast(pl.Int64))
    members: list[pl.DataFrame] = []
    for key in keys:
        if not (table[key].cast(pl.String) == ALL).any():
            continue
        others = [k for k in keys if k != key]
        totals = cells.filter(pl.col(key) == ALL).select(*others, pl.col("_cell").alias("_total"))
        parts = cells.filter(pl.col(key) != ALL)
        joined = (
            parts.join(totals, on=others, how="inner", nulls_equal=True)
            if others
            else parts.join(totals, how="cross")
        )
        members.append(joined.select("_total", "_cell"))
    if {"step", "source", "target"} <= set(keys):
        members.append(
            _step_links(cells, [k for k in keys if k not in ("step", "source", "target")])
        )
    # Each frame of ``members`` holds one relation per total cell (one frame per key):
    # number the relations densely; a relation's members are its parts and its total.
    rel_parts: list[np.ndarray] = []
    rel_cells: list[np.ndarray] = []
    rel_total: list[np.ndarray] = []
    next_id = 0
    for frame in members:
        if frame.height == 0:
            continue
        ids = frame["_total"].rank("dense").cast(pl.Int64).to_numpy() - 1 + next_id
        totals = np.unique(np.stack([ids, frame["_total"].to_numpy()], axis=1), axis=0)
        rel_parts.append(np.concatenate([ids, totals[:, 0]]))
        rel_cells.append(np.concatenate([frame["_cell"].to_numpy(), totals[:, 1]]))
        rel_total.append(
            np.concatenate([np.zeros(ids.size, dtype=bool), np.ones(len(totals), dtype=bool)])
        )
        next_id = int(ids.max()) + 1
    if not rel_parts:
        return _Relations(_EMPTY, _EMPTY, np.empty(0, dtype=bool), _EMPTY, _EMPTY, _EMPTY, _EMPTY)
    return _Relations(
        rel=np.concatenate(rel_parts).astype(np.int64),
        cell=np.concatenate(rel_cells).astype(np.int64),
        total=np.concatenate(rel_total),
        lo=_EMPTY,
        hi=_EMPTY,
        series_lo=_EMPTY,
        series_hi=_EMPTY,
    )


def _step_links(cells: pl.DataFrame, others: list[str]) -> pl.DataFrame:
    """(_total, _cell): the young people arriving in a category at step k (source
    ``all``) are those at that category at step k + 1 (target ``all``)."""
    arriving = cells.filter(
        (pl.col("source") == ALL) & ~pl.col("target").is_in([ALL, END, MORE])
    ).select(
        *others,
        (pl.col("step") + 1).alias("step"),
        pl.col("target").alias("category"),
        pl.col("_cell").alias("_total"),
    )
    there = cells.filter((pl.col("target") == ALL) & (pl.col("source") != ALL)).select(
        *others, "step", pl.col("source").alias("category"), "_cell"
    )
    return arriving.join(there, on=[*others, "step", "category"], how="inner").select(
        "_total", "_cell"
    )
