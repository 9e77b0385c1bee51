"""The true young people of the synthetic initiative (the ground truth behind every record).

Why: linkage accuracy and indicator correctness can only be measured against a truth the
submissions never contain. Each person here is drawn where Trafford's young people live:
a Census cell (LSOA, single year of age 8-25, sex) in proportion to its residents, an
ethnic group from that LSOA's Census mix, a real postcode in the LSOA, and needs (SEND,
free school meals, care experience, caring, wellbeing, NEET) that rise with the IMD
deprivation of the area. Everything is vectorised: 40,000 people take well under a second.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from needle.periods import Period
from needle.synth.calendar import age_on
from needle.synth.geography import MAX_AGE, MIN_AGE, Geography
from needle.synth.names import name_pools

# Share of people whose first quarter in the window is each of the 8 quarters: the first
# includes young people already known before the initiative started sharing data.
FIRST_QUARTER_WEIGHTS = np.array([0.30, 0.11, 0.10, 0.12, 0.10, 0.09, 0.10, 0.08])
DOUBLE_BARREL_ORIGINS = ("uk", "irish")
DOUBLE_SURNAME_ORIGINS = ("southern_european", "latin")


def make_people(
    rng: np.random.Generator, n: int, geo: Geography, periods: list[Period]
) -> pl.DataFrame:
    """``n`` synthetic young people with their true identifiers and circumstances."""
    cells = geo.age_sex_weights()
    n_age = geo.population.shape[1]
    cell = rng.choice(cells.size, size=n, p=cells)
    lsoa, rest = np.divmod(cell, n_age * 2)
    age_idx, sex_idx = np.divmod(rest, 2)
    age = MIN_AGE + age_idx
    female = sex_idx == 0

    weights = (
        FIRST_QUARTER_WEIGHTS
        if len(periods) == FIRST_QUARTER_WEIGHTS.size
        else np.ones(len(periods))
    )
    first_q = rng.choice(len(periods), size=n, p=weights / weights.sum())
    q_start = np.array([np.datetime64(p.start) for p in periods])[first_q]
    dob = _birth_dates(rng, age, q_start, oldest=MAX_AGE)

    eth_idx = _categorical(rng, geo.ethnicity_share[lsoa])
    ethnicity = np.asarray(geo.ethnicity_codes, dtype=object)[eth_idx]

    pools = name_pools()
    given, family, f_origin = pools.draw(rng, ethnicity.astype(str), female)
    family = _double_family_names(rng, family, f_origin, female, pools)

    off = geo.lsoa_offsets
    pc_row = off[lsoa] + np.floor(rng.random(n) * (off[lsoa + 1] - off[lsoa])).astype(np.int64)
    postcodes = geo.postcode_array
    lon = geo.postcodes["lon"].to_numpy()[pc_row]
    lat = geo.postcodes["lat"].to_numpy()[pc_row]
    postcode_first = postcodes[pc_row]
    moved_on, postcode_now = _moves(rng, pc_row, geo, periods)

    decile = geo.imd_decile[lsoa].astype(np.int64)
    dep = (11 - decile) / 10.0  # 1.0 in the most deprived tenth, 0.1 in the least
    gender = _gender(rng, female, age)
    boy = ~female
    p_ehcp = (0.025 + 0.03 * dep) * np.where(boy, 1.6, 0.7)
    p_sen = (0.09 + 0.08 * dep) * np.where(boy, 1.35, 0.75)
    u = rng.random(n)
    send = np.where(u < p_ehcp, "ehcp", np.where(u < p_ehcp + p_sen, "sen_support", "none"))
    fsm = rng.random(n) < 0.04 + 0.42 * dep**1.5
    care = rng.random(n) < 0.008 + 0.03 * dep
    carer = rng.random(n) < 0.05 + 0.04 * dep
    disability = rng.random(n) < 0.05 + 0.45 * (send == "ehcp") + 0.08 * (send == "sen_support")
    wellbeing = rng.normal(-0.25 * dep - 0.35 * care - 0.25 * carer + 0.1, 1.0)
    neet_u = rng.random(n) ** (1.0 + 0.8 * (1 - dep))  # deprived areas: lower u, more NEET

    return pl.DataFrame(
        {
            "pid": np.arange(n, dtype=np.int64),
            "given_name": given.astype(str),
            "family_name": family.astype(str),
            "sex": np.where(female, "female", "male"),
            "gender": gender,
            "date_of_birth": dob,
            "postcode": postcode_first.astype(str),
            "postcode_now": postcode_now.astype(str),
            "moved_on": moved_on,
            "lsoa": np.asarray(geo.lsoas)[lsoa],
            "lsoa_idx": lsoa.astype(np.int32),
            "ward": geo.postcodes["ward"].to_numpy()[pc_row].astype(str),
            "lon": lon,
            "lat": lat,
            "imd_decile": decile,
            "ethnicity": ethnicity.astype(str),
            "send": send,
            "free_school_meals": fsm,
            "care_experienced": care,
            "young_carer": carer,
            "disability": disability,
            "wellbeing": wellbeing,
            "neet_u": neet_u,
            "deprivation": dep,
            "first_q": first_q.astype(np.int64),
            "age_at_first": age.astype(np.int64),
        }
    ).with_columns(pl.col("date_of_birth").cast(pl.Date), pl.col("moved_on").cast(pl.Date))


def _categorical(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    u = rng.random(p.shape[0])
    return np.minimum((np.cumsum(p, axis=1) < u[:, None]).sum(axis=1), p.shape[1] - 1)


def _birth_dates(
    rng: np.random.Generator, age: np.ndarray, on: np.ndarray, oldest: int
) -> np.ndarray:
    """Birth dates giving exactly ``age`` on ``on``.

    The last birthday is 0-364 days before ``on``; for the oldest age it is under 270 days
    before, so nobody turns ``oldest + 1`` during the quarter they are first seen.
    """
    span = np.where(age >= oldest, 270, 365)
    since = np.floor(rng.random(age.size) * span).astype(np.int64)
    last_birthday = on - since.astype("timedelta64[D]")
    y = last_birthday.astype("datetime64[Y]").astype(np.int64) + 1970
    m = last_birthday.astype("datetime64[M]").astype(np.int64) % 12
    d = (last_birthday - last_birthday.astype("datetime64[M]")).astype(np.int64)
    month = ((y - age - 1970) * 12 + m).astype("datetime64[M]")
    length = ((month + 1).astype("datetime64[D]") - month.astype("datetime64[D]")).astype(np.int64)
    dob = month.astype("datetime64[D]") + np.minimum(d, length - 1).astype("timedelta64[D]")
    assert np.all(age_on(dob, on) == age)
    return dob


def _gender(rng: np.random.Generator, female: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Mostly female/male by sex; a small share non-binary, other or prefer not to say."""
    u = rng.random(female.size)
    older = age >= 14
    nb = np.where(older, 0.018, 0.004)
    other = np.where(older, 0.004, 0.001)
    pnts = np.full(female.size, 0.006)
    base = np.where(female, "female", "male").astype(object)
    out = np.where(u < nb, "non_binary", base)
    out = np.where((u >= nb) & (u < nb + other), "other", out)
    out = np.where((u >= nb + other) & (u < nb + other + pnts), "prefer_not_to_say", out)
    return out.astype(str)


def _double_family_names(
    rng: np.random.Generator,
    family: np.ndarray,
    origin: np.ndarray,
    female: np.ndarray,
    pools,  # NamePools
) -> np.ndarray:
    """Hyphenated British names (Smith-Jones) and Spanish/Portuguese double names."""
    origins = pools.origins
    barrel = np.isin(origin, [origins.index(o) for o in DOUBLE_BARREL_ORIGINS])
    double = np.isin(origin, [origins.index(o) for o in DOUBLE_SURNAME_ORIGINS])
    u = rng.random(family.size)
    hyphen = barrel & (u < 0.05)
    space = double & (u < 0.5)
    second = pools.family["male"].draw(rng, origin)
    out = family.copy()
    out[hyphen] = family[hyphen] + "-" + second[hyphen]
    out[space] = family[space] + " " + second[space]
    same = second == family
    out[same] = family[same]
    return out


def _moves(
    rng: np.random.Generator, pc_row: np.ndarray, geo: Geography, periods: list[Period]
) -> tuple[np.ndarray, np.ndarray]:
    """About 8% move house during the window: mostly within their ward."""
    n = pc_row.size
    postcodes = geo.postcode_array
    movers = rng.random(n) < 0.08
    start = np.datetime64(periods[0].start) + np.timedelta64(20, "D")
    days = (np.datetime64(periods[-1].end) - start).astype(np.int64) - 20
    moved_on = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    moved_on[movers] = start + np.floor(rng.random(movers.sum()) * days).astype("timedelta64[D]")

    ward_pos = np.empty(len(geo.postcodes), dtype=np.int64)
    ward_pos[geo.ward_order] = np.arange(len(geo.postcodes))
    ward_of_row = np.searchsorted(geo.ward_offsets, ward_pos, side="right") - 1
    w = ward_of_row[pc_row]
    lo, hi = geo.ward_offsets[w], geo.ward_offsets[w + 1]
    local = geo.ward_order[lo + np.floor(rng.random(n) * (hi - lo)).astype(np.int64)]
    anywhere = np.floor(rng.random(n) * len(postcodes)).astype(np.int64)
    new_row = np.where(rng.random(n) < 0.7, local, anywhere)
    new_row = np.where(new_row == pc_row, (new_row + 1) % len(postcodes), new_row)
    now = np.where(movers, postcodes[new_row], postcodes[pc_row])
    return moved_on, now


def education_status(age: np.ndarray, neet_u: np.ndarray) -> np.ndarray:
    """Education, employment or training status plausible for age (and, via u, deprivation)."""
    # thresholds on u, in order: neet, training, employment, else education
    neet = np.select([age < 16, age < 18, age < 22], [0.0, 0.06, 0.14], 0.16)
    training = neet + np.select([age < 16, age < 18, age < 22], [0.0, 0.06, 0.07], 0.05)
    employment = training + np.select([age < 16, age < 18, age < 22], [0.0, 0.03, 0.32], 0.62)
    return np.select(
        [neet_u < neet, neet_u < training, neet_u < employment],
        ["neet", "in_training", "in_employment"],
        "in_education",
    )
