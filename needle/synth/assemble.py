"""Cut the initiative into submissions: one organisation x one quarter, in the standard's shape.

Why: the generator thinks in people, records and memberships; partners send tables. This
module is the only place that knows the standard's column names, so a change to the
standard shows up here and nowhere else. A submission lists the young people the
organisation worked with in the quarter (anyone attended, measured, referred or with a
milestone), its provisions running that quarter and that quarter's activity, with the
organisation's own refs, column choices and code-or-label habits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from needle.periods import Period
from needle.standard import load_standard
from needle.synth.calendar import age_on
from needle.synth.journeys import Window
from needle.synth.partners import PARTNERS, Partner
from needle.synth.people import education_status

ENTITIES = tuple(load_standard().entities)  # in the standard's order


@dataclass
class Submission:
    """One organisation's return for one quarter: typed tables in the standard's columns."""

    org: Partner
    period: Period
    q: int
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.org.code}_{self.period.label}"


@dataclass(frozen=True)
class World:
    """Everything generated, before it is cut into submissions."""

    people: pl.DataFrame
    records: pl.DataFrame
    memberships: pl.DataFrame
    provisions: pl.DataFrame
    sessions: pl.DataFrame
    attendance: pl.DataFrame
    measurements: pl.DataFrame
    referrals: pl.DataFrame
    milestones: pl.DataFrame


def columns(entity: str) -> list[str]:
    return list(load_standard().entities[entity].columns)


def submissions(world: World, window: Window) -> list[Submission]:
    """Every clean submission, in organisation then period order."""
    recs = _record_columns(world)
    refs = _referral_refs(world.referrals)
    ses = world.sessions.join(world.provisions.select("prov_id", "provision_ref"), on="prov_id")
    att = world.attendance.join(ses.select("sid", "session_ref"), on="sid").join(
        recs.select("rid", "person_ref"), on="rid"
    )
    parts = {
        name: frame.partition_by(["org", "q"], as_dict=True)
        for name, frame in (
            ("sessions", ses), ("attendance", att), ("measurements", world.measurements),
            ("referrals", refs), ("milestones", world.milestones),
        )
    }  # fmt: skip
    out = []
    for org in PARTNERS:
        for q in range(org.first_period, len(window)):
            key = (org.code, q)
            got = {name: p.get(key) for name, p in parts.items()}
            sub = _one(org, q, window, world, recs, got)
            if sub is not None:
                out.append(sub)
    return out


def _empty(entity: str) -> pl.DataFrame:
    return pl.DataFrame(
        {c: [] for c in columns(entity)}, schema={c: pl.String for c in columns(entity)}
    )


def _one(
    org: Partner,
    q: int,
    window: Window,
    world: World,
    recs: pl.DataFrame,
    got: dict[str, pl.DataFrame | None],
) -> Submission | None:
    if got["sessions"] is None:
        return None
    period = window.periods[q]
    rids: set[int] = set()
    for name in ("attendance", "measurements", "referrals", "milestones"):
        if got[name] is not None:
            rids.update(got[name]["rid"].to_list())
    yp = recs.filter(pl.col("rid").is_in(sorted(rids)))
    status = education_status(
        age_on(yp["elig_dob"].to_numpy().astype("datetime64[D]"), np.datetime64(period.start)),
        yp["neet_u"].to_numpy(),
    )
    yp = yp.with_columns(
        pl.when(pl.col("edu_unknown")).then(pl.lit("not_known"))
        .otherwise(pl.Series(status)).alias("education_employment_status")
    ).sort("person_ref")  # fmt: skip
    young_people = yp.select(
        "person_ref",
        pl.col("rec_given").alias("given_name"),
        pl.col("rec_family").alias("family_name"),
        pl.col("rec_dob").alias("date_of_birth"),
        pl.col("rec_postcode").alias("postcode"),
        pl.col("rec_gender").alias("gender"),
        pl.col("rec_ethnicity").alias("ethnicity"),
        pl.col("rec_disability").alias("disability"),
        pl.col("rec_send").alias("send"),
        pl.col("rec_fsm").alias("free_school_meals"),
        pl.col("rec_care").alias("care_experienced"),
        pl.col("rec_carer").alias("young_carer"),
        "education_employment_status",
        "first_contact_date",
        pl.col("consent").alias("consent_to_share"),
    ).select(list(org.young_people_columns))

    prov = world.provisions.filter(
        (pl.col("org") == org.code) & (pl.col("first_q") <= q) & (pl.col("last_q") >= q)
    ).select(columns("provisions"))
    ses = got["sessions"].sort(["session_date", "start_time", "session_ref"])
    order = ses.select("sid").with_row_index("_o")
    attended = got["attendance"]
    if attended is None:  # sessions nobody attended by name (detached work, small scales)
        attended = pl.DataFrame(
            schema={"sid": pl.Int64, "session_ref": pl.String, "person_ref": pl.String}
        )
    att = attended.join(order, on="sid").sort(["_o", "person_ref"]).select(columns("attendance"))
    tables = {
        "young_people": young_people,
        "provisions": prov,
        "sessions": ses.select(columns("sessions")),
        "attendance": att,
    }
    ref_of = recs.select("rid", "person_ref")
    if got["measurements"] is not None:
        tables["measurements"] = (
            got["measurements"].join(ref_of, on="rid").select(columns("measurements"))
        )
    if got["referrals"] is not None:
        r = (
            got["referrals"]
            .join(ref_of, on="rid")
            .join(world.provisions.select("prov_id", "provision_ref"), on="prov_id", how="left")
        )
        tables["referrals"] = r.sort("referral_ref").select(columns("referrals"))
    if got["milestones"] is not None:
        tables["milestones"] = (
            got["milestones"].join(ref_of, on="rid").select(columns("milestones"))
        )
    for entity, dropped in org.omit.items():
        if entity in tables:
            tables[entity] = tables[entity].drop(
                [c for c in dropped if c in tables[entity].columns]
            )
    if org.labels:
        tables = {name: to_labels(name, t) for name, t in tables.items()}
    if org.fmt == "xlsx":  # workbooks come from the template: every sheet is there
        for entity in ENTITIES:
            if entity not in tables:
                keep = [c for c in columns(entity) if c not in org.omit.get(entity, ())]
                tables[entity] = _empty(entity).select(keep)
    return Submission(
        org=org, period=period, q=q, tables={e: tables[e] for e in ENTITIES if e in tables}
    )


def _record_columns(world: World) -> pl.DataFrame:
    """Per record: first contact date, and whether its status is left unknown."""
    events = (
        pl.concat(
            [
                world.attendance.select("rid", "date"),
                world.referrals.select("rid", pl.col("referred_on").alias("date")),
                world.measurements.select("rid", pl.col("administered_on").alias("date")),
            ]
        )
        .group_by("rid")
        .agg(pl.col("date").min().alias("first_event"))
    )
    recs = world.records.join(events, on="rid", how="left").join(
        world.people.select("pid", "neet_u"), on="pid"
    )
    unknown = (recs["rid"].to_numpy() * 2654435761 % 1000) < 80  # stable 8% "not known"
    return recs.with_columns(
        pl.coalesce("pre_contact", "first_event").alias("first_contact_date"),
        pl.Series("edu_unknown", unknown),
    )


def _referral_refs(rows: pl.DataFrame) -> pl.DataFrame:
    fmt = {p.code: p.referral_ref for p in PARTNERS}
    rows = rows.sort(["org", "q", "referred_on", "rid", "direction"]).with_columns(
        (pl.int_range(pl.len()).over("org") + 1).alias("_n")
    )
    refs = [
        fmt[o].format(n=k) for o, k in zip(rows["org"].to_list(), rows["_n"].to_list(), strict=True)
    ]
    return rows.with_columns(pl.Series("referral_ref", refs)).drop("_n")


def to_labels(entity: str, table: pl.DataFrame) -> pl.DataFrame:
    """Codes -> the labels a partner picks from the template's drop-down lists."""
    std = load_standard()
    ent = std.entities[entity]
    exprs = []
    for col in table.columns:
        c = ent.columns[col]
        if c.type == "code" and c.codelist:
            mapping = {code.code: code.label for code in std.codelists[c.codelist].codes}
            exprs.append(pl.col(col).replace(mapping))
    return table.with_columns(exprs) if exprs else table
