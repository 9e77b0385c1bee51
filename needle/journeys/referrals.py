"""Referral funnels and the wait from referral to first attendance.

A referral row says how far the referral has got (its current ``status``): made,
accepted, started or completed, or declined or closed on the way. Each referral is
counted once: from the referring partner's record (``direction`` out), and from the
receiving partner's only when the referrer is not a partner of the initiative (a school,
a GP), whose records are not in the pool. The funnel stages are cumulative (a started
referral was accepted), so the table kept and protected is the additive one, referrals
by how far they got (:func:`referral_outcomes`), and the stages are added up from it
afterwards (:func:`funnel`): a stage is shown only when every part of it is.

The wait is the days from a referral to the young person's first attendance at the
receiving partner (at the provision the referral names, when it names one) on or after
the day of the referral, for referrals to partners of the initiative. It needs linkage:
without it, a young person referred to another partner is a different person there.
"""

from __future__ import annotations

import polars as pl

from needle.errors import NeedleInputError
from needle.journeys.data import COHORTS, JourneyData
from needle.journeys.tables import ALL, COUNT, count_table

__all__ = [
    "FUNNEL_BY",
    "OUTCOMES",
    "STAGES",
    "funnel",
    "referral_outcomes",
    "referral_units",
    "referral_waits",
]

# How far a referral got, in the order shown; the funnel's stages and the outcomes each
# adds up.
OUTCOMES = ("made", "accepted", "started", "completed", "declined", "closed")
STAGES: dict[str, tuple[str, ...]] = {
    "made": (ALL,),
    "accepted": ("accepted", "started", "completed"),
    "started": ("started", "completed"),
    "completed": ("completed",),
}
FUNNEL_BY = {"partner": "Referring partner", "receiver": "Receiving organisation", **COHORTS}


def referral_units(data: JourneyData, by: str | None = None) -> pl.DataFrame:
    """One row per referral counted (see the module): person_id, org, receiver,
    provision_ref, referred_on, outcome and, with ``by``, the group."""
    _check_by(by)
    orgs = list(data.orgs) or [""]
    marks = ", ".join("?" for _ in orgs)
    rows = data.query(
        f"""SELECT r.person_id, r.org,
            CASE WHEN r.direction = 'out' THEN r.partner_org ELSE r.org END AS receiver,
            r.provision_ref, r.referred_on, COALESCE(r.status, 'made') AS outcome,
            c.* EXCLUDE (person_id)
        FROM referrals r LEFT JOIN cohorts c USING (person_id)
        WHERE r.direction = 'out'
            OR (r.direction = 'in' AND COALESCE(r.partner_org, '') NOT IN ({marks}))""",
        orgs,
    )
    if by == "partner":
        rows = rows.with_columns(pl.col("org").alias("partner"))
    return rows.with_columns(pl.col(c).fill_null("unknown") for c in COHORTS if c in rows.columns)


def referral_outcomes(data: JourneyData, by: str | None = None) -> pl.DataFrame:
    """[by,] outcome, count: referrals by how far they got, with margins (outcome
    ``all`` is every referral made)."""
    keys = [*([by] if by else []), "outcome"]
    units = referral_units(data, by).select(keys)
    return count_table(units, keys, keys)


def funnel(outcomes: pl.DataFrame) -> pl.DataFrame:
    """[by,] stage, count, rate: the funnel from a (protected or not) outcomes table.

    A stage's count is the sum of its outcomes, shown only when every one of them is
    (an outcome absent from the table is 0); ``rate`` is the percentage of referrals
    made that reached the stage."""
    groups = [c for c in outcomes.columns[: outcomes.columns.index(COUNT)] if c != "outcome"]
    rows = []
    for key, part in outcomes.group_by(groups, maintain_order=True) if groups else [((), outcomes)]:
        counts = dict(zip(part["outcome"], part[COUNT], strict=True))
        made = counts.get(ALL)
        group = dict(zip(groups, key if isinstance(key, tuple) else (key,), strict=True))
        for stage, parts in STAGES.items():
            values = [counts.get(p, 0) for p in parts]
            count = None if any(v is None for v in values) else sum(values)
            rate = 100.0 * count / made if count is not None and made else None
            rows.append({**group, "stage": stage, COUNT: count, "rate": rate})
    schema = {
        **{g: pl.String for g in groups},
        "stage": pl.String,
        COUNT: pl.Int64,
        "rate": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema)


def referral_waits(data: JourneyData, by: str | None = None) -> pl.DataFrame:
    """[by,] count, median, q1, q3: days from referral to first attendance at the
    receiving partner, for the referrals followed by one (``count``), with the ``all``
    margin over the groups."""
    units = referral_units(data, by)
    visits = data.query("SELECT person_id, org, provision_ref, session_date FROM visits")
    joined = (
        units.with_row_index("_referral")
        .join(
            visits.rename({"org": "receiver", "provision_ref": "_visit_provision"}),
            on=["person_id", "receiver"],
            how="inner",
        )
        .filter(
            (pl.col("session_date") >= pl.col("referred_on"))
            & (
                pl.col("provision_ref").is_null()
                | (pl.col("provision_ref") == pl.col("_visit_provision"))
            )
        )
        .group_by("_referral")
        .agg(
            *([pl.col(by).first()] if by else []),
            (pl.col("session_date").min() - pl.col("referred_on").first())
            .dt.total_days()
            .alias("days"),
        )
    )
    keys = [by] if by else []
    frames = []
    for merged in [False, True] if by else [False]:
        rows = joined.with_columns(pl.lit(ALL).alias(by)) if merged else joined
        frames.append(_quartiles(rows, keys))
    out = pl.concat(frames)
    return out.sort(keys) if keys else out


def _quartiles(rows: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    days = pl.col("days").cast(pl.Float64)
    stats = [
        pl.len().cast(pl.Int64).alias(COUNT),
        days.median().alias("median"),
        days.quantile(0.25, "linear").alias("q1"),
        days.quantile(0.75, "linear").alias("q3"),
    ]
    if keys:
        return rows.group_by(keys).agg(stats).cast({k: pl.String for k in keys})
    if rows.height == 0:
        return pl.DataFrame(
            {COUNT: [0], "median": [None], "q1": [None], "q3": [None]},
            schema={COUNT: pl.Int64, "median": pl.Float64, "q1": pl.Float64, "q3": pl.Float64},
        )
    return rows.select(stats)


def _check_by(by: str | None) -> None:
    if by is not None and by not in FUNNEL_BY:
        raise NeedleInputError(
            f"Referrals cannot be broken down by {by!r}; use one of {', '.join(FUNNEL_BY)}."
        )
