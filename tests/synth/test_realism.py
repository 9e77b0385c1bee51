"""The synthetic young people look like Trafford's: real postcodes, Census ages and ethnicity."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from needle.periods import parse_period
from needle.standard import load_standard, normalise_token
from needle.synth.calendar import age_on
from needle.synth.geography import AGES, load_geography


def _people(initiative) -> pl.DataFrame:
    out, _ = initiative
    return pl.read_csv(out / "ground_truth/people.csv", try_parse_dates=True)


def _ages_when_first_seen(people: pl.DataFrame) -> np.ndarray:
    starts = np.array(
        [np.datetime64(parse_period(p).start) for p in people["first_period"]],
        dtype="datetime64[D]",
    )
    return age_on(people["date_of_birth"].to_numpy().astype("datetime64[D]"), starts)


def test_ages_are_8_to_25_when_first_seen(initiative):
    ages = _ages_when_first_seen(_people(initiative))
    assert ages.min() >= 8 and ages.max() <= 25


def test_age_and_sex_follow_traffords_population(initiative):
    """Loose check: shares of three age bands and of girls within a few points of the Census."""
    people = _people(initiative)
    ages = _ages_when_first_seen(people)
    pop = load_geography().population.sum(axis=0)  # (age, sex)
    by_age = pop.sum(axis=1) / pop.sum()
    census_ages = AGES
    for low, high in ((8, 12), (13, 17), (18, 25)):
        expected = by_age[(census_ages >= low) & (census_ages <= high)].sum()
        observed = ((ages >= low) & (ages <= high)).mean()
        assert abs(observed - expected) < 0.06, (low, high, observed, expected)
    girls = (people["sex"] == "female").mean()
    assert abs(girls - pop[:, 0].sum() / pop.sum()) < 0.05


def test_every_postcode_is_a_real_trafford_postcode(initiative, clean_tables):
    real = set(load_geography().postcodes["postcode"])
    people = _people(initiative)
    assert set(people["postcode_first_contact"]) <= real
    assert set(people["postcode_now"]) <= real
    seen = 0
    for _, tables in clean_tables:
        for entity in ("young_people", "provisions", "sessions"):
            table = tables[entity]
            if "postcode" not in table.columns:
                continue
            for value in table["postcode"].drop_nulls():
                compact = value.upper().replace(" ", "")
                assert f"{compact[:-3]} {compact[-3:]}" in real, value
                seen += 1
    assert seen > 1000


def test_ethnicity_is_a_standard_code_drawn_from_the_census_mix(initiative, clean_tables):
    standard = load_standard()
    codes = set(standard.codelists["ethnicity"].values)
    lookup = standard.codelists["ethnicity"].lookup()
    people = _people(initiative)
    assert set(people["ethnicity"]) <= codes
    white_british = (people["ethnicity"] == "white_british").mean()
    assert 0.55 < white_british < 0.85  # Trafford: about 70% in Census 2021
    assert people["ethnicity"].n_unique() >= 12
    for _, tables in clean_tables:
        recorded = tables["young_people"]["ethnicity"].drop_nulls()
        assert all(normalise_token(v) in lookup for v in recorded)


def test_young_people_are_known_to_several_organisations_recorded_differently(
    initiative, clean_tables
):
    out, _ = initiative
    truth = pl.read_csv(out / "ground_truth/person_records.csv")
    rows = pl.concat(
        [
            t["young_people"]
            .select("person_ref", "given_name", "date_of_birth")
            .with_columns(pl.lit(e["org"]).alias("org"), pl.lit(e["period"]).alias("period"))
            for e, t in clean_tables
        ]
    ).join(truth, on=["org", "period", "person_ref"])
    per_person = rows.group_by("true_person_id").agg(
        pl.col("org").n_unique().alias("orgs"),
        pl.col("given_name").n_unique().alias("names"),
        pl.col("date_of_birth").drop_nulls().n_unique().alias("dobs"),
    )
    counts = per_person["orgs"].value_counts()
    assert set(counts["orgs"]) >= {1, 2, 3}
    multi = per_person.filter(pl.col("orgs") >= 2)
    assert 0.15 < multi.height / per_person.height < 0.5
    assert (multi["names"] > 1).mean() > 0.05  # nicknames, typos, case
    assert (multi["dobs"] > 1).sum() >= 1  # swapped day and month, slipped years
    records = pl.read_csv(out / "ground_truth/records.csv")
    kinds = set(records["variations"].drop_nulls().str.split(";").explode())
    assert {"given:nickname", "given:typo", "dob:swapped", "postcode:before_move"} <= kinds


def test_nobody_is_measured_in_open_access_clubs(clean_tables):
    for entry, tables in clean_tables:
        if entry["org"] in ("TYC", "SPORT", "DETACH") and "measurements" in tables:
            assert tables["measurements"].height == 0


def test_swemwbs_sums_sit_near_population_norms_and_improve(clean_tables):
    frames = [
        t["measurements"]
        for _, t in clean_tables
        if "measurements" in t and t["measurements"].height
    ]
    m = pl.concat(
        [f.select("instrument", "timepoint", *[f"q{i}" for i in range(1, 8)]) for f in frames]
    )
    m = m.filter(pl.col("instrument").str.to_lowercase().str.contains("swemwbs|short warwick"))
    m = m.with_columns(
        pl.sum_horizontal([pl.col(f"q{i}").cast(pl.Int64) for i in range(1, 8)]).alias("total")
    )
    baseline = m.filter(pl.col("timepoint").str.to_lowercase() == "baseline")["total"].mean()
    exit_ = m.filter(pl.col("timepoint").str.to_lowercase() == "exit")["total"].mean()
    assert 17 < baseline < 25
    assert 0.3 < exit_ - baseline < 4


def test_no_date_is_after_the_last_quarter(clean_tables):
    last = date(2026, 9, 30)
    for entry, tables in clean_tables:
        for table in tables.values():
            for column in table.columns:
                if column.endswith(("_date", "_on")) or column == "date_of_birth":
                    for value in table[column].drop_nulls():
                        if "/" in value:
                            d, m, y = value.split("/")
                            value = f"{y}-{m}-{d}"
                        assert date.fromisoformat(value) <= last, (entry, column, value)
