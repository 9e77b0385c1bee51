"""Refreshing an initiative's indicators: facts, engine, disclosure control, stored results.

A refresh is what runs after a submission is accepted, superseded, withdrawn or erased
(and on demand, ``needle indicators refresh``). It brings the facts cache up to date
(reading only the submissions whose pooled files changed), computes every indicator over
the current facts, protects the results once per audience, and stores them as one *run*:

    HOME/indicators/runs/<run id>/backbone.parquet      every number, unprotected
    HOME/indicators/runs/<run id>/<audience>.parquet    protected for that audience
    HOME/indicators/runs/<run id>/run.json              provenance: submission versions,
                                                        definitions, thresholds, timings
    HOME/indicators/current.json                        which run is current

A run is written completely before ``current.json`` is replaced (atomically), so a reader
never sees half a refresh; older runs are then deleted.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from needle.errors import NeedleInputError
from needle.indicators.definitions import Registry, load_registry
from needle.indicators.disclosure import MeasureInfo, protect
from needle.indicators.engine import Engine, Inputs, run_all
from needle.indicators.facts import FACTS, FactStore
from needle.indicators.instruments import Instrument, home_instruments, load_instruments, scale_meta
from needle.indicators.lookups import ethnicity_groups, nesting, population_frame
from needle.indicators.peers import main_categories, peer_benchmarks
from needle.indicators.schema import AUDIENCES, PUBLISHED, SUPPRESSED
from needle.pool.model import PoolFile

log = logging.getLogger(__name__)

INDICATORS_FOLDER = "indicators"
CURRENT = "current.json"


@dataclass(frozen=True)
class RefreshResult:
    run_id: str
    refreshed_at: str
    submissions: int
    computed: int
    reused: int
    dropped: int
    rows: int
    seconds: dict[str, float] = field(default_factory=dict)

    def describe(self) -> str:
        took = sum(self.seconds.values())
        return (
            f"Indicators refreshed from {self.submissions} submission(s) "
            f"({self.computed} read again, {self.reused} unchanged, {self.dropped} gone): "
            f"{self.rows:,} results in {took:.1f} s."
        )


def indicators_dir(home_root: Path) -> Path:
    return Path(home_root) / INDICATORS_FOLDER


def measure_infos(registry: Registry) -> dict[str, MeasureInfo]:
    return {d.id: MeasureInfo(kind=d.measure, follows=d.follows) for d in registry}


def registry_for(home: Any) -> Registry:
    settings = getattr(home.config, "indicators", None)
    params = {
        key: getattr(settings, key)
        for key in ("attendance_threshold", "age_min", "age_max")
        if settings is not None and hasattr(settings, key)
    }
    return load_registry(params=params, extra_dirs=[indicators_dir(home.root) / "definitions"])


def thresholds(config: Any) -> dict[str, tuple[int, int]]:
    """(threshold, rounding) per audience from ``[disclosure]``."""
    d = config.disclosure
    rounding = getattr(d, "public_rounding", 5)
    return {
        "backbone": (getattr(d, "backbone", 0), 0),
        "partner": (d.partner, 0),
        "steering_group": (d.steering_group, 0),
        "public": (d.public, rounding),
    }


def refresh(home: Any, *, full: bool = False, pool: Any = None) -> RefreshResult:
    """Refresh the indicators of the initiative at ``home`` (a :class:`Home`)."""
    from needle.linkage import link

    own_pool = pool is None
    pool = pool or home.open_pool()
    try:
        link(home, pool=pool)  # every refresh counts linked young people (issue 6)
        files = pool.files()
    finally:
        if own_pool:
            pool.close()
    return refresh_files(
        indicators_dir(home.root),
        files,
        config=home.config,
        population=population_frame(home.open_reference()),
        registry=registry_for(home),
        full=full,
        instruments=home_instruments(home.root),
    )


def refresh_files(
    root: Path,
    files: list[PoolFile],
    *,
    config: Any,
    population: pl.DataFrame,
    registry: Registry,
    full: bool = False,
    instruments: dict[str, Instrument] | None = None,
) -> RefreshResult:
    """Refresh the indicators kept under ``root`` from the pool's visible ``files``: the
    part of :func:`refresh` that needs no initiative home (the benchmark calls it).

    ``instruments`` score the questionnaires (default: the built-ins; :func:`refresh`
    passes the home's, :func:`~needle.indicators.instruments.home_instruments`)."""
    timings: dict[str, float] = {}
    instruments = load_instruments() if instruments is None else instruments
    submissions = sorted({f.submission_id for f in files})
    # DuckDB spills to disk under the home, not wherever the command was started.
    con = duckdb.connect(config={"temp_directory": str(root / "tmp")})
    try:
        step = time.perf_counter()
        store = FactStore(root / "facts")
        update = store.update(
            files,
            instruments=instruments,
            ethnicity_groups=ethnicity_groups(),
            connection=con,
            full=full,
        )
        timings["facts"] = time.perf_counter() - step

        step = time.perf_counter()
        settings = getattr(config, "indicators", None)
        inputs = Inputs(
            facts={fact: store.fact_files(fact, submissions) for fact in FACTS},
            submissions=submissions,
            population=population,
            scales=scale_meta(instruments),
            links=_links(root),
            age_min=getattr(settings, "age_min", 11),
            age_max=getattr(settings, "age_max", 25),
        )
        engine = Engine(con, inputs)
        results = run_all(engine, registry)
        categories = main_categories(
            engine.query(
                "SELECT org, provision_category, COUNT(*) AS sessions FROM sessions GROUP BY ALL"
            )
        )
        timings["indicators"] = time.perf_counter() - step
    finally:
        con.close()

    step = time.perf_counter()
    protected = protect_all(results, registry, config)
    peers = peer_benchmarks(
        protected["partner"],
        categories,
        min_peers=getattr(config.disclosure, "min_peers", 5),
    )
    timings["disclosure"] = time.perf_counter() - step

    step = time.perf_counter()
    by_org = {f.submission_id: (f.org, f.period) for f in files}
    run = {
        "run_id": uuid.uuid4().hex,
        "refreshed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "submissions": [
            {"id": s, "org": by_org[s][0], "period": by_org[s][1]} for s in submissions
        ],
        "definitions": {d.id: d.version for d in registry},
        "thresholds": {a: list(t) for a, t in thresholds(config).items()},
        "facts": {
            "computed": len(update.computed),
            "reused": len(update.reused),
            "dropped": len(update.dropped),
        },
        "periods": engine.periods,
    }
    _write_run(root, run, {**protected, "peers": peers})
    timings["store"] = time.perf_counter() - step
    return RefreshResult(
        run_id=run["run_id"],
        refreshed_at=run["refreshed_at"],
        submissions=len(submissions),
        computed=len(update.computed),
        reused=len(update.reused),
        dropped=len(update.dropped),
        rows=results.height,
        seconds=timings,
    )


def _links(root: Path) -> Path | None:
    """Person links written by linkage (issue 6), when there are any."""
    path = root / "person_links.parquet"
    return path if path.exists() else None


def protect_all(results: pl.DataFrame, registry: Registry, config: Any) -> dict[str, pl.DataFrame]:
    """The results as each audience may see them; indicators an audience may not see are
    left out of its table. Audiences with the same rules (partners and the steering group
    usually) share one protection, and the distinct ones run side by side: most of the
    work is in Polars and HiGHS, which release the interpreter."""
    infos = measure_infos(registry)
    groups = nesting()
    key_of: dict[str, tuple] = {}
    first: dict[tuple, str] = {}
    for audience, (threshold, rounding) in thresholds(config).items():
        allowed = tuple(d.id for d in registry if audience in d.audiences)
        public = audience == "public"  # partners are named only to the backbone and others
        key = (allowed, threshold, rounding if public else 0, public, audience == "backbone")
        key_of[audience] = key
        first.setdefault(key, audience)

    def protected(audience: str) -> pl.DataFrame:
        allowed, threshold, rounding, public, _ = key_of[audience]
        rows = results.filter(pl.col("indicator").is_in(allowed))
        if public:
            rows = rows.filter(pl.col("breakdown") != "partner")
        out = protect(
            rows, infos, threshold=threshold, rounding=rounding, audience=audience, nesting=groups
        )
        if audience == "backbone":
            return out
        hidden = pl.col("status") != PUBLISHED
        return out.with_columns(
            pl.when(hidden).then(pl.lit(SUPPRESSED)).otherwise(pl.col("status")).alias("status")
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        done = dict(zip(first, pool.map(protected, first.values()), strict=True))
    return {audience: done[key] for audience, key in key_of.items()}


def _write_run(root: Path, run: dict[str, Any], tables: dict[str, pl.DataFrame]) -> None:
    runs = root / "runs"
    folder = runs / run["run_id"]
    folder.mkdir(parents=True, exist_ok=True)
    for audience, frame in tables.items():
        frame.write_parquet(folder / f"{audience}.parquet")
    (folder / "run.json").write_text(json.dumps(run, indent=1), encoding="utf-8")
    pointer = root / CURRENT
    temp = pointer.with_name(f".{CURRENT}.{uuid.uuid4().hex[:8]}.tmp")
    temp.write_text(json.dumps({"run_id": run["run_id"]}), encoding="utf-8")
    os.replace(temp, pointer)
    for old in runs.iterdir():
        if old.name != run["run_id"]:
            shutil.rmtree(old, ignore_errors=True)


def current_run(home_root: Path) -> dict[str, Any]:
    """The current run's provenance (run.json)."""
    root = indicators_dir(home_root)
    try:
        run_id = json.loads((root / CURRENT).read_text(encoding="utf-8"))["run_id"]
    except FileNotFoundError:
        raise NeedleInputError(
            "The indicators have not been computed yet. Run `needle indicators refresh`."
        ) from None
    return json.loads((root / "runs" / run_id / "run.json").read_text(encoding="utf-8"))


def load_results(home_root: Path, audience: str = "backbone") -> pl.DataFrame:
    """The current results as ``audience`` may see them (``peers``: the peer benchmarks of
    every partner, for :func:`needle.indicators.peers.for_partner`)."""
    if audience not in (*AUDIENCES, "peers"):
        raise NeedleInputError(
            f"{audience!r} is not an audience; use one of {', '.join(AUDIENCES)}."
        )
    run = current_run(home_root)
    path = indicators_dir(home_root) / "runs" / run["run_id"] / f"{audience}.parquet"
    return pl.read_parquet(path)


def refresh_after_change(home_path: Path | None) -> RefreshResult | None:
    """Bring the indicators up to date after the pool changed (submit, withdraw, erase).

    Only an initiative home (one with ``needle.toml``) has indicators; a bare pool has
    nothing to refresh, so it is left alone.
    """
    from needle.initiative import open_home

    try:
        the_home = open_home(home_path)
    except NeedleInputError:
        return None
    return refresh(the_home)


def results_for(home_root: Path, audience: str, partner: str | None = None) -> pl.DataFrame:
    """The current results as ``audience`` sees them. A partner sees the collective
    numbers at its threshold and, of the per-partner numbers, only its own."""
    from needle.indicators.peers import partner_view

    if audience == "partner":
        if not partner:
            raise NeedleInputError("--audience partner needs --partner CODE (whose view).")
        return partner_view(load_results(home_root, "partner"), partner.upper())
    if partner:
        raise NeedleInputError("--partner is only for --audience partner.")
    return load_results(home_root, audience)
