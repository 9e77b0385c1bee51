"""One very large, valid submission for validator and ingest benchmarks.

Why: national-scale use means a single partner (or a regional hub) may send a million
attendance rows, and the validator and ingest must be measured on such a file that is
valid, so that the benchmark times the whole path rather than an early exit. The file
keeps the realistic shape of the small initiative (real Trafford postcodes, Census age
and ethnicity mix, many small weekly groups, uneven attendance) but is built in a few
vectorised passes, with no per-person Python, and written with Polars.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from needle.errors import NeedleInputError
from needle.periods import parse_period
from needle.standard import CURRENT_VERSION
from needle.synth.assemble import columns
from needle.synth.calendar import age_on, days
from needle.synth.geography import load_geography
from needle.synth.outcomes import ITEMS, _items
from needle.synth.people import education_status, make_people
from needle.synth.seeds import rng_for
from needle.synth.writer import SYNTHETIC_NOTE

PERIOD = "2025-Q1"
# Age bands of the groups, with how common each kind of group is.
BANDS = ((8, 12, 2.0), (11, 16, 2.0), (11, 19, 3.0), (13, 19, 2.0), (14, 25, 1.0), (16, 25, 1.5),
         (8, 25, 0.5))  # fmt: skip
KINDS = (
    ("Youth Club", "open_access_youth_club", "social_emotional;participation", 150),
    ("Sports Session", "sport_physical_activity", "participation;wellbeing", 90),
    ("Arts Group", "arts_culture", "social_emotional", 120),
    ("Homework Club", "education_support", "education_employment_training", 90),
    ("Wellbeing Group", "mental_health_wellbeing", "wellbeing", 90),
    ("Skills Workshop", "employability_skills", "education_employment_training", 180),
)
MEAN_PER_SESSION = 15  # named attendees at a typical group session


def big_submission(
    outdir: str | Path, *, people: int = 100_000, attendance: int = 1_000_000, seed: int = 0
) -> Path:
    """Write one valid CSV-folder submission for period 2025-Q1 (1 January to 31 March 2025).

    ``outdir`` becomes the submission folder (``young_people.csv``, ``provisions.csv``,
    ``sessions.csv``, ``attendance.csv``, ``measurements.csv``, ``instructions.txt``)
    with exactly ``people`` young people and ``attendance`` attendance rows; it is
    returned. Validate it with ``period=parse_period("2025-Q1")``: every date lies in
    the quarter, every attendee is within their group's age range, and every postcode is
    a real Trafford postcode.
    """
    if people < 1 or attendance < 0:
        raise NeedleInputError("big_submission needs at least one person and no negative counts.")
    period = parse_period(PERIOD)
    geo = load_geography()
    rng = rng_for(seed, "big")
    folk = make_people(rng_for(seed, "big", "people"), people, geo, [period])
    dob = folk["date_of_birth"].to_numpy().astype("datetime64[D]")
    a0 = age_on(dob, np.datetime64(period.start))
    a1 = age_on(dob, np.datetime64(period.end))

    per_person = attendance / people
    weekly = int(np.clip(np.ceil(2 * per_person / 13), 1, 7))
    n_prov = max(1, int(np.ceil(attendance / (MEAN_PER_SESSION * 13 * weekly))), people // 200)
    n_prov = min(max(n_prov, len(BANDS)), people)
    band = np.array([(lo, hi) for lo, hi, _ in BANDS])
    band_w = np.array([w for _, _, w in BANDS])
    prov_band = rng.choice(len(BANDS), n_prov, p=band_w / band_w.sum())
    # The all-ages band first, so that any number of groups can take everyone.
    forced = [len(BANDS) - 1, *range(len(BANDS) - 1)][:n_prov]
    prov_band[: len(forced)] = forced
    # Each young person joins one group whose age band fits them all quarter.
    fits = (a0[:, None] >= band[:, 0][None, :]) & (a1[:, None] <= band[:, 1][None, :])
    fits &= np.isin(np.arange(len(BANDS)), prov_band)[None, :]
    if not fits.any(axis=1).all():
        raise NeedleInputError("Too few groups for the ages drawn: ask for more attendance.")
    choice = _categorical(rng, fits * band_w[None, :])
    order = np.argsort(prov_band, kind="stable")
    starts = np.searchsorted(prov_band[order], np.arange(len(BANDS) + 1))
    size = starts[choice + 1] - starts[choice]
    home = order[starts[choice] + np.floor(rng.random(people) * size).astype(np.int64)]

    prov_days = _provision_days(rng, period, n_prov, weekly)
    sessions, session_of = _sessions(rng, prov_days, n_prov)
    att = _attendance(rng, home, session_of, attendance, people)

    provisions = _provisions(rng, geo, n_prov, prov_band, band)
    young = _young_people(rng, folk, att, sessions, a0)
    measurements = _measurements(rng, att, sessions, a0, folk)

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "instructions.txt").write_text(
        f"Needle Youth Data Standard submission\nStandard version: {CURRENT_VERSION}\n"
        f"Period: {PERIOD}\n{SYNTHETIC_NOTE}\n",
        encoding="utf-8",
    )
    young.write_csv(outdir / "young_people.csv")
    provisions.write_csv(outdir / "provisions.csv")
    sessions.select(columns("sessions")).write_csv(outdir / "sessions.csv")
    att.select(
        pl.col("sid").replace_strict(sessions["sid"], sessions["session_ref"]).alias("session_ref"),
        pl.format("YP{}", (pl.col("person") + 1).cast(pl.String).str.zfill(7)).alias("person_ref"),
    ).write_csv(outdir / "attendance.csv")
    measurements.write_csv(outdir / "measurements.csv")
    return outdir


_WEEKDAY_P = np.array([0.18, 0.2, 0.2, 0.2, 0.14, 0.06, 0.02])


def _categorical(rng: np.random.Generator, w: np.ndarray) -> np.ndarray:
    p = w / w.sum(axis=1, keepdims=True)
    u = rng.random(p.shape[0])
    return np.minimum((np.cumsum(p, axis=1) < u[:, None]).sum(axis=1), p.shape[1] - 1)


def _provision_days(rng: np.random.Generator, period, n_prov: int, weekly: int) -> list[np.ndarray]:
    """Open days per group: ``weekly`` weekdays each, all year round (holidays included)."""
    by_day = [np.array(days(period, "all_year", (d,)), dtype="datetime64[D]") for d in range(7)]
    picks = np.argsort(rng.random((n_prov, 7)) / _WEEKDAY_P[None, :], axis=1)[:, :weekly]
    return [np.sort(np.concatenate([by_day[d] for d in row])) for row in picks]


def _sessions(
    rng: np.random.Generator, prov_days: list[np.ndarray], n_prov: int
) -> tuple[pl.DataFrame, list[np.ndarray]]:
    counts = np.array([d.size for d in prov_days])
    prov = np.repeat(np.arange(n_prov), counts)
    dates = np.concatenate(prov_days)
    n = dates.size
    kind = prov % len(KINDS)
    times = np.array(["15:45", "16:30", "17:00", "18:00", "18:30", "19:00", "10:00"])
    start = times[(prov * 7 + 3) % times.size]
    duration = np.array([k[3] for k in KINDS])[kind]
    sid = np.arange(n)
    frame = pl.DataFrame(
        {
            "sid": sid,
            "session_ref": _refs("S", n, 7),
            "provision_ref": _refs("PRV-", n_prov, 5)[prov],
            "session_date": dates,
            "start_time": start,
            "duration_minutes": duration,
            "postcode": pl.Series([None] * n, dtype=pl.String),
            "staff_count": rng.integers(1, 5, n),
            "volunteer_count": rng.integers(0, 4, n),
            "anonymous_attendance": pl.Series(
                np.where(rng.random(n) < 0.2, rng.poisson(3, n), -1)
            ).replace(-1, None),
        },
        schema_overrides={"session_date": pl.Date},
    )
    offsets = np.concatenate([[0], np.cumsum(counts)])
    session_of = [np.arange(offsets[p], offsets[p + 1]) for p in range(n_prov)]
    return frame, session_of


def _refs(prefix: str, n: int, width: int) -> np.ndarray:
    """prefix + 1..n zero-padded: ("S", 3, 4) -> S0001, S0002, S0003."""
    numbers = pl.int_range(1, n + 1, eager=True).cast(pl.String).str.zfill(width)
    return (prefix + numbers).to_numpy()


def _attendance(
    rng: np.random.Generator,
    home: np.ndarray,
    session_of: list[np.ndarray],
    total: int,
    people: int,
) -> pl.DataFrame:
    """Exactly ``total`` distinct (session, person) pairs, within each person's own group.

    Everyone comes at least once when there are enough rows; beyond that, engagement is
    uneven (a Beta propensity): many come once or twice, a core most weeks.
    """
    counts = np.array([s.size for s in session_of])[home]
    capacity = int(counts.sum())
    if total > capacity:
        raise NeedleInputError(
            f"{total:,} attendance rows cannot fit {people:,} young people in one quarter; "
            "ask for fewer rows or more people."
        )
    person = np.repeat(np.arange(people), counts)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    k = np.arange(capacity) - np.repeat(first, counts)
    sid = np.concatenate(session_of)[_session_index(session_of, home, k)]
    propensity = rng.beta(0.7, 1.3, people)
    keys = np.log(propensity[person] + 1e-9) + rng.gumbel(size=capacity)
    # One forced visit per person (their best pair), then the best of the rest overall.
    order = np.lexsort((-keys, person))
    starts = np.searchsorted(person[order], np.arange(people))
    best = order[starts]
    forced = np.zeros(capacity, dtype=bool)
    if total >= people:
        forced[best] = True
    else:
        forced[best[rng.choice(people, total, replace=False)]] = True
    keys = np.where(forced, np.inf, keys)
    if total == 0:
        chosen = np.zeros(0, dtype=np.int64)
    elif total == capacity:
        chosen = np.arange(capacity)
    else:
        chosen = np.sort(np.argpartition(-keys, total - 1)[:total])
    return pl.DataFrame({"sid": sid[chosen], "person": person[chosen]}).sort(["sid", "person"])


def _session_index(session_of: list[np.ndarray], home: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Flat index into concatenated session_of for the k-th session of each person's group."""
    sizes = np.array([s.size for s in session_of])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    counts = sizes[home]
    return np.repeat(offsets[home], counts) + k


def _provisions(
    rng: np.random.Generator, geo, n: int, prov_band: np.ndarray, band: np.ndarray
) -> pl.DataFrame:
    kind = np.arange(n) % len(KINDS)
    rows = np.floor(rng.random(n) * len(geo.postcodes)).astype(np.int64)
    ward = geo.postcodes["ward"].to_numpy()[rows]
    name = np.array([k[0] for k in KINDS])[kind]
    return pl.DataFrame(
        {
            "provision_ref": _refs("PRV-", n, 5),
            "name": pl.Series(name.astype(str)) + " (" + pl.Series(ward.astype(str)) + ")",
            "description": pl.Series(["A weekly group for young people."] * n),
            "category": np.array([k[1] for k in KINDS])[kind],
            "outcome_areas": np.array([k[2] for k in KINDS])[kind],
            "min_age": band[prov_band, 0],
            "max_age": band[prov_band, 1],
            "postcode": geo.postcodes["postcode"].to_numpy()[rows],
            "delivery_mode": "in_person",
            "access": np.where(kind == 4, "both", "open_access"),
            "cost": np.where(kind == 1, "low_cost", "free"),
            "capacity": np.full(n, 40),
            "start_date": pl.Series([date(2019, 9, 2)] * n),
            "end_date": pl.Series([None] * n, dtype=pl.Date),
        }
    ).select(columns("provisions"))


def _young_people(
    rng: np.random.Generator,
    folk: pl.DataFrame,
    att: pl.DataFrame,
    sessions: pl.DataFrame,
    a0: np.ndarray,
) -> pl.DataFrame:
    n = folk.height
    first = (
        att.group_by("person").agg(pl.col("sid").min())
        .join(sessions.select("sid", "session_date"), on="sid")
    )  # fmt: skip
    seen = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    seen[first["person"].to_numpy()] = first["session_date"].to_numpy()
    earlier = np.datetime64("2025-01-01") - np.floor(rng.random(n) * 800).astype("timedelta64[D]")
    contact = np.where(np.isnat(seen) | (rng.random(n) < 0.6), earlier, seen)
    dob = folk["date_of_birth"].to_numpy().astype("datetime64[D]")
    contact = np.maximum(contact, dob + np.timedelta64(8 * 366, "D"))
    contact = np.minimum(contact, np.datetime64("2025-03-31"))
    yn = np.array(["no", "yes"])
    return pl.DataFrame(
        {
            "person_ref": _refs("YP", n, 7),
            "given_name": folk["given_name"],
            "family_name": folk["family_name"],
            "date_of_birth": folk["date_of_birth"],
            "postcode": folk["postcode"],
            "gender": folk["gender"],
            "ethnicity": folk["ethnicity"],
            "disability": yn[folk["disability"].to_numpy().astype(int)],
            "send": folk["send"],
            "free_school_meals": np.where(
                a0 >= 19, "not_known", yn[folk["free_school_meals"].to_numpy().astype(int)]
            ),
            "care_experienced": yn[folk["care_experienced"].to_numpy().astype(int)],
            "young_carer": yn[folk["young_carer"].to_numpy().astype(int)],
            "education_employment_status": education_status(a0, folk["neet_u"].to_numpy()),
            "first_contact_date": contact,
            "consent_to_share": np.where(rng.random(n) < 0.05, "no", "yes"),
        },
        schema_overrides={"first_contact_date": pl.Date},
    )


def _measurements(
    rng: np.random.Generator,
    att: pl.DataFrame,
    sessions: pl.DataFrame,
    a0: np.ndarray,
    folk: pl.DataFrame,
) -> pl.DataFrame:
    """SWEMWBS at a first and last visit for some young people aged 11 or over."""
    visits = (
        att.join(sessions.select("sid", "session_date"), on="sid")
        .group_by("person").agg(pl.col("session_date").min().alias("first"),
                                pl.col("session_date").max().alias("last"), pl.len().alias("n"))
        .sort("person")
    )  # fmt: skip
    person = visits["person"].to_numpy()
    keep = (a0[person] >= 11) & (rng.random(person.size) < 0.08)
    v = visits.filter(pl.Series(keep))
    p = v["person"].to_numpy()
    theta = folk["wellbeing"].to_numpy()[p]
    frames = []
    for timepoint, when, level, mask in (
        ("baseline", "first", theta, np.ones(p.size, dtype=bool)),
        (
            "exit",
            "last",
            theta + rng.normal(0.35, 0.55, p.size),
            (v["n"].to_numpy() >= 3) & (rng.random(p.size) < 0.5),
        ),
    ):
        idx = np.nonzero(mask)[0]
        items = _items(rng, "swemwbs", level[idx])
        frames.append(
            pl.DataFrame(
                {
                    "person_ref": _refs("YP", len(folk), 7)[p[idx]],
                    "instrument": "swemwbs",
                    "administered_on": v[when].to_numpy()[idx],
                    "timepoint": timepoint,
                    **{
                        f"q{i + 1}": pl.Series(
                            items[:, i], dtype=pl.Float64, nan_to_null=True
                        ).cast(pl.Int64)
                        for i in range(ITEMS)
                    },
                },
                schema_overrides={"administered_on": pl.Date},
            )
        )
    return pl.concat(frames).sort(["administered_on", "person_ref"]).select(columns("measurements"))
