"""Pathways: how young people move between provision categories over time (a Sankey).

Each young person's *sequence* is the provision categories they attended, in the order
they first attended each (ties on the same day in code order), each category once: a
young person who went to a youth club, then mentoring, then back to the youth club has
the sequence youth club -> mentoring. The flows count, for each step, how many young
people went from one category to the next; a sequence that ends goes to :data:`END`, and
one longer than ``max_steps`` goes to :data:`MORE` at the last step shown, so the flows
out of a category at a step always add up to the young people there.
"""

from __future__ import annotations

import polars as pl

from needle.journeys.data import JourneyData
from needle.journeys.tables import count_table

__all__ = ["DEFAULT_STEPS", "END", "MORE", "pathways", "sequences"]

DEFAULT_STEPS = 4
END = "end"  # no further category
MORE = "more"  # further categories, beyond the steps shown


def sequences(data: JourneyData, max_steps: int = DEFAULT_STEPS) -> pl.DataFrame:
    """person_id, step (1, 2, ...), category: each young person's categories in the order
    first attended, up to ``max_steps``, and ``longer`` (more categories followed)."""
    if max_steps < 1:
        raise ValueError("max_steps must be 1 or more")
    return data.query(
        """WITH firsts AS (
            SELECT person_id, category, MIN(session_date) AS first_date
            FROM visits GROUP BY person_id, category),
        ordered AS (
            SELECT person_id, category,
                ROW_NUMBER() OVER (PARTITION BY person_id ORDER BY first_date, category)
                    AS step,
                COUNT(*) OVER (PARTITION BY person_id) AS categories
            FROM firsts)
        SELECT person_id, CAST(step AS INTEGER) AS step, category,
            categories > ? AS longer
        FROM ordered WHERE step <= ? ORDER BY person_id, step""",
        [max_steps, max_steps],
    )


def pathways(data: JourneyData, max_steps: int = DEFAULT_STEPS) -> pl.DataFrame:
    """step, source, target, count: young people going from ``source`` (their category
    at ``step``) to ``target`` (at the next step, :data:`END` or :data:`MORE`), with the
    margins: ``target`` ``all`` is everyone at ``source`` at that step, ``source``
    ``all`` everyone arriving at ``target``."""
    seq = sequences(data, max_steps)
    following = seq.select(
        "person_id", (pl.col("step") - 1).alias("step"), pl.col("category").alias("target")
    )
    units = (
        seq.join(following, on=["person_id", "step"], how="left")
        .with_columns(
            pl.when(pl.col("target").is_not_null())
            .then(pl.col("target"))
            .when(pl.col("longer") & (pl.col("step") == max_steps))
            .then(pl.lit(MORE))
            .otherwise(pl.lit(END))
            .alias("target")
        )
        .select("step", pl.col("category").alias("source"), "target")
    )
    return count_table(units, ["step", "source", "target"], ["source", "target"])
