"""The rows every journey view reads: one DuckDB session over the pool's visible files.

Why straight from the pool and not from the indicators' facts: journeys need each
attendance's date and each referral's receiving partner, which the facts have reduced
away. The pooled Parquet files are read once into a few small tables, keyed by the linked
``person_id``:

``visits``         person_id, org, provision_ref, category, session_date (one attendance)
``referrals``      person_id, org, direction, partner_org, provision_ref, referred_on,
                   status, status_date
``milestones``     person_id, org, milestone, achieved_on
``questionnaires`` person_id, org, instrument, timepoint, administered_on
``cohorts``        person_id and the attributes a cohort is drawn by (:data:`COHORTS`)

A young person is recognised across partners through ``HOME/indicators/person_links.parquet``
(org, person_ref, person_id), written by linkage; records linkage has not placed are their
own person (:func:`_person_ids`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow.parquet as pq

from needle.indicators.facts import age_band_sql, file_list
from needle.indicators.schema import UNKNOWN
from needle.pool.model import PoolFile

__all__ = ["COHORTS", "JourneyData", "links_path", "open_journeys"]

LINKS_FILE = "person_links.parquet"

# What a cohort can be drawn by: the young person's attributes when first seen.
COHORTS: dict[str, str] = {
    "age_band": "Age band",
    "gender": "Gender",
    "ward": "Ward",
    "local_authority": "Local authority",
    "imd_quintile": "Deprivation (IMD quintile)",
    "send": "Special educational needs",
    "care_experienced": "Care experienced",
    "free_school_meals": "Free school meals",
    "education_employment_status": "Education or employment",
}

# The columns read from each entity, with their types; a column no file has is NULL.
_COLUMNS: dict[str, dict[str, str]] = {
    "young_people": {
        "person_ref": "VARCHAR",
        "gender": "VARCHAR",
        "send": "VARCHAR",
        "care_experienced": "VARCHAR",
        "free_school_meals": "VARCHAR",
        "education_employment_status": "VARCHAR",
        "age_at_period_start": "INTEGER",
        "ward_code": "VARCHAR",
        "la_code": "VARCHAR",
        "imd_quintile": "VARCHAR",
    },
    "attendance": {"person_ref": "VARCHAR", "session_ref": "VARCHAR"},
    "sessions": {"session_ref": "VARCHAR", "provision_ref": "VARCHAR", "session_date": "DATE"},
    "provisions": {"provision_ref": "VARCHAR", "category": "VARCHAR"},
    "referrals": {
        "person_ref": "VARCHAR",
        "direction": "VARCHAR",
        "partner_org": "VARCHAR",
        "provision_ref": "VARCHAR",
        "referred_on": "DATE",
        "status": "VARCHAR",
        "status_date": "DATE",
    },
    "milestones": {"person_ref": "VARCHAR", "milestone": "VARCHAR", "achieved_on": "DATE"},
    "measurements": {
        "person_ref": "VARCHAR",
        "instrument": "VARCHAR",
        "timepoint": "VARCHAR",
        "administered_on": "DATE",
    },
}
_PROVENANCE = {"submission_id": "VARCHAR", "org": "VARCHAR", "period": "VARCHAR"}


def links_path(home_root: Path) -> Path | None:
    """The person links linkage writes, when it has written them."""
    path = Path(home_root) / "indicators" / LINKS_FILE
    return path if path.exists() else None


class JourneyData:
    """The journey tables of one pool state, in one DuckDB session.

    A class because the session is real state: every view of a page or a command queries
    the same tables, built once."""

    def __init__(self, files: Iterable[PoolFile], links: Path | None = None) -> None:
        self.con = duckdb.connect()
        self.orgs: tuple[str, ...] = ()
        self._build(list(files), links)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> JourneyData:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def query(self, sql: str, params: list[Any] | None = None) -> pl.DataFrame:
        return self.con.sql(sql, params=params or None).pl()

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        return self.con.execute(sql, params or []).fetchall()[0][0]

    @property
    def as_at(self) -> date | None:
        """The last day the pool has attendance for: "no further attendance" means none
        up to this day."""
        return self.scalar("SELECT MAX(session_date) FROM visits")

    # -- building -------------------------------------------------------------------------

    def _build(self, files: list[PoolFile], links: Path | None) -> None:
        con = self.con
        for entity, columns in _COLUMNS.items():
            con.execute(f"CREATE TEMP TABLE raw_{entity} AS {_read(files, entity, columns)}")
        self.orgs = tuple(sorted({f.org for f in files}))
        _person_ids(con, links)
        con.execute(
            f"""CREATE TEMP TABLE visits AS
            SELECT i.person_id, a.org, s.provision_ref,
                COALESCE(p.category, '{UNKNOWN}') AS category, s.session_date
            FROM raw_attendance a
            JOIN raw_sessions s
                ON s.submission_id = a.submission_id AND s.session_ref = a.session_ref
            LEFT JOIN raw_provisions p
                ON p.submission_id = s.submission_id AND p.provision_ref = s.provision_ref
            JOIN ids i ON i.org = a.org AND i.person_ref = a.person_ref
            WHERE s.session_date IS NOT NULL"""
        )
        con.execute(
            """CREATE TEMP TABLE referrals AS
            SELECT i.person_id, r.org, r.direction, r.partner_org, r.provision_ref,
                r.referred_on, r.status, r.status_date
            FROM raw_referrals r JOIN ids i ON i.org = r.org AND i.person_ref = r.person_ref"""
        )
        con.execute(
            """CREATE TEMP TABLE milestones AS
            SELECT i.person_id, m.org, m.milestone, m.achieved_on
            FROM raw_milestones m JOIN ids i ON i.org = m.org AND i.person_ref = m.person_ref"""
        )
        con.execute(
            """CREATE TEMP TABLE questionnaires AS
            SELECT i.person_id, m.org, m.instrument, m.timepoint, m.administered_on
            FROM raw_measurements m JOIN ids i ON i.org = m.org AND i.person_ref = m.person_ref"""
        )
        coded = ", ".join(
            f"COALESCE(CAST(ARG_MIN({expr}, sort_key) AS VARCHAR), '{UNKNOWN}') AS {name}"
            for name, expr in _cohort_columns().items()
        )
        # A young person's attributes when first seen (earliest period; between partners
        # reporting the same period, the first partner in code order): one row a person.
        con.execute(
            f"""CREATE TEMP TABLE cohorts AS
            SELECT i.person_id, {coded}
            FROM (SELECT *, period || '|' || org AS sort_key FROM raw_young_people) y
            JOIN ids i ON i.org = y.org AND i.person_ref = y.person_ref
            GROUP BY i.person_id"""
        )


def _cohort_columns() -> dict[str, str]:
    return {
        "age_band": age_band_sql("age_at_period_start"),
        "gender": "gender",
        "ward": "ward_code",
        "local_authority": "la_code",
        "imd_quintile": "imd_quintile",
        "send": "send",
        "care_experienced": "care_experienced",
        "free_school_meals": "free_school_meals",
        "education_employment_status": "education_employment_status",
    }


def _person_ids(con: duckdb.DuckDBPyConnection, links: Path | None) -> None:
    """``ids`` (org, person_ref, person_id) for every young person the pool mentions.

    The one place that decides who is who: the linked person where linkage placed the
    record, else the record is its own person, ``ORG:person_ref`` (so until linkage has
    run, a young person seen by two partners is two people, as in the indicators)."""
    linked = (
        "SELECT CAST(org AS VARCHAR) AS org, CAST(person_ref AS VARCHAR) AS person_ref, "
        f"CAST(person_id AS VARCHAR) AS person_id FROM read_parquet({file_list([links])})"
        if links is not None
        else "SELECT '' AS org, '' AS person_ref, '' AS person_id WHERE FALSE"
    )
    mentioned = " UNION ".join(
        f"SELECT org, person_ref FROM raw_{entity}"
        for entity in ("young_people", "attendance", "referrals", "milestones", "measurements")
    )
    con.execute(
        f"""CREATE TEMP TABLE ids AS
        SELECT m.org, m.person_ref, COALESCE(l.person_id, m.org || ':' || m.person_ref) AS person_id
        FROM ({mentioned}) m
        LEFT JOIN (SELECT org, person_ref, ANY_VALUE(person_id) AS person_id
            FROM ({linked}) GROUP BY ALL) l USING (org, person_ref)"""
    )


def _read(files: list[PoolFile], entity: str, columns: dict[str, str]) -> str:
    """SELECT the ``columns`` of ``entity`` from its pooled files (NULL for a column none
    of them has; an empty relation when there are none)."""
    paths = [f.path for f in files if f.entity == entity]
    wanted = {**_PROVENANCE, **columns}
    if not paths:
        typed = ", ".join(f"CAST(NULL AS {t}) AS {c}" for c, t in wanted.items())
        return f"SELECT {typed} WHERE FALSE"
    present: set[str] = set()
    for path in paths:
        present.update(pq.read_schema(path).names)
    typed = ", ".join(
        f"CAST({c} AS {t}) AS {c}" if c in present else f"CAST(NULL AS {t}) AS {c}"
        for c, t in wanted.items()
    )
    return f"SELECT {typed} FROM read_parquet({file_list(paths)}, union_by_name = true)"


def open_journeys(home: Any) -> JourneyData:
    """The journey tables of the initiative at ``home`` (a :class:`~needle.initiative.Home`),
    with linkage's person links when there are any."""
    with home.open_pool() as pool:
        files = pool.files()
    return JourneyData(files, links_path(home.root))
