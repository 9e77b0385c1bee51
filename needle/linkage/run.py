"""One linkage run: pool -> scored pairs -> person ids -> person_links.parquet.

Incremental by default: records whose match keys and coarse attributes are unchanged
keep their scored pairs; only new or changed records are scored, against the others and
among themselves (Splink's ``predict_between`` and ``predict_within``). The model is
trained when there is none yet, when the pool has doubled since it was trained, or on
``full=True``; a retrained model rescores every pair. Records of withdrawn, superseded
or erased submissions are simply no longer in the pool: their pairs and links go.

Every run writes the person links for the indicators, the review queue and a quality
report (see :mod:`needle.linkage.store` for the files).
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from needle.linkage import model as fs
from needle.linkage import store
from needle.linkage.clusters import assign_ids, components
from needle.linkage.records import pool_records

log = logging.getLogger(__name__)

PAIR_COLUMNS = ("pair_id", "record_l", "record_r", "match_weight", "match_probability")


@dataclass(frozen=True)
class LinkResult:
    """What a run did, in counts (the quality report holds the same and more)."""

    records: int
    persons: int
    scored: int
    links: int
    review: int
    mode: str
    seconds: float
    report: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        return (
            f"Linked {self.records:,} record(s) into {self.persons:,} young people "
            f"({self.mode}: {self.scored:,} record(s) scored, {self.links:,} link(s), "
            f"{self.review:,} pair(s) waiting for review) in {self.seconds:.1f} s."
        )


def pair_id(left: str, right: str) -> str:
    """A short opaque id for a pair of records, the same whichever way round."""
    a, b = sorted((left, right))
    return "L" + hashlib.sha256(f"{a}\x1f{b}".encode()).hexdigest()[:12]


def link(
    home: Any,
    *,
    full: bool = False,
    pool: Any = None,
    thresholds: fs.Thresholds | None = None,
) -> LinkResult:
    """Link the young people of the initiative at ``home`` (a ``Home``) and write the
    person links the indicators count."""
    started = time.perf_counter()
    thresholds = thresholds or fs.Thresholds()
    own_pool = pool is None
    pool = pool or home.open_pool()
    try:
        records = pool_records(pool)
    finally:
        if own_pool:
            pool.close()
    root = Path(home.root)
    folder = store.linkage_dir(root)
    previous = store.read_parquet(
        folder / "records.parquet",
        {
            "record_id": pl.String,
            "fingerprint": pl.String,
            "person_id": pl.String,
            "since": pl.Int64,
        },
    )
    meta = store.read_json(folder / "model_meta.json") or {}
    model = store.read_json(folder / "model.json")
    old_pairs = store.read_parquet(folder / "pairs.parquet")

    linkable = records.filter(pl.col("linkable"))
    same = linkable.join(
        previous.select("record_id", "fingerprint"), on=["record_id", "fingerprint"], how="semi"
    )
    retrain = (
        full
        or model is None
        or old_pairs is None
        or linkable.height >= 2 * max(meta.get("trained_on", 0), fs.MIN_RECORDS_TO_TRAIN / 2)
    )
    pairs, scored, mode = _score(linkable, same, model if not retrain else None, old_pairs)
    if pairs is None:  # nothing to compare
        pairs = _empty_pairs()
    else:
        model, pairs = pairs
    if retrain and model is not None:
        meta = {"trained_on": linkable.height, "fingerprint": fs.fingerprint(model)}
        store.write_json(model, folder / "model.json")
        store.write_json(meta, folder / "model_meta.json")

    pairs = (
        fs.decide(pairs, thresholds)
        if pairs.height
        else pairs.with_columns(pl.lit(None, pl.String).alias("decision"))
    )
    pairs = pairs.filter(pl.col("match_weight") >= thresholds.review)
    decided = store.decisions(root)
    edges = _edges(pairs, decided, set(records.get_column("record_id").to_list()))

    record_ids = records.get_column("record_id").to_list()
    persons = store.read_parquet(
        folder / "persons.parquet", {"person_id": pl.String, "created": pl.Int64}
    )
    age = dict(zip(persons["person_id"].to_list(), persons["created"].to_list(), strict=True))
    run_number = int(persons["created"].max() or 0) + 1 if persons.height else 1
    assignment = assign_ids(
        record_ids,
        components(record_ids, edges),
        dict(zip(previous["record_id"].to_list(), previous["person_id"].to_list(), strict=True)),
        age,
        dict(zip(previous["record_id"].to_list(), previous["since"].to_list(), strict=True)),
    )
    records = (
        records.with_columns(pl.Series("person_id", assignment.person_ids, pl.String))
        .join(previous.select("record_id", "since"), on="record_id", how="left")
        .with_columns(pl.col("since").fill_null(run_number))
    )
    used = set(assignment.person_ids)
    persons = pl.concat(
        [
            persons.filter(pl.col("person_id").is_in(used)),
            pl.DataFrame(
                {
                    "person_id": assignment.created,
                    "created": [run_number] * len(assignment.created),
                },
                schema={"person_id": pl.String, "created": pl.Int64},
            ),
        ]
    )
    queue = review_queue_frame(pairs, decided, records, model)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    report = quality_report(
        records=records,
        pairs=pairs,
        edges=edges,
        queue=queue,
        model=model,
        mode=mode,
        scored=scored,
        removed=previous.join(records, on="record_id", how="anti").height,
        merges=len(assignment.merges),
        splits=len(assignment.splits),
        thresholds=thresholds,
        at=now,
        trained=meta.get("trained_on", 0) >= fs.MIN_RECORDS_TO_TRAIN,
    )
    report["seconds"] = round(time.perf_counter() - started, 2)

    store.write_parquet(pairs, folder / "pairs.parquet")
    store.write_parquet(
        records.select("record_id", "fingerprint", "person_id", "since"),
        folder / "records.parquet",
    )
    store.write_parquet(persons, folder / "persons.parquet")
    store.write_parquet(queue, folder / "review.parquet")
    store.append_jsonl(
        [{"at": now, "kind": "merge", **m} for m in assignment.merges]
        + [{"at": now, "kind": "split", **s} for s in assignment.splits],
        folder / "merges.jsonl",
    )
    store.write_parquet(
        records.select("org", "person_ref", "person_id").cast(store.LINKS_SCHEMA),
        store.links_path(root),
    )
    store.write_json(report, store.quality_path(root))
    return LinkResult(
        records=records.height,
        persons=len(used),
        scored=scored,
        links=edges.height,
        review=queue.height,
        mode=mode,
        seconds=report["seconds"],
        report=report,
    )


def _empty_pairs() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "pair_id": pl.String,
            "record_l": pl.String,
            "record_r": pl.String,
            "match_weight": pl.Float64,
            "match_probability": pl.Float64,
        }
    )


def _score(
    linkable: pl.DataFrame,
    unchanged: pl.DataFrame,
    model: dict | None,
    old_pairs: pl.DataFrame | None,
) -> tuple[tuple[dict, pl.DataFrame] | None, int, str]:
    """(model, pairs) for the linkable records, how many were scored, and the mode."""
    if linkable.height < 2 and model is None:
        return None, 0, "nothing to link"
    frame = fs.linkage_frame(linkable)
    con = duckdb.connect()
    try:
        if model is None:
            model = fs.train([frame], con=con)
            return (model, _normalise(fs.score(model, [frame], con=con))), frame.height, "full"
        keep = set(unchanged.get_column("record_id").to_list())
        fresh = frame.filter(~pl.col("unique_id").is_in(keep))
        kept = (old_pairs if old_pairs is not None else _empty_pairs()).filter(
            pl.col("record_l").is_in(keep) & pl.col("record_r").is_in(keep)
        )
        if fresh.height == 0:
            return (model, kept), 0, "incremental"
        existing = frame.filter(pl.col("unique_id").is_in(keep))
        if existing.height == 0:
            new_pairs = fs.score(model, [fresh], con=con)
        else:
            new_pairs = fs.score(model, [frame], new=fresh, existing=existing, con=con)
        pairs = pl.concat([kept, _normalise(new_pairs)], how="diagonal_relaxed")
        return (model, pairs.unique("pair_id", keep="first")), fresh.height, "incremental"
    finally:
        con.close()


def _normalise(scored: pl.DataFrame) -> pl.DataFrame:
    """Pairs with ``record_l < record_r`` and a ``pair_id``; one row per pair."""
    left, right = pl.col("unique_id_l"), pl.col("unique_id_r")
    out = scored.with_columns(
        pl.min_horizontal(left, right).alias("record_l"),
        pl.max_horizontal(left, right).alias("record_r"),
    ).filter(pl.col("record_l") != pl.col("record_r"))
    out = out.with_columns(
        pl.struct("record_l", "record_r")
        .map_elements(lambda s: pair_id(s["record_l"], s["record_r"]), return_dtype=pl.String)
        .alias("pair_id")
    )
    gammas = [c for c in out.columns if c.startswith("gamma_")]
    return out.select(*PAIR_COLUMNS, *gammas).unique("pair_id", keep="first")


def _edges(pairs: pl.DataFrame, decided: pl.DataFrame, present: set[str]) -> pl.DataFrame:
    """Accepted links: the model's links not rejected on review, plus confirmed pairs
    whose two records are still in the pool."""
    rejected = decided.filter(pl.col("decision") == "rejected").get_column("pair_id")
    confirmed = decided.filter(
        (pl.col("decision") == "confirmed")
        & pl.col("record_l").is_in(list(present))
        & pl.col("record_r").is_in(list(present))
    ).select("pair_id", "record_l", "record_r")
    model_links = pairs.filter(
        (pl.col("decision") == "link") & ~pl.col("pair_id").is_in(rejected.implode())
    ).select("pair_id", "record_l", "record_r")
    return pl.concat([model_links, confirmed]).unique("pair_id")


# ---------------------------------------------------------------------------------------
# What the backbone sees
# ---------------------------------------------------------------------------------------

REVIEW_COARSE = ("gender", "ward_code")


def review_queue_frame(
    pairs: pl.DataFrame, decided: pl.DataFrame, records: pl.DataFrame, model: dict | None
) -> pl.DataFrame:
    """Pairs for review with no decision yet: pseudonymous refs, weights, similarity
    levels as words and coarse attributes. Never an identifier or an encoding."""
    schema = {
        "pair_id": pl.String,
        "org_l": pl.String,
        "person_ref_l": pl.String,
        "org_r": pl.String,
        "person_ref_r": pl.String,
        "match_weight": pl.Float64,
        "match_probability": pl.Float64,
    }
    if not pairs.height or "decision" not in pairs.columns:
        return pl.DataFrame(schema=schema)
    waiting = pairs.filter(
        (pl.col("decision") == "review") & ~pl.col("pair_id").is_in(decided["pair_id"].implode())
    )
    coarse = [c for c in REVIEW_COARSE if c in records.columns]
    side = records.select("record_id", "org", "person_ref", *coarse)
    out = waiting.join(side, left_on="record_l", right_on="record_id", how="left").join(
        side, left_on="record_r", right_on="record_id", how="left", suffix="_r"
    )
    out = out.rename({"org": "org_l", "person_ref": "person_ref_l"} | {c: f"{c}_l" for c in coarse})
    labels = fs.level_labels(model) if model else {}
    levels = []
    for column in [c for c in out.columns if c.startswith("gamma_")]:
        name = column.removeprefix("gamma_")
        mapping = {str(k): v for k, v in labels.get(name, {}).items()}
        levels.append(
            pl.col(column)
            .cast(pl.String)
            .replace_strict(mapping, default="?")
            .alias(f"{name.removeprefix('bf_')}_level")
        )
    return out.select(
        *schema,
        *levels,
        *(f"{c}_{s}" for c in coarse for s in ("l", "r")),
    ).sort("match_weight", descending=True)


def quality_report(
    *,
    records: pl.DataFrame,
    pairs: pl.DataFrame,
    edges: pl.DataFrame,
    queue: pl.DataFrame,
    model: dict | None,
    mode: str,
    scored: int,
    removed: int,
    merges: int,
    splits: int,
    thresholds: fs.Thresholds,
    at: str,
    trained: bool,
) -> dict[str, Any]:
    """Counts only: how much linkage found, how sure it is, what waits for review."""
    sizes = records.group_by("person_id").agg(
        pl.len().alias("records"), pl.col("org").n_unique().alias("partners")
    )
    distribution = (
        sizes.group_by(pl.col("records").clip(upper_bound=5).alias("size")).len().sort("size")
    )
    linked = sizes.filter(pl.col("records") > 1)
    lam = model.get("probability_two_random_records_match") if model else None
    n = records.filter(pl.col("linkable")).height
    return {
        "linked_at": at,
        "mode": mode,
        "records": records.height,
        "linkable_records": n,
        "records_scored": scored,
        "records_removed": removed,
        "person_ids": sizes.height,
        "persons_with_several_records": linked.height,
        "persons_across_partners": sizes.filter(pl.col("partners") > 1).height,
        "match_rate": round(linked["records"].sum() / records.height, 4) if records.height else 0,
        # expected matching pairs under the trained model (None: too few records to train)
        "estimated_matching_pairs": round(lam * n * (n - 1) / 2, 1) if trained and lam else None,
        "cluster_sizes": {
            ("5+" if s == 5 else str(s)): c
            for s, c in zip(distribution["size"], distribution["len"], strict=True)
        },
        "candidate_pairs": pairs.height,
        "links": edges.height,
        "review_backlog": queue.height,
        "merges": merges,
        "splits": splits,
        "thresholds": {
            "link": thresholds.link,
            "review": thresholds.review,
            "name_floor": thresholds.name_floor,
        },
        "model_trained": trained,
    }


def link_status(home_root: Path) -> dict[str, Any]:
    """The last run's quality report."""
    from needle.errors import NeedleInputError

    report = store.read_json(store.quality_path(home_root))
    if report is None:
        raise NeedleInputError("Linkage has not run yet. Run `needle link run`.")
    return report
