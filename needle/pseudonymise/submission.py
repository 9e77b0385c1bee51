"""Turn a validated submission into its pseudonymised form: the only form Needle stores.

Why here and not in the pool: the same function runs on a partner's own machine
(``needle prepare``) and on arrival at the pool, so identifiers need never leave the
organisation, and whichever side runs it, the stored tables are identical in shape.

What changes, driven by the standard (no entity is special-cased by name except where the
standard's shape requires it):
- every personal-identifier column is dropped, and so is every postcode column (venue
  postcodes are not personal, but a venue can be a home, and the rule "no postcode is ever
  stored" is easier to keep than an exception);
- young people gain linkage encodings (only those who consented to sharing), their home
  area (LSOA 2021, ward, local authority, IMD 2019 decile and quintile) and their age at
  the start of the period; venues gain the same area columns with a ``venue_`` prefix;
- every row about a young person's activity gains ``age_at_activity``: the age in whole
  years on the session, questionnaire, referral or milestone date.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from needle.periods import Period
from needle.pseudonymise.encode import DEFAULT_PARAMS, EncodingParams, encode_people
from needle.reference import Reference, derive_geography
from needle.standard import Standard
from needle.validation.values import age_in_years

PEOPLE = "young_people"
PERSON = "person_ref"
CONSENT = "consent_to_share"
DOB = "date_of_birth"
AREA_COLUMNS = ("lsoa21", "ward_code", "la_code", "imd_decile", "imd_quintile")


@dataclass(frozen=True)
class Pseudonymised:
    """The tables to pool, and counts worth telling the partner (never identifiers)."""

    tables: dict[str, pl.DataFrame]
    scheme: str
    postcodes_not_found: int = 0
    not_consented: int = 0


def pseudonymise_tables(
    tables: dict[str, pl.DataFrame],
    *,
    standard: Standard,
    secret: bytes,
    reference: Reference,
    period: Period,
    params: EncodingParams = DEFAULT_PARAMS,
    seed: int | None = None,
) -> Pseudonymised:
    """Pseudonymise the typed tables of a valid submission (see ``load_submission``).

    ``seed`` only makes the Bloom-filter hardening repeatable in tests; leave it None.
    """
    people = tables.get(PEOPLE)
    births = _births(people)
    out: dict[str, pl.DataFrame] = {}
    not_found = 0
    for name, frame in tables.items():
        entity = standard.entities[name]
        if name == PEOPLE:
            frame = _people(frame, secret, period, params, seed)
        elif PERSON in frame.columns:
            frame = _with_age(name, frame, births, tables, entity.activity_date)
        postcodes = [c.name for c in entity.columns.values() if c.type == "postcode"]
        for column in postcodes:
            prefix = "" if name == PEOPLE else "venue_"
            frame, missing = _with_area(frame, column, reference, prefix)
            not_found += missing
        drop = set(entity.pi_columns) | set(postcodes)
        out[name] = frame.drop([c for c in frame.columns if c in drop])
    consented = people[CONSENT] if people is not None else pl.Series([], dtype=pl.String)
    return Pseudonymised(
        tables=out,
        scheme=params.scheme,
        postcodes_not_found=not_found,
        not_consented=int((consented == "no").sum()),
    )


def _births(people: pl.DataFrame | None) -> pl.DataFrame | None:
    """person_ref -> date of birth, first row of each person (duplicates are invalid)."""
    if people is None or DOB not in people.columns:
        return None
    return people.select(PERSON, DOB).drop_nulls(PERSON).unique(PERSON, keep="first")


def _people(
    frame: pl.DataFrame,
    secret: bytes,
    period: Period,
    params: EncodingParams,
    seed: int | None,
) -> pl.DataFrame:
    """Encodings for those who consented; age at the period start for everyone."""
    frame = frame.with_columns(
        age_in_years(pl.col(DOB), period.start).cast(pl.Int16).alias("age_at_period_start")
    )
    sharing = frame.filter(pl.col(CONSENT) == "yes")
    identifiers = [c for c in ("given_name", "family_name", DOB, "postcode") if c in frame.columns]
    encoded = encode_people(
        sharing.select("_row", *identifiers), secret, key="_row", params=params, seed=seed
    )
    return frame.join(encoded, on="_row", how="left", maintain_order="left")


def _with_age(
    name: str,
    frame: pl.DataFrame,
    births: pl.DataFrame | None,
    tables: dict[str, pl.DataFrame],
    activity_date: str | None,
) -> pl.DataFrame:
    """Age on the activity date; attendance takes its date from the session."""
    if births is None:
        return frame
    if activity_date is None and name == "attendance" and "sessions" in tables:
        dates = tables["sessions"].select("session_ref", "session_date").unique("session_ref")
        frame = frame.join(dates, on="session_ref", how="left", maintain_order="left")
        activity_date = "session_date"
        helper = True
    else:
        helper = False
    if activity_date is None:
        return frame
    frame = frame.join(births, on=PERSON, how="left", maintain_order="left").with_columns(
        age_in_years(pl.col(DOB), pl.col(activity_date)).cast(pl.Int16).alias("age_at_activity")
    )
    return frame.drop([DOB, *(["session_date"] if helper else [])])


def _with_area(
    frame: pl.DataFrame, column: str, reference: Reference, prefix: str
) -> tuple[pl.DataFrame, int]:
    """Replace a postcode by its area columns; count (never name) postcodes not found.

    Looked up once per distinct postcode: a partner's young people share postcodes.
    """
    if column not in frame.columns:
        return frame, 0
    distinct = frame.select(pl.col(column).unique()).drop_nulls()
    area = pl.concat(
        [distinct, derive_geography(distinct.get_column(column), reference)], how="horizontal"
    )
    joined = frame.select(column).join(area, on=column, how="left", maintain_order="left")
    missing = int((joined["geography_status"] == "not_found").sum())
    columns = joined.select([pl.col(c).alias(f"{prefix}{c}") for c in AREA_COLUMNS])
    return pl.concat([frame, columns], how="horizontal"), missing
