"""Small hand-made pools of synthetic young people for the linkage tests.

Every name is invented; every person is written out, so a reader can see which records
are the same young person: ``same`` in a comment marks the duplicates linkage must find,
``twin`` the different people it must keep apart.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import polars as pl

from needle.pool import Pool
from needle.pseudonymise import encode_people

SECRET = bytes(range(32))  # public, tests only
PARTNERS = {"YC": "Youth Club", "SPORT": "Sport for All", "ARTS": "Arts Space"}

# (org, period, person_ref, given, family, date of birth, postcode, gender, lsoa21, ward)
L1, L2, L3 = ("E01000001", "E05000001"), ("E01000002", "E05000001"), ("E01000003", "E05000002")
PEOPLE = [
    ("YC", "2025-Q1", "A1", "Tamsin", "Orvelle", date(2009, 3, 14), "M32 0AB", "female", *L1),
    ("YC", "2025-Q1", "A2", "Brannoc", "Quillet", date(2008, 11, 2), "M33 4QT", "male", *L2),
    # twins: same family name, date of birth and home, other given names
    ("YC", "2025-Q1", "A3", "Elowen", "Marchetti", date(2010, 6, 30), "M41 7HD", "female", *L3),
    ("YC", "2025-Q1", "A4", "Rosalind", "Marchetti", date(2010, 6, 30), "M41 7HD", "female", *L3),
    ("YC", "2025-Q1", "A5", "Joren", "Pelletrow", date(2007, 1, 9), "M16 9RS", "male", *L1),
    # same as YC A1, recorded by another partner under its own reference
    ("SPORT", "2025-Q1", "S1", "Tamsin", "Orvelle", date(2009, 3, 14), "M32 0AB", "female", *L1),
    # same as YC A2, a typo in the family name
    ("SPORT", "2025-Q1", "S2", "Brannoc", "Quilett", date(2008, 11, 2), "M33 4QT", "male", *L2),
    ("SPORT", "2025-Q1", "S3", "Ilsabet", "Wrenfold", date(2011, 8, 21), "M15 5XY", "female", *L2),
    # a duplicate within SPORT: S3 again under a second reference, moved within the sector
    ("SPORT", "2025-Q1", "S4", "Ilsabet", "Wrenfold", date(2011, 8, 21), "M15 5ZZ", "female", *L2),
    ("ARTS", "2025-Q1", "R1", "Caspian", "Dorrowby", date(2006, 4, 5), "M21 8PL", "male", *L3),
]
COLUMNS = (
    "org", "period", "person_ref", "given_name", "family_name", "date_of_birth", "postcode",
    "gender", "lsoa21", "ward_code",
)  # fmt: skip


def people_frame(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=list(COLUMNS), orient="row").with_columns(
        pl.col("date_of_birth").cast(pl.Date)
    )


def pooled_people(rows: list[tuple], seed: int = 1) -> pl.DataFrame:
    """The rows as the pool stores them: encodings and coarse attributes, no identifier."""
    people = people_frame(rows).with_row_index("_row")
    encoded = encode_people(
        people.select("_row", "given_name", "family_name", "date_of_birth", "postcode"),
        SECRET,
        key="_row",
        seed=seed,
    )
    return (
        people.select("_row", "org", "period", "person_ref", "gender", "lsoa21", "ward_code")
        .join(encoded, on="_row")
        .drop("_row")
    )


def submit(pool: Pool, rows: list[tuple], *, tag: str = "v1", seed: int = 1) -> dict[tuple, str]:
    """One submission per (org, period) of ``rows``; their submission ids."""
    frame = pooled_people(rows, seed=seed)
    ids = {}
    for (org, period), part in frame.group_by("org", "period", maintain_order=True):
        sub = pool.receive(
            org=org,
            period=period,
            standard_version="1.0",
            content_sha256=hashlib.sha256(f"{org}/{period}/{tag}".encode()).hexdigest(),
            tables={"young_people": part.drop("org", "period")},
            report={"valid": True},
            source_name=f"{org}-{period}-{tag}.xlsx",
        )
        ids[(org, period)] = sub.id
    return ids


def make_home(root: Path, rows: list[tuple] = PEOPLE) -> SimpleNamespace:
    """A bare home (a folder with a pool) holding ``rows``; what ``link`` needs of one."""
    pool = Pool.open(root)
    for code, name in PARTNERS.items():
        pool.add_partner(code, name)
    if rows:
        submit(pool, rows)
    pool.close()
    return SimpleNamespace(root=root, open_pool=lambda: Pool.open(root))


def person_of(home_root: Path) -> dict[str, str]:
    """``ORG/person_ref`` -> person id, from the links the indicators read."""
    links = pl.read_parquet(Path(home_root) / "indicators" / "person_links.parquet")
    return {f"{o}/{r}": p for o, r, p in links.select("org", "person_ref", "person_id").iter_rows()}


def generated(n: int, seed: int = 7) -> pl.DataFrame:
    """``n`` invented young people, each recorded twice (``record_id`` ``a<i>`` and
    ``b<i>``), the second time with a typo in the family name for every third person
    and a new postcode for every fifth: enough records for EM, and no labels given to it."""
    import numpy as np

    rng = np.random.default_rng(seed)
    onsets, vowels = [*"bdfgklmnprstvz", "ch", "sh", "tr"], [*"aeiou", "ai", "ou"]

    def name() -> str:
        return "".join(
            onsets[rng.integers(len(onsets))] + vowels[rng.integers(len(vowels))]
            for _ in range(int(rng.integers(2, 4)))
        ).capitalize()

    givens, families = [name() for _ in range(150)], [name() for _ in range(300)]
    rows = []
    for i in range(n):
        given, family = givens[rng.integers(150)], families[rng.integers(300)]
        dob = date(2005, 1, 1).toordinal() + int(rng.integers(0, 15 * 365))
        postcode = (
            f"M{rng.integers(1, 45)} {rng.integers(0, 10)}{'ABDEHJLNPQRSTUWXY'[rng.integers(17)]}Z"
        )
        rows.append((f"a{i}", given, family, date.fromordinal(dob), postcode))
        family_b = family[:2] + family[3:] + "e" if i % 3 == 0 else family
        postcode_b = f"M{rng.integers(50, 90)} 1AA" if i % 5 == 0 else postcode
        rows.append((f"b{i}", given, family_b, date.fromordinal(dob), postcode_b))
    return pl.DataFrame(
        rows,
        schema=["record_id", "given_name", "family_name", "date_of_birth", "postcode"],
        orient="row",
    )
