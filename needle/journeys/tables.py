"""The shape every journey aggregate shares: a tidy count table with its margins.

A journey table is a Polars frame whose columns are, in order: the *keys* (what a row is
about: a step, a provision category, a cohort), ``count`` (how many young people or
referrals), then any values that rest on the count (a median, quartiles). A key with
margins has rows whose value is :data:`ALL`, each the sum of the rows it stands for; a
key without (a pathway's step) has none. Disclosure control
(:func:`needle.journeys.disclosure.protected`) reads the relations a reader could use
from exactly this shape, so every aggregate is built by :func:`count_table`.
"""

from __future__ import annotations

from itertools import combinations

import polars as pl

__all__ = ["ALL", "COUNT", "count_table", "key_columns"]

ALL = "all"
COUNT = "count"


def count_table(
    units: pl.DataFrame, keys: list[str], margins: list[str], *, sort: bool = True
) -> pl.DataFrame:
    """One row per combination of ``keys`` present in ``units`` (one row a young person
    or a referral), with every margin of the ``margins`` keys: for each subset of them,
    the same counts with those keys set to :data:`ALL`. Margins are counted from the
    units, not added up, so they are exact."""
    frames = []
    for size in range(len(margins) + 1):
        for merged in combinations(margins, size):
            grouped = units.with_columns(pl.lit(ALL).alias(k) for k in merged)
            frames.append(grouped.group_by(keys).agg(pl.len().cast(pl.Int64).alias(COUNT)))
    schema = {k: (pl.String if k in margins else units.schema[k]) for k in keys}
    out = pl.concat([f.cast(schema) for f in frames])
    return out.sort(keys) if sort else out


def key_columns(table: pl.DataFrame) -> list[str]:
    """The keys of a journey table: the columns before ``count``."""
    if COUNT not in table.columns:
        raise ValueError("a journey table has a 'count' column")
    return table.columns[: table.columns.index(COUNT)]
