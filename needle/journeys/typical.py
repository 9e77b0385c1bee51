"""The prototypical journey of a cohort: its most common sequence of provision categories.

A young person's sequence is the one of :func:`needle.journeys.pathways.sequences` (the
categories in the order first attended, each once, up to ``max_steps``, then
:data:`~needle.journeys.pathways.MORE`), written as ``youth club > mentoring``. The
table kept and protected is the count of young people by cohort and sequence
(:func:`journey_counts`); the typical journey of each cohort is read from it afterwards
(:func:`typical_journeys`), among the sequences that may be shown, so a suppressed count
is never chosen nor hinted at.
"""

from __future__ import annotations

import polars as pl

from needle.errors import NeedleInputError
from needle.journeys.data import COHORTS, JourneyData
from needle.journeys.pathways import DEFAULT_STEPS, MORE, sequences
from needle.journeys.tables import ALL, COUNT, count_table

__all__ = ["DEFAULT_COHORT", "SEPARATOR", "journey_counts", "typical_journeys"]

DEFAULT_COHORT = "age_band"
SEPARATOR = " > "


def journey_counts(
    data: JourneyData, by: str = DEFAULT_COHORT, max_steps: int = DEFAULT_STEPS
) -> pl.DataFrame:
    """by, sequence, count: young people by cohort and sequence, with both margins."""
    if by not in COHORTS:
        raise NeedleInputError(
            f"Cohorts cannot be drawn by {by!r}; use one of {', '.join(COHORTS)}."
        )
    seq = sequences(data, max_steps)
    units = (
        seq.group_by("person_id")
        .agg(
            pl.col("category").sort_by("step").str.join(SEPARATOR).alias("sequence"),
            pl.col("longer").any(),
        )
        .with_columns(
            pl.when(pl.col("longer"))
            .then(pl.col("sequence") + pl.lit(SEPARATOR + MORE))
            .otherwise(pl.col("sequence"))
            .alias("sequence")
        )
        .join(data.query(f"SELECT person_id, {by} FROM cohorts"), on="person_id", how="left")
        .with_columns(pl.col(by).fill_null("unknown"))
        .select(by, "sequence")
    )
    return count_table(units, [by, "sequence"], [by, "sequence"])


def typical_journeys(counts: pl.DataFrame) -> pl.DataFrame:
    """by, sequence, count, cohort_size, share: for every cohort (and ``all``), its most
    common sequence among those shown (ties: the first in order), and its share (%) of
    the cohort's young people; a cohort with no sequence shown has a null sequence."""
    by = counts.columns[0]
    sizes = counts.filter(pl.col("sequence") == ALL).select(by, pl.col(COUNT).alias("cohort_size"))
    best = (
        counts.filter((pl.col("sequence") != ALL) & pl.col(COUNT).is_not_null())
        .sort([by, COUNT, "sequence"], descending=[False, True, False])
        .group_by(by, maintain_order=True)
        .first()
    )
    return (
        sizes.join(best, on=by, how="left")
        .with_columns(
            (100.0 * pl.col(COUNT) / pl.col("cohort_size")).alias("share"),
        )
        .select(by, "sequence", COUNT, "cohort_size", "share")
        .sort(by)
    )
