"""The Fellegi-Sunter linkage model: Splink 5 on DuckDB, over the encodings only.

Why Splink: it is a well-kept implementation of exactly this model (blocking, comparison
vectors, m and u estimated by expectation maximisation and random sampling, term
frequencies, incremental prediction between new and existing records), runs on DuckDB
here and on Spark at national scale. What Splink cannot know is how to compare Needle's
encodings, so this module gives it:

- records whose Bloom filters are unpacked into 64-bit words (``bf_name_w0``...) and a
  set-bit count (``bf_name_n``), so DuckDB computes Dice with ``bit_count`` on plain
  integers (measured 3.5 times faster than DuckDB's BIT type);
- blocking rules: equality of each exact match key, plus a few locality-sensitive
  (bit-sampling) keys drawn from pairs of filters, so a pair with a typo in every name
  still meets on date of birth and postcode (no match key tolerates that);
- comparisons: Dice levels of the three filters, agreement on gender and home area
  (term-frequency adjusted on the LSOA: a big estate says less than a small one);
- starting values for m and u (``PRIORS``), used as they are when a pool is too small
  to estimate them and as EM's starting point otherwise.

The design and its measured accuracy: docs/decisions/0009-linkage.md.
"""

from __future__ import annotations

import hashlib
import logging
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import polars as pl

from needle.errors import NeedleInputError
from needle.pseudonymise import MATCH_KEYS, to_words

log = logging.getLogger(__name__)

MK_COLUMNS = tuple(column for column, _, _ in MATCH_KEYS)
BLOOM_COLUMNS = ("bf_name", "bf_dob", "bf_postcode")
COARSE_COLUMNS = ("gender", "lsoa21", "ward_code")
# Fewer records than this: EM and random sampling would estimate noise; use PRIORS.
MIN_RECORDS_TO_TRAIN = 400

# Dice cut points per filter, highest first. Two encodings of the same value have Dice
# about 0.93 (5th percentile 0.90) because of the hardening noise; a typo or nickname
# about 0.85; twins (other given name, same family name) about 0.63; random pairs rarely
# above 0.58 (decision record 0004).
DICE_LEVELS = {
    "bf_name": (0.88, 0.8, 0.72, 0.64, 0.55),
    "bf_dob": (0.88, 0.78, 0.68, 0.58, 0.48),
    "bf_postcode": (0.85, 0.7, 0.55, 0.4),
}
# A link needs names at least this alike: a shared date of birth and home say household
# (twins, siblings), not person. Below it a pair is at most sent for review. (One of the
# cut points of bf_name; ``None`` in ``Thresholds`` turns it off, as for FEBRL4, which has
# no twins but heavily corrupted names.)
NAME_FLOOR = 0.72

# Bit-sampling LSH keys: (name, filters it samples, bits from each, number of bands). A
# true pair's filters differ in ~4% of bits (the noise on both sides), so a band of 24
# bits agrees for ~45% of true pairs and ~0.6**20 = 4e-5 of random pairs.
LSH_BANDS = (
    ("lsh_dp", ("bf_dob", "bf_postcode"), 10, 8),  # every name mistyped
    ("lsh_nd", ("bf_name", "bf_dob"), 10, 8),  # moved and a name typo
    ("lsh_np", ("bf_name", "bf_postcode"), 10, 8),  # date of birth wrong and a typo
    ("lsh_n", ("bf_name",), 20, 6),  # date of birth and postcode both wrong
    # Training only (not for predictions): about "same date of birth", a block in which
    # EM can estimate the name and postcode comparisons.
    ("lsh_d", ("bf_dob",), 40, 1),
)
TRAINING_ONLY = ("lsh_d",)
_LSH_SEED = 20260601

# Starting (and small-pool) m and u per comparison level, in the order of the levels
# (null level excluded), from EM on FEBRL4 and the synthetic initiative; see 0009.
PRIORS: dict[str, list[tuple[float, float]]] = {
    "bf_name": [(0.55, 1e-4), (0.2, 1e-4), (0.08, 3e-4), (0.07, 1e-3), (0.05, 5e-3), (0.05, 0.99)],
    "bf_dob": [
        (0.95, 2e-4),
        (0.005, 5e-4),
        (0.01, 5e-3),
        (0.01, 0.02),
        (0.01, 0.05),
        (0.015, 0.92),
    ],
    "bf_postcode": [(0.63, 1e-3), (0.1, 1e-3), (0.1, 2e-3), (0.07, 0.01), (0.1, 0.986)],
    "gender": [(0.97, 0.5), (0.03, 0.5)],
    "area": [(0.75, 0.005), (0.10, 0.05), (0.15, 0.945)],
}


@dataclass(frozen=True)
class Thresholds:
    """Match weights (log2 Bayes factor with the prior): at or above ``link`` a pair is
    linked; at or above ``review`` it goes to the review queue; below, a non-link."""

    link: float = 2.0
    review: float = -4.0
    name_floor: float | None = NAME_FLOOR

    def __post_init__(self) -> None:
        if self.review > self.link:
            raise NeedleInputError("The review threshold must not be above the link threshold.")


# ---------------------------------------------------------------------------------------
# Records as Splink reads them
# ---------------------------------------------------------------------------------------


def linkage_frame(encoded: pl.DataFrame, id_column: str = "record_id") -> pl.DataFrame:
    """Records for Splink from encodings (``encode_people`` output or pooled rows).

    Keeps the match keys, unpacks each Bloom filter into words and a bit count, adds the
    LSH keys and whatever coarse attributes are present. Refuses a mixture of schemes:
    encodings made with two secrets or parameter sets never agree.
    """
    if "scheme" in encoded.columns:
        schemes = encoded.get_column("scheme").drop_nulls().unique().to_list()
        if len(schemes) > 1:
            raise NeedleInputError(
                f"The pool holds encodings of {len(schemes)} schemes "
                f"({', '.join(sorted(schemes))}); "
                "they cannot be compared. Re-encode with one scheme (see decision 0004, rotation)."
            )
    columns: dict[str, Any] = {"unique_id": encoded.get_column(id_column).cast(pl.String)}
    for column in MK_COLUMNS:
        if column in encoded.columns:
            columns[column] = encoded.get_column(column)
    words: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for column in BLOOM_COLUMNS:
        if column not in encoded.columns:
            continue
        w, present = to_words(encoded.get_column(column))
        if w.shape[1] == 0:
            continue
        words[column] = (w, present)
        for i in range(w.shape[1]):
            columns[f"{column}_w{i}"] = pl.Series(w[:, i], dtype=pl.UInt64)
        count = np.bitwise_count(w).sum(axis=1, dtype=np.int64)
        columns[f"{column}_n"] = pl.Series(count).set(pl.Series(~present), None)
    for name, filters, bits, bands in LSH_BANDS:
        if all(f in words for f in filters):
            for band, key in enumerate(_lsh_keys(words, filters, bits, bands)):
                columns[f"{name}{band}"] = key
    for column in COARSE_COLUMNS:
        if column in encoded.columns:
            columns[column] = encoded.get_column(column).cast(pl.String)
    if "source_dataset" in encoded.columns:
        columns["source_dataset"] = encoded.get_column("source_dataset")
    return pl.DataFrame(columns)


def _lsh_keys(
    words: dict[str, tuple[np.ndarray, np.ndarray]],
    filters: Sequence[str],
    bits: int,
    bands: int,
) -> list[pl.Series]:
    """One key per band: ``bits`` sampled bit positions of each filter, packed into an
    integer; null where a filter is missing. The positions are public (a fixed seed):
    they select bits of keyed filters, so they reveal nothing without the secret."""
    rng = np.random.default_rng(_LSH_SEED + len("".join(filters)))
    present = np.logical_and.reduce([words[f][1] for f in filters])
    out = []
    for _ in range(bands):
        key = np.zeros(present.shape[0], dtype=np.uint64)
        shift = 0
        for f in filters:
            w = words[f][0]
            positions = rng.choice(w.shape[1] * 64, size=bits, replace=False)
            for p in positions:
                bit = (w[:, p // 64] >> np.uint64(p % 64)) & np.uint64(1)
                key |= bit << np.uint64(shift)
                shift += 1
        out.append(pl.Series(key).set(pl.Series(~present), None))
    return out


# ---------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------


def _dice_sql(column: str, words: int) -> str:
    both = " + ".join(f"bit_count({column}_w{i}_l & {column}_w{i}_r)" for i in range(words))
    return f"(2 * ({both}))"


def _levels(prior: list[tuple[float, float]], conditions: list[tuple[str, str]]) -> list[dict]:
    return [
        {"sql_condition": sql, "label_for_charts": label, "m_probability": m, "u_probability": u}
        for (sql, label), (m, u) in zip(conditions, prior, strict=True)
    ]


def _dice_comparison(column: str, words: int) -> dict[str, Any]:
    dice = _dice_sql(column, words)
    total = f"({column}_n_l + {column}_n_r)"
    cuts = DICE_LEVELS[column]
    conditions = [(f"{dice} >= {cut} * {total}", f"Dice >= {cut}") for cut in cuts]
    conditions.append(("ELSE", f"Dice < {cuts[-1]}"))
    null = {
        "sql_condition": f"{column}_n_l IS NULL OR {column}_n_r IS NULL",
        "label_for_charts": "missing",
        "is_null_level": True,
    }
    return {
        "output_column_name": column,
        "comparison_levels": [null, *_levels(PRIORS[column], conditions)],
    }


def _coarse_comparisons(columns: set[str]) -> list[dict[str, Any]]:
    out = []
    if "gender" in columns:
        out.append(
            {
                "output_column_name": "gender",
                "comparison_levels": [
                    {
                        "sql_condition": "gender_l IS NULL OR gender_r IS NULL "
                        "OR gender_l IN ('not_known', 'prefer_not_to_say') "
                        "OR gender_r IN ('not_known', 'prefer_not_to_say')",
                        "label_for_charts": "missing",
                        "is_null_level": True,
                    },
                    *_levels(
                        PRIORS["gender"],
                        [("gender_l = gender_r", "same"), ("ELSE", "different")],
                    ),
                ],
            }
        )
    if {"lsoa21", "ward_code"} <= columns:
        levels = _levels(
            PRIORS["area"],
            [
                ("lsoa21_l = lsoa21_r", "same LSOA"),
                ("ward_code_l = ward_code_r", "same ward"),
                ("ELSE", "elsewhere"),
            ],
        )
        levels[0]["tf_adjustment_column"] = "lsoa21"
        levels[0]["tf_adjustment_weight"] = 1.0
        out.append(
            {
                "output_column_name": "area",
                "comparison_levels": [
                    {
                        "sql_condition": "lsoa21_l IS NULL OR lsoa21_r IS NULL",
                        "label_for_charts": "missing",
                        "is_null_level": True,
                    },
                    *levels,
                ],
            }
        )
    return out


def blocking_rules(columns: Sequence[str]) -> list[str]:
    """Equality of each match key, then of each LSH band key."""
    mk = [f"l.{c} = r.{c}" for c in MK_COLUMNS if c in columns]
    lsh = [
        f"l.{c} = r.{c}"
        for c in columns
        if c.startswith("lsh_") and c.rstrip("0123456789") not in TRAINING_ONLY
    ]
    return mk + lsh


def settings(frame: pl.DataFrame, link_type: str = "dedupe_only") -> dict[str, Any]:
    """A Splink settings dictionary for records made by :func:`linkage_frame`."""
    columns = set(frame.columns)
    comparisons = [
        _dice_comparison(c, sum(1 for x in columns if x.startswith(f"{c}_w")))
        for c in BLOOM_COLUMNS
        if f"{c}_n" in columns
    ]
    comparisons += _coarse_comparisons(columns)
    if not comparisons:
        raise NeedleInputError(
            "No linkage encodings to compare: the young people have no bf_* columns."
        )
    return {
        "link_type": link_type,
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": _prior_lambda(frame.height, link_type),
        "blocking_rules_to_generate_predictions": blocking_rules(frame.columns),
        "comparisons": comparisons,
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": True,
    }


def _prior_lambda(records: int, link_type: str) -> float:
    """About one match per record among all pairs: a reasonable prior when people are
    recorded once or twice each."""
    pairs = max(1.0, records * (records - 1) / (4 if link_type == "link_only" else 2))
    return min(0.5, max(records / 2, 1) / pairs)


# ---------------------------------------------------------------------------------------
# Training and prediction
# ---------------------------------------------------------------------------------------


def _linker(con: duckdb.DuckDBPyConnection, tables: Sequence[pl.DataFrame], model: dict):
    from splink import DuckDBAPI, Linker

    api = DuckDBAPI(connection=con)
    registered = [
        api.register(t.to_arrow(), dataset_display_name=f"records_{i}_{uuid.uuid4().hex[:8]}")
        for i, t in enumerate(tables)
    ]
    frames = registered[0] if len(registered) == 1 else registered
    return Linker(frames, model, log_level=logging.WARNING), api


def train(
    tables: Sequence[pl.DataFrame],
    *,
    link_type: str = "dedupe_only",
    seed: int = 42,
    con: duckdb.DuckDBPyConnection | None = None,
) -> dict[str, Any]:
    """A trained model (Splink's settings dictionary) for these records, no labels used:
    u by random sampling, the prior match probability from the most precise match key,
    m by EM in two sessions blocked on different evidence (same names and date of
    birth; same date of birth and postcode), so every comparison is estimated once
    from pairs that were not selected by it. A pool too small to estimate from keeps
    ``PRIORS``."""
    base = settings(tables[0], link_type)
    records = sum(t.height for t in tables)
    if records < MIN_RECORDS_TO_TRAIN:
        return base
    con = con or duckdb.connect()
    linker, _ = _linker(con, tables, base)
    columns = set(tables[0].columns)
    training = linker.training
    training.estimate_u_using_random_sampling(max_pairs=3e5, seed=seed, min_count_per_level=None)
    # Each session blocks on one field (its LSH key), so EM estimates the others from
    # pairs that the field selected; blocking on two would leave too little to learn from.
    sessions = [
        f"l.{band} = r.{band} AND l.{field}_n > 0"
        for band, field in (("lsh_n0", "bf_name"), ("lsh_d0", "bf_dob"))
        if band in columns
    ]
    for rule in sessions:
        try:
            training.estimate_parameters_using_expectation_maximisation(
                rule,
                estimate_without_term_frequencies=True,
            )
        except Exception as error:  # Splink raises plain exceptions on degenerate samples
            log.warning("EM session skipped (%s): %s", rule.split(" ")[0], type(error).__name__)
    model = linker.misc.save_model_to_json()
    pairs = linker.inference.predict(threshold_match_weight=-10, warning_mode="never")
    weights = pairs.as_duckdbpyrelation().select("match_weight").pl()
    model["probability_two_random_records_match"] = refine_prior(
        weights.get_column("match_weight").to_numpy(),
        model["probability_two_random_records_match"],
        _comparisons(tables, link_type),
    )
    return model


def _comparisons(tables: Sequence[pl.DataFrame], link_type: str) -> float:
    if link_type == "link_only":
        return float(math.prod(t.height for t in tables))
    n = sum(t.height for t in tables)
    return n * (n - 1) / 2


def refine_prior(weights: np.ndarray, prior: float, comparisons: float) -> float:
    """The probability that two random records match, re-estimated from the scored
    candidate pairs: EM on that one parameter with m and u held, iterated to a fixed
    point (pairs never blocked together are taken as non-matches). Counting matches
    with one match key instead would need that key's recall, which nobody knows."""
    factors = np.exp2(weights.astype(np.float64)) * (1 - prior) / prior
    value = prior
    for _ in range(100):
        p = value * factors / (value * factors + 1 - value)
        new = float(np.clip(p.sum() / comparisons, 1e-12, 0.5))
        if abs(new - value) <= 1e-6 * value:
            return new
        value = new
    return value


def score(
    model: dict[str, Any],
    tables: Sequence[pl.DataFrame],
    *,
    new: pl.DataFrame | None = None,
    existing: pl.DataFrame | None = None,
    min_weight: float = -5.0,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pl.DataFrame:
    """Scored candidate pairs: ``unique_id_l``, ``unique_id_r``, ``match_weight``,
    ``match_probability`` and one ``gamma_<comparison>`` level per comparison.

    With ``new`` and ``existing`` (both part of ``tables``, which then supplies the term
    frequencies), only pairs involving a new record are scored (incremental linkage):
    new against existing and new against new, with Splink's ``predict_between`` and
    ``predict_within``; pairs of existing records are not compared again.
    """
    con = con or duckdb.connect()
    linker, api = _linker(con, tables, model)
    if new is None or existing is None:
        result = linker.inference.predict(threshold_match_weight=min_weight, warning_mode="never")
        return _with_levels(_pairs(result), model)
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("tf_adjustment_column"):
                linker.table_management.compute_tf_table(level["tf_adjustment_column"])
    tag = uuid.uuid4().hex[:8]
    fresh = api.register(new.to_arrow(), dataset_display_name=f"new_records_{tag}")
    between = linker.inference.predict_between(
        fresh,
        api.register(existing.to_arrow(), dataset_display_name=f"existing_records_{tag}"),
        threshold_match_weight=min_weight,
        warning_mode="never",
    )
    within = linker.inference.predict_within(
        fresh, threshold_match_weight=min_weight, warning_mode="never"
    )
    pairs = pl.concat([_pairs(between), _pairs(within)], how="diagonal_relaxed")
    return _with_levels(pairs, model)


def _pairs(result: Any) -> pl.DataFrame:
    frame = result.as_duckdbpyrelation().pl()
    keep = [
        c
        for c in frame.columns
        if c in ("unique_id_l", "unique_id_r", "source_dataset_l", "source_dataset_r")
        or c in ("match_weight", "match_probability")
        or c.startswith("mw_")
    ]
    return frame.select(keep)


def _with_levels(pairs: pl.DataFrame, model: dict[str, Any]) -> pl.DataFrame:
    """``gamma_<comparison>`` from Splink's per-comparison match weight (``mw_*``).

    Splink returns the comparison levels only together with every input column (here
    the unpacked filters: far too wide), but each level has its own weight log2(m/u),
    so the level is read back from the weight. 0 is the null level (-1)."""
    out = []
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        column = f"mw_{name}"
        if column not in pairs.columns:
            continue
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        expr = pl.when(pl.col(column).abs() < 1e-9).then(pl.lit(-1))
        for i, level in enumerate(levels):
            weight = math.log2(level["m_probability"] / level["u_probability"])
            expr = expr.when((pl.col(column) - weight).abs() < 1e-6).then(
                pl.lit(len(levels) - 1 - i)
            )
        out.append(expr.otherwise(pl.lit(None)).cast(pl.Int8).alias(f"gamma_{name}"))
    mw = [c for c in pairs.columns if c.startswith("mw_")]
    return pairs.with_columns(out).drop(mw)


def decide(pairs: pl.DataFrame, thresholds: Thresholds | None = None) -> pl.DataFrame:
    """Add ``decision``: ``link``, ``review`` or ``non-link`` from the match weight, with
    a pair whose names are less alike than the name floor at most sent for review."""
    thresholds = thresholds or Thresholds()
    weak_names = pl.lit(False)
    if "gamma_bf_name" in pairs.columns and thresholds.name_floor is not None:
        below = sum(1 for cut in DICE_LEVELS["bf_name"] if cut >= thresholds.name_floor)
        # gamma counts down: the highest level is len(cuts), "else" 0, missing -1
        weak_names = pl.col("gamma_bf_name") < len(DICE_LEVELS["bf_name"]) + 1 - below
    weight = pl.col("match_weight")
    return pairs.with_columns(
        pl.when((weight >= thresholds.link) & ~weak_names)
        .then(pl.lit("link"))
        .when(weight >= thresholds.review)
        .then(pl.lit("review"))
        .otherwise(pl.lit("non-link"))
        .alias("decision")
    )


def level_labels(model: dict[str, Any]) -> dict[str, dict[int, str]]:
    """gamma value -> label, per comparison: what a reviewer sees instead of numbers."""
    out = {}
    for comparison in model["comparisons"]:
        levels = comparison["comparison_levels"]
        labels: dict[int, str] = {}
        top = len([lv for lv in levels if not lv.get("is_null_level")]) - 1
        for level in levels:
            if level.get("is_null_level"):
                labels[-1] = level.get("label_for_charts", "missing")
            else:
                labels[top] = level.get("label_for_charts", "")
                top -= 1
        out[comparison["output_column_name"]] = labels
    return out


def m_u(model: dict[str, Any], comparison: str) -> list[tuple[str, float, float]]:
    """(label, m, u) of each non-null level of a comparison: what EM and sampling learnt."""
    for c in model["comparisons"]:
        if c["output_column_name"] == comparison:
            return [
                (lv.get("label_for_charts", ""), lv["m_probability"], lv["u_probability"])
                for lv in c["comparison_levels"]
                if not lv.get("is_null_level")
            ]
    raise KeyError(comparison)


def fingerprint(model: dict[str, Any]) -> str:
    """Changes whenever the model does: stored pairs scored by another model are rescored."""
    text = repr(sorted((k, repr(v)) for k, v in model.items() if k != "linker_uid"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def weight_of(probability: float) -> float:
    return math.log2(probability / (1 - probability))
