"""Which organisations know each young person, when, and at which provisions.

Why: the hard cases for linkage and for "unique young people reached" come from the same
person being known to several partners at overlapping or successive times. Young people
in deprived areas, in care, caring, with SEND, low wellbeing or NEET are known to more
organisations (1 to 4), and usually meet an open-access or council service first and
are then referred on. Everything is vectorised over records; loops run per organisation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from needle.periods import Period
from needle.synth.calendar import age_on
from needle.synth.partners import PARTNERS
from needle.synth.people import education_status


@dataclass(frozen=True)
class Window:
    """The reporting quarters as arrays, for vectorised date arithmetic."""

    periods: list[Period]

    @property
    def starts(self) -> np.ndarray:
        return np.array([np.datetime64(p.start) for p in self.periods])

    @property
    def ends(self) -> np.ndarray:
        return np.array([np.datetime64(p.end) for p in self.periods])

    def __len__(self) -> int:
        return len(self.periods)


def person_flags(people: pl.DataFrame, window: Window) -> dict[str, np.ndarray]:
    """The circumstances that make an organisation more likely to know someone."""
    dob = people["date_of_birth"].to_numpy()
    first = window.starts[people["first_q"].to_numpy()]
    status = education_status(age_on(dob, first), people["neet_u"].to_numpy())
    return {
        "deprived": people["imd_decile"].to_numpy() <= 3,
        "neet": status == "neet",
        "care": people["care_experienced"].to_numpy(),
        "carer": people["young_carer"].to_numpy(),
        "send": people["send"].to_numpy() != "none",
        "low_wellbeing": people["wellbeing"].to_numpy() < -0.8,
        "gender_diverse": np.isin(people["gender"].to_numpy(), ["non_binary", "other"]),
    }


def assign_records(rng: np.random.Generator, people: pl.DataFrame, window: Window) -> pl.DataFrame:
    """One row per (young person, organisation): when the organisation first knows them."""
    n = people.height
    flags = person_flags(people, window)
    dob = people["date_of_birth"].to_numpy()
    fq = people["first_q"].to_numpy()
    a0 = age_on(dob, window.starts[fq])
    a1 = age_on(dob, window.ends[fq])

    weights = np.zeros((n, len(PARTNERS)))
    for j, org in enumerate(PARTNERS):
        fits = np.zeros(n, dtype=bool)
        for spec in org.provisions:
            if not spec.secondary:
                fits |= (a0 >= spec.min_age) & (a1 <= spec.max_age)
        w = np.full(n, org.reach) * fits
        for attr, mult in org.affinity.items():
            w = w * np.where(flags[attr], mult, 1.0)
        if org.requires:
            w = w * flags[org.requires]
        if org.first_period > 0:
            w = w * 0.7
        weights[:, j] = w

    need = sum(
        flags[k].astype(float)
        for k in ("deprived", "care", "carer", "send", "low_wellbeing", "neet")
    )
    pi = np.minimum(0.09 + 0.07 * need, 0.45)
    k = 1 + rng.binomial(3, pi)
    k = np.minimum(k, (weights > 0).sum(axis=1))
    with np.errstate(divide="ignore"):
        keys = np.log(weights) + rng.gumbel(size=weights.shape)
    order = np.argsort(-keys, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(len(PARTNERS))[None, :], axis=1)
    chosen = (rank < k[:, None]) & (weights > 0)
    pid, org_idx = np.nonzero(chosen)

    entry = np.array([p.entry_rank for p in PARTNERS])[org_idx] + rng.random(pid.size) * 3
    rec = pl.DataFrame({"pid": pid, "org_idx": org_idx, "entry": entry}).sort(["pid", "entry"])
    rec = rec.with_columns(pl.int_range(pl.len()).over("pid").alias("order"))
    offset = rng.geometric(0.45, size=rec.height) - 1
    rec = rec.with_columns(pl.Series("offset", offset)).with_columns(
        pl.when(pl.col("order") == 0)
        .then(0)
        .otherwise(pl.col("offset"))
        .cum_sum()
        .over("pid")
        .alias("offset")
    )
    first_period = np.array([p.first_period for p in PARTNERS])
    start = fq[rec["pid"].to_numpy()] + rec["offset"].to_numpy()
    start = np.maximum(start, first_period[rec["org_idx"].to_numpy()])
    mean_stay = np.array([p.duration for p in PARTNERS])[rec["org_idx"].to_numpy()]
    stay = rng.geometric(1.0 / mean_stay)
    pre = (rec["order"].to_numpy() == 0) & (start == 0) & (rng.random(rec.height) < 0.5)
    rec = rec.with_columns(
        pl.Series("start_q", start), pl.Series("stay", stay), pl.Series("pre", pre)
    ).filter(pl.col("start_q") < len(window))
    return (
        rec.drop("entry", "offset")
        .with_columns(
            pl.col("org_idx")
            .replace_strict(dict(enumerate(p.code for p in PARTNERS)), return_dtype=pl.String)
            .alias("org")
        )
        .with_row_index("rid")
        .with_columns(pl.col("rid").cast(pl.Int64))
    )


def assign_memberships(
    rng: np.random.Generator,
    records: pl.DataFrame,
    people: pl.DataFrame,
    provisions: pl.DataFrame,
    window: Window,
) -> pl.DataFrame:
    """Place each record at a provision (and sometimes a holiday programme too).

    A record goes to a provision whose age range fits the age the organisation has
    recorded, near where the young person lives. Records that fit nowhere are dropped.
    """
    lon = people["lon"].to_numpy()
    lat = people["lat"].to_numpy()
    out = []
    for j, org in enumerate(PARTNERS):
        r = records.filter(pl.col("org_idx") == j)
        if r.height == 0:
            continue
        prov = provisions.filter(pl.col("org") == org.code)
        dob = r["elig_dob"].to_numpy()
        q = r["start_q"].to_numpy()
        a0 = age_on(dob, window.starts[q])
        a1 = age_on(dob, window.ends[q])
        pid = r["pid"].to_numpy()
        dist = (
            np.hypot(
                (lon[pid, None] - prov["lon"].to_numpy()[None, :]) * 0.6,
                lat[pid, None] - prov["lat"].to_numpy()[None, :],
            )
            * 111.0
        )  # km
        fits = (
            (a0[:, None] >= prov["min_age"].to_numpy()[None, :])
            & (a1[:, None] <= prov["max_age"].to_numpy()[None, :])
            & (prov["first_q"].to_numpy()[None, :] <= q[:, None])
            & (prov["last_q"].to_numpy()[None, :] >= q[:, None])
        )
        near = np.exp(-dist / 2.0) + 0.02
        secondary = prov["secondary"].to_numpy()
        w = fits * near * prov["share"].to_numpy()[None, :]
        primary_w = w * ~secondary[None, :]
        ok = primary_w.sum(axis=1) > 0
        choice = _categorical(rng, primary_w[ok])
        last = len(window) - 1
        rows = [_membership(rng, r.filter(pl.Series(ok)), prov, choice, last)]
        if secondary.any():
            sec_w = w[ok] * secondary[None, :]
            want = (sec_w.sum(axis=1) > 0) & (rng.random(ok.sum()) < 0.35)
            want &= prov["style"].to_numpy()[choice] == "group"
            if want.any():
                pick = _categorical(rng, sec_w[want])
                placed = r.filter(pl.Series(ok)).filter(pl.Series(want))
                rows.append(_membership(rng, placed, prov, pick, last))
        out.extend(rows)
    m = pl.concat(out).sort(["rid", "prov_id"])
    # Records whose first quarter holds no membership fall away.
    return m.with_row_index("mid").with_columns(pl.col("mid").cast(pl.Int64))


def _membership(
    rng: np.random.Generator, r: pl.DataFrame, prov: pl.DataFrame, choice: np.ndarray, last: int
) -> pl.DataFrame:
    """Engagement tier (0 once, 1 occasional, 2 core), quarters and attendance propensity."""
    tiers = prov.select("t0", "t1", "t2").to_numpy()[choice]
    tier = _categorical(rng, tiers)
    pre = r["pre"].to_numpy()
    tier = np.where(pre & (tier == 0), 1, tier)
    start = r["start_q"].to_numpy()
    end = np.where(tier == 0, start, np.minimum(start + r["stay"].to_numpy() - 1, last))
    propensity = np.select(
        [tier == 0, tier == 1], [0.0, rng.beta(2.0, 6.0, tier.size)], rng.beta(6.0, 2.0, tier.size)
    )
    return pl.DataFrame(
        {
            "rid": r["rid"].to_numpy(),
            "prov_id": prov["prov_id"].to_numpy()[choice],
            "tier": tier.astype(np.int64),
            "start_q": start,
            "end_q": end,
            "propensity": propensity,
        }
    )


def _categorical(rng: np.random.Generator, w: np.ndarray) -> np.ndarray:
    p = w / w.sum(axis=1, keepdims=True)
    u = rng.random(p.shape[0])
    return np.minimum((np.cumsum(p, axis=1) < u[:, None]).sum(axis=1), p.shape[1] - 1)
