"""Referrals between partners, and in from and out to services outside the initiative.

Why: referral pathways are one of the main things a collective impact initiative wants
to see ("who gets passed on, and does it stick?"), and both sides of a referral are
recorded separately: direction "out" at the referrer and, usually (not always), the
matching "in" at the receiver, with the receiver's own status. The plan is made before
activity (a referral sets the earliest date a young person can start), and statuses are
filled in after it (started on the first session attended, and so on).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from needle.synth.calendar import age_on
from needle.synth.journeys import Window
from needle.synth.partners import EXTERNAL_IN, EXTERNAL_OUT, PARTNERS

REASONS = {
    "open_access_youth_club": "Isolated and wants somewhere to go after school",
    "detached_outreach": "Seen regularly in the park late at night",
    "mentoring": "Needs a trusted adult to talk to",
    "sport_physical_activity": "Wants to get active and meet people",
    "arts_culture": "Interested in music and drama",
    "employability_skills": "Wants help finding work or training",
    "mental_health_wellbeing": "Low mood and anxiety",
    "education_support": "Struggling with school work",
    "volunteering_social_action": "Wants to volunteer",
    "residential_outdoor": "Would benefit from time outdoors",
    "advice_information": "Family under pressure, needs support",
    "external": "Needs specialist support",
}

_P_INTERNAL = {"referral_only": 0.85, "both": 0.5, "open_access": 0.1}
_P_EXTERNAL = {"referral_only": 0.8, "both": 0.25, "open_access": 0.02}


def plan_referrals(
    rng: np.random.Generator,
    records: pl.DataFrame,
    memberships: pl.DataFrame,
    provisions: pl.DataFrame,
    window: Window,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The referrals, and the memberships updated (start dates, declined referrals removed)."""
    primary = (
        memberships.sort(["rid", "mid"]).group_by("rid", maintain_order=True).first()
        .join(provisions.select("prov_id", "access", "category"), on="prov_id")
        .select("rid", "prov_id", "access", "category")
    )  # fmt: skip
    r = records.join(primary, on="rid", how="inner").sort(["pid", "order"])
    r = r.with_columns(
        pl.col("rid").shift(1).over("pid").alias("from_rid"),
        pl.col("org_idx").shift(1).over("pid").alias("from_org_idx"),
        pl.col("elig_dob").shift(1).over("pid").alias("from_dob"),
    )
    n = r.height
    access = r["access"].to_numpy()
    refers = np.array([p.refers for p in PARTNERS])
    from_org = r["from_org_idx"].to_numpy()
    has_from = ~r["from_rid"].is_null().to_numpy()
    fresh = ~r["pre"].to_numpy()
    p_int = np.vectorize(_P_INTERNAL.get)(access) * np.where(
        has_from & refers[np.where(has_from, from_org, 0).astype(int)], 1.0, 0.5
    )
    internal = fresh & has_from & (rng.random(n) < p_int)
    external = fresh & ~internal & (rng.random(n) < np.vectorize(_P_EXTERNAL.get)(access))
    declined = (internal | external) & (rng.random(n) < 0.1)
    # A referrer whose own referral was declined never worked with the young person.
    declined_rids = set(r.filter(pl.Series(declined))["rid"].to_list())
    src_declined = np.isin(r["from_rid"].fill_null(-1).to_numpy(), list(declined_rids))
    external |= internal & src_declined
    internal &= ~src_declined

    q = r["start_q"].to_numpy()
    qs, qe = window.starts[q], window.ends[q]
    qlen = (qe - qs).astype(np.int64) + 1
    d_out = qs + np.floor(rng.random(n) * 0.55 * qlen).astype("timedelta64[D]")
    d_in = np.minimum(d_out + rng.integers(0, 5, n).astype("timedelta64[D]"), qe)
    start_after = d_in + rng.integers(2, 13, n).astype("timedelta64[D]")
    from_dob = r["from_dob"].to_numpy().astype("datetime64[D]")
    src_ok = (
        has_from
        & (age_on(np.where(has_from, from_dob, qs), qs) >= 5)
        & (age_on(np.where(has_from, from_dob, qs), qe) <= 25)
    )
    out_row = internal & src_ok
    in_row = (internal & (rng.random(n) < 0.86)) | external
    ext_names = np.array(EXTERNAL_IN, dtype=object)[rng.integers(0, len(EXTERNAL_IN), n)]
    ext_names = np.where(rng.random(n) < 0.1, None, ext_names)  # self-referrals

    keep = internal | external
    code = np.array([p.code for p in PARTNERS], dtype=object)
    refs = pl.DataFrame(
        {
            "pid": r["pid"].to_numpy(),
            "q": q,
            "from_rid": np.where(internal, r["from_rid"].fill_null(-1).to_numpy(), -1),
            "to_rid": r["rid"].to_numpy(),
            "from_org": _str(
                np.where(internal, code[np.where(has_from, from_org, 0).astype(int)], None)
            ),
            "to_org": _str(code[r["org_idx"].to_numpy()]),
            "external": _str(np.where(external, ext_names, None)),
            "d_out": d_out,
            "d_in": d_in,
            "start_after": start_after,
            "declined": declined,
            "out_row": out_row,
            "in_row": in_row,
            "to_prov_id": r["prov_id"].to_numpy(),
            "reason": _str(np.vectorize(REASONS.get)(r["category"].to_numpy())),
        }
    ).filter(pl.Series(keep))
    refs = pl.concat(
        [refs, _external_out(rng, records, memberships, window)], how="diagonal_relaxed"
    )
    refs = refs.with_columns(
        pl.col("from_rid").replace(-1, None),
        pl.col("d_out").cast(pl.Date),
        pl.col("d_in").cast(pl.Date),
        pl.col("start_after").cast(pl.Date),
    )

    starts = refs.filter(pl.col("in_row") | pl.col("out_row")).select(
        pl.col("to_rid").alias("rid"), "start_after", pl.col("q").alias("start_q")
    )
    gone = set(refs.filter(pl.col("declined"))["to_rid"].to_list())
    m = memberships.filter(~pl.col("rid").is_in(list(gone)))
    m = m.join(starts, on=["rid", "start_q"], how="left")
    return refs.with_row_index("ref_id"), m


def _external_out(
    rng: np.random.Generator, records: pl.DataFrame, memberships: pl.DataFrame, window: Window
) -> pl.DataFrame:
    """Referrals out of the initiative (CAMHS, Jobcentre Plus...), from partners that refer."""
    refers = [p.code for p in PARTNERS if p.refers]
    span = memberships.group_by("rid").agg(pl.col("start_q").min(), pl.col("end_q").max())
    r = records.filter(pl.col("org").is_in(refers)).join(span, on="rid", how="inner")
    r = r.filter(pl.Series(rng.random(r.height) < 0.07))
    n = r.height
    lo, hi = r["start_q"].to_numpy(), r["end_q"].to_numpy()
    q = lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)
    qs, qe = window.starts[q], window.ends[q]
    dob = r["elig_dob"].to_numpy().astype("datetime64[D]")
    ok = (age_on(dob, qs) >= 5) & (age_on(dob, qe) <= 25)
    qlen = (qe - qs).astype(np.int64) + 1
    d_out = qs + np.floor(rng.random(n) * qlen).astype("timedelta64[D]")
    return pl.DataFrame(
        {
            "pid": r["pid"].to_numpy(),
            "q": q,
            "from_rid": r["rid"].to_numpy(),
            "to_rid": np.full(n, -1),
            "from_org": _str(r["org"].to_numpy()),
            "to_org": _str(np.full(n, None, dtype=object)),
            "external": _str(
                np.array(EXTERNAL_OUT, dtype=object)[rng.integers(0, len(EXTERNAL_OUT), n)]
            ),
            "d_out": d_out,
            "d_in": d_out,
            "start_after": d_out,
            "declined": np.zeros(n, dtype=bool),
            "out_row": ok,
            "in_row": np.zeros(n, dtype=bool),
            "to_prov_id": np.full(n, -1),
            "reason": _str(np.full(n, REASONS["external"], dtype=object)),
        }
    ).filter(pl.col("out_row"))


def _str(values: np.ndarray) -> pl.Series:
    return pl.Series(values.tolist(), dtype=pl.String)


def referral_rows(
    rng: np.random.Generator,
    refs: pl.DataFrame,
    attendance: pl.DataFrame,
    memberships: pl.DataFrame,
    window: Window,
) -> pl.DataFrame:
    """The rows each side records: (org, q, rid, direction, partner_org, dates, status)."""
    first = attendance.group_by(["rid", "q"]).agg(
        pl.col("date").min().alias("first_seen"), pl.len().alias("n_seen")
    )
    ends = memberships.group_by("rid").agg(pl.col("end_q").max().alias("end_q"))
    x = refs.join(first, left_on=["to_rid", "q"], right_on=["rid", "q"], how="left").join(
        ends, left_on="to_rid", right_on="rid", how="left"
    )
    n = x.height
    qe = pl.Series(window.ends[x["q"].to_numpy()]).cast(pl.Date)
    lag = pl.Series(rng.integers(1, 10, n)).cast(pl.Int64)
    later = pl.min_horizontal(pl.col("d_in") + pl.duration(days=lag), qe)
    x = x.with_columns(
        pl.when(pl.col("declined")).then(pl.lit("declined"))
        .when(pl.col("first_seen").is_null()).then(pl.lit("accepted"))
        .when((pl.col("end_q") == pl.col("q")) & (pl.col("n_seen") >= 3)).then(pl.lit("completed"))
        .otherwise(pl.lit("started")).alias("in_status"),
        pl.when(pl.col("declined") | pl.col("first_seen").is_null()).then(later)
        .otherwise(pl.col("first_seen")).alias("in_status_date"),
    )  # fmt: skip
    external_status = pl.when(pl.Series(rng.random(n) < 0.6)).then(pl.lit("made"))
    x = x.with_columns(
        pl.when(pl.col("to_rid") < 0)
        .then(external_status.otherwise(pl.lit("accepted")))
        .when(pl.Series(rng.random(n) < 0.45)).then(pl.lit("made"))
        .otherwise(pl.col("in_status")).alias("out_status"),
    )  # fmt: skip
    x = x.with_columns(
        pl.when(pl.col("out_status") == "made").then(pl.col("d_out"))
        .when(pl.col("to_rid") < 0).then(later)
        .otherwise(pl.col("in_status_date")).alias("out_status_date")
    )  # fmt: skip
    outs = x.filter(pl.col("out_row")).select(
        pl.col("from_org").alias("org"), "q", pl.col("from_rid").alias("rid"),
        pl.lit("out").alias("direction"),
        pl.coalesce(pl.col("to_org"), pl.col("external")).alias("partner_org"),
        pl.lit(None, dtype=pl.Int64).alias("prov_id"),
        pl.col("d_out").alias("referred_on"), "reason",
        pl.col("out_status").alias("status"), pl.col("out_status_date").alias("status_date"),
    )  # fmt: skip
    ins = x.filter(pl.col("in_row")).select(
        pl.col("to_org").alias("org"), "q", pl.col("to_rid").alias("rid"),
        pl.lit("in").alias("direction"),
        pl.coalesce(pl.col("from_org"), pl.col("external")).alias("partner_org"),
        pl.col("to_prov_id").alias("prov_id"),
        pl.col("d_in").alias("referred_on"), "reason",
        pl.col("in_status").alias("status"), pl.col("in_status_date").alias("status_date"),
    )  # fmt: skip
    return pl.concat([outs, ins]).sort(["org", "referred_on", "rid", "direction"])
