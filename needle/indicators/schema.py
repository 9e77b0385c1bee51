"""What an indicator result is: the long results table, breakdown dimensions, audiences.

Every module of the indicators package (the engine, disclosure control, peer benchmarks,
exports, the HTML summary, later the web app) speaks this one table shape, so each can be
tested on a small hand-made frame without the others.

A result row is one number of one indicator for one group of one breakdown in one period:

====================  ===============================================================
``indicator``         the indicator's id (``reach``)
``period``            a period label (``2025-Q1``), or ``all`` for every period pooled
``breakdown``         ``""`` for the headline number, else a dimension name (``ward``)
``group``             ``""`` for the headline number, else the group's code; people or
                      events with no value for the dimension are in group ``unknown``, so
                      the groups of a partitioning dimension always add up to the headline
``value``             the number shown: a count, a percentage, a mean, a ratio, days
``numerator``         for rates and shares; for counts, the count itself
``denominator``       for rates and shares; null otherwise
``n``                 how many units (young people, sessions, referrals, pairs) the value
                      rests on: what disclosure control looks at
``lower``, ``upper``  a 95% confidence interval where the indicator has one
====================  ===============================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

ALL_PERIODS = "all"
HEADLINE = ""
UNKNOWN = "unknown"

RESULT_SCHEMA: dict[str, pl.DataType] = {
    "indicator": pl.String(),
    "period": pl.String(),
    "breakdown": pl.String(),
    "group": pl.String(),
    "value": pl.Float64(),
    "numerator": pl.Float64(),
    "denominator": pl.Float64(),
    "n": pl.Int64(),
    "lower": pl.Float64(),
    "upper": pl.Float64(),
}
RESULT_KEY = ("indicator", "period", "breakdown", "group")

# Who a result is shown to. The backbone owns the data and sees every number; the others
# see numbers protected for them (needle.indicators.disclosure).
AUDIENCES = ("backbone", "partner", "steering_group", "public")

# How a protected result says what happened to it.
PUBLISHED = "published"
SUPPRESSED_SMALL = "suppressed_small"  # fewer than the threshold
SUPPRESSED_SECONDARY = "suppressed_secondary"  # would let a small cell be worked out
SUPPRESSED_DENOMINATOR = "suppressed_denominator"  # a rate on too few
# What every audience but the backbone sees instead of the three reasons above: saying
# which hidden cells are the small ones would narrow them down.
SUPPRESSED = "suppressed"


@dataclass(frozen=True)
class Dimension:
    """A breakdown.

    ``person`` dimensions describe a young person (one value per person per period, so
    their groups partition the young people counted in a period); the others describe the
    activity (a session's partner or provision category), so one young person can be in
    several of their groups. ``parent`` names a coarser dimension whose groups are unions
    of this one's (``ethnicity`` within ``ethnicity_group``), declared so that disclosure
    control knows the two tables constrain each other.
    """

    name: str
    title: str
    person: bool
    parent: str | None = None


DIMENSIONS: dict[str, Dimension] = {
    d.name: d
    for d in (
        Dimension("period", "Period", person=False),
        Dimension("partner", "Partner", person=False),
        Dimension("provision_category", "Provision category", person=False),
        Dimension("ward", "Ward", person=True),
        Dimension("local_authority", "Local authority", person=True),
        Dimension("age_band", "Age band", person=True),
        Dimension("gender", "Gender", person=True),
        Dimension("ethnicity_group", "Ethnic group (5 groups)", person=True),
        Dimension("ethnicity", "Ethnic group (19 groups)", person=True, parent="ethnicity_group"),
        Dimension("imd_quintile", "Deprivation (IMD quintile)", person=True),
        Dimension("imd_decile", "Deprivation (IMD decile)", person=True, parent="imd_quintile"),
        Dimension("send", "Special educational needs", person=True),
        Dimension("free_school_meals", "Free school meals", person=True),
        Dimension("care_experienced", "Care experienced", person=True),
    )
}

# Age bands used across the youth sector: under 11s are unusual, 11-15 secondary school,
# 16-18 the participation age, 19-25 young adults (and care leavers, SEND to 25).
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("0-10", 0, 10),
    ("11-15", 11, 15),
    ("16-18", 16, 18),
    ("19-25", 19, 25),
    ("26+", 26, 200),
)


def empty_results() -> pl.DataFrame:
    return pl.DataFrame(schema=RESULT_SCHEMA)


def conform(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with exactly the result columns, in order and with their types (missing
    optional columns are null)."""
    missing = [c for c in RESULT_KEY if c not in frame.columns]
    if missing:
        raise ValueError(f"result rows need {', '.join(missing)}")
    return frame.select(
        (pl.col(c) if c in frame.columns else pl.lit(None)).cast(t).alias(c)
        for c, t in RESULT_SCHEMA.items()
    )
