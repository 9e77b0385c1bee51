"""Benchmark: refreshing every built-in indicator on a national-scale pool, against a
hand-written DuckDB query and pandas computing the same headline numbers.

Why: a national programme pools hundreds of partners' submissions, and every accepted,
superseded or withdrawn submission triggers a refresh. Target: a full refresh (facts,
every indicator with every breakdown, disclosure control for every audience, stored
results) under 60 s on 2 cores and at most 2x the hand-written floor, both measured in
the same run; peak memory reported.

    .venv/bin/python bench/indicators.py                  # 5M people, 200M attendance
    .venv/bin/python bench/indicators.py --scale 0.05     # a twentieth of that
    .venv/bin/python bench/indicators.py --smoke          # tiny, for CI

The pool is generated directly as pooled tables (bench/national.py; cached under
bench/.cache/, the full-size one takes about 15 minutes once). Then, each in a fresh
child process that reports its own wall time and peak resident memory (``ru_maxrss`` of
the child itself: the shared ``child_peak_memory_mb`` helper reports the largest child so
far, which only works for one child per run, and this runs four):

  1. full refresh: ``refresh_files(..., full=True)`` with its own per-step timings;
  2. incremental refresh: after one partner-quarter is submitted again (same rows, new
     version, so new files), ``refresh_files(..., full=False)`` reads that one again;
  3. the floor: hand-written DuckDB SQL over the pool's Parquet files giving the same
     headline numbers per quarter (young people, sessions, attendances, contact hours,
     young people attending at least 4 times, pairs and mean change in SWEMWBS, referrals
     made and accepted), one pass per table;
  4. pandas (pyarrow dtypes, only the needed columns) computing the same numbers, one
     partner at a time (a baseline-exit pair can span quarters, but never partners).

Each phase's numbers must equal the floor's (counts exactly, means to 1e-9); the run
fails otherwise, since a benchmark whose answers disagree measures nothing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from national import CACHE, MARKER, POPULATION, Scale, ensure_pool

PHASES = ("full", "incremental", "floor", "pandas")
COUNTS = ("reach", "sessions", "attendances", "attended_4", "swemwbs_pairs", "referrals_made",
          "referrals_accepted")  # fmt: skip
MEANS = ("contact_hours", "swemwbs_mean_change")
THRESHOLD = 4  # the built-in attendance threshold


# -- phases (each runs in its own child process) --------------------------------------


def pool_files(home: Path):
    from needle.pool import Pool

    with Pool.open(home) as pool:
        return pool.files()


def by_entity(files) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for f in files:
        out[f.entity].append(str(f.path))
    return out


def refresh(home: Path, full: bool) -> dict:
    import polars as pl

    from needle.indicators.definitions import load_registry
    from needle.indicators.refresh import refresh_files
    from needle.initiative import InitiativeConfig, PeriodsConfig

    config = InitiativeConfig(
        name="National benchmark", periods=PeriodsConfig(first="2024-Q4", frequency="quarter")
    )
    population = pl.read_parquet(home / POPULATION)
    registry = load_registry()
    start = time.perf_counter()
    files = pool_files(home)
    result = refresh_files(
        home / "indicators", files, config=config, population=population, registry=registry,
        full=full,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "steps": result.seconds,
        "rows": result.rows,
        "computed": result.computed,
        "reused": result.reused,
        "headline": refresh_headline(home / "indicators"),
    }


def refresh_headline(root: Path) -> dict[str, dict[str, float]]:
    """The headline numbers per quarter from the backbone results of the current run."""
    import polars as pl

    run = json.loads((root / "current.json").read_text())["run_id"]
    rows = pl.read_parquet(root / "runs" / run / "backbone.parquet").filter(
        pl.col("breakdown") == "", pl.col("period") != "all"
    )
    pick = {
        ("reach", "n"): "reach",
        ("sessions_delivered", "value"): "sessions",
        ("attendances", "value"): "attendances",
        ("contact_hours", "value"): "contact_hours",
        ("attended_threshold", "numerator"): "attended_4",
        ("wellbeing_change", "n"): "swemwbs_pairs",
        ("wellbeing_change", "value"): "swemwbs_mean_change",
        ("referrals_made", "value"): "referrals_made",
        ("referrals_accepted", "numerator"): "referrals_accepted",
    }
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for row in rows.iter_rows(named=True):
        for (indicator, column), name in pick.items():
            if row["indicator"] == indicator and row[column] is not None:
                out[row["period"]][name] = row[column]
    return dict(out)


def floor(home: Path) -> dict:
    """Hand-written DuckDB: the same headline numbers, one pass over each table."""
    import duckdb

    from needle.indicators.instruments import load_instruments

    start = time.perf_counter()
    files = by_entity(pool_files(home))
    con = duckdb.connect()

    def src(entity: str) -> str:
        return "read_parquet([" + ", ".join(f"'{p}'" for p in files[entity]) + "])"

    conversion = load_instruments()["swemwbs"].scales[0].conversion
    con.execute("CREATE TEMP TABLE conversion (raw INTEGER, score DOUBLE)")
    con.executemany("INSERT INTO conversion VALUES (?, ?)", [list(c) for c in conversion])
    queries = {
        "people": f"SELECT period, COUNT(*) AS reach FROM {src('young_people')} GROUP BY period",
        "sessions": f"SELECT period, COUNT(*) AS sessions FROM {src('sessions')} GROUP BY period",
        "attendance": f"""
            WITH person AS (
                SELECT a.period, COUNT(*) AS n, SUM(s.duration_minutes) AS minutes
                FROM {src("attendance")} a
                JOIN {src("sessions")} s USING (submission_id, session_ref)
                GROUP BY a.submission_id, a.person_ref, a.period)
            SELECT period, CAST(SUM(n) AS BIGINT) AS attendances,
                CAST(SUM(minutes) AS DOUBLE) / 60.0 AS contact_hours,
                COUNT(*) FILTER (WHERE n >= {THRESHOLD}) AS attended_4
            FROM person GROUP BY period""",
        "swemwbs": f"""
            WITH scored AS (
                SELECT org, period, person_ref, timepoint, administered_on, c.score
                FROM {src("measurements")} m
                JOIN conversion c ON c.raw = m.q1 + m.q2 + m.q3 + m.q4 + m.q5 + m.q6 + m.q7
                WHERE instrument = 'swemwbs' AND timepoint IN ('baseline', 'exit')),
            b AS (
                SELECT org, person_ref, ARG_MIN(score, administered_on) AS baseline,
                    MIN(administered_on) AS baseline_on
                FROM scored WHERE timepoint = 'baseline' GROUP BY ALL),
            e AS (
                SELECT org, person_ref, ARG_MAX(score, administered_on) AS exit,
                    ARG_MAX(period, administered_on) AS period, MAX(administered_on) AS exit_on
                FROM scored WHERE timepoint = 'exit' GROUP BY ALL)
            SELECT period, COUNT(*) AS swemwbs_pairs,
                AVG(exit - baseline) AS swemwbs_mean_change
            FROM b JOIN e USING (org, person_ref) WHERE exit_on >= baseline_on
            GROUP BY period""",
        "referrals": f"""
            SELECT period, COUNT(*) AS referrals_made,
                COUNT(*) FILTER (WHERE status IN ('accepted', 'started', 'completed'))
                    AS referrals_accepted
            FROM {src("referrals")} WHERE direction = 'out' GROUP BY period""",
    }
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for sql in queries.values():
        frame = con.sql(sql).pl()
        for row in frame.iter_rows(named=True):
            out[row.pop("period")].update(row)
    con.close()
    return {"seconds": time.perf_counter() - start, "headline": dict(out)}


def pandas_headline(home: Path) -> dict:
    """pandas, one partner at a time (all of its quarters): about a million attendance
    rows per chunk; the whole national pool at once would not fit in memory."""
    import pandas as pd

    from needle.indicators.instruments import load_instruments

    start = time.perf_counter()
    files = pool_files(home)
    conversion = dict(load_instruments()["swemwbs"].scales[0].conversion)
    orgs: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for f in files:
        orgs[f.org][f.entity].append(str(f.path))
    items = [f"q{i}" for i in range(1, 8)]
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))

    def read(paths: list[str], columns: list[str]) -> pd.DataFrame:
        frames = [pd.read_parquet(p, columns=columns, dtype_backend="pyarrow") for p in paths]
        return pd.concat(frames, ignore_index=True)

    def add(series: pd.Series, name: str) -> None:
        for period, value in series.items():
            totals[period][name] += value

    for entities in orgs.values():
        people = read(entities["young_people"], ["period"])
        add(people.groupby("period").size(), "reach")
        sessions = read(entities["sessions"], ["submission_id", "period", "session_ref",
                                               "duration_minutes"])  # fmt: skip
        add(sessions.groupby("period").size(), "sessions")
        att = read(entities["attendance"], ["submission_id", "period", "session_ref", "person_ref"])
        att = att.merge(sessions, on=["submission_id", "period", "session_ref"])
        person = att.groupby(["period", "person_ref"]).agg(
            n=("session_ref", "size"), minutes=("duration_minutes", "sum")
        )
        by_period = person.groupby(level="period")
        add(by_period["n"].sum(), "attendances")
        add(by_period["minutes"].sum(), "contact_minutes")
        add((person["n"] >= THRESHOLD).groupby(level="period").sum(), "attended_4")

        m = read(entities["measurements"], ["period", "person_ref", "instrument", "timepoint",
                                            "administered_on", *items])  # fmt: skip
        m = m[(m["instrument"] == "swemwbs") & m["timepoint"].isin(["baseline", "exit"])]
        m = m.assign(score=m[items].sum(axis=1, skipna=False).map(conversion)).dropna(
            subset=["score"]
        )
        m = m.sort_values(["person_ref", "administered_on"], kind="stable")
        base = m[m["timepoint"] == "baseline"].drop_duplicates("person_ref", keep="first")
        exit_ = m[m["timepoint"] == "exit"].drop_duplicates("person_ref", keep="last")
        pairs = base.merge(exit_, on="person_ref", suffixes=("_b", "_e"))
        pairs = pairs[pairs["administered_on_e"] >= pairs["administered_on_b"]]
        change = (pairs["score_e"] - pairs["score_b"]).groupby(pairs["period_e"])
        add(change.size(), "swemwbs_pairs")
        add(change.sum(), "swemwbs_change_sum")

        r = read(entities["referrals"], ["period", "direction", "status"])
        r = r[r["direction"] == "out"]
        add(r.groupby("period").size(), "referrals_made")
        accepted = r["status"].isin(["accepted", "started", "completed"])
        add(accepted.groupby(r["period"]).sum(), "referrals_accepted")

    out: dict[str, dict[str, float]] = {}
    for period, t in totals.items():
        row = {k: int(t[k]) for k in COUNTS if k in t}
        row["contact_hours"] = t["contact_minutes"] / 60.0
        if t.get("swemwbs_pairs"):
            row["swemwbs_mean_change"] = t["swemwbs_change_sum"] / t["swemwbs_pairs"]
        else:
            row.pop("swemwbs_pairs", None)
        out[period] = row
    return {"seconds": time.perf_counter() - start, "headline": out}


def run_phase(phase: str, home: Path, repeat: int) -> dict:
    fn = {
        "full": lambda: refresh(home, full=True),
        "incremental": lambda: refresh(home, full=False),
        "floor": lambda: floor(home),
        "pandas": lambda: pandas_headline(home),
    }[phase]
    runs = [fn() for _ in range(repeat if phase != "incremental" else 1)]
    best = min(runs, key=lambda r: r["seconds"])
    best["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return best


def child(phase: str, home: Path, repeat: int) -> dict:
    """Run one phase in a fresh process; its figures come back as JSON."""
    out = home / f".phase-{phase}.json"
    subprocess.run(
        [sys.executable, __file__, "--child", phase, "--home", str(home), "--out", str(out),
         "--repeat", str(repeat)],
        check=True,
    )  # fmt: skip
    figures = json.loads(out.read_text())
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in figures.get("steps", {}).items())
    print(f"  ... {phase}: {figures['seconds']:.1f} s {f'({steps}) ' if steps else ''}"
          f"peak {figures['peak_mb']:.0f} MB", flush=True)  # fmt: skip
    return figures


# -- the run -------------------------------------------------------------------------------


def resubmit_one(home: Path) -> tuple[str, str, float]:
    """Submit one partner-quarter again with the same rows (a new version, new files), as
    a partner correcting a file would; returns (org, period, seconds)."""
    from needle.pool import Pool
    from needle.pool.model import PROVENANCE_COLUMNS

    with Pool.open(home) as pool:
        files = pool.files()
        org, period = files[0].org, files[0].period
        entities = sorted({f.entity for f in files if (f.org, f.period) == (org, period)})
        tables = {
            e: pool.read(e, orgs=[org], periods=[period]).collect().drop(PROVENANCE_COLUMNS)
            for e in entities
        }
        start = time.perf_counter()
        pool.receive(
            org=org, period=period, standard_version="1.0", content_sha256=os.urandom(32).hex(),
            tables=tables, report={"valid": True}, source_name=f"{org}-{period}-again.zip",
        )  # fmt: skip
        return org, period, time.perf_counter() - start


def warm(home: Path) -> int:
    """Read every pooled file once, so that no phase pays for a cold disk cache."""
    size = 0
    for path in (home / "pool").rglob("*.parquet"):
        size += len(path.read_bytes())
    return size


def differences(name: str, got: dict, floor_: dict) -> list[str]:
    problems = []
    for period in sorted(set(got) | set(floor_)):
        a, b = got.get(period, {}), floor_.get(period, {})
        for key in (*COUNTS, *MEANS):
            x, y = a.get(key), b.get(key)
            if x is None and y is None:
                continue
            same = (
                x is not None
                and y is not None
                and (x == y if key in COUNTS else math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9))
            )
            if not same:
                problems.append(f"{name} {period} {key}: {x} != floor {y}")
    return problems


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Scale()
    parser.add_argument("--people", type=int, default=default.people)
    parser.add_argument("--attendance", type=int, default=default.attendance)
    parser.add_argument("--measurements", type=int, default=default.measurements)
    parser.add_argument("--partners", type=int, default=default.partners)
    parser.add_argument("--periods", type=int, default=default.periods)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", type=float, help="a fraction of the sizes given")
    parser.add_argument("--repeat", type=int, default=1, help="best of N (not incremental)")
    parser.add_argument("--workers", type=int, default=2, help="processes generating the pool")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    parser.add_argument("--cache", type=Path, default=CACHE, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--child", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        figures = run_phase(args.child, args.home, args.repeat)
        args.out.write_text(json.dumps(figures, indent=1))
        return figures
    if args.smoke:
        args.people, args.attendance, args.measurements, args.partners = 2_000, 50_000, 4_000, 4
    scale = Scale(args.people, args.attendance, args.measurements, args.partners, args.periods,
                  args.seed)  # fmt: skip
    if args.scale:
        scale = scale.scaled(args.scale)

    home = ensure_pool(scale, cache=args.cache, workers=args.workers)
    made = json.loads((home / MARKER).read_text())
    pooled = warm(home)
    print(f"Pool: {home} ({pooled / 1e9:.2f} GB of Parquet, generated in {made['seconds']} s)")
    print("  " + ", ".join(f"{k} {v:,}" for k, v in made["rows"].items()), flush=True)

    floor_ = child("floor", home, args.repeat)
    pandas_ = child("pandas", home, args.repeat)
    full = child("full", home, args.repeat)
    # The floor again, right after the refresh: these machines are noisy (the same floor
    # has measured 16 s and 37 s within an hour), so the ratio uses the mean of the two
    # floors around the refresh, and both are reported.
    floor_after = child("floor", home, args.repeat)
    org, period, t_submit = resubmit_one(home)
    incremental = child("incremental", home, 1)

    problems = [
        *differences("full refresh", full["headline"], floor_["headline"]),
        *differences("incremental refresh", incremental["headline"], floor_["headline"]),
        *differences("pandas", pandas_["headline"], floor_["headline"]),
    ]
    t_full = full["seconds"]
    t_floor = (floor_["seconds"] + floor_after["seconds"]) / 2
    figures = {
        "scale": made["scale"],
        "rows": made["rows"],
        "full_seconds": t_full,
        "full_steps": full["steps"],
        "full_peak_mb": full["peak_mb"],
        "results": full["rows"],
        "incremental_seconds": incremental["seconds"],
        "incremental_steps": incremental["steps"],
        "incremental_peak_mb": incremental["peak_mb"],
        "incremental_read_again": incremental["computed"],
        "resubmit_seconds": t_submit,
        "floor_seconds": t_floor,
        "floor_runs_seconds": [floor_["seconds"], floor_after["seconds"]],
        "floor_peak_mb": floor_["peak_mb"],
        "pandas_seconds": pandas_["seconds"],
        "pandas_peak_mb": pandas_["peak_mb"],
        "full_over_floor": t_full / t_floor,
        "pandas_over_floor": pandas_["seconds"] / t_floor,
        "incremental_over_full": incremental["seconds"] / t_full,
        "numbers_agree": not problems,
        "headline": floor_["headline"],
    }

    def steps(s: dict) -> str:
        return ", ".join(f"{k} {v:.1f}" for k, v in s.items())

    lines = [
        ("full refresh (all indicators)", f"{t_full:8.1f} s  [{steps(full['steps'])}]"),
        ("  results rows", f"{full['rows']:8,}"),
        (
            f"incremental ({org} {period} again)",
            f"{incremental['seconds']:8.1f} s  [{steps(incremental['steps'])}], "
            f"{incremental['computed']} submission(s) read again",
        ),
        (
            "hand-written DuckDB (floor)",
            f"{t_floor:8.1f} s  (mean of {floor_['seconds']:.1f} and {floor_after['seconds']:.1f})",
        ),
        ("pandas, per partner", f"{pandas_['seconds']:8.1f} s"),
        ("full refresh / floor", f"{t_full / t_floor:8.1f} x (target <= 2)"),
        ("full refresh", f"{t_full:8.1f} s (target < 60)"),
        ("incremental / full", f"{incremental['seconds'] / t_full:8.2f} x"),
        ("pandas / floor", f"{pandas_['seconds'] / t_floor:8.1f} x"),
        (
            "peak memory (MB)",
            f"full {full['peak_mb']:.0f}, incremental {incremental['peak_mb']:.0f}, "
            f"floor {floor_['peak_mb']:.0f}, pandas {pandas_['peak_mb']:.0f}",
        ),
        ("headline numbers", "agree" if not problems else f"DISAGREE ({len(problems)})"),
    ]
    for label, value in lines:
        print(f"  {label:<34}: {value}")
    print("  headline per quarter (floor):")
    for p, row in sorted(floor_["headline"].items()):
        cells = ", ".join(
            f"{k} {v:,.3f}" if isinstance(v, float) and k in MEANS else f"{k} {v:,}"
            for k, v in row.items()
        )
        print(f"    {p}: {cells}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    if problems:
        print("\n".join(problems[:30]), file=sys.stderr)
        raise SystemExit("The phases' headline numbers disagree with the floor's.")
    return figures


if __name__ == "__main__":
    main()
