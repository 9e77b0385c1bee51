"""A national-scale pool, generated directly as pooled tables (for bench/indicators.py).

Why directly: the indicator benchmark needs hundreds of millions of pooled rows, and
going through CSV, validation and pseudonymisation would take hours while measuring
nothing the indicators care about. So this writes what the pool would hold after those
steps: per partner and quarter, one accepted submission (``Pool.receive``) whose tables
have exactly the pooled columns of standard 1.0 (provenance, ``_row``, ages at period
start and at each activity, area and deprivation from the postcode).

What is left out: the linkage encodings of ``young_people`` (``mk_*`` match keys and
``bf_*`` Bloom filters) are present but null, because indicators never read them (person
links come from linkage, not from the pooled rows). ``scheme`` is set as the pool sets it.

Shape (defaults: 200 partners, 8 quarters from 2024-Q4, 5,000,000 young people,
200,000,000 attendance rows, 10,000,000 questionnaires): a synthetic England of 33,000
LSOAs in 7,000 wards in 300 local authorities, each LSOA with an IMD decile; partners of
uneven size working in one to three neighbouring authorities, favouring deprived
neighbourhoods; young people aged 8 to 25 (most 13 to 16), each known to one partner for a
run of quarters (more engaged young people stay longer); attendance heavy-tailed (about a
third of young people come once in a quarter, a core several times a week); groups
meeting one to five days a week; SWEMWBS and ONS4 at a first and last visit; referrals
and milestones. Everything is vectorised NumPy and Polars, one partner at a time (about
a million attendance rows), so memory stays low whatever the total.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

CACHE = Path(__file__).parent / ".cache"
FIRST_PERIOD = "2024-Q4"
MARKER = "generated.json"
POPULATION = "population.parquet"
EPOCH = np.datetime64("1970-01-01", "D")

# Age when first known to a partner: 8 to 25, most 13 to 16 (youth work's core ages).
AGE_WEIGHTS = {8: 2, 9: 3, 10: 4, 11: 6, 12: 8, 13: 10, 14: 11, 15: 11, 16: 10, 17: 8, 18: 6,
               19: 5, 20: 4, 21: 3, 22: 2.5, 23: 2, 24: 1.5, 25: 1.5}  # fmt: skip
GENDER = {"male": 47, "female": 45, "non_binary": 1.5, "other": 0.5, "prefer_not_to_say": 1,
          "not_known": 2, None: 3}  # fmt: skip
# Roughly England's young people at Census 2021, with some not recorded.
ETHNICITY = {"white_british": 66, "white_irish": 0.4, "white_gypsy_irish_traveller": 0.3,
             "white_roma": 0.3, "white_other": 5, "asian_indian": 3.5, "asian_pakistani": 4.5,
             "asian_bangladeshi": 1.7, "asian_chinese": 0.8, "asian_other": 1.8,
             "black_african": 3.8, "black_caribbean": 1, "black_other": 0.8,
             "mixed_white_asian": 1.4, "mixed_white_black_african": 0.8,
             "mixed_white_black_caribbean": 1.5, "mixed_other": 1.5, "other_arab": 0.7,
             "other_any": 1.2, "prefer_not_to_say": 1, "not_known": 3, None: 2}  # fmt: skip
SEND = {"none": 78, "sen_support": 12, "ehcp": 4.5, "not_known": 4, None: 1.5}
EET_YOUNG = {"in_education": 96, "not_known": 3, None: 1}
EET_16 = {"in_education": 78, "in_training": 7, "in_employment": 5, "neet": 6, "not_known": 3,
          None: 1}  # fmt: skip
EET_19 = {"in_education": 30, "in_training": 8, "in_employment": 38, "neet": 17,
          "not_known": 6, None: 1}  # fmt: skip
CATEGORIES = {"open_access_youth_club": 24, "sport_physical_activity": 17,
              "mental_health_wellbeing": 12, "arts_culture": 9, "advice_information": 7,
              "detached_outreach": 6, "education_support": 6, "employability_skills": 6,
              "volunteering_social_action": 5, "mentoring": 4, "residential_outdoor": 2,
              "other": 2}  # fmt: skip
DURATION = {"open_access_youth_club": 120, "sport_physical_activity": 90,
            "mental_health_wellbeing": 60, "arts_culture": 120, "advice_information": 60,
            "detached_outreach": 150, "education_support": 90, "employability_skills": 180,
            "volunteering_social_action": 180, "mentoring": 60, "residential_outdoor": 600,
            "other": 90}  # fmt: skip
OUTCOMES = ["social_emotional", "wellbeing", "education_employment_training", "safety",
            "participation"]  # fmt: skip
SERVICES = ["CAMHS", "School pastoral team", "GP practice", "Children's social care",
            "Early help", "College student services", "Jobcentre Plus", "School nurse",
            "Youth justice service", "Housing options"]  # fmt: skip
REASONS = ["Low mood and anxiety", "Wants help finding work or training",
           "Family under pressure, needs support", "Needs specialist support",
           "Needs a trusted adult to talk to", "Isolated and wants somewhere to go",
           "Struggling with school work", "Wants to volunteer"]  # fmt: skip
OUT_STATUS = {"made": 15, "accepted": 10, "declined": 10, "started": 40, "completed": 20,
              "closed": 5}  # fmt: skip
IN_STATUS = {"made": 10, "accepted": 10, "declined": 5, "started": 50, "completed": 20,
             "closed": 5}  # fmt: skip
MILESTONES = {"entered_education": 12, "entered_employment": 18, "entered_training": 12,
              "gained_qualification": 22, "completed_programme": 16,
              "started_volunteering": 18, "other": 2}  # fmt: skip
DAYS_PER_WEEK = {1: 35, 2: 30, 3: 20, 4: 10, 5: 5}
WEEKDAY_P = np.array([0.18, 0.2, 0.2, 0.2, 0.14, 0.06, 0.02])  # Monday first
MATCH_KEYS = ("exact", "canonical", "initial", "no_postcode", "birth_year", "day_month",
              "names_swapped", "family_first", "family_last")  # fmt: skip
LINKAGE_COLUMNS = [f"mk_{k}" for k in MATCH_KEYS]


@dataclass(frozen=True)
class Scale:
    """What to generate. ``scaled(f)`` keeps the shape and multiplies every count."""

    people: int = 5_000_000
    attendance: int = 200_000_000
    measurements: int = 10_000_000
    partners: int = 200
    periods: int = 8
    seed: int = 0

    def scaled(self, fraction: float) -> Scale:
        partners = max(2, min(self.partners, round(self.partners * fraction**0.5)))
        return Scale(
            people=max(100, round(self.people * fraction)),
            attendance=max(1_000, round(self.attendance * fraction)),
            measurements=max(50, round(self.measurements * fraction)),
            partners=partners,
            periods=self.periods,
            seed=self.seed,
        )

    @property
    def name(self) -> str:
        return (
            f"national-{self.people}-{self.attendance}-{self.measurements}-"
            f"{self.partners}x{self.periods}-{self.seed}"
        )


def periods(n: int) -> list[tuple[str, date, date]]:
    from needle.periods import quarters

    first = date(2024, 10, 1)
    last = first.replace(year=first.year + (n - 1 + 3) // 4, month=((n - 1 + 3) % 4) * 3 + 1)
    found = quarters(FIRST_PERIOD, f"{last.year}-Q{(last.month - 1) // 3 + 1}")[:n]
    return [(p.label, p.start, p.end) for p in found]


def _index(rng: np.random.Generator, weights: dict, n: int) -> np.ndarray:
    p = np.array(list(weights.values()), dtype=float)
    return rng.choice(len(p), n, p=p / p.sum())


def _pick(rng: np.random.Generator, weights: dict, n: int) -> np.ndarray:
    """``n`` draws of the keys of ``weights`` (numbers or strings, no None)."""
    return np.array(list(weights))[_index(rng, weights, n)]


def _codes(rng: np.random.Generator, weights: dict, n: int) -> pl.Series:
    """``n`` draws of the keys of ``weights`` as strings, a None key being a null."""
    return pl.Series(list(weights), dtype=pl.String).gather(_index(rng, weights, n))


def _days(d: date) -> int:
    return (d - date(1970, 1, 1)).days


# -- geography -----------------------------------------------------------------------------


def geography(seed: int) -> pl.DataFrame:
    """33,000 LSOAs (E01) in 7,000 wards (E05) in 300 local authorities (E06-E09), each
    LSOA with an IMD decile and quintile (deciles have equal numbers of LSOAs nationally,
    and deprivation clusters by authority)."""
    rng = np.random.default_rng([seed, 1])
    n_lsoa, n_ward, kinds = 33_000, 7_000, (("E06", 64), ("E07", 167), ("E08", 36), ("E09", 33))
    la_codes = [f"{prefix}{i + 1:06d}" for prefix, count in kinds for i in range(count)]
    n_la = len(la_codes)
    size = rng.lognormal(0, 0.6, n_la)
    per_la = np.maximum(20, np.round(size / size.sum() * n_lsoa)).astype(int)
    per_la[np.argmax(per_la)] -= per_la.sum() - n_lsoa
    la = np.repeat(np.arange(n_la), per_la)
    wards_per_la = np.maximum(3, np.round(per_la * n_ward / n_lsoa)).astype(int)
    first_ward = np.concatenate([[0], np.cumsum(wards_per_la)[:-1]])
    within = np.arange(n_lsoa) - np.repeat(np.concatenate([[0], np.cumsum(per_la)[:-1]]), per_la)
    ward = first_ward[la] + within * wards_per_la[la] // per_la[la]
    score = rng.normal(0, 1, n_la)[la] + rng.normal(0, 1, n_lsoa)
    decile = (np.argsort(np.argsort(score)) * 10 // n_lsoa + 1).astype(np.int8)
    return pl.DataFrame(
        {
            "lsoa21": _refs("E01", n_lsoa, 6),
            "ward": _refs("E05", int(wards_per_la.sum()), 6)[ward],
            "local_authority": np.array(la_codes)[la],
            "la_index": la,
            "imd_decile": decile,
            "imd_quintile": ((decile + 1) // 2).astype(np.int8),
        }
    )


def population(geo: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Residents by LSOA, single year of age 0-89 and sex, in the shape of
    ``needle.indicators.lookups.population_frame`` (about 1,650 per LSOA)."""
    rng = np.random.default_rng([seed, 2])
    ages = np.arange(90)
    per_year = np.where(ages < 25, 9.5, np.where(ages < 65, 10.5, 7.0 * np.exp(-(ages - 65) / 15)))
    n = geo.height
    frame = geo.select("lsoa21", "ward", "local_authority", "imd_decile", "imd_quintile")
    rows = frame.select(pl.all().repeat_by(len(ages) * 2).explode())
    mean = np.tile(np.repeat(per_year, 2), n) * np.repeat(rng.lognormal(0, 0.15, n), 180)
    return rows.with_columns(
        age=pl.Series(np.tile(np.repeat(ages, 2), n), dtype=pl.Int32),
        sex=pl.Series(np.tile(["female", "male"], len(ages) * n)),
        count=pl.Series(rng.poisson(mean), dtype=pl.Int64),
    )


# -- one partner ---------------------------------------------------------------------------


def _sizes(scale: Scale) -> np.ndarray:
    """People per partner: uneven (log-normal), adding up to ``scale.people``."""
    rng = np.random.default_rng([scale.seed, 3])
    w = rng.lognormal(0, 0.5, scale.partners)
    sizes = np.maximum(20, np.floor(w / w.sum() * scale.people)).astype(np.int64)
    sizes[np.argmax(sizes)] += scale.people - sizes.sum()
    return sizes


def _calibrate(total: float, draw) -> float:
    """k such that ``draw(k).sum()`` is closest to ``total`` (it grows with k)."""
    low, high = 1e-3, 1e3
    for _ in range(50):
        mid = (low * high) ** 0.5
        if draw(mid).sum() < total:
            low = mid
        else:
            high = mid
    return (low * high) ** 0.5


def partner_tables(
    scale: Scale, index: int, geo: pl.DataFrame
) -> list[tuple[str, dict[str, pl.DataFrame]]]:
    """Every quarter's tables of partner ``index`` (0-based), ready for ``Pool.receive``."""
    rng = np.random.default_rng([scale.seed, 10, index])
    sizes = _sizes(scale)
    n = int(sizes[index])
    share = n / scale.people
    quarters = periods(scale.periods)
    n_q = len(quarters)
    q_start = np.array([_days(s) for _, s, _ in quarters])
    q_end = np.array([_days(e) for _, _, e in quarters])

    # Where the partner works: one to three neighbouring authorities.
    n_la = int(geo["la_index"].max()) + 1
    home_la = int(rng.integers(n_la))
    las = (home_la + np.arange(int(rng.integers(1, 4)))) % n_la
    local = geo.filter(pl.col("la_index").is_in(las.tolist()))
    w = 1.6 - 0.1 * local["imd_decile"].to_numpy()
    where = rng.choice(local.height, n, p=w / w.sum())

    # Who: engagement z drives attendance and how long a young person stays.
    z = rng.normal(0, 1, n)
    start = np.where(rng.random(n) < 0.3, 0, rng.integers(0, n_q, n))
    stay = np.clip(0.45 + 0.2 * z, 0.05, 0.92)
    length = np.minimum(n_q - start, rng.geometric(1 - stay))
    age0 = _pick(rng, AGE_WEIGHTS, n).astype(np.int64)
    dob = q_start[start] - age0 * 365 - rng.integers(0, 365, n) - age0 // 4
    known_age = rng.random(n) > 0.02

    # Groups: days a week, weekdays, category.
    n_prov = max(5, round(n / 60))
    per_week = np.sort(_pick(rng, DAYS_PER_WEEK, n_prov).astype(np.int64))
    per_week[:5] = np.arange(1, 6)
    per_week = np.sort(per_week)
    weekdays = np.argsort(rng.random((n_prov, 7)) / WEEKDAY_P[None, :], axis=1)
    opens = np.zeros((n_prov, 7), dtype=bool)
    np.put_along_axis(opens, weekdays[:, :5], np.arange(5)[None, :] < per_week[:, None], axis=1)
    category = _pick(rng, CATEGORIES, n_prov).astype(str)
    duration = np.array([DURATION[c] for c in category]) * rng.choice([1, 1, 1, 0.75, 1.5], n_prov)
    duration = duration.astype(np.int64)

    # Sessions of every group in every quarter (about one in twenty cancelled).
    s_prov, s_q, s_day = [], [], []
    for q in range(n_q):
        day = np.arange(q_start[q], q_end[q] + 1)
        weekday = (day + 3) % 7  # 1970-01-01 was a Thursday
        open_ = opens[:, weekday] & (rng.random((n_prov, day.size)) > 0.05)
        p_idx, d_idx = np.nonzero(open_)
        s_prov.append(p_idx)
        s_q.append(np.full(p_idx.size, q))
        s_day.append(day[d_idx])
    s_prov, s_q, s_day = (np.concatenate(x) for x in (s_prov, s_q, s_day))
    order = np.lexsort((s_day, s_prov, s_q))
    s_prov, s_q, s_day = s_prov[order], s_q[order], s_day[order]
    slot = s_q * n_prov + s_prov  # sessions of one group in one quarter are contiguous
    slot_start = np.searchsorted(slot, np.arange(n_q * n_prov))
    slot_count = np.diff(np.append(slot_start, slot.size))

    # Person-quarters and how often each young person comes (heavy-tailed).
    pp_person = np.repeat(np.arange(n), length)
    pp_q = start[pp_person] + (np.arange(pp_person.size) - np.repeat(np.cumsum(length) - length,
                                                                      length))  # fmt: skip
    rate = np.exp(1.5 * z)[pp_person] * rng.gamma(2.0, 0.5, pp_person.size)
    cap = 13 * per_week[-1]
    target = scale.attendance * share

    def counts(k: float, most: np.ndarray | int = cap) -> np.ndarray:
        return np.clip(np.floor(k * rate + 0.5), 1, np.maximum(most, 1))

    wanted = counts(_calibrate(target, counts)).astype(np.int64)
    # Each young person's group: one meeting often enough for their busiest quarter.
    need = np.zeros(n, dtype=np.int64)
    np.maximum.at(need, pp_person, wanted)
    need_days = np.minimum(5, -(-need // 12))
    lowest = np.searchsorted(per_week, need_days)
    home = lowest + np.floor(rng.random(n) * (n_prov - lowest)).astype(np.int64)
    pp_slot = pp_q * n_prov + home[pp_person]
    available = slot_count[pp_slot]
    # Calibrated again within what each group offers, so the total is right.
    k = _calibrate(target, lambda k: counts(k, available))
    count = np.minimum(counts(k, available), available).astype(np.int64)

    # Which sessions: a random subset of the group's sessions in that quarter.
    cand_pp = np.repeat(np.arange(pp_person.size), available)
    cand_k = np.arange(cand_pp.size) - np.repeat(np.cumsum(available) - available, available)
    order = np.lexsort((rng.random(cand_pp.size), cand_pp))
    rank = np.empty(cand_pp.size, dtype=np.int64)
    rank[order] = cand_k
    chosen = rank < count[cand_pp]
    a_pp = cand_pp[chosen]
    a_session = slot_start[pp_slot[a_pp]] + cand_k[chosen]
    a_person = pp_person[a_pp]
    a_q = pp_q[a_pp]
    a_day = s_day[a_session]

    first_day = np.full(n, np.iinfo(np.int64).max)
    last_day = np.full(n, np.iinfo(np.int64).min)
    np.minimum.at(first_day, a_person, a_day)
    np.maximum.at(last_day, a_person, a_day)
    total = np.bincount(a_person, minlength=n)

    # Questionnaires: SWEMWBS and ONS4 at the first visit, and at the last for some.
    age_first = np.floor((first_day - dob) / 365.25)
    eligible = (age_first >= 11) & (total > 0)
    exitable = eligible & (total >= 3) & (last_day > first_day)
    unit = eligible.sum() + 0.7 * exitable.sum()
    q = scale.measurements * share / max(unit, 1)
    p_swem = min(1.0, 0.6 * q)
    p_ons = min(1.0, max(0.0, q - p_swem))
    theta = rng.normal(0, 1, n)
    measures = []
    for instrument, p in (("swemwbs", p_swem), ("ons4", p_ons)):
        has = eligible & (rng.random(n) < p)
        ends = has & exitable & (rng.random(n) < 0.7)
        for timepoint, who, day, level in (
            ("baseline", has, first_day, theta),
            ("exit", ends, last_day, theta + rng.normal(0.25, 0.5, n)),
        ):
            idx = np.nonzero(who)[0]
            measures.append((instrument, timepoint, idx, day[idx], level[idx]))

    # Referrals and milestones per person-quarter.
    n_pp = pp_person.size
    pp_age = np.floor((q_start[pp_q] - dob[pp_person]) / 365.25)
    r_out = rng.random(n_pp) < 0.05 + 0.04 * (theta[pp_person] < -1)
    r_in = rng.random(n_pp) < 0.07
    m_has = (rng.random(n_pp) < 0.06) & (pp_age >= 14)

    person_ref = _refs("YP", n, 7)
    session_ref = _refs("S", s_prov.size, 7)
    provision_ref = _refs("PRV-", n_prov, 4)
    venue = rng.choice(local.height, n_prov)
    provisions = pl.DataFrame(
        {
            "provision_ref": provision_ref,
            "name": [f"{c.replace('_', ' ').capitalize()} {i + 1}" for i, c in enumerate(category)],
            "description": pl.Series(["A group for young people."] * n_prov),
            "category": category,
            "outcome_areas": [
                sorted(rng.choice(OUTCOMES, int(rng.integers(1, 4)), replace=False).tolist())
                for _ in range(n_prov)
            ],
            "min_age": np.full(n_prov, 8),
            "max_age": np.full(n_prov, 25),
            "delivery_mode": np.where(category == "detached_outreach", "detached", "in_person"),
            "access": np.where(category == "mental_health_wellbeing", "both", "open_access"),
            "cost": np.where(category == "sport_physical_activity", "low_cost", "free"),
            "capacity": np.full(n_prov, 40),
            "start_date": pl.Series([date(2019, 9, 2)] * n_prov),
            "end_date": pl.Series([None] * n_prov, dtype=pl.Date),
            "venue_lsoa21": local["lsoa21"][venue],
            "venue_ward_code": local["ward"][venue],
            "venue_la_code": local["local_authority"][venue],
            "venue_imd_decile": local["imd_decile"][venue],
            "venue_imd_quintile": local["imd_quintile"][venue],
        }
    )
    people = _people(rng, n, person_ref, local, where, start, q_start, first_day, dob, known_age)

    out = []
    for q, (label, _, q_to) in enumerate(quarters):
        in_q = pp_q == q
        persons = pp_person[in_q]
        yp = people[persons].with_columns(
            age_at_period_start=_age(dob[persons], q_start[q], known_age[persons])
        )
        s_in = np.nonzero(s_q == q)[0]
        anon = rng.random(s_in.size) < 0.15
        sessions = pl.DataFrame(
            {
                "session_ref": session_ref[s_in],
                "provision_ref": provision_ref[s_prov[s_in]],
                "session_date": _dates(s_day[s_in]),
                "start_time": pl.Series(
                    np.array([15 * 60 + 30, 16 * 60 + 30, 18 * 60, 10 * 60])[s_prov[s_in] % 4]
                    * 60_000_000_000,
                    dtype=pl.Int64,
                ).cast(pl.Time),
                "duration_minutes": duration[s_prov[s_in]],
                "staff_count": rng.integers(1, 5, s_in.size),
                "volunteer_count": rng.integers(0, 4, s_in.size),
                "anonymous_attendance": pl.Series(np.where(anon, rng.poisson(8, s_in.size), 0)).set(
                    pl.Series(~anon), None
                ),
                "venue_lsoa21": pl.Series([None] * s_in.size, dtype=pl.String),
                "venue_ward_code": pl.Series([None] * s_in.size, dtype=pl.String),
                "venue_la_code": pl.Series([None] * s_in.size, dtype=pl.String),
                "venue_imd_decile": pl.Series([None] * s_in.size, dtype=pl.Int8),
                "venue_imd_quintile": pl.Series([None] * s_in.size, dtype=pl.Int8),
            }
        )
        a_in = np.nonzero(a_q == q)[0]
        a_in = a_in[np.lexsort((a_person[a_in], a_session[a_in]))]
        attendance = pl.DataFrame(
            {
                "session_ref": session_ref[a_session[a_in]],
                "person_ref": person_ref[a_person[a_in]],
                "age_at_activity": _age(
                    dob[a_person[a_in]], a_day[a_in], known_age[a_person[a_in]]
                ),
            }
        )
        tables = {
            "young_people": yp,
            "provisions": provisions,
            "sessions": sessions,
            "attendance": attendance,
            "measurements": _measurements(
                rng, measures, q_start[q], q_to, person_ref, dob, known_age
            ),
            "referrals": _referrals(
                rng,
                label,
                persons,
                r_out[in_q],
                r_in[in_q],
                home,
                provision_ref,
                person_ref,
                q_start[q],
                q_end[q],
                dob,
                known_age,
                index,
                scale.partners,
            ),
            "milestones": _milestones(
                rng, persons[m_has[in_q]], person_ref, q_start[q], q_end[q], dob, known_age
            ),
        }
        out.append((label, {k: _numbered(v) for k, v in tables.items()}))
    return out


def _refs(prefix: str, n: int, width: int) -> pl.Series:
    """prefix + 1..n zero-padded: ("S", 3, 4) -> S0001, S0002, S0003."""
    return prefix + pl.int_range(1, n + 1, eager=True).cast(pl.String).str.zfill(width)


def _dates(days: np.ndarray) -> pl.Series:
    return pl.Series(days.astype(np.int32)).cast(pl.Date)


def _age(dob: np.ndarray, on, known: np.ndarray) -> pl.Series:
    age = np.floor((np.asarray(on) - dob) / 365.25).astype(np.int16)
    return pl.Series(age, dtype=pl.Int16).set(pl.Series(~known), None)


def _numbered(frame: pl.DataFrame) -> pl.DataFrame:
    """``_row``: the row's line in the submitted file (the header is line 1)."""
    return frame.select(pl.int_range(2, frame.height + 2, dtype=pl.Int64).alias("_row"), pl.all())


def _people(rng, n, person_ref, local, where, start, q_start, first_day, dob, known_age):
    """Each young person's pooled row (``age_at_period_start`` is added per quarter)."""
    age0 = np.floor((q_start[start] - dob) / 365.25)
    consent = np.where(rng.random(n) < 0.05, "no", "yes")
    earlier = q_start[start] - rng.integers(0, 800, n)
    never = first_day == np.iinfo(np.int64).max
    contact = np.where((start == 0) | never, earlier, np.where(never, 0, first_day))
    mapped = pl.Series(rng.random(n) > 0.02)  # the postcode was found in the lookup
    area = local[where]
    frame = pl.DataFrame(
        {
            "person_ref": person_ref,
            "gender": _codes(rng, GENDER, n),
            "ethnicity": _codes(rng, ETHNICITY, n),
            "disability": _codes(rng, {"no": 80, "yes": 9, "not_known": 8, None: 3}, n),
            "send": _codes(rng, SEND, n),
            "fsm": _codes(rng, {"no": 64, "yes": 20, "not_known": 12, None: 4}, n),
            "care_experienced": _codes(rng, {"no": 90, "yes": 3, "not_known": 5, None: 2}, n),
            "young_carer": _codes(rng, {"no": 85, "yes": 6, "not_known": 7, None: 2}, n),
            "eet_young": _codes(rng, EET_YOUNG, n),
            "eet_16": _codes(rng, EET_16, n),
            "eet_19": _codes(rng, EET_19, n),
            "age0": age0,
            "first_contact_date": _dates(contact),
            "consent_to_share": consent,
        }
    )
    return frame.select(
        "person_ref", "gender", "ethnicity", "disability", "send",
        free_school_meals=pl.when(pl.col("age0") >= 19).then(pl.lit("not_known"))
        .otherwise(pl.col("fsm")),
        care_experienced="care_experienced",
        young_carer="young_carer",
        education_employment_status=pl.when(pl.col("age0") < 16).then("eet_young")
        .when(pl.col("age0") < 19).then("eet_16").otherwise("eet_19"),
        first_contact_date="first_contact_date",
        consent_to_share="consent_to_share",
        age_at_period_start=pl.lit(None, pl.Int16),
        scheme=pl.when(pl.col("consent_to_share") == "yes").then(pl.lit("needle-bf-1")),
        **{c: pl.lit(None, pl.String) for c in LINKAGE_COLUMNS},
        **{c: pl.lit(None, pl.Binary) for c in ("bf_name", "bf_dob", "bf_postcode")},
        lsoa21=pl.when(mapped).then(pl.lit(area["lsoa21"])),
        ward_code=pl.when(mapped).then(pl.lit(area["ward"])),
        la_code=pl.when(mapped).then(pl.lit(area["local_authority"])),
        imd_decile=pl.when(mapped).then(pl.lit(area["imd_decile"])),
        imd_quintile=pl.when(mapped).then(pl.lit(area["imd_quintile"])),
    )  # fmt: skip


def _items(rng, instrument: str, level: np.ndarray) -> dict[str, np.ndarray]:
    n = level.size
    if instrument == "swemwbs":
        raw = np.rint(3.2 + 0.8 * level[:, None] + rng.normal(0, 0.7, (n, 7)))
        items = np.clip(raw, 1, 5)
    else:
        good = np.rint(7 + 1.4 * level[:, None] + rng.normal(0, 1.4, (n, 3)))
        anxiety = np.rint(3.5 - 1.4 * level[:, None] + rng.normal(0, 2, (n, 1)))
        items = np.clip(np.hstack([good, anxiety]), 0, 10)
    items[rng.random(n) < 0.005, int(rng.integers(items.shape[1]))] = np.nan  # a skipped item
    return {f"q{i + 1}": items[:, i] for i in range(items.shape[1])}


def _measurements(rng, measures, q_from, q_to, person_ref, dob, known_age) -> pl.DataFrame:
    end = _days(q_to)
    frames = []
    for instrument, timepoint, idx, day, level in measures:
        keep = (day >= q_from) & (day <= end)
        if not keep.any():
            continue
        items = _items(rng, instrument, level[keep])
        frames.append(
            pl.DataFrame(
                {
                    "person_ref": person_ref[idx[keep]],
                    "instrument": instrument,
                    "administered_on": _dates(day[keep]),
                    "timepoint": timepoint,
                    **{
                        f"q{i}": pl.Series(items.get(f"q{i}"), nan_to_null=True).cast(pl.Int64)
                        if f"q{i}" in items
                        else pl.Series([None] * int(keep.sum()), dtype=pl.Int64)
                        for i in range(1, 15)
                    },
                    "age_at_activity": _age(dob[idx[keep]], day[keep], known_age[idx[keep]]),
                }
            )
        )
    if not frames:
        return pl.DataFrame(
            schema={
                "person_ref": pl.String,
                "instrument": pl.String,
                "administered_on": pl.Date,
                "timepoint": pl.String,
                **{f"q{i}": pl.Int64 for i in range(1, 15)},
                "age_at_activity": pl.Int16,
            }
        )
    return pl.concat(frames).sort("administered_on", "person_ref")


def _referrals(
    rng, label, persons, out, into, home, provision_ref, person_ref, q_from, q_to, dob,
    known_age, index, partners,
) -> pl.DataFrame:  # fmt: skip
    who = np.concatenate([persons[out], persons[into]])
    direction = np.array(["out"] * int(out.sum()) + ["in"] * int(into.sum()), dtype=object)
    n = who.size
    status = np.where(
        direction == "out", _pick(rng, OUT_STATUS, n), _pick(rng, IN_STATUS, n)
    ).astype(str)
    referred = rng.integers(q_from, q_to + 1, n)
    status_date = np.minimum(referred + rng.exponential(18, n).astype(np.int64), q_to + 60)
    others = np.array([f"P{(index + k) % partners + 1:03d}" for k in (1, 2, 3)], dtype=object)
    partner_org = np.where(
        rng.random(n) < 0.3,
        others[rng.integers(0, 3, n)],
        np.array(SERVICES)[rng.integers(0, 10, n)],
    )
    return pl.DataFrame(
        {
            "referral_ref": _refs(f"R{label[2:4]}{label[-1]}-", n, 6),
            "person_ref": person_ref[who],
            "direction": direction.astype(str),
            "partner_org": partner_org.astype(str),
            "provision_ref": provision_ref[home[who]].set(pl.Series(direction == "out"), None),
            "referred_on": _dates(referred),
            "reason": np.array(REASONS)[rng.integers(0, len(REASONS), n)],
            "status": status,
            "status_date": _dates(status_date),
            "age_at_activity": _age(dob[who], referred, known_age[who]),
        },
    )


def _milestones(rng, who, person_ref, q_from, q_to, dob, known_age) -> pl.DataFrame:
    n = who.size
    day = rng.integers(q_from, q_to + 1, n)
    return pl.DataFrame(
        {
            "person_ref": person_ref[who],
            "milestone": _pick(rng, MILESTONES, n).astype(str),
            "achieved_on": _dates(day),
            "evidence": np.where(rng.random(n) < 0.6, "verified", "self_reported"),
            "age_at_activity": _age(dob[who], day, known_age[who]),
        }
    )


# -- the pool ------------------------------------------------------------------------------

_worker: dict[str, object] = {}


def _init_worker(home: str, scale: Scale) -> None:
    from needle.pool import Pool

    _worker["pool"] = Pool.open(home)
    _worker["scale"] = scale
    _worker["geo"] = geography(scale.seed)


def _submit_partner(index: int) -> dict[str, int]:
    from needle.standard import CURRENT_VERSION

    pool, scale, geo = _worker["pool"], _worker["scale"], _worker["geo"]
    rows: dict[str, int] = {}
    org = f"P{index + 1:03d}"
    for label, tables in partner_tables(scale, index, geo):
        pool.receive(
            org=org,
            period=label,
            standard_version=CURRENT_VERSION,
            content_sha256=os.urandom(32).hex(),
            tables=tables,
            report={"valid": True},
            source_name=f"{org}-{label}.zip",
        )
        for entity, frame in tables.items():
            rows[entity] = rows.get(entity, 0) + frame.height
    return rows


def ensure_pool(
    scale: Scale, *, cache: Path = CACHE, workers: int = 2, quiet: bool = False
) -> Path:
    """The generated initiative folder for ``scale`` (pool, population), generating it
    unless a complete one is cached. A folder without its completion marker is an
    interrupted generation and is started again."""
    from needle.pool import Pool

    folder = cache / scale.name
    if (folder / MARKER).exists():
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    say = (lambda *a: None) if quiet else print
    say(f"Generating {scale.name} in {folder} (one-off; cached) ...")
    geo = geography(scale.seed)
    population(geo, scale.seed).write_parquet(folder / POPULATION)
    with Pool.open(folder) as pool:
        for i in range(scale.partners):
            pool.add_partner(f"P{i + 1:03d}", f"Synthetic partner {i + 1}")
    rows: dict[str, int] = {}
    order = np.argsort(-_sizes(scale)).tolist()  # biggest first: workers finish together
    args = (str(folder), scale)
    if workers > 1:
        # Spawned, not forked: the parent's Polars thread pool does not survive a fork.
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, spawn, _init_worker, args) as ex:
            results = ex.map(_submit_partner, order)
            for done, counts in enumerate(results, 1):
                for k, v in counts.items():
                    rows[k] = rows.get(k, 0) + v
                if done % 10 == 0 or done == scale.partners:
                    say(
                        f"  {done}/{scale.partners} partners, {time.perf_counter() - started:.0f} s"
                    )
    else:
        _init_worker(*args)
        try:
            for i in order:
                for k, v in _submit_partner(i).items():
                    rows[k] = rows.get(k, 0) + v
        finally:
            _worker.pop("pool").close()
    seconds = time.perf_counter() - started
    info = {"scale": asdict(scale), "rows": rows, "seconds": round(seconds, 1)}
    (folder / MARKER).write_text(json.dumps(info, indent=1) + "\n")
    say(f"  generated in {seconds:.0f} s: " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
    return folder


def generated(folder: Path) -> dict:
    return json.loads((folder / MARKER).read_text())
