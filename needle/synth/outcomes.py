"""Wellbeing questionnaires and milestones.

Why: "is anyone better off?" is the question indicators answer, so the data must carry a
plausible signal: SWEMWBS item sums near population norms (lower for those referred to
wellbeing support), ONS4 with anxiety running the other way, WEMWBS for one partner, and
a modest average improvement between baseline and exit. Questionnaires are used only
where they belong (mentoring, wellbeing, employability, young carers), never blanket in
open access, and are completed on a day the young person attended. Milestones (a job, a
course, an award) follow the end of a programme.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from needle.standard import load_standard
from needle.synth.calendar import age_on
from needle.synth.journeys import Window
from needle.synth.provisions import spec_of

ITEMS = 14


def _visits(attendance: pl.DataFrame) -> pl.DataFrame:
    return (
        attendance.sort(["mid", "date"])
        .group_by("mid", maintain_order=True)
        .agg(pl.col("date").alias("dates"), pl.col("q").alias("qs"), pl.len().alias("n"))
    )


def measurements(
    rng: np.random.Generator,
    memberships: pl.DataFrame,
    records: pl.DataFrame,
    people: pl.DataFrame,
    provisions: pl.DataFrame,
    attendance: pl.DataFrame,
    window: Window,
) -> pl.DataFrame:
    """One row per questionnaire: org, q, rid, instrument, date, timepoint, q1..q14."""
    last_q = len(window) - 1
    measured = [
        (row["prov_id"], spec_of(row)) for row in provisions.iter_rows(named=True)
        if spec_of(row).instruments
    ]  # fmt: skip
    ids = [pid for pid, _ in measured]
    m = memberships.filter(pl.col("prov_id").is_in(ids) & (pl.col("tier") > 0))
    m = m.join(_visits(attendance), on="mid", how="inner")
    m = m.join(records.select("rid", "pid", "org", "pre", "elig_dob"), on="rid")
    m = m.join(people.select("pid", "wellbeing"), on="pid")
    rows = []
    for prov_id, spec in measured:
        g = m.filter(pl.col("prov_id") == prov_id)
        if g.height == 0:
            continue
        n = g.height
        dates = g["dates"].to_list()
        count = g["n"].to_numpy().astype(np.int64)
        first = np.array([d[0] for d in dates], dtype="datetime64[D]")
        age_ok = age_on(g["elig_dob"].to_numpy().astype("datetime64[D]"), first) >= 11
        theta = g["wellbeing"].to_numpy() + 0.5 * spec.wellbeing_shift + rng.normal(0, 0.3, n)
        gain = rng.normal(0.5 if spec.category == "mental_health_wellbeing" else 0.35, 0.55, n)
        plans = []
        base = age_ok & ~g["pre"].to_numpy() & (rng.random(n) < 0.88)
        plans.append(("baseline", base, 0, theta))
        if "midpoint" in spec.timepoints:
            mid = age_ok & (count >= 5) & (rng.random(n) < 0.7)
            plans.append(("midpoint", mid, -2, theta + gain / 2))
        if "follow_up" in spec.timepoints:
            later = np.array(
                [next((i for i, d in enumerate(ds) if (d - ds[0]).days >= 180), -1) for ds in dates]
            )
            fu = age_ok & (later > 0) & (rng.random(n) < 0.7)
            plans.append(("follow_up", fu, later, theta + 0.8 * gain))
        if "exit" in spec.timepoints:
            ended = g["end_q"].to_numpy() < last_q
            ex = age_ok & ended & (count >= 3) & (rng.random(n) < 0.65)
            plans.append(("exit", ex, -1, theta + gain))
        for timepoint, take, at, level in plans:
            idx = np.nonzero(take)[0]
            if idx.size == 0:
                continue
            pos = at if isinstance(at, int) else at[idx]
            pos = np.where(np.asarray(pos) == -2, count[idx] // 2, pos)
            when = [
                dates[i][int(p)] for i, p in zip(idx, np.broadcast_to(pos, idx.shape), strict=True)
            ]
            qs = [
                g["qs"][int(i)][int(p)]
                for i, p in zip(idx, np.broadcast_to(pos, idx.shape), strict=True)
            ]
            for instrument in spec.instruments:
                items = _items(rng, instrument, level[idx])
                frame = pl.DataFrame(
                    {
                        "org": g["org"].to_numpy()[idx],
                        "q": np.array(qs, dtype=np.int64),
                        "rid": g["rid"].to_numpy()[idx],
                        "instrument": instrument,
                        "administered_on": when,
                        "timepoint": timepoint,
                        **{
                            f"q{i + 1}": pl.Series(
                                items[:, i], dtype=pl.Float64, nan_to_null=True
                            ).cast(pl.Int64)
                            for i in range(ITEMS)
                        },
                    }
                )
                rows.append(frame)
    out = pl.concat(rows).with_columns(pl.col("administered_on").cast(pl.Date))
    return out.sort(["org", "administered_on", "rid", "instrument", "timepoint"])


def _items(rng: np.random.Generator, instrument: str, theta: np.ndarray) -> np.ndarray:
    """Item responses for a latent wellbeing level; items the instrument lacks are NaN."""
    spec = load_standard().instruments[instrument]
    n = theta.size
    out = np.full((n, ITEMS), np.nan)
    if instrument in ("swemwbs", "wemwbs"):
        raw = 3.25 + 0.7 * theta[:, None] + rng.normal(0, 0.65, (n, spec.items))
    else:  # ons4: satisfied, worthwhile, happy (0-10, higher better), anxious (higher worse)
        centre = np.array([7.0, 7.4, 7.0, 3.4])
        slope = np.array([1.3, 1.1, 1.4, -1.3])
        noise = np.array([1.2, 1.1, 1.6, 2.2])
        raw = centre + slope * theta[:, None] + rng.normal(0, 1, (n, 4)) * noise
    out[:, : spec.items] = np.clip(np.rint(raw), spec.min, spec.max)
    return out


def milestones(
    rng: np.random.Generator,
    memberships: pl.DataFrame,
    records: pl.DataFrame,
    provisions: pl.DataFrame,
    attendance: pl.DataFrame,
    window: Window,
) -> pl.DataFrame:
    """Outcome events after (or during) a programme: org, q, rid, milestone, date, evidence."""
    last_q = len(window) - 1
    m = memberships.join(_visits(attendance), on="mid", how="inner")
    m = m.join(records.select("rid", "org", "pre"), on="rid")
    m = m.join(provisions.select("prov_id", "key"), on="prov_id")
    n = m.height
    count = m["n"].to_numpy().astype(np.int64)
    ended = m["end_q"].to_numpy() < last_q
    org = m["org"].to_numpy()
    key = m["key"].to_numpy()
    u = rng.random(n)
    events: list[tuple[np.ndarray, str | np.ndarray, np.ndarray, float]] = []

    def add(
        mask: np.ndarray, what: str | np.ndarray, at: np.ndarray | int, verified: float
    ) -> None:
        events.append((mask, what, np.broadcast_to(np.asarray(at), (n,)).copy(), verified))

    last = count - 1
    add((org == "MENTOR") & ended & (count >= 6) & (u < 0.8), "completed_programme", last, 0.9)
    job = np.array(["entered_employment", "entered_training", "entered_education", ""])[
        np.minimum(np.searchsorted(np.cumsum([0.35, 0.2, 0.15, 0.3]), rng.random(n)), 3)
    ]
    add((org == "EMPLOY") & ended & (count >= 2) & (job != ""), job, last, 0.6)
    add((org == "EMPLOY") & (key == "course") & (count >= 6) & (u < 0.4), "gained_qualification",
        np.minimum(count, 6) - 1, 0.9)  # fmt: skip
    add((org == "ARTS") & (count >= 8) & (u < 0.3), "gained_qualification", 7, 0.8)
    add(
        (org == "VOL") & (key == "volunteering") & ~m["pre"].to_numpy(),
        "started_volunteering",
        0,
        0.4,
    )
    add((org == "OUTDOOR") & (key == "award") & ended & (count >= 8) & (u < 0.6),
        "gained_qualification", last, 1.0)  # fmt: skip
    add(
        (org == "OUTDOOR") & (key == "residential") & (count >= 2), "completed_programme", last, 1.0
    )

    dates = m["dates"].to_list()
    qs = m["qs"].to_list()
    frames = []
    for mask, what, at, verified in events:
        idx = np.nonzero(mask)[0]
        if idx.size == 0:
            continue
        frames.append(
            pl.DataFrame(
                {
                    "org": org[idx],
                    "q": np.array([qs[i][at[i]] for i in idx], dtype=np.int64),
                    "rid": m["rid"].to_numpy()[idx],
                    "milestone": what[idx] if isinstance(what, np.ndarray) else what,
                    "achieved_on": [dates[i][at[i]] for i in idx],
                    "evidence": np.where(
                        rng.random(idx.size) < verified, "verified", "self_reported"
                    ),
                }
            )
        )
    out = pl.concat(frames).with_columns(pl.col("achieved_on").cast(pl.Date))
    out = out.unique(["org", "rid", "milestone", "achieved_on"], keep="first", maintain_order=True)
    return out.sort(["org", "achieved_on", "rid", "milestone"])
