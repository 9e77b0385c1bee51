"""Where young people stop engaging.

A young person has *stopped* when they have not attended anything, with any partner, for
``gap_days`` (default :data:`DEFAULT_GAP_DAYS`) up to the last day the pool has
attendance for; otherwise they are still *attending*. Each is counted by the provision
category of their last attendance (the category they were last seen in) and by how many
sessions they had attended in all, in bands, so the backbone can see whether young people
drift away after a first session or after months, and from which kind of provision.
"""

from __future__ import annotations

import polars as pl

from needle.errors import NeedleInputError
from needle.journeys.data import COHORTS, JourneyData
from needle.journeys.tables import count_table

__all__ = ["ATTENDING", "DEFAULT_GAP_DAYS", "SESSION_BANDS", "STOPPED", "disengagement"]

DEFAULT_GAP_DAYS = 90  # a school term and its holiday without coming back
STOPPED = "stopped"
ATTENDING = "attending"
# Sessions attended in all: (label, fewest, most).
SESSION_BANDS = (("1", 1, 1), ("2-4", 2, 4), ("5-9", 5, 9), ("10+", 10, None))


def disengagement(
    data: JourneyData, gap_days: int = DEFAULT_GAP_DAYS, by: str | None = None
) -> pl.DataFrame:
    """engagement, last_category, sessions, count: young people who stopped (or are still
    attending) by the category of their last attendance and their sessions in all, with
    every margin; with ``by``, by, engagement, last_category, count instead."""
    if gap_days < 1:
        raise NeedleInputError("The gap must be at least 1 day (for example --gap-days 90).")
    if by is not None and by not in COHORTS:
        raise NeedleInputError(
            f"Disengagement cannot be broken down by {by!r}; use one of {', '.join(COHORTS)}."
        )
    bands = " ".join(
        f"WHEN n BETWEEN {low} AND {high} THEN '{label}'"
        if high is not None
        else f"WHEN n >= {low} THEN '{label}'"
        for label, low, high in SESSION_BANDS
    )
    group = f", COALESCE(c.{by}, 'unknown') AS {by}" if by else ""
    units = data.query(
        f"""WITH people AS (
            SELECT person_id, COUNT(*) AS n, MAX(session_date) AS last_date,
                ARG_MAX(category, (session_date, category)) AS last_category
            FROM visits GROUP BY person_id)
        SELECT CASE WHEN date_diff('day', p.last_date, (SELECT MAX(session_date) FROM visits))
                >= ? THEN '{STOPPED}' ELSE '{ATTENDING}' END AS engagement,
            p.last_category, CASE {bands} END AS sessions {group}
        FROM people p LEFT JOIN cohorts c USING (person_id)""",
        [gap_days],
    )
    # By a cohort, the sessions are left out: four dimensions of small groups would be
    # mostly suppressed (and slow to protect) at a city's size.
    keys = (
        [by, "engagement", "last_category"] if by else ["engagement", "last_category", "sessions"]
    )
    return count_table(units.select(keys), keys, keys)
