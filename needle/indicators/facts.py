"""Facts: each submission's pooled rows reduced once to what indicators need, and cached.

Why a cache per submission: the expensive part of every indicator is reading the raw rows
(a national pool holds hundreds of millions of attendance rows). Each accepted submission
version is immutable, so its facts (young people with their breakdown attributes, each
young person's participation per provision category, sessions, scored questionnaires,
referrals, milestones) are computed once, by DuckDB straight from the pool's Parquet
files, and kept under ``HOME/indicators/facts/``. When a submission is accepted,
superseded, withdrawn or erased, only the submissions whose files changed are read again;
the indicators are then computed from the (much smaller) facts of the current versions.

The manifest records, for every submission, the key of its pooled files (erasure writes
new files, so the key changes) and the batch its facts were computed in.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from needle.indicators.instruments import Instrument, scoring_sql
from needle.indicators.schema import AGE_BANDS, UNKNOWN
from needle.pool.model import PoolFile

log = logging.getLogger(__name__)

FACTS_VERSION = "4"  # bump when a fact's definition changes: every cache entry is rebuilt
FACTS = ("people", "participation", "sessions", "scores", "referrals", "milestones")
MANIFEST = "manifest.json"
CHUNK_ROWS = 10_000_000  # pooled rows per facts query (see FactStore._compute)


@dataclass(frozen=True)
class FactsUpdate:
    """What a refresh of the facts did: submissions read again, kept, and dropped."""

    computed: tuple[str, ...]
    reused: tuple[str, ...]
    dropped: tuple[str, ...]


def quote(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def file_list(paths: Iterable[Path | str]) -> str:
    """A DuckDB list literal of file paths, for ``read_parquet``."""
    return "[" + ", ".join(quote(p) for p in paths) + "]"


def age_band_sql(column: str) -> str:
    cases = " ".join(
        f"WHEN {column} BETWEEN {low} AND {high} THEN '{label}'" for label, low, high in AGE_BANDS
    )
    return f"CASE {cases} ELSE '{UNKNOWN}' END"


# A young person's key within the refresh: 64 bits from the partner and its reference, so
# that the engine joins and groups integers rather than strings. Two of ten million young
# people share a key with a chance of about 3 in a million (they would count as one).
# DuckDB's hash can change between releases, so its version is part of the cache key.
PERSON_KEY = "hash(org, person_ref) AS person_key"


def _with_person_key(sql: str) -> str:
    return f"SELECT f.*, {PERSON_KEY} FROM ({sql}) f"


def _coded(column: str) -> str:
    return f"COALESCE(CAST({column} AS VARCHAR), '{UNKNOWN}')"


def _entity_files(files: list[PoolFile], entity: str) -> list[Path]:
    return [f.path for f in files if f.entity == entity]


def _select(source: list[Path], columns: str, fallback: str) -> str:
    """``SELECT columns FROM read_parquet(files)``; with no files, an empty relation with
    the same columns (``fallback``: typed NULLs) so that later joins still work."""
    if not source:
        return f"SELECT {fallback} WHERE FALSE"
    return f"SELECT {columns} FROM read_parquet({file_list(source)}, union_by_name = true)"


def _people_sql(files: list[PoolFile], ethnicity_groups: dict[str, str]) -> str:
    groups = " ".join(f"WHEN '{code}' THEN '{group}'" for code, group in ethnicity_groups.items())
    columns = f"""
        submission_id, org, period, person_ref, {PERSON_KEY},
        {_coded("gender")} AS gender,
        {_coded("ethnicity")} AS ethnicity,
        CASE ethnicity {groups} ELSE '{UNKNOWN}' END AS ethnicity_group,
        {_coded("send")} AS send,
        {_coded("free_school_meals")} AS free_school_meals,
        {_coded("care_experienced")} AS care_experienced,
        {_coded("education_employment_status")} AS education_employment_status,
        CAST(age_at_period_start AS INTEGER) AS age,
        {age_band_sql("age_at_period_start")} AS age_band,
        lsoa21,
        {_coded("ward_code")} AS ward,
        {_coded("la_code")} AS local_authority,
        {_coded("imd_decile")} AS imd_decile,
        {_coded("imd_quintile")} AS imd_quintile,
        consent_to_share"""
    fallback = """
        '' AS submission_id, '' AS org, '' AS period, '' AS person_ref,
        CAST(0 AS UBIGINT) AS person_key, '' AS gender,
        '' AS ethnicity, '' AS ethnicity_group, '' AS send, '' AS free_school_meals,
        '' AS care_experienced, '' AS education_employment_status, 0 AS age,
        '' AS age_band, '' AS lsoa21, '' AS ward, '' AS local_authority, '' AS imd_decile,
        '' AS imd_quintile, '' AS consent_to_share"""
    return _select(_entity_files(files, "young_people"), columns, fallback)


def _sessions_sql(files: list[PoolFile]) -> str:
    """One row per session with its provision's category and its venue's area (the
    session's own venue, else the provision's)."""
    sessions = _entity_files(files, "sessions")
    provisions = _entity_files(files, "provisions")
    if not sessions:
        return """SELECT '' AS submission_id, '' AS org, '' AS period, '' AS session_ref,
            '' AS provision_category, CAST(NULL AS DATE) AS session_date,
            0 AS duration_minutes, 0 AS anonymous_attendance, '' AS ward,
            '' AS local_authority WHERE FALSE"""
    prov = (
        f"SELECT submission_id, provision_ref, category, venue_ward_code, venue_la_code "
        f"FROM read_parquet({file_list(provisions)}, union_by_name = true)"
        if provisions
        else "SELECT '' AS submission_id, '' AS provision_ref, '' AS category, "
        "'' AS venue_ward_code, '' AS venue_la_code WHERE FALSE"
    )
    return f"""
        SELECT s.submission_id, s.org, s.period, s.session_ref,
            COALESCE(p.category, '{UNKNOWN}') AS provision_category,
            s.session_date, s.duration_minutes,
            COALESCE(s.anonymous_attendance, 0) AS anonymous_attendance,
            COALESCE(s.venue_ward_code, p.venue_ward_code, '{UNKNOWN}') AS ward,
            COALESCE(s.venue_la_code, p.venue_la_code, '{UNKNOWN}') AS local_authority
        FROM read_parquet({file_list(sessions)}, union_by_name = true) s
        LEFT JOIN ({prov}) p USING (submission_id, provision_ref)"""


def _participation_sql(files: list[PoolFile]) -> str:
    """Each young person's attendance per provision category: the one pass over the
    attendance rows that every engagement indicator rests on."""
    attendance = _entity_files(files, "attendance")
    if not attendance:
        return """SELECT '' AS submission_id, '' AS org, '' AS period, '' AS person_ref,
            CAST(0 AS UBIGINT) AS person_key, '' AS provision_category, 0 AS attendances,
            0 AS contact_minutes WHERE FALSE"""
    # org and period are the submission's: carried, not grouped on (a third of the time).
    return f"""
        SELECT submission_id, org, period, person_ref, {PERSON_KEY}, provision_category,
            attendances, contact_minutes
        FROM (
            SELECT a.submission_id, ANY_VALUE(a.org) AS org, ANY_VALUE(a.period) AS period,
                a.person_ref, s.provision_category,
                COUNT(*) AS attendances,
                SUM(s.duration_minutes) AS contact_minutes
            FROM read_parquet({file_list(attendance)}) a
            JOIN facts_sessions s USING (submission_id, session_ref)
            GROUP BY a.submission_id, a.person_ref, s.provision_category)"""


def _measurements_sql(files: list[PoolFile]) -> str | None:
    measurements = _entity_files(files, "measurements")
    if not measurements:
        return None
    return (
        f"SELECT submission_id, org, period, person_ref, instrument, administered_on, "
        f"timepoint, {_present_items(measurements)} "
        f"FROM read_parquet({file_list(measurements)}, union_by_name = true)"
    )


def _scores_sql(has_measurements: bool, instruments: dict[str, Instrument]) -> str:
    """Questionnaires scored by the instruments' definitions (one row per scale)."""
    if not has_measurements or not instruments:
        return """SELECT '' AS submission_id, '' AS org, '' AS period, '' AS person_ref,
            '' AS instrument, '' AS scale, CAST(NULL AS DATE) AS administered_on,
            '' AS timepoint, CAST(NULL AS DOUBLE) AS score, '' AS band WHERE FALSE"""
    return scoring_sql(instruments, source="facts_measurements", dialect="duckdb")


def _present_items(measurements: list[Path]) -> str:
    """q1..q14, NULL for any column no file has (a submission with only ONS4 has q1-q4)."""
    import pyarrow.parquet as pq

    names: set[str] = set()
    for path in measurements:
        names.update(pq.read_schema(path).names)
    return ", ".join(
        f"CAST(q{i} AS BIGINT) AS q{i}" if f"q{i}" in names else f"CAST(NULL AS BIGINT) AS q{i}"
        for i in range(1, 15)
    )


def _referrals_sql(files: list[PoolFile]) -> str:
    columns = f"""submission_id, org, period, person_ref, {PERSON_KEY}, direction,
        partner_org, status,
        referred_on, status_date,
        CAST(date_diff('day', referred_on, status_date) AS INTEGER) AS days_to_status"""
    fallback = """'' AS submission_id, '' AS org, '' AS period, '' AS person_ref,
        CAST(0 AS UBIGINT) AS person_key, '' AS direction, '' AS partner_org, '' AS status,
        CAST(NULL AS DATE) AS referred_on,
        CAST(NULL AS DATE) AS status_date, 0 AS days_to_status"""
    return _select(_entity_files(files, "referrals"), columns, fallback)


def _milestones_sql(files: list[PoolFile]) -> str:
    columns = (
        f"submission_id, org, period, person_ref, {PERSON_KEY}, milestone, achieved_on, evidence"
    )
    fallback = """'' AS submission_id, '' AS org, '' AS period, '' AS person_ref,
        CAST(0 AS UBIGINT) AS person_key, '' AS milestone, CAST(NULL AS DATE) AS achieved_on,
        '' AS evidence"""
    return _select(_entity_files(files, "milestones"), columns, fallback)


class FactStore:
    """The facts cache of one initiative home (``HOME/indicators/facts``).

    Layout: ``<fact>/<batch>/bucket=<b>/*.parquet``. A batch is the set of submissions
    computed in one refresh; within it, submissions are split into 16 buckets by the
    first character of their id (a national batch is computed a few buckets at a time,
    not in one huge query) and removing one submission's facts rewrites only its
    bucket. When a submission is superseded, withdrawn or erased
    from, its old facts are removed at once, so no derived row about an erased young
    person outlives the erasure.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    # -- manifest ----------------------------------------------------------------------

    def _manifest_path(self) -> Path:
        return self.root / MANIFEST

    def manifest(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self._manifest_path().read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return data.get("submissions", {})

    def _write_manifest(self, entries: dict[str, dict[str, str]]) -> None:
        path = self._manifest_path()
        temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        temp.write_text(json.dumps({"submissions": entries}, indent=1, sort_keys=True))
        os.replace(temp, path)

    def bucket(self, fact: str, batch: str, submission_id: str) -> Path:
        return self.root / fact / batch / f"bucket={submission_id[:1]}"

    # -- refreshing --------------------------------------------------------------------

    def update(
        self,
        files: list[PoolFile],
        *,
        instruments: dict[str, Instrument],
        ethnicity_groups: dict[str, str],
        connection: duckdb.DuckDBPyConnection,
        full: bool = False,
    ) -> FactsUpdate:
        """Bring the cache in line with the pool's visible ``files``: compute the facts of
        every submission whose key is new, remove those of submissions no longer visible
        (or whose files changed)."""
        definitions = _definitions_key(instruments, ethnicity_groups)
        by_submission: dict[str, list[PoolFile]] = defaultdict(list)
        for f in files:
            by_submission[f.submission_id].append(f)
        keys = {sid: _files_key(fs, definitions) for sid, fs in by_submission.items()}
        old = self.manifest()
        manifest = {} if full else old
        stale = [sid for sid, key in keys.items() if manifest.get(sid, {}).get("key") != key]
        reused = [sid for sid in keys if sid not in stale]
        dropped = [sid for sid in old if sid not in keys]

        entries = {sid: manifest[sid] for sid in reused}
        if stale:
            batch = uuid.uuid4().hex
            batch_files = [f for sid in stale for f in by_submission[sid]]
            self._compute(batch, batch_files, instruments, ethnicity_groups, connection)
            for sid in stale:
                entries[sid] = {"key": keys[sid], "batch": batch}
        self._write_manifest(entries)
        gone = [(sid, e["batch"]) for sid, e in old.items() if entries.get(sid) != e]
        self._remove(gone, entries, connection)
        self._delete_unused({e["batch"] for e in entries.values()})
        log.info("facts: %d computed, %d reused, %d dropped", len(stale), len(reused), len(dropped))
        return FactsUpdate(tuple(sorted(stale)), tuple(sorted(reused)), tuple(sorted(dropped)))

    def _compute(
        self,
        batch: str,
        files: list[PoolFile],
        instruments: dict[str, Instrument],
        ethnicity_groups: dict[str, str],
        con: duckdb.DuckDBPyConnection,
    ) -> None:
        """The facts of ``files``, a few buckets at a time (about ``CHUNK_ROWS`` pooled rows
        per query): a single query over a national batch (200 million attendance rows)
        built hash tables larger than memory and took minutes instead of seconds, while
        a small initiative is best served by one query."""
        temps = {fact: self.root / fact / f".{batch}.tmp" for fact in FACTS}
        written: list[Path] = []
        try:
            for chunk in _chunks(files):
                for fact, sql in self._queries(chunk, instruments, ethnicity_groups, con):
                    temps[fact].parent.mkdir(parents=True, exist_ok=True)
                    con.execute(
                        f"COPY (SELECT *, substr(submission_id, 1, 1) AS bucket FROM ({sql}) f) "
                        f"TO {quote(temps[fact])} (FORMAT parquet, COMPRESSION zstd, "
                        "COMPRESSION_LEVEL 1, PARTITION_BY (bucket), OVERWRITE_OR_IGNORE)"
                    )
                con.execute("DROP TABLE IF EXISTS facts_sessions")
                con.execute("DROP TABLE IF EXISTS facts_participation")
                con.execute("DROP TABLE IF EXISTS facts_measurements")
            for fact, temp in temps.items():
                if temp.exists():
                    os.replace(temp, self.root / fact / batch)
                    written.append(self.root / fact / batch)
        except BaseException:
            for path in [*written, *temps.values()]:
                shutil.rmtree(path, ignore_errors=True)
            raise

    @staticmethod
    def _queries(
        files: list[PoolFile],
        instruments: dict[str, Instrument],
        ethnicity_groups: dict[str, str],
        con: duckdb.DuckDBPyConnection,
    ) -> list[tuple[str, str]]:
        """(fact, SELECT) for the submissions of ``files``. Sessions, measurements and
        participation are staged first: participation joins each session's category, and
        each young person carries their attendance totals (so the engine need not add
        up the participation rows again)."""
        measurements = _measurements_sql(files)
        if measurements is not None:
            con.execute(f"CREATE OR REPLACE TEMP TABLE facts_measurements AS {measurements}")
        con.execute(f"CREATE OR REPLACE TEMP TABLE facts_sessions AS {_sessions_sql(files)}")
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE facts_participation AS {_participation_sql(files)}"
        )
        totals = """SELECT submission_id, person_ref, SUM(attendances) AS attendances,
            SUM(contact_minutes) AS contact_minutes
            FROM facts_participation GROUP BY submission_id, person_ref"""
        # References are only needed to join within a submission: the engine joins
        # young people on person_key, so person_ref and session_ref are not kept.
        people = {
            "people": f"""SELECT p.*, COALESCE(a.attendances, 0) AS attendances,
                COALESCE(a.contact_minutes, 0) AS contact_minutes
                FROM ({_people_sql(files, ethnicity_groups)}) p
                LEFT JOIN ({totals}) a USING (submission_id, person_ref)""",
            "participation": "SELECT * FROM facts_participation",
            "scores": _with_person_key(_scores_sql(measurements is not None, instruments)),
            "referrals": _referrals_sql(files),
            "milestones": _milestones_sql(files),
        }
        return [
            ("sessions", "SELECT * EXCLUDE (session_ref) FROM facts_sessions"),
            *(
                (fact, f"SELECT * EXCLUDE (person_ref) FROM ({sql})")
                for fact, sql in people.items()
            ),
        ]

    def _remove(
        self,
        gone: list[tuple[str, str]],
        entries: dict[str, dict[str, str]],
        con: duckdb.DuckDBPyConnection,
    ) -> None:
        """Rewrite each bucket that holds facts of a ``gone`` (submission, batch) with
        only the rows of submissions still listed there."""
        buckets = {(batch, sid[:1]) for sid, batch in gone}
        for batch, first in sorted(buckets):
            keep = sorted(
                sid for sid, e in entries.items() if e["batch"] == batch and sid[:1] == first
            )
            for fact in FACTS:
                folder = self.bucket(fact, batch, first)
                parts = sorted(folder.glob("*.parquet"))
                if not parts:
                    continue
                if not keep:
                    shutil.rmtree(folder, ignore_errors=True)
                    continue
                temp = folder.with_name(f".{folder.name}.tmp")
                shutil.rmtree(temp, ignore_errors=True)
                temp.mkdir()
                kept = ", ".join(f"'{sid}'" for sid in keep)
                con.execute(
                    f"COPY (SELECT * FROM read_parquet({file_list(parts)}, hive_partitioning = "
                    f"false) WHERE submission_id IN ({kept})) TO {quote(temp / 'data_0.parquet')} "
                    "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)"
                )
                old = folder.with_name(f".{folder.name}.old")
                os.replace(folder, old)
                os.replace(temp, folder)
                shutil.rmtree(old, ignore_errors=True)

    def _delete_unused(self, batches: set[str]) -> None:
        for fact in FACTS:
            folder = self.root / fact
            if not folder.exists():
                continue
            for path in folder.iterdir():
                if path.name not in batches or not any(path.iterdir()):
                    shutil.rmtree(path, ignore_errors=True)

    # -- reading -----------------------------------------------------------------------

    def fact_files(self, fact: str, submissions: Iterable[str]) -> list[Path]:
        """The Parquet files that hold ``fact`` for ``submissions`` (and possibly for
        other submissions of the same buckets: readers filter on the submission id)."""
        manifest = self.manifest()
        folders = {self.bucket(fact, manifest[s]["batch"], s) for s in submissions if s in manifest}
        return [path for folder in sorted(folders) for path in sorted(folder.glob("*.parquet"))]


def _chunks(files: list[PoolFile]) -> list[list[PoolFile]]:
    """``files`` in chunks of whole buckets with about ``CHUNK_ROWS`` rows each."""
    buckets: dict[str, list[PoolFile]] = defaultdict(list)
    for f in files:
        buckets[f.submission_id[:1]].append(f)
    chunks: list[list[PoolFile]] = [[]]
    for _, bucket in sorted(buckets.items()):
        if chunks[-1] and sum(f.rows for f in chunks[-1]) >= CHUNK_ROWS:
            chunks.append([])
        chunks[-1].extend(bucket)
    return chunks


def _files_key(files: list[PoolFile], definitions: str) -> str:
    text = "\n".join(sorted(f"{f.entity}={f.path.name}" for f in files))
    return hashlib.sha256(f"{FACTS_VERSION}\n{definitions}\n{text}".encode()).hexdigest()[:32]


def _definitions_key(instruments: dict[str, Instrument], ethnicity_groups: dict[str, str]) -> str:
    text = (
        repr(sorted((k, repr(v)) for k, v in instruments.items()))
        + repr(sorted(ethnicity_groups.items()))
        + duckdb.__version__
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]
