"""How each organisation records the same young person, slightly differently.

Why: this is what makes linkage hard in real life, so the synthetic data must have it in
realistic amounts: nicknames and spelling variants (William/Will, Muhammad/Mohammed,
Aleksandra/Ola), typing slips, accents dropped by case systems, double family names
shortened, names in capitals, day and month of birth swapped (only where both are 12 or
less, so the date stays valid), a postcode from before a move, postcodes in lower case or
without the space, optional fields left blank, and each organisation's own ``person_ref``.
Every variation applied is listed in the ground truth, never in a submission.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import polars as pl

from needle.synth.journeys import Window
from needle.synth.names import name_pools, nicknames
from needle.synth.partners import PARTNERS

KEYBOARD = {
    "a": "qwsz", "b": "vghn", "c": "xdfv", "d": "serfcx", "e": "wsdr", "f": "drtgvc",
    "g": "ftyhbv", "h": "gyujnb", "i": "ujko", "j": "huikmn", "k": "jiolm", "l": "kop",
    "m": "njk", "n": "bhjm", "o": "iklp", "p": "ol", "q": "wa", "r": "edft", "s": "awedxz",
    "t": "rfgy", "u": "yhji", "v": "cfgb", "w": "qase", "x": "zsdc", "y": "tghu", "z": "asx",
}  # fmt: skip


def fold_map() -> dict[str, str]:
    """Accented letter -> plain letter, for every letter in the name pools."""
    pools = name_pools()
    chars = set()
    for pool in (*pools.given.values(), *pools.family.values()):
        for name in pools_names(pool):
            chars.update(name)
    out = {}
    for ch in sorted(chars):
        if ord(ch) < 128:
            continue
        plain = "".join(
            c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
        )
        out[ch] = {"ł": "l", "Ł": "L"}.get(ch, plain)
    return out


def pools_names(pool) -> list[str]:  # Pool
    return [str(n) for n in pool.names]


def record_identifiers(
    rng: np.random.Generator, records: pl.DataFrame, people: pl.DataFrame, window: Window
) -> pl.DataFrame:
    """Add each organisation's recorded identifiers and circumstances to every record."""
    n = records.height
    quality = np.array([p.quality for p in PARTNERS])[records["org_idx"].to_numpy()]
    r = records.join(people, on="pid", how="left")

    def u() -> pl.Series:
        return pl.Series(rng.random(n))

    # When the organisation first met them: before the window for "pre" records.
    start_day = window.starts[r["start_q"].to_numpy()]
    pre_day = np.datetime64(window.periods[0].start) - np.floor(rng.random(n) * 700 + 1).astype(
        "timedelta64[D]"
    )
    dob = r["date_of_birth"].to_numpy().astype("datetime64[D]")
    pre_day = np.maximum(pre_day, dob + np.timedelta64(8 * 366, "D"))
    met_on = np.where(r["pre"].to_numpy(), pre_day, start_day)
    r = r.with_columns(
        pl.Series("pre_contact", np.where(r["pre"].to_numpy(), pre_day, np.datetime64("NaT"))).cast(
            pl.Date
        ),
        pl.Series("met_on", met_on).cast(pl.Date),
        pl.Series("quality", quality),
    )
    r = _person_refs(rng, r)
    r = _given_names(r, u, quality)
    r = _family_names(r, u, quality)
    r = _dates_of_birth(r, u, quality)
    r = _postcodes(r, u, quality)
    r = _circumstances(r, u, quality)
    keep = [
        *records.columns,
        "person_ref",
        "rec_given",
        "rec_family",
        "rec_dob",
        "rec_postcode",
        "rec_gender",
        "rec_ethnicity",
        "rec_disability",
        "rec_send",
        "rec_fsm",
        "rec_care",
        "rec_carer",
        "consent",
        "pre_contact",
        "met_on",
        "elig_dob",
        "variations",
    ]
    return r.select(keep)


def _person_refs(rng: np.random.Generator, r: pl.DataFrame) -> pl.DataFrame:
    """Numbered in order of first contact, with small gaps (deleted or test records)."""
    gap = pl.Series(rng.geometric(0.8, r.height))
    r = r.with_columns(gap.alias("_gap"), pl.Series(rng.random(r.height)).alias("_tie"))
    r = r.sort(["org_idx", "met_on", "_tie"]).with_columns(
        pl.col("_gap").cum_sum().over("org_idx").alias("_n")
    )
    fmt = {i: p.person_ref for i, p in enumerate(PARTNERS)}
    refs = [
        fmt[o].format(n=k, yy=d.year % 100)
        for o, k, d in zip(r["org_idx"], r["_n"], r["met_on"], strict=True)
    ]
    return r.with_columns(pl.Series("person_ref", refs)).sort("rid").drop("_gap", "_tie", "_n")


def _typo(col: str, u1: pl.Series, u2: pl.Series, u3: pl.Series) -> pl.Expr:
    """One keyboard slip after the first letter: swap, drop, double or hit a neighbour key."""
    s = pl.col(col)
    length = s.str.len_chars()
    i = (u1 * (length - 2).clip(lower_bound=1)).floor().cast(pl.Int64) + 1
    kind = (u2 * 4).floor()
    ch = s.str.slice(i, 1)
    neighbours = ch.str.to_lowercase().replace_strict(KEYBOARD, default=ch.str.to_lowercase())
    hit = neighbours.str.slice((u3 * neighbours.str.len_chars()).floor().cast(pl.Int64), 1)
    head, tail = s.str.slice(0, i), s.str.slice(i + 1)
    swapped = head + s.str.slice(i + 1, 1) + ch + s.str.slice(i + 2)
    return (
        pl.when(length < 4).then(s)
        .when(kind == 0).then(swapped)
        .when(kind == 1).then(head + tail)
        .when(kind == 2).then(head + ch + ch + tail)
        .otherwise(head + hit + tail)
    )  # fmt: skip


def _given_names(r: pl.DataFrame, u, quality: np.ndarray) -> pl.DataFrame:
    nick = nicknames()
    nick = nick.with_columns(pl.int_range(pl.len()).over("name").alias("k"))
    counts = nick.group_by("name").agg(pl.len().alias("nk"))
    r = r.join(counts, left_on="given_name", right_on="name", how="left")
    pick = (u() * r["nk"].fill_null(1)).floor().cast(pl.Int64)
    r = r.with_columns(pick.alias("k"))
    r = r.join(
        nick.select("name", "k", "variant"),
        left_on=["given_name", "k"],
        right_on=["name", "k"],
        how="left",
    )
    folds = fold_map()
    ascii_org = np.array([p.ascii_names for p in PARTNERS])[r["org_idx"].to_numpy()]
    use_nick = (u() < 0.13) & r["variant"].is_not_null()
    typo = u() < 0.02 * quality
    fold = pl.Series(ascii_org) | (u() < 0.35)
    case = u()
    r = r.with_columns(
        pl.when(use_nick).then(pl.col("variant")).otherwise(pl.col("given_name")).alias("rec_given")
    )
    r = r.with_columns(
        pl.when(typo)
        .then(_typo("rec_given", u(), u(), u()))
        .otherwise(pl.col("rec_given"))
        .alias("rec_given")
    )
    folded = pl.col("rec_given").str.replace_many(folds)
    r = r.with_columns(
        pl.when(fold).then(folded).otherwise(pl.col("rec_given")).alias("rec_given"),
        (fold & (pl.col("rec_given").str.replace_many(folds) != pl.col("rec_given"))).alias(
            "_fold"
        ),
    )
    r = r.with_columns(
        pl.when(case < 0.015)
        .then(pl.col("rec_given").str.to_uppercase())
        .when(case < 0.035)
        .then(pl.col("rec_given").str.to_lowercase())
        .when(case < 0.045)
        .then(pl.col("rec_given") + " ")
        .otherwise(pl.col("rec_given"))
        .alias("rec_given"),
        _flags(
            ("given:nickname", use_nick & (pl.col("variant") != pl.col("given_name"))),
            ("given:typo", typo),
            ("given:accents", pl.col("_fold")),
            ("given:case", case < 0.035),
        ).alias("variations"),
    )
    return r.drop("nk", "k", "variant", "_fold")


def _flags(*pairs: tuple[str, object]) -> pl.Expr:
    parts = [pl.when(cond).then(pl.lit(name)).otherwise(None) for name, cond in pairs]
    return pl.concat_str(parts, separator=";", ignore_nulls=True)


def _family_names(r: pl.DataFrame, u, quality: np.ndarray) -> pl.DataFrame:
    folds = fold_map()
    org = r["org_idx"].to_numpy()
    upper = pl.Series(np.array([p.upper_family for p in PARTNERS])[org])
    ascii_org = pl.Series(np.array([p.ascii_names for p in PARTNERS])[org])
    detach = pl.Series(r["org"].to_numpy() == "DETACH")
    fam = pl.col("family_name")
    has_sep = fam.str.contains(r"[- ]") & ~fam.str.starts_with("Al-")
    short = u()
    first_part = fam.str.extract(r"^([^- ]+)", 1)
    last_part = fam.str.extract(r"([^- ]+)$", 1)
    swapped_separator = (
        pl.when(fam.str.contains("-"))
        .then(fam.str.replace_all("-", " "))
        .otherwise(fam.str.replace_all(" ", "-"))
    )
    shortened = (
        pl.when(short < 0.3).then(first_part)
        .when(short < 0.4).then(last_part)
        .when(short < 0.5).then(swapped_separator)
        .otherwise(fam)
    )  # fmt: skip
    apost = u()
    typo = u() < 0.02 * quality
    fold = ascii_org | (u() < 0.35)
    missing = u() < np.where(detach, 0.35, 0.008)
    r = r.with_columns(pl.when(has_sep).then(shortened).otherwise(fam).alias("rec_family"))
    r = r.with_columns(
        pl.when(pl.col("rec_family").str.contains("'") & (apost < 0.2))
        .then(pl.col("rec_family").str.replace("'", ""))
        .when(pl.col("rec_family").str.contains("'") & (apost < 0.3))
        .then(pl.col("rec_family").str.replace("'", " "))
        .when(pl.col("rec_family").str.starts_with("Al-") & (apost < 0.3))
        .then(pl.col("rec_family").str.replace("Al-", "Al "))
        .otherwise(pl.col("rec_family"))
        .alias("rec_family")
    )
    r = r.with_columns(
        pl.when(typo)
        .then(_typo("rec_family", u(), u(), u()))
        .otherwise(pl.col("rec_family"))
        .alias("rec_family")
    )
    r = r.with_columns(
        pl.when(fold)
        .then(pl.col("rec_family").str.replace_many(folds))
        .otherwise(pl.col("rec_family"))
        .alias("rec_family")
    )
    r = r.with_columns(
        pl.when(missing)
        .then(None)
        .when(upper)
        .then(pl.col("rec_family").str.to_uppercase())
        .otherwise(pl.col("rec_family"))
        .alias("rec_family")
    )
    plain = fam.str.replace_many(folds).str.to_uppercase()
    rec_plain = pl.col("rec_family").str.replace_many(folds).str.to_uppercase()
    flags = _flags(
        ("family:shortened", has_sep & (rec_plain != plain) & ~typo & ~missing),
        ("family:punctuation", ~has_sep & (rec_plain != plain) & ~typo & ~missing),
        ("family:typo", typo & ~missing),
        ("family:accents", fold & (fam.str.replace_many(folds) != fam) & ~missing),
        ("family:case", upper & ~missing),
        ("family:missing", missing),
    )
    return r.with_columns(_join(pl.col("variations"), flags).alias("variations"))


def _join(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    return pl.concat_str(
        [a.replace("", None), b.replace("", None)], separator=";", ignore_nulls=True
    )


def _dates_of_birth(r: pl.DataFrame, u, quality: np.ndarray) -> pl.DataFrame:
    detach = pl.Series(r["org"].to_numpy() == "DETACH")
    dob = pl.col("date_of_birth")
    day, month = dob.dt.day(), dob.dt.month()
    swappable = (day <= 12) & (month <= 12) & (day != month)
    swap = (u() < 0.025 * quality) & swappable
    year_slip = u() < 0.005 * quality
    missing = u() < np.where(detach, 0.3, 0.015)
    swapped = pl.date(dob.dt.year(), day, month)
    slipped = pl.date(
        dob.dt.year() + pl.when(u() < 0.5).then(1).otherwise(-1), month, day.clip(upper_bound=28)
    )
    rec = (
        pl.when(missing).then(None)
        .when(swap).then(swapped)
        .when(year_slip).then(slipped)
        .otherwise(dob)
    )  # fmt: skip
    r = r.with_columns(rec.alias("rec_dob"))
    flags = _flags(
        ("dob:swapped", swap & ~missing),
        ("dob:year", year_slip & ~swap & ~missing),
        ("dob:missing", missing),
    )
    return r.with_columns(
        _join(pl.col("variations"), flags).alias("variations"),
        pl.coalesce("rec_dob", "date_of_birth").alias("elig_dob"),
    )


def _postcodes(r: pl.DataFrame, u, quality: np.ndarray) -> pl.DataFrame:
    detach = pl.Series(r["org"].to_numpy() == "DETACH")
    moved_before = pl.col("moved_on").is_not_null() & (pl.col("moved_on") <= pl.col("met_on"))
    pc = pl.when(moved_before).then(pl.col("postcode_now")).otherwise(pl.col("postcode"))
    old = pl.col("moved_on").is_not_null() & ~moved_before
    style = u()
    missing = u() < np.where(detach, 0.3, 0.02 * quality)
    rec = (
        pl.when(missing).then(None)
        .when(style < 0.06).then(pc.str.to_lowercase())
        .when(style < 0.11).then(pc.str.replace(" ", ""))
        .otherwise(pc)
    )  # fmt: skip
    flags = _flags(
        ("postcode:before_move", old & ~missing),
        ("postcode:format", (style < 0.11) & ~missing),
        ("postcode:missing", missing),
    )
    return r.with_columns(rec.alias("rec_postcode")).with_columns(
        _join(pl.col("variations"), flags).alias("variations")
    )


def _yes_no(flag: pl.Expr, u1: pl.Series, unknown: float, blank: float) -> pl.Expr:
    return (
        pl.when(u1 < blank).then(None)
        .when(u1 < blank + unknown).then(pl.lit("not_known"))
        .when(flag).then(pl.lit("yes"))
        .otherwise(pl.lit("no"))
    )  # fmt: skip


def _circumstances(r: pl.DataFrame, u, quality: np.ndarray) -> pl.DataFrame:
    """Gender, ethnicity and needs as recorded: mostly right, sometimes unknown or blank."""
    org = r["org"]
    detach = pl.Series(org.to_numpy() == "DETACH")
    carers = pl.Series(org.to_numpy() == "CARERS")
    age = ((pl.col("met_on") - pl.col("date_of_birth")).dt.total_days() / 365.25).floor()
    g = u()
    e = u()
    consent_no = u() < np.where(detach, 0.12, 0.045)
    spotted_carer = carers | (u() < 0.55)
    return r.with_columns(
        pl.when(g < 0.03 * quality).then(None)
        .when(g < 0.05 * quality).then(pl.lit("not_known"))
        .otherwise(pl.col("gender")).alias("rec_gender"),
        pl.when(e < 0.06 * quality).then(None)
        .when(e < 0.09 * quality).then(pl.lit("not_known"))
        .when(e < 0.105 * quality).then(pl.lit("prefer_not_to_say"))
        .otherwise(pl.col("ethnicity")).alias("rec_ethnicity"),
        _yes_no(pl.col("disability"), u(), 0.08, 0.04).alias("rec_disability"),
        pl.when(u() < 0.1).then(pl.lit("not_known"))
        .when((age >= 19) & (pl.col("send") == "sen_support")).then(pl.lit("none"))
        .otherwise(pl.col("send")).alias("rec_send"),
        pl.when(age >= 19).then(pl.lit("not_known"))
        .otherwise(_yes_no(pl.col("free_school_meals"), u(), 0.1, 0.03)).alias("rec_fsm"),
        _yes_no(pl.col("care_experienced"), u(), 0.07, 0.03).alias("rec_care"),
        pl.when(carers).then(pl.lit("yes"))
        .otherwise(_yes_no(pl.col("young_carer") & spotted_carer, u(), 0.08, 0.03))
        .alias("rec_carer"),
        pl.when(consent_no).then(pl.lit("no")).otherwise(pl.lit("yes")).alias("consent"),
    )  # fmt: skip
