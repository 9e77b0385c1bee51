"""The engine: indicator definitions turned into SQL and run on DuckDB over the facts.

Each *kind* of indicator is one SQL template (below); a definition fills it with its
source, filter and value expressions. The SQL is written once, in DuckDB's dialect, and
kept to what SQLGlot can transpile (``GROUPING SETS``, ``COUNT(DISTINCT ...)``,
``ARG_MIN``/``ARG_MAX``, ``MEDIAN``), so :func:`transpile` turns every query into Spark or
PostgreSQL for a distributed engine without touching a definition.

Indicators that read the same relation are computed together (:meth:`Engine.prepare`),
and breakdowns come from ``GROUPING SETS``: sums from one scan grouped by a few clusters
of dimensions, added up to every breakdown (:meth:`Engine.summed`); medians and distinct
counts with one grouping set per breakdown (:meth:`Engine.grouped`). Dimension columns
are ``unknown`` when a young person or event has no value, so the only NULLs in a
grouped result mark the dimensions a grouping set left out; that is how a row finds its
breakdown. See docs/decisions/0007-indicator-engine.md.

Young people are counted by ``person_id``. Until linkage (issue 6) fills the
``person_links`` table, a person id is the partner's own key for the young person, so a
young person seen by two partners counts twice; with linkage the same indicators count
linked young people, unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import sqlglot
from scipy import stats as scistats

from needle.indicators.definitions import (
    POPULATION_BREAKDOWNS,
    IndicatorDefinition,
    Registry,
)
from needle.indicators.facts import age_band_sql, file_list
from needle.indicators.schema import (
    ALL_PERIODS,
    DIMENSIONS,
    HEADLINE,
    UNKNOWN,
    conform,
    empty_results,
)

log = logging.getLogger(__name__)

PERSON_DIMS = tuple(name for name, d in DIMENSIONS.items() if d.person)
# A fact's young person: the linked person where linkage found one, else the partner's
# own reference (as a 64-bit key, see facts.PERSON_KEY).
_LINKED = "LEFT JOIN person_links l USING (person_key)"
_PERSON_ID = "COALESCE(l.person_id, p.person_key) AS person_id"


def transpile(sql: str, dialect: str) -> str:
    """``sql`` (DuckDB dialect) in another engine's dialect (``spark``, ``postgres``)."""
    return ";\n".join(sqlglot.transpile(sql, read="duckdb", write=dialect, pretty=True))


@dataclass
class Inputs:
    """Where the engine reads from: the facts of the current submissions, the resident
    population, the scales' scoring metadata and (once linkage exists) person links."""

    facts: dict[str, list[Path]]
    submissions: list[str]
    population: (
        pl.DataFrame
    )  # lsoa21, ward, local_authority, imd_decile, imd_quintile, age, sex, count
    scales: pl.DataFrame  # scale, direction, rci, low_bands
    links: Path | None = None
    age_min: int = 11
    age_max: int = 25


class Engine:
    """One refresh's DuckDB session: builds the views once, then computes indicators."""

    def __init__(self, con: duckdb.DuckDBPyConnection, inputs: Inputs) -> None:
        self.con = con
        self.inputs = inputs
        self.periods: list[str] = []
        self._people_cache: dict[str, pl.DataFrame] = {}
        self._events_cache: dict[str, pl.DataFrame] = {}
        self._paired_cache: dict[str, pl.DataFrame] = {}
        self._build()

    # -- views ---------------------------------------------------------------------------

    def _fact(self, fact: str) -> str:
        files = self.inputs.facts.get(fact) or []
        if not files:
            return f"(SELECT * FROM empty_{fact})"
        return (
            f"(SELECT * FROM read_parquet({file_list(files)}, union_by_name = true, "
            "hive_partitioning = false) "
            f"WHERE submission_id IN (SELECT submission_id FROM current_submissions))"
        )

    def _build(self) -> None:
        con, inputs = self.con, self.inputs
        con.execute("CREATE OR REPLACE TEMP TABLE current_submissions (submission_id VARCHAR)")
        if inputs.submissions:
            con.executemany(
                "INSERT INTO current_submissions VALUES (?)", [[s] for s in inputs.submissions]
            )
        self._empty_facts()
        population = inputs.population
        con.register("population_src", population)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE population AS
            SELECT lsoa21, ward, local_authority, CAST(imd_decile AS VARCHAR) AS imd_decile,
                CAST(imd_quintile AS VARCHAR) AS imd_quintile, age, sex AS gender,
                {age_band_sql("age")} AS age_band, count
            FROM population_src
            WHERE age BETWEEN {int(inputs.age_min)} AND {int(inputs.age_max)}"""
        )
        con.register("scales_src", inputs.scales)
        con.execute("CREATE OR REPLACE TEMP TABLE scales AS SELECT * FROM scales_src")
        # A linked young person's id, keyed like the facts' person_key (facts.PERSON_KEY).
        links = (
            "SELECT hash(org, person_ref) AS person_key, hash(person_id) AS person_id "
            f"FROM read_parquet({file_list([inputs.links])})"
            if inputs.links is not None
            else "SELECT CAST(0 AS UBIGINT) AS person_key, CAST(0 AS UBIGINT) AS person_id "
            "WHERE FALSE"
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE person_links AS {links}")
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE people_p AS
            SELECT p.* EXCLUDE (submission_id, person_key), {_PERSON_ID},
                p.lsoa21 IN (SELECT lsoa21 FROM population) AS resident
            FROM {self._fact("people")} p {_LINKED}"""
        )
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE participation_p AS
            SELECT p.period, {_PERSON_ID}, p.org, p.provision_category, p.attendances,
                p.contact_minutes
            FROM {self._fact("participation")} p {_LINKED}"""
        )
        self._person_period()
        # Over all periods a young person is described as first recorded, so that the
        # groups of every breakdown still add up to the headline.
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE person_all AS
            SELECT f.person_id, f.first_period, {", ".join(f"p.{d}" for d in PERSON_DIMS)},
                p.age, p.resident
            FROM (SELECT person_id, MIN(period) AS first_period FROM person_period
                GROUP BY person_id) f
            JOIN person_period p ON p.person_id = f.person_id AND p.period = f.first_period"""
        )
        con.execute(
            """CREATE OR REPLACE TEMP TABLE person_partner AS
            SELECT DISTINCT period, person_id, org FROM people_p"""
        )
        person_cols = ", ".join(f"pp.{d}" for d in PERSON_DIMS)
        con.execute(
            f"""CREATE OR REPLACE TEMP VIEW participation AS
            SELECT a.*, pp.age, pp.resident, {person_cols}
            FROM participation_p a JOIN person_period pp USING (period, person_id)"""
        )
        # Event facts are read where they are used (once per pass), not copied: the
        # national questionnaires alone are tens of millions of scored rows.
        for fact in ("referrals", "milestones", "scores"):
            con.execute(
                f"""CREATE OR REPLACE TEMP VIEW {fact}_p AS
                SELECT p.* EXCLUDE (submission_id, person_key), {_PERSON_ID}
                FROM {self._fact(fact)} p {_LINKED}"""
            )
            con.execute(
                f"""CREATE OR REPLACE TEMP VIEW {fact} AS
                SELECT r.*, pp.age, {person_cols}
                FROM {fact}_p r JOIN person_period pp USING (period, person_id)"""
            )
        con.execute(
            f"""CREATE OR REPLACE TEMP VIEW sessions AS
            SELECT * EXCLUDE (submission_id) FROM {self._fact("sessions")}"""
        )
        self.periods = [
            r[0] for r in con.execute("SELECT DISTINCT period FROM people_p ORDER BY 1").fetchall()
        ]

    def _person_period(self) -> None:
        """One row per young person and period. Only a young person recorded more than
        once in a period (by two partners, once linked) needs combining, so only those
        rows are grouped: grouping all of them costs twice as much at national scale."""
        dims = ", ".join(f"MIN(p.{d}) AS {d}" for d in PERSON_DIMS)
        cols = ", ".join(f"p.{d}" for d in PERSON_DIMS)
        self.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE person_period AS
            WITH shared AS (
                SELECT period, person_id FROM people_p
                GROUP BY period, person_id HAVING COUNT(*) > 1),
            one AS (
                SELECT p.period, p.person_id, {cols}, p.age, p.lsoa21, p.resident,
                    p.education_employment_status, 1 AS partners, p.attendances,
                    p.contact_minutes
                FROM people_p p LEFT JOIN shared s USING (period, person_id)
                WHERE s.person_id IS NULL),
            many AS (
                SELECT p.period, p.person_id, {dims}, MIN(p.age) AS age,
                    MIN(p.lsoa21) AS lsoa21, BOOL_OR(p.resident) AS resident,
                    MIN(p.education_employment_status) AS education_employment_status,
                    COUNT(DISTINCT p.org) AS partners, SUM(p.attendances) AS attendances,
                    SUM(p.contact_minutes) AS contact_minutes
                FROM people_p p JOIN shared s USING (period, person_id)
                GROUP BY p.period, p.person_id)
            SELECT * FROM one UNION ALL SELECT * FROM many"""
        )

    def _empty_facts(self) -> None:
        """Empty tables with each fact's columns, for an initiative with no data yet."""
        key = "'' submission_id, '' org, '' period, CAST(0 AS UBIGINT) person_key"
        empties = {
            "people": f"{key}, "
            + ", ".join(f"'' {d}" for d in PERSON_DIMS)
            + ", 0 age, '' lsoa21, '' education_employment_status, '' consent_to_share, "
            "0 attendances, 0 contact_minutes",
            "participation": f"{key}, '' provision_category, 0 attendances, 0 contact_minutes",
            "sessions": "'' submission_id, '' org, '' period, "
            "'' provision_category, CAST(NULL AS DATE) session_date, 0 duration_minutes, "
            "0 anonymous_attendance, '' ward, '' local_authority",
            "referrals": f"{key}, '' direction, '' partner_org, '' status, "
            "CAST(NULL AS DATE) referred_on, CAST(NULL AS DATE) status_date, 0 days_to_status",
            "milestones": f"{key}, '' milestone, CAST(NULL AS DATE) achieved_on, '' evidence",
            "scores": f"{key}, '' instrument, '' scale, CAST(NULL AS DATE) administered_on, "
            "'' timepoint, CAST(NULL AS DOUBLE) score, '' band",
        }
        for fact, columns in empties.items():
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE empty_{fact} AS SELECT {columns} WHERE FALSE"
            )

    # -- helpers -------------------------------------------------------------------------

    def query(self, sql: str) -> pl.DataFrame:
        return self.con.sql(sql).pl()

    @staticmethod
    def _column(dim: str) -> str:
        return "org" if dim == "partner" else dim

    def grouped(
        self,
        source: str,
        measures: str,
        dims: Iterable[str],
        *,
        per_period: bool = True,
        all_time: bool = True,
        where: str | None = None,
        headline: bool = True,
    ) -> pl.DataFrame:
        """``measures`` over ``source`` for the headline and each breakdown in ``dims``,
        per period and over all periods, in long form (period, breakdown, group, ...):
        one grouping set per breakdown, for measures that do not add up (medians,
        distinct counts). Sums go through :meth:`summed`."""
        dims = [d for d in dims if d != "period"]
        base: list[list[str]] = []
        if per_period:
            base += [["period"]] if headline else []
            base += [["period", self._column(d)] for d in dims]
        if all_time:
            base += [[]] if headline else []
            base += [[self._column(d)] for d in dims]
        if not base:
            return pl.DataFrame()
        sets = ", ".join("(" + ", ".join(s) + ")" for s in base)
        columns = ", ".join(
            f"CAST({self._column(d)} AS VARCHAR) AS dim_{i}" for i, d in enumerate(dims)
        )
        group_flags = ", ".join(f"GROUPING({self._column(d)}) AS g_{i}" for i, d in enumerate(dims))
        period = (
            "period, GROUPING(period) AS g_period"
            if per_period
            else "CAST(NULL AS VARCHAR) AS period, 1 AS g_period"
        )
        select = ", ".join(x for x in (period, columns, group_flags, measures) if x)
        sql = (
            f"SELECT {select} FROM {source} AS src {f'WHERE {where}' if where else ''} "
            f"GROUP BY GROUPING SETS ({sets})"
        )
        return _to_long(self.query(sql), dims)

    def summed(
        self,
        source: str,
        sums: dict[str, str],
        dims: Iterable[str],
        *,
        per_period: bool = True,
        all_time: bool = True,
        where: str | None = None,
        headline: bool = True,
        by: str | None = None,
    ) -> pl.DataFrame:
        """What :meth:`grouped` gives, for measures that are sums (``{name: expression}``),
        in two steps: one scan of ``source`` grouped by a few clusters of dimensions with
        few combinations (a place, a young person's characteristics), then every
        breakdown, per period and over all periods, added up from those subtotals.

        A national person-period table has millions of rows and fourteen breakdowns;
        grouping it once per cluster instead of once per breakdown and period is most of
        what makes the indicators affordable at that scale."""
        dims = [d for d in dims if d != "period"]
        if not (per_period or all_time) or not (dims or headline):
            return pl.DataFrame()
        clusters = _clusters(dims) or [[]]
        prefix = (["period"] if per_period else []) + ([by] if by else [])
        sets = ", ".join(
            "(" + ", ".join(prefix + [self._column(d) for d in c]) + ")" for c in clusters
        )
        select = [
            *prefix,
            *(f"CAST({self._column(d)} AS VARCHAR) AS dim_{i}" for i, d in enumerate(dims)),
            *(f"GROUPING({self._column(d)}) AS g_{i}" for i, d in enumerate(dims)),
            *(f"CAST(SUM({expr}) AS DOUBLE) AS {name}" for name, expr in sums.items()),
        ]
        frame = self.query(
            f"SELECT {', '.join(select)} FROM {source} AS src "
            f"{f'WHERE {where}' if where else ''} GROUP BY GROUPING SETS ({sets})"
        )
        if by:
            frame = frame.rename({by: "by_value"})
        keep = ["by_value"] if by else []
        index = {d: i for i, d in enumerate(dims)}
        totals = [pl.col(name).sum() for name in sums]

        def cluster_rows(cluster: list[str]) -> pl.DataFrame:
            """The subtotals of one cluster (a grouping set), told apart by GROUPING()."""
            return frame.filter(pl.col(f"g_{index[cluster[0]]}") == 0) if cluster else frame

        parts = []
        for with_period in [p for p, wanted in ((True, per_period), (False, all_time)) if wanted]:
            keys = (["period"] if with_period else []) + keep
            period = [] if with_period else [pl.lit(ALL_PERIODS).alias("period")]
            if headline:
                rows = cluster_rows(clusters[0])
                parts.append(
                    (rows.group_by(keys).agg(totals) if keys else rows.select(totals)).with_columns(
                        *period, breakdown=pl.lit(HEADLINE), group=pl.lit(HEADLINE)
                    )
                )
            for cluster in clusters:
                rows = cluster_rows(cluster)
                for d in cluster:
                    column = f"dim_{index[d]}"
                    parts.append(
                        rows.group_by([*keys, column])
                        .agg(totals)
                        .with_columns(
                            *period,
                            breakdown=pl.lit(d),
                            group=pl.col(column).fill_null(UNKNOWN),
                        )
                        .drop(column)
                    )
        if not parts:
            return pl.DataFrame()
        return pl.concat(parts, how="diagonal_relaxed").select(
            "period", "breakdown", "group", *keep, *sums
        )

    # -- kinds ---------------------------------------------------------------------------

    def prepare(self, registry: Registry) -> None:
        """Compute every indicator that shares a relation with others in one pass over
        it: the people counted over person-period rows, the events of each source, the
        paired changes of every scale. Thirty indicators then cost a handful of scans,
        not thirty (each scan of a national person-period table takes seconds)."""
        people: list[IndicatorDefinition] = []
        events: dict[str, list[IndicatorDefinition]] = {}
        for d in registry:
            if d.kind == "people" and d.source == "person_period":
                people.append(d)
            elif d.kind == "share":
                people.extend(_share_parts(d))
            elif d.kind in ("events", "ratio_events", "median"):
                events.setdefault(d.source, []).append(d)
        self._people_pass(people)
        for source, defs in events.items():
            self._events_pass(source, defs)
        self._paired_pass([d for d in registry if d.kind == "paired_change"])

    def compute(self, d: IndicatorDefinition, registry: Registry) -> pl.DataFrame:
        method = getattr(self, f"_kind_{d.kind}")
        frame = method(d, registry)
        if frame.is_empty():
            return empty_results()
        frame = frame.with_columns(pl.lit(d.id).alias("indicator"))
        allowed = set(d.breakdowns) | {HEADLINE}
        frame = frame.filter(pl.col("breakdown").is_in(allowed))
        if "period" not in d.breakdowns:
            frame = frame.filter(pl.col("period") == ALL_PERIODS)
        return conform(frame)

    def _people_pass(self, defs: list[IndicatorDefinition]) -> None:
        """Young people counted for each of ``defs`` (person-period indicators): one
        column per indicator, 1 where its filter holds, summed over every breakdown.

        Four relations, each scanned once: person-period rows (per period), each young
        person over all periods (counted if the filter held in some period, described
        as first recorded), and the young person's partners and provision categories
        (a young person counts once in each)."""
        todo = list({d.id: d for d in defs if d.id not in self._people_cache}.values())
        if not todo:
            return
        flags = [f"CASE WHEN {d.filter} THEN 1 ELSE 0 END" if d.filter else "1" for d in todo]
        names = [f"m_{i}" for i in range(len(todo))]
        sums = {m: m for m in names}
        wanted = {b for d in todo for b in d.breakdowns}
        dims = [b for b in PERSON_DIMS if b in wanted]
        marked = ", ".join(f"{flag} AS {m}" for flag, m in zip(flags, names, strict=True))
        most = ", ".join(f"MAX({m}) AS {m}" for m in names)
        parts = [
            self.summed(
                "person_period", dict(zip(names, flags, strict=True)), dims, all_time=False
            ),
            self.summed(
                f"""(SELECT pa.*, {", ".join(f"f.{m}" for m in names)} FROM person_all pa
                JOIN (SELECT person_id, {most} FROM (SELECT person_id, {marked}
                    FROM person_period) x GROUP BY person_id) f USING (person_id))""",
                sums,
                dims,
                per_period=False,
            ),
        ]
        others = {
            "partner": "person_partner",
            "provision_category": "(SELECT DISTINCT period, person_id, provision_category "
            "FROM participation_p)",
        }
        for dim, relation in others.items():
            if dim not in wanted:
                continue
            column = self._column(dim)
            self.con.execute(
                f"""CREATE OR REPLACE TEMP TABLE people_by_{dim} AS
                SELECT r.period, r.person_id, r.{column}, {marked} FROM {relation} r
                JOIN person_period USING (period, person_id)"""
            )
            table = f"people_by_{dim}"
            parts.append(self.summed(table, sums, [dim], all_time=False, headline=False))
            ever = f"(SELECT {column}, {most} FROM {table} GROUP BY {column}, person_id)"
            parts.append(self.summed(ever, sums, [dim], per_period=False, headline=False))
        frame = pl.concat(parts, how="diagonal_relaxed")
        for d, m in zip(todo, names, strict=True):
            allowed = set(d.breakdowns) | {HEADLINE}
            counted = frame.filter(pl.col(m) > 0, pl.col("breakdown").is_in(allowed))
            self._people_cache[d.id] = counted.select(
                "period",
                "breakdown",
                "group",
                pl.col(m).cast(pl.Int64).alias("n"),
                pl.col(m).cast(pl.Float64).alias("value"),
                pl.col(m).cast(pl.Float64).alias("numerator"),
            )

    def _people_rows(self, d: IndicatorDefinition) -> tuple[str, str]:
        """The young people an indicator over a row source (milestones, referrals...)
        counts, as distinct (period, person) and (period, person, partner) relations."""
        where = f"WHERE {d.filter}" if d.filter else ""
        rows = f"(SELECT period, person_id, org FROM {d.source} {where})"
        return (
            f"(SELECT DISTINCT period, person_id FROM {rows} r)",
            f"(SELECT DISTINCT period, person_id, org FROM {rows} r)",
        )

    def _kind_people(
        self, d: IndicatorDefinition, registry: Registry | None = None
    ) -> pl.DataFrame:
        if d.source == "person_period":
            self._people_pass([d])
        if d.id in self._people_cache:
            return self._people_cache[d.id]
        pp, org = self._people_rows(d)
        person_dims = [b for b in d.breakdowns if b in PERSON_DIMS]
        count = "COUNT(*) AS n"
        parts = [
            self.grouped(
                f"(SELECT pp.* FROM person_period pp JOIN {pp} s USING (period, person_id))",
                count,
                person_dims,
                all_time=False,
            ),
            self.grouped(
                f"(SELECT pa.* FROM person_all pa WHERE person_id IN "
                f"(SELECT person_id FROM {pp} x))",
                count,
                person_dims,
                per_period=False,
            ),
        ]
        if "partner" in d.breakdowns:
            parts.append(
                self.grouped(org, "COUNT(DISTINCT person_id) AS n", ["partner"], headline=False)
            )
        parts = [p for p in parts if not p.is_empty()]
        if not parts:
            return empty_results()
        frame = pl.concat(parts, how="diagonal_relaxed").with_columns(
            pl.col("n").cast(pl.Int64),
            pl.col("n").cast(pl.Float64).alias("value"),
            pl.col("n").cast(pl.Float64).alias("numerator"),
        )
        self._people_cache[d.id] = frame
        return frame

    def _kind_cumulative_people(
        self, d: IndicatorDefinition, registry: Registry | None = None
    ) -> pl.DataFrame:
        """New young people by the period they were first seen, added up over periods."""
        if d.source == "person_period":
            where = f"WHERE {d.filter}" if d.filter else ""
            pp = f"(SELECT period, person_id FROM person_period {where})"
            org = (
                f"(SELECT r.period, r.person_id, r.org FROM person_partner r "
                f"JOIN person_period USING (period, person_id) {where})"
            )
        else:
            pp, org = self._people_rows(d)
        person_dims = [b for b in d.breakdowns if b in PERSON_DIMS]
        first = (
            f"(SELECT pa.person_id, {', '.join(f'pa.{c}' for c in PERSON_DIMS)}, pa.age, "
            f"pa.resident, s.period FROM person_all pa JOIN "
            f"(SELECT person_id, MIN(period) AS period FROM {pp} x GROUP BY person_id) s "
            f"USING (person_id))"
        )
        parts = [self.summed(first, {"n": "1"}, person_dims, all_time=False)]
        if "partner" in d.breakdowns:
            firsts = (
                f"(SELECT org, person_id, MIN(period) AS period FROM {org} x "
                "GROUP BY org, person_id)"
            )
            parts.append(
                self.summed(firsts, {"n": "1"}, ["partner"], all_time=False, headline=False)
            )
        parts = [p for p in parts if not p.is_empty()]
        if not parts:
            return empty_results()
        new = pl.concat(parts, how="diagonal_relaxed")
        keys = new.select("breakdown", "group").unique()
        grid = keys.join(pl.DataFrame({"period": self.periods}), how="cross")
        frame = (
            grid.join(new, on=["period", "breakdown", "group"], how="left")
            .with_columns(pl.col("n").fill_null(0))
            .sort("period")
            .with_columns(pl.col("n").cum_sum().over("breakdown", "group"))
        )
        return frame.with_columns(
            pl.col("n").cast(pl.Int64),
            pl.col("n").cast(pl.Float64).alias("value"),
            pl.col("n").cast(pl.Float64).alias("numerator"),
        )

    def _events_pass(self, source: str, defs: list[IndicatorDefinition]) -> None:
        """Events, ratios of events and medians over one source, in one pass (medians,
        which do not add up, in a second): per indicator a value, its units and a count
        of the rows its filters keep (groups where that is zero are not the
        indicator's)."""
        todo = [d for d in defs if d.id not in self._events_cache]
        if not todo:
            return
        sums: dict[str, str] = {}
        medians: list[str] = []
        for i, d in enumerate(todo):
            keep = d.filter or "TRUE"
            if d.kind == "events":
                # n: the units behind the number, additive like the number itself:
                # attendances for what young people did at sessions, else rows.
                units = "attendances" if source == "participation" else "1"
                sums[f"v_{i}"] = f"CASE WHEN {keep} THEN {d.value or '1'} END"
                sums[f"n_{i}"] = f"CASE WHEN {keep} THEN {units} END"
            elif d.kind == "ratio_events":
                keep = d.denominator_filter or "TRUE"
                sums[f"v_{i}"] = f"CASE WHEN ({keep}) AND ({d.filter or 'TRUE'}) THEN 1 ELSE 0 END"
            else:
                medians += [
                    f"MEDIAN(CASE WHEN {keep} THEN {d.value} END) AS v_{i}",
                    f"SUM(CASE WHEN {keep} THEN 1 ELSE 0 END) AS c_{i}",
                ]
                continue
            sums[f"c_{i}"] = f"CASE WHEN {keep} THEN 1 ELSE 0 END"
        wanted = {b for d in todo for b in d.breakdowns}
        dims = [b for b in DIMENSIONS if b in wanted]
        keys = ["period", "breakdown", "group"]
        frames = []
        if sums:
            frames.append(self.summed(source, sums, dims))
        if medians:
            frames.append(self.grouped(source, ", ".join(medians), dims))
        frame = frames[0] if len(frames) == 1 else frames[0].join(frames[1], on=keys)
        for i, d in enumerate(todo):
            rows = frame.filter(pl.col(f"c_{i}") > 0)
            v, c = pl.col(f"v_{i}").cast(pl.Float64), pl.col(f"c_{i}").cast(pl.Int64)
            if d.kind == "events":
                rows = rows.select(
                    *keys,
                    v.fill_null(0.0).alias("value"),
                    v.fill_null(0.0).alias("numerator"),
                    pl.col(f"n_{i}").cast(pl.Int64).alias("n"),
                )
            elif d.kind == "ratio_events":
                rows = _rate(rows.select(*keys, numerator=v, denominator=c))
            else:
                rows = rows.select(*keys, value=v, n=c)
            self._events_cache[d.id] = rows

    def _kind_events(
        self, d: IndicatorDefinition, registry: Registry | None = None
    ) -> pl.DataFrame:
        self._events_pass(d.source, [d])
        return self._events_cache[d.id]

    _kind_median = _kind_events
    _kind_ratio_events = _kind_events

    def _kind_share(self, d: IndicatorDefinition, registry: Registry | None = None) -> pl.DataFrame:
        part, base = _share_parts(d)
        self._people_pass([part, base])
        num = self._people_cache[part.id].select("period", "breakdown", "group", numerator="n")
        den = self._people_cache[base.id].select("period", "breakdown", "group", denominator="n")
        frame = den.join(num, on=["period", "breakdown", "group"], how="left").with_columns(
            pl.col("numerator").fill_null(0)
        )
        return _rate(frame)

    def _kind_retention(
        self, d: IndicatorDefinition, registry: Registry | None = None
    ) -> pl.DataFrame:
        if len(self.periods) < 2:
            return empty_results()
        following = pl.DataFrame({"period": self.periods[:-1], "next_period": self.periods[1:]})
        self.con.register("next_periods", following)
        person_dims = [b for b in d.breakdowns if b in PERSON_DIMS]
        cohort = """(SELECT pp.*, (n.person_id IS NOT NULL) AS retained
            FROM person_period pp JOIN next_periods np USING (period)
            LEFT JOIN person_period n
                ON n.period = np.next_period AND n.person_id = pp.person_id)"""
        measures = {"numerator": "CASE WHEN retained THEN 1 ELSE 0 END", "denominator": "1"}
        parts = [self.summed(cohort, measures, person_dims, all_time=False)]
        if "partner" in d.breakdowns:
            by_org = """(SELECT pp.*, (n.person_id IS NOT NULL) AS retained
                FROM person_partner pp JOIN next_periods np USING (period)
                LEFT JOIN person_partner n ON n.period = np.next_period
                    AND n.person_id = pp.person_id AND n.org = pp.org)"""
            part = self.summed(by_org, measures, ["partner"], all_time=False)
            parts.append(part.filter(pl.col("breakdown") != HEADLINE))
        return _rate(pl.concat(parts, how="diagonal_relaxed"))

    def _population(self, dims: list[str]) -> pl.DataFrame:
        frame = self.summed("population", {"population": "count"}, dims, per_period=False)
        return frame.drop("period").with_columns(pl.col("population").cast(pl.Float64))

    def _kind_population_rate(self, d: IndicatorDefinition, registry: Registry) -> pl.DataFrame:
        numerator = self._kind_people(registry.get(d.numerator))
        dims = [b for b in d.breakdowns if b in POPULATION_BREAKDOWNS and b != "period"]
        pop = self._population(dims)
        frame = numerator.join(pop, on=["breakdown", "group"], how="inner").select(
            "period", "breakdown", "group", numerator="n", denominator="population"
        )
        return _rate(frame)

    def _kind_representation(self, d: IndicatorDefinition, registry: Registry) -> pl.DataFrame:
        numerator = self._kind_people(registry.get(d.numerator))
        dims = [b for b in d.breakdowns if b in POPULATION_BREAKDOWNS and b != "period"]
        pop = self._population(dims)
        total_pop = pop.filter(pl.col("breakdown") == HEADLINE)["population"].sum()
        heads = numerator.filter(pl.col("breakdown") == HEADLINE).select("period", head=pl.col("n"))
        frame = (
            numerator.filter(pl.col("breakdown") != HEADLINE)
            .join(pop, on=["breakdown", "group"], how="inner")
            .join(heads, on="period")
            .with_columns(
                numerator=pl.col("n").cast(pl.Float64),
                denominator=pl.col("population").cast(pl.Float64),
                value=(pl.col("n") / pl.col("head"))
                / (pl.col("population") / pl.lit(total_pop or None)),
            )
        )
        return frame.select(
            "period", "breakdown", "group", "value", "numerator", "denominator", "n"
        )

    def _kind_composition(self, d: IndicatorDefinition, registry: Registry) -> pl.DataFrame:
        numerator = self._kind_people(registry.get(d.numerator))
        heads = numerator.filter(pl.col("breakdown") == HEADLINE).select(
            "period", denominator=pl.col("n")
        )
        frame = numerator.filter(pl.col("breakdown") != HEADLINE).join(heads, on="period")
        return _rate(frame.select("period", "breakdown", "group", "denominator", numerator="n"))

    def _pairs(self) -> str:
        """Each young person's first baseline and last exit on a scale at one partner
        (one grouping of the scored rows), described by the exit period's record."""
        if not getattr(self, "_pairs_built", False):
            self.con.execute(
                """CREATE OR REPLACE TEMP TABLE pairs AS
                WITH marked AS (
                    SELECT org, person_id, scale, score, band, period,
                        CASE WHEN timepoint = 'baseline' THEN administered_on END AS b_on,
                        CASE WHEN timepoint = 'exit' THEN administered_on END AS e_on
                    FROM scores_p
                    WHERE timepoint IN ('baseline', 'exit') AND score IS NOT NULL),
                paired AS (
                    SELECT org, person_id, scale, ARG_MIN(score, b_on) AS baseline,
                        ARG_MIN(band, b_on) AS baseline_band, MIN(b_on) AS baseline_on,
                        ARG_MAX(score, e_on) AS exit, ARG_MAX(band, e_on) AS exit_band,
                        ARG_MAX(period, e_on) AS period, MAX(e_on) AS exit_on
                    FROM marked GROUP BY org, person_id, scale),
                joined AS (
                    SELECT p.*, p.exit - p.baseline AS change,
                        CASE WHEN s.direction = 'down' THEN -1 ELSE 1 END AS sign, s.rci,
                        s.low_bands
                    FROM paired p JOIN scales s USING (scale)
                    WHERE p.exit_on >= p.baseline_on)
                SELECT j.*,
                    CASE WHEN j.sign * j.change >= j.rci THEN 1 ELSE 0 END AS improved,
                    CASE WHEN -j.sign * j.change >= j.rci THEN 1 ELSE 0 END AS deteriorated,
                    CASE WHEN list_contains(string_split(j.low_bands, ';'), j.baseline_band)
                        THEN 1 ELSE 0 END AS low_at_baseline,
                    CASE WHEN list_contains(string_split(j.low_bands, ';'), j.baseline_band)
                        AND NOT list_contains(string_split(j.low_bands, ';'), j.exit_band)
                        THEN 1 ELSE 0 END AS left_low
                FROM joined j"""
            )
            self._pairs_built = True
        dims = ", ".join(f"e.{d}" for d in PERSON_DIMS)
        return f"(SELECT p.*, {dims} FROM pairs p JOIN person_period e USING (period, person_id))"

    def _paired_pass(self, defs: list[IndicatorDefinition]) -> None:
        """The moments of paired change for every scale at once: one pass over the
        pairs, whatever the number of statistics reported from them. The moments add
        up, so those across every scale (``*``) are the sums of each scale's."""
        todo = [d for d in defs if d.id not in self._paired_cache]
        if not todo:
            return
        measures = {
            "n": "1", "s1": "change", "s2": "change * change", "b1": "baseline",
            "b2": "baseline * baseline", "improved": "improved", "deteriorated": "deteriorated",
            "low": "low_at_baseline", "left_low": "left_low",
        }  # fmt: skip
        wanted = {b for d in todo for b in d.breakdowns}
        dims = [b for b in DIMENSIONS if b in wanted]
        scales = sorted({d.scale for d in todo if d.scale != "*"})
        pooled = any(d.scale == "*" for d in todo)
        where = None if pooled else f"scale IN ({', '.join(repr(s) for s in scales)})"
        frame = self.summed(self._pairs(), measures, dims, by="scale", where=where)
        if frame.is_empty():
            self._paired_cache.update({d.id: empty_results() for d in todo})
            return
        if pooled:
            across = frame.group_by("period", "breakdown", "group").agg(
                pl.col(c).sum() for c in measures
            )
            frame = pl.concat(
                [frame, across.with_columns(by_value=pl.lit("*"))], how="diagonal_relaxed"
            )
        for d in todo:
            rows = frame.filter(pl.col("by_value") == d.scale).drop("by_value")
            self._paired_cache[d.id] = (
                empty_results()
                if rows.is_empty()
                else _pair_statistic(rows, d.stat or "mean_change")
            )

    def _kind_paired_change(
        self, d: IndicatorDefinition, registry: Registry | None = None
    ) -> pl.DataFrame:
        self._paired_pass([d])
        return self._paired_cache[d.id]


# Dimensions grouped together in the first step of Engine.summed: their combinations
# are few (wards with their authority and deprivation; a young person's age band,
# gender, ethnicity and needs), so each cluster's subtotals are a small table. Any other
# dimension is a cluster of its own.
CLUSTERS = (
    ("ward", "local_authority", "imd_quintile", "imd_decile"),
    ("age_band", "gender", "ethnicity_group", "ethnicity", "send", "free_school_meals",
     "care_experienced"),
)  # fmt: skip


def _clusters(dims: list[str]) -> list[list[str]]:
    out = [[d for d in cluster if d in dims] for cluster in CLUSTERS]
    clustered = {d for cluster in CLUSTERS for d in cluster}
    out += [[d] for d in dims if d not in clustered]
    return [c for c in out if c]


def _share_parts(d: IndicatorDefinition) -> tuple[IndicatorDefinition, IndicatorDefinition]:
    """A share's numerator and denominator as people indicators of their own."""
    part = IndicatorDefinition(**{**d.__dict__, "id": f"{d.id}#num", "kind": "people"})
    base = IndicatorDefinition(
        **{**d.__dict__, "filter": d.denominator_filter, "id": f"{d.id}#den", "kind": "people"}
    )
    return part, base


def _to_long(frame: pl.DataFrame, dims: list[str]) -> pl.DataFrame:
    """A GROUPING SETS result as rows with ``period``, ``breakdown`` and ``group``."""
    if frame.is_empty():
        return frame.select(
            [pl.lit(None, pl.String).alias(c) for c in ("period", "breakdown", "group")]
        ).clear()
    breakdown = pl.lit(HEADLINE)
    group = pl.lit(HEADLINE)
    for i, dim in reversed(list(enumerate(dims))):
        grouped = pl.col(f"g_{i}") == 0
        breakdown = pl.when(grouped).then(pl.lit(dim)).otherwise(breakdown)
        group = pl.when(grouped).then(pl.col(f"dim_{i}").fill_null(UNKNOWN)).otherwise(group)
    period = pl.when(pl.col("g_period") == 1).then(pl.lit(ALL_PERIODS)).otherwise(pl.col("period"))
    drop = [c for c in frame.columns if c.startswith(("dim_", "g_"))]
    return frame.with_columns(
        period.alias("period"), breakdown.alias("breakdown"), group.alias("group")
    ).drop(drop)


def _rate(frame: pl.DataFrame) -> pl.DataFrame:
    """Percentages from ``numerator`` and ``denominator``; ``n`` is the numerator."""
    return frame.with_columns(
        pl.col("numerator").cast(pl.Float64),
        pl.col("denominator").cast(pl.Float64),
        (100.0 * pl.col("numerator") / pl.col("denominator")).alias("value"),
        pl.col("numerator").cast(pl.Int64).alias("n"),
    ).filter(pl.col("denominator") > 0)


def _pair_statistic(frame: pl.DataFrame, stat: str) -> pl.DataFrame:
    """One statistic of paired change from grouped moments (n, sums, sums of squares)."""
    n = frame["n"].cast(pl.Float64).to_numpy()
    s1 = frame["s1"].cast(pl.Float64).to_numpy()
    s2 = frame["s2"].cast(pl.Float64).to_numpy()
    b1 = frame["b1"].cast(pl.Float64).to_numpy()
    b2 = frame["b2"].cast(pl.Float64).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = s1 / n
        sd = np.sqrt(np.maximum(s2 - n * mean**2, 0.0) / (n - 1))
        sd_base = np.sqrt(np.maximum(b2 - b1**2 / n, 0.0) / (n - 1))
        half = scistats.t.ppf(0.975, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
        half = np.where(n >= 2, half, np.nan)
        lower = upper = np.full(len(n), np.nan)
        numerator = denominator = np.full(len(n), np.nan)
        if stat == "mean_change":
            value, lower, upper = mean, mean - half, mean + half
        elif stat == "effect_size_dz":
            value = np.where(sd > 0, mean / sd, np.nan)
        elif stat == "effect_size_d":
            value = np.where(sd_base > 0, mean / sd_base, np.nan)
        elif stat in ("reliable_improvement", "reliable_deterioration"):
            column = "improved" if stat == "reliable_improvement" else "deteriorated"
            numerator = frame[column].cast(pl.Float64).to_numpy()
            denominator = n
            value = 100.0 * numerator / n
        elif stat == "left_low":
            numerator = frame["left_low"].cast(pl.Float64).to_numpy()
            denominator = frame["low"].cast(pl.Float64).to_numpy()
            value = np.where(denominator > 0, 100.0 * numerator / denominator, np.nan)
        else:  # pragma: no cover - definitions are checked when loaded
            raise ValueError(stat)
    n_units = n if stat != "left_low" else denominator
    out = frame.select("period", "breakdown", "group").with_columns(
        pl.Series("value", value, pl.Float64).fill_nan(None),
        pl.Series("lower", lower, pl.Float64).fill_nan(None),
        pl.Series("upper", upper, pl.Float64).fill_nan(None),
        pl.Series("numerator", numerator, pl.Float64).fill_nan(None),
        pl.Series("denominator", denominator, pl.Float64).fill_nan(None),
        pl.Series("n", np.nan_to_num(n_units), pl.Float64).cast(pl.Int64),
    )
    return out


def run_all(engine: Engine, registry: Registry) -> pl.DataFrame:
    """Every indicator of ``registry``, in one long frame."""
    engine.prepare(registry)
    frames = []
    for d in registry:
        frames.append(engine.compute(d, registry))
    return pl.concat(frames) if frames else empty_results()


__all__ = ["Engine", "Inputs", "run_all", "transpile"]
