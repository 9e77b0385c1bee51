"""Linkage against known truth: the synthetic initiative, 2 million records, a frequency attack.

Run from ``bench/linkage.py`` (``--truth``, ``--scale-fraction``, ``--no-scale``), or alone:

    .venv/bin/python bench/linkage_truth.py                        # all three parts, 2 M records
    .venv/bin/python bench/linkage_truth.py --scale-fraction 0.05  # scale part at 100,000
    .venv/bin/python bench/linkage_truth.py --smoke                # seconds, for CI

1. **Ground truth**: the synthetic initiative (``needle.synth.generate``, seed 2026, cached
   in ``bench/.cache/``) submitted to a fresh home as the demo does, linked by
   ``needle.linkage.link``. Records are ``(org, person_ref)``; a true pair is two records of
   the same ``true_person_id``. Pairwise precision, recall and F1 of the person ids, and the
   error in the count of unique young people. Splink on the plaintext the partners recorded
   (the generator's recorded names, date of birth and postcode, not the true identities,
   which would make it trivial) is the reference, on the same records.
2. **Scale**: records from the generator's people and recording stages (``make_people``,
   ``assign_records``, ``record_identifiers``: nicknames, typos, swapped dates, old
   postcodes), its 12 partner profiles split into 200 partners (a young person's records at
   different profiles stay at different partners), pseudonymised per partner with
   ``pseudonymise_tables`` as the pool does, then linked by the engine and, in plaintext,
   by Splink. Each runs in a child process; time and peak resident memory (psutil, the
   child and its children, sampled every 0.2 s). Everyone lives in Trafford, so there are
   far more people per postcode and date of birth than in England: harder, not easier.
3. **Privacy**: frequency alignment (``bench/encodings.py``'s ``align``) of each stored
   encoding column, and of all filters together, to the true given, family and full names:
   the attacker knows the true name frequencies and gives the i-th commonest encoding the
   i-th commonest name. Share of encoded rows whose name is then right.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CACHE = Path(__file__).parent / ".cache"
SEED = 2026
SCALE_RECORDS = 2_000_000
SCALE_PARTNERS = 200
THRESHOLD = 2.0  # match weight: posterior 0.8, as bench/linkage.py
SPLINK_TIMEOUT = 45 * 60  # seconds; the reference's progress is reported if it runs out
# The machine is shared (23 GB): a side whose memory passes this is stopped and reported.
MEMORY_CAP = 14 * 2**30
SECRET = bytes(range(32))  # a fixed, public secret: benchmarks only


def _encodings_module():
    spec = importlib.util.spec_from_file_location(
        "bench_encodings", Path(__file__).parent / "encodings.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------------------
# Scoring clusters against the truth
# ---------------------------------------------------------------------------------------


def _pairs(sizes: pl.Series) -> int:
    return int((sizes * (sizes - 1) // 2).sum())


def cluster_scores(clusters: pl.DataFrame) -> dict[str, float]:
    """Pairwise precision/recall/F1 and the unique-count error of ``estimated`` person ids
    against ``truth`` (one row per record)."""
    found = _pairs(clusters.group_by("estimated").len()["len"])
    true = _pairs(clusters.group_by("truth").len()["len"])
    both = _pairs(clusters.group_by("estimated", "truth").len()["len"])
    precision = both / found if found else 1.0
    recall = both / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if both else 0.0
    estimated = clusters["estimated"].n_unique()
    people = clusters["truth"].n_unique()
    return {
        "records": clusters.height,
        "true_pairs": true,
        "found_pairs": found,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "true_people": people,
        "estimated_people": estimated,
        "count_error": abs(estimated - people) / people,
        "largest_cluster": int(clusters.group_by("estimated").len()["len"].max()),
        "largest_true_cluster": int(clusters.group_by("truth").len()["len"].max()),
    }


# ---------------------------------------------------------------------------------------
# Splink on plaintext (the reference)
# ---------------------------------------------------------------------------------------


def splink_clusters(plain: pl.DataFrame, progress=lambda stage: None) -> pl.DataFrame:
    """Person ids from a standard Splink model on the recorded plaintext (dedupe).

    Blocking on pairs of fields (one field alone makes hundreds of millions of pairs at
    2 M records); u by random sampling, EM blocked on date of birth with family name (EM
    blocked on date of birth alone passed 14 GB at 2 M) and on the two names.
    """
    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=[
            cl.JaroWinklerAtThresholds("given_name", [0.9, 0.8]),
            cl.JaroWinklerAtThresholds("family_name", [0.9, 0.8]),
            cl.LevenshteinAtThresholds("date_of_birth", [1, 2]),
            cl.LevenshteinAtThresholds("postcode", [1, 2]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "family_name"),
            block_on("date_of_birth", "postcode"),
            block_on("family_name", "date_of_birth"),
            block_on("given_name", "date_of_birth"),
            block_on("family_name", "postcode"),
        ],
        retain_matching_columns=False,
    )
    api = DuckDBAPI(connection=duckdb.connect())
    table = plain.select(
        "record_id",
        pl.col("given_name").str.to_lowercase(),
        pl.col("family_name").str.to_lowercase(),
        pl.col("date_of_birth").cast(pl.String),
        pl.col("postcode").str.to_uppercase().str.replace_all(" ", ""),
    )
    linker = Linker(api.register(table.to_arrow()), settings, log_level=logging.WARNING)
    progress("prior")
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "family_name", "date_of_birth")], recall=0.7
    )
    progress("u by random sampling")
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    progress("EM (date of birth and family name)")
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("date_of_birth", "family_name")
    )
    progress("EM (names)")
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("given_name", "family_name")
    )
    progress("predict")
    pairs = linker.inference.predict(threshold_match_weight=THRESHOLD, warning_mode="never")
    progress("cluster")
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        pairs, threshold_match_probability=2**THRESHOLD / (1 + 2**THRESHOLD)
    )
    out = clusters.as_duckdbpyrelation().pl().select("record_id", "cluster_id")
    progress("done")
    return out


# ---------------------------------------------------------------------------------------
# 1. The synthetic initiative's ground truth
# ---------------------------------------------------------------------------------------


def initiative(cache: Path, seed: int = SEED) -> Path:
    """The synthetic initiative, generated once per seed."""
    from needle.synth import generate

    folder = cache / f"linkage-initiative-{seed}"
    manifest = folder / "initiative.json"
    if not manifest.exists() or json.loads(manifest.read_text())["seed"] != seed:
        generate(folder, seed=seed)
    return folder


def submit_clean(folder: Path, home_dir: Path):
    """A fresh home holding every clean submission, pooled as the demo pools them."""
    from needle.ingest import submit_path
    from needle.initiative import init_home, open_home, trafford_demo_config
    from needle.periods import parse_period

    init_home(home_dir, trafford_demo_config())
    home = open_home(home_dir)
    manifest = json.loads((folder / "initiative.json").read_text(encoding="utf-8"))
    clean = sorted(
        (e for e in manifest["submissions"] if e["kind"] == "clean"),
        key=lambda e: (e["period"], e["org"]),
    )
    secret, reference = home.linkage_secret(), home.open_reference()
    with home.open_pool() as pool:
        for entry in clean:
            result = submit_path(
                pool,
                folder / entry["path"],
                org=entry["org"],
                period=parse_period(entry["period"]),
                secret=secret,
                reference=reference,
            )
            if result.submission.state != "accepted":
                raise SystemExit(f"{entry['path']} was not accepted: the generator changed?")
    return home


def recorded_plaintext(seed: int) -> pl.DataFrame:
    """What each partner recorded for each of its young people (one row per record), from
    the generator's own stages: the same values its submissions carry."""
    from needle.synth.generate import build_world

    world, _ = build_world(seed, 1.0)
    return world.records.select(
        "org",
        "person_ref",
        pl.col("rec_given").alias("given_name"),
        pl.col("rec_family").alias("family_name"),
        pl.col("rec_dob").alias("date_of_birth"),
        pl.col("rec_postcode").alias("postcode"),
        "consent",
    )


def ground_truth(cache: Path, seed: int = SEED) -> dict:
    from needle.linkage import link

    folder = initiative(cache, seed)
    truth = pl.read_csv(folder / "ground_truth" / "records.csv", infer_schema=False).select(
        "org", "person_ref", pl.col("true_person_id").alias("truth")
    )
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        home = submit_clean(folder, Path(tmp) / "home")
        submitted = time.perf_counter() - started
        result = link(home)
        links = pl.read_parquet(Path(tmp) / "home" / "indicators" / "person_links.parquet")
        rows = home.open_pool()
        try:
            stored = rows.read("young_people").collect()
        finally:
            rows.close()
    needle = truth.join(links, on=["org", "person_ref"], how="left")
    missing = needle.filter(pl.col("person_id").is_null()).height
    figures: dict = {
        "records": truth.height,
        "submit_seconds": round(submitted, 2),
        "needle": {
            **cluster_scores(
                needle.select(
                    pl.col("person_id").fill_null(pl.col("org") + "/" + pl.col("person_ref")),
                    "truth",
                ).rename({"person_id": "estimated"})
            ),
            "link_seconds": result.seconds,
            "review_backlog": result.review,
            "records_without_person_id": missing,
        },
    }
    plain = recorded_plaintext(seed).join(truth, on=["org", "person_ref"], how="inner")
    plain = plain.with_columns(record_id=pl.col("org") + "/" + pl.col("person_ref"))
    started = time.perf_counter()
    found = splink_clusters(plain.filter(pl.col("consent") == "yes"))
    figures["splink_plaintext"] = {
        **cluster_scores(
            plain.join(found, on="record_id", how="left").select(
                pl.col("cluster_id").fill_null(pl.col("record_id")).alias("estimated"), "truth"
            )
        ),
        "link_seconds": round(time.perf_counter() - started, 2),
    }
    figures["consented_records"] = plain.filter(pl.col("consent") == "yes").height
    # The best any linkage can do: records without consent have no encodings.
    figures["ceiling"] = cluster_scores(
        plain.select(
            pl.when(pl.col("consent") == "yes")
            .then(pl.col("truth"))
            .otherwise(pl.col("record_id"))
            .alias("estimated"),
            "truth",
        )
    )
    person = pl.read_csv(folder / "ground_truth" / "person_records.csv", infer_schema=False)
    names = pl.read_csv(folder / "ground_truth" / "people.csv", infer_schema=False).select(
        "true_person_id", "given_name", "family_name"
    )
    named = stored.join(person, on=["org", "period", "person_ref"], how="left").join(
        names, on="true_person_id", how="left"
    )
    figures["privacy"] = frequency_attack(named)
    return figures


# ---------------------------------------------------------------------------------------
# 3. Frequency attack on stored encodings
# ---------------------------------------------------------------------------------------


def frequency_attack(rows: pl.DataFrame) -> dict:
    """Share of encoded rows whose true name the frequency alignment gets right, for each
    stored encoding column (and all filters together), against the full, given and family
    name; the worst column is the headline."""
    align, exact_groups = (lambda m: (m.align, m.exact_groups))(_encodings_module())
    encoded = rows.filter(pl.col("bf_name").is_not_null()).with_columns(
        pl.col("given_name", "family_name").fill_null("")
    )
    targets = {
        "full": (encoded["given_name"].str.to_lowercase() + " " + encoded["family_name"])
        .str.to_lowercase()
        .to_numpy(),
        "given": encoded["given_name"].str.to_lowercase().to_numpy(),
        "family": encoded["family_name"].str.to_lowercase().to_numpy(),
    }
    columns = [c for c in encoded.columns if c.startswith(("mk_", "bf_"))]
    whole = encoded.select(
        pl.concat_str([pl.col(c).bin.encode("hex") for c in columns if c.startswith("bf_")])
    ).to_series()
    groups = {c: exact_groups(encoded[c]) for c in columns} | {"all filters": exact_groups(whole)}
    table = {
        column: {name: align(g, truth)[0] / encoded.height for name, truth in targets.items()}
        for column, g in groups.items()
    }
    worst = max(
        ((c, t, share) for c, row in table.items() for t, share in row.items()),
        key=lambda x: x[2],
    )
    blind = {
        name: float(np.unique(truth, return_counts=True)[1].max() / encoded.height)
        for name, truth in targets.items()
    }
    return {
        "encoded_rows": encoded.height,
        "by_column": table,
        "worst": {"column": worst[0], "name": worst[1], "share": worst[2]},
        "guessing_commonest": blind,
    }


# ---------------------------------------------------------------------------------------
# 2. Scale
# ---------------------------------------------------------------------------------------


def scale_data(records: int, cache: Path, seed: int = 1) -> Path:
    """``records`` pooled young_people rows across 200 partners, with plaintext and truth,
    cached as parquet (pool.parquet: what the pool stores; plain.parquet: what partners
    recorded, with the true person)."""
    from needle.initiative import trafford_demo_config
    from needle.periods import parse_period, quarters
    from needle.pseudonymise.submission import pseudonymise_tables
    from needle.standard import load_standard
    from needle.synth.generate import FIRST_PERIOD, LAST_PERIOD
    from needle.synth.geography import load_geography
    from needle.synth.journeys import Window, assign_records
    from needle.synth.people import make_people
    from needle.synth.recording import record_identifiers
    from needle.synth.seeds import rng_for

    folder = cache / f"linkage-scale-{records}-{seed}"
    if (folder / "done").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    window = Window(quarters(FIRST_PERIOD, LAST_PERIOD))
    geo = load_geography()
    # 1.38 records per person in the generator: a little over, then cut to size.
    people = make_people(rng_for(seed, "people"), int(records / 1.3), geo, window.periods)
    recs = assign_records(rng_for(seed, "records"), people, window)
    recs = record_identifiers(rng_for(seed, "recording"), recs, people, window)
    recs = recs.head(records)
    profiles = recs["org_idx"].max() + 1
    per = np.diff(np.linspace(0, SCALE_PARTNERS, profiles + 1).round().astype(int))
    branch = rng_for(seed, "branches").integers(0, per[recs["org_idx"].to_numpy()])
    first = np.concatenate([[0], np.cumsum(per)[:-1]])[recs["org_idx"].to_numpy()]
    plain = recs.select(
        pl.Series("org", [f"P{i:03d}" for i in first + branch]),
        "person_ref",
        pl.col("rec_given").alias("given_name"),
        pl.col("rec_family").alias("family_name"),
        pl.col("rec_dob").alias("date_of_birth"),
        pl.col("rec_postcode").alias("postcode"),
        pl.col("rec_gender").alias("gender"),
        pl.col("consent").alias("consent_to_share"),
        pl.format("TP{}", pl.col("pid")).alias("truth"),
        "pid",
    )
    plain = plain.join(
        people.select("pid", pl.col("given_name").alias("true_given"),
                      pl.col("family_name").alias("true_family")),
        on="pid", how="left", maintain_order="left",
    ).drop("pid")  # fmt: skip
    period = parse_period(LAST_PERIOD)
    standard = load_standard()
    with tempfile.TemporaryDirectory() as tmp:
        from needle.initiative import init_home, open_home

        init_home(Path(tmp) / "home", trafford_demo_config())
        reference = open_home(Path(tmp) / "home").open_reference()
        parts = []
        for i, (_, part) in enumerate(plain.group_by("org", maintain_order=True)):
            tables = {
                "young_people": part.drop("truth", "true_given", "true_family").with_row_index(
                    "_row", offset=1
                )
            }
            done = pseudonymise_tables(
                tables,
                standard=standard,
                secret=SECRET,
                reference=reference,
                period=period,
                seed=i,  # repeatable hardening noise, as bench/linkage.py
            )
            parts.append(done.tables["young_people"].with_columns(period=pl.lit(period.label)))
    pool = pl.concat(parts, how="diagonal_relaxed").with_columns(scheme=pl.lit("needle-bf-1"))
    pool.write_parquet(folder / "pool.parquet")
    plain.write_parquet(folder / "plain.parquet")
    (folder / "done").write_text(
        json.dumps({"seconds": round(time.perf_counter() - started, 1), "records": plain.height})
    )
    return folder


class ParquetPool:
    """The pool's ``read`` over a parquet of pooled young_people rows: the engine reads only
    that table, and 200 partners' ``Pool.receive`` would time the pool, not linkage."""

    def __init__(self, path: Path):
        self.path = path

    def read(self, table: str) -> pl.LazyFrame:
        if table != "young_people":
            raise KeyError(table)
        return pl.scan_parquet(self.path)

    def close(self) -> None:
        pass


def _timed_stages(stages: Path) -> None:
    """Log the start and end of each step of the engine to ``stages``, so a run stopped by
    the time or memory cap says where it was (the engine itself is not changed)."""
    import functools

    from needle.linkage import model, run

    started = time.perf_counter()

    def note(text: str) -> None:
        with stages.open("a") as f:
            f.write(f"{time.perf_counter() - started:.1f} s {text}\n")

    def wrap(module, name: str) -> None:
        inner = getattr(module, name)

        @functools.wraps(inner)
        def timed(*args, **kwargs):
            note(f"{name} ...")
            result = inner(*args, **kwargs)
            note(f"{name} done")
            return result

        setattr(module, name, timed)

    for name in (
        "linkage_frame",
        "train",
        "_gammas",
        "expectation_maximisation",
        "score",
        "decide",
    ):
        wrap(model, name)
    for name in ("pool_records", "_normalise", "components", "assign_ids", "review_queue_frame"):
        wrap(run, name)


def _child_needle(folder: Path, out: Path) -> None:
    from needle.initiative import init_home, open_home, trafford_demo_config
    from needle.linkage import link

    _timed_stages(out.with_suffix(".stages"))

    with tempfile.TemporaryDirectory() as tmp:
        init_home(Path(tmp) / "home", trafford_demo_config())
        home = open_home(Path(tmp) / "home")
        result = link(home, pool=ParquetPool(folder / "pool.parquet"))
        links = pl.read_parquet(Path(tmp) / "home" / "indicators" / "person_links.parquet")
    links.write_parquet(out.with_suffix(".parquet"))
    out.write_text(json.dumps({"seconds": result.seconds, "review": result.review}))


def _child_splink(folder: Path, out: Path) -> None:
    stages = out.with_suffix(".stages")
    started = time.perf_counter()

    def progress(stage: str) -> None:
        with stages.open("a") as f:
            f.write(f"{time.perf_counter() - started:.1f} {stage}\n")

    plain = pl.read_parquet(folder / "plain.parquet").with_columns(
        record_id=pl.col("org") + "/" + pl.col("person_ref")
    )
    found = splink_clusters(plain.filter(pl.col("consent_to_share") == "yes"), progress)
    found.write_parquet(out.with_suffix(".parquet"))
    out.write_text(json.dumps({"seconds": time.perf_counter() - started}))


def measured(kind: str, folder: Path, out: Path, timeout: float) -> dict:
    """Run one side in a child process; wall time and peak RSS of the child tree."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, __file__, "--child", kind, str(folder), str(out)],
        stdout=subprocess.DEVNULL,
        stderr=open(out.with_suffix(".err"), "w"),  # noqa: SIM115
    )
    proc, peak, stopped = psutil.Process(child.pid), 0, "failed"
    while child.poll() is None:
        try:
            rss = proc.memory_info().rss + sum(
                c.memory_info().rss for c in proc.children(recursive=True)
            )
            peak = max(peak, rss)
        except psutil.Error:
            pass
        if time.perf_counter() - started > timeout or peak > MEMORY_CAP:
            stopped = (
                f"stopped at {peak / 2**30:.1f} GB (cap)"
                if peak > MEMORY_CAP
                else f"stopped after {timeout:.0f} s"
            )
            for c in proc.children(recursive=True):
                c.kill()
            child.kill()
            child.wait()
            break
        time.sleep(0.2)
    figures = {
        "seconds": round(time.perf_counter() - started, 1),
        "peak_rss_mb": round(peak / 2**20),
        "finished": child.returncode == 0 and out.exists(),
    }
    stages = out.with_suffix(".stages")
    if stages.exists():
        figures["stages"] = stages.read_text().splitlines()
    if not figures["finished"]:
        err = out.with_suffix(".err").read_text().strip().splitlines()
        figures["error"] = stopped
        figures["last_log"] = err[-3:]
    return figures


def scale(records: int, cache: Path, timeout: float = SPLINK_TIMEOUT) -> dict:
    started = time.perf_counter()
    folder = scale_data(records, cache)
    meta = json.loads((folder / "done").read_text())
    plain = pl.read_parquet(folder / "plain.parquet", columns=["org", "person_ref", "truth"])
    figures: dict = {
        "records": plain.height,
        "partners": plain["org"].n_unique(),
        "true_people": plain["truth"].n_unique(),
        "prepare_seconds": meta["seconds"],
        "prepare_cached": time.perf_counter() - started < meta["seconds"],
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    with tempfile.TemporaryDirectory() as tmp:
        for kind, key in (("needle", "person_id"), ("splink", "cluster_id")):
            out = Path(tmp) / f"{kind}.json"
            figures[kind] = measured(kind, folder, out, timeout)
            if figures[kind]["finished"]:
                ids = pl.read_parquet(out.with_suffix(".parquet"))
                if kind == "splink":
                    ids = ids.with_columns(
                        pl.col("record_id")
                        .str.split_exact("/", 1)
                        .struct.rename_fields(["org", "person_ref"])
                    ).unnest("record_id")
                scored = plain.join(ids, on=["org", "person_ref"], how="left").select(
                    pl.col(key)
                    .cast(pl.String)
                    .fill_null(pl.col("org") + "/" + pl.col("person_ref"))
                    .alias("estimated"),
                    "truth",
                )
                figures[kind]["accuracy"] = cluster_scores(scored)
    figures["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    names = pl.read_parquet(
        folder / "plain.parquet", columns=["org", "person_ref", "true_given", "true_family"]
    ).rename({"true_given": "given_name", "true_family": "family_name"})
    pool = pl.read_parquet(folder / "pool.parquet")
    figures["privacy"] = frequency_attack(pool.join(names, on=["org", "person_ref"]))
    return figures


# ---------------------------------------------------------------------------------------


def _line(label: str, f: dict) -> str:
    return (
        f"{label:<22}{f['precision']:>10.4f}{f['recall']:>10.4f}{f['f1']:>10.4f}"
        f"{f['estimated_people']:>10,}{f['true_people']:>10,}{f['count_error']:>9.2%}"
    )


def report(figures: dict) -> None:
    head = (
        f"{'':<22}{'precision':>10}{'recall':>10}{'F1':>10}{'people':>10}{'true':>10}{'error':>9}"
    )
    if "truth" in figures:
        t = figures["truth"]
        print(
            f"\nSynthetic initiative (seed {SEED}): {t['records']:,} records "
            f"({t['consented_records']:,} consented to linkage)\n{head}"
        )
        print(_line("Needle (encodings)", t["needle"]) + f"   {t['needle']['link_seconds']} s")
        print(
            _line("Splink (plaintext)", t["splink_plaintext"])
            + f"   {t['splink_plaintext']['link_seconds']} s"
        )
        print(_line("Ceiling (consent)", t["ceiling"]))
    if "scale" in figures:
        s = figures["scale"]
        print(
            f"\nScale: {s['records']:,} records, {s['partners']} partners, "
            f"{s['true_people']:,} true people; load average {s['load_average_before']}"
        )
        for kind in ("needle", "splink"):
            f = s[kind]
            state = "finished" if f["finished"] else f"did not finish ({f.get('error')})"
            print(f"  {kind:<8}{f['seconds']:>9.1f} s  peak {f['peak_rss_mb']:>7,} MB  {state}")
            if "accuracy" in f:
                print("  " + _line(kind, f["accuracy"]))
            if not f["finished"]:
                for line in (f.get("stages") or [])[-1:] + f.get("last_log", []):
                    print(f"          {line[:150]}")
    for part in ("truth", "scale"):
        if part in figures:
            p = figures[part]["privacy"]
            w = p["worst"]
            print(
                f"\nFrequency attack ({part}, {p['encoded_rows']:,} encoded rows): worst "
                f"{w['share']:.3%} ({w['column']}, {w['name']} name); guessing the commonest "
                + ", ".join(f"{k} {v:.2%}" for k, v in p["guessing_commonest"].items())
            )


def main(
    *,
    smoke: bool = False,
    scale_fraction: float = 1.0,
    run_scale: bool = True,
    run_truth: bool = True,
    timeout: float = SPLINK_TIMEOUT,
    json_path: Path | None = None,
    cache: Path = CACHE,
) -> dict:
    """Run the parts and print them; ``smoke``: the ground truth at scale 0.25 of the
    initiative is not possible, so the smoke run is the scale part at 5,000 records."""
    cache.mkdir(parents=True, exist_ok=True)
    figures: dict = {}
    if run_truth and not smoke:
        figures["truth"] = ground_truth(cache)
    if run_scale or smoke:
        records = 5_000 if smoke else max(1_000, round(SCALE_RECORDS * scale_fraction))
        figures["scale"] = scale(records, cache, timeout=300 if smoke else timeout)
    report(figures)
    if json_path:
        json_path.write_text(json.dumps(figures, indent=1))
    return figures


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        logging.basicConfig(level=logging.INFO, format="%(relativeCreated)d ms %(message)s")
        kind, folder, out = sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
        (_child_needle if kind == "needle" else _child_splink)(folder, out)
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="5,000 records, seconds (CI)")
    parser.add_argument("--scale-fraction", type=float, default=1.0, help="of 2,000,000")
    parser.add_argument("--no-scale", action="store_true", help="ground truth and attack only")
    parser.add_argument(
        "--timeout", type=float, default=SPLINK_TIMEOUT, help="seconds per side at scale"
    )
    parser.add_argument("--no-truth", action="store_true", help="scale part only")
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    main(
        smoke=args.smoke,
        scale_fraction=args.scale_fraction,
        run_scale=not args.no_scale,
        run_truth=not args.no_truth,
        timeout=args.timeout,
        json_path=args.json,
        cache=args.cache,
    )
