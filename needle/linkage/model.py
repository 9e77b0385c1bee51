"""The Fellegi-Sunter linkage model over the encodings only, on DuckDB, in Splink's terms.

The model is a Splink 5 settings dictionary (comparisons with SQL conditions, m and u per
level, the prior), so it reads like any Splink model and its labels and weights mean what
Splink's do. Training and scoring run here, in DuckDB and numpy, because Splink cannot
compare these encodings quickly: it evaluates the 32-word Dice SQL once per level and
runs the 39 blocking rules one after another. Here:

- records have their Bloom filters unpacked into 64-bit words (``bf_name_w0``...) and a
  set-bit count (``bf_name_n``), so DuckDB computes Dice with ``bit_count`` on plain
  integers (measured 3.5 times faster than DuckDB's BIT type);
- candidate pairs come from one query: the union of one equi-join per exact match key
  and per locality-sensitive (bit-sampling) key drawn from pairs of filters, so a pair
  with a typo in every name still meets on date of birth and postcode;
- each Dice numerator is computed once per pair, and the model's level conditions
  compare the stored number: Dice levels of the three filters on a 0.03 grid, agreement
  on gender and home area (term-frequency adjusted on the LSOA);
- EM estimates m, u and the share of matches among the candidate pairs (no labels);
  ``PRIORS`` are its starting point, and used as they are for a pool too small to
  estimate from.

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

# Dice cut points per filter, highest first: the coarse levels of the starting values
# (``PRIORS``). Two encodings of the same value have Dice about 0.93 (5th percentile
# 0.90) because of the hardening noise; a typo or nickname about 0.85; twins (other given
# name, same family name) about 0.63; random pairs rarely above 0.58 (decision record 0004).
DICE_LEVELS = {
    "bf_name": (0.88, 0.8, 0.72, 0.64, 0.55),
    "bf_dob": (0.88, 0.78, 0.68, 0.58, 0.48),
    "bf_postcode": (0.85, 0.7, 0.55, 0.4),
}
# The model compares on a finer grid (every 0.03 from 0.93 down, plus the coarse cuts):
# EM has enough pairs to weigh each step, and on FEBRL4 it lifted F1 by 0.002 over the
# coarse levels alone (decision 0009). Finer steps (0.02) gained nothing more.
DICE_GRID = tuple(round(0.93 - 0.03 * i, 2) for i in range(19))


def dice_cuts(column: str) -> tuple[float, ...]:
    """The comparison's cut points, highest first."""
    return tuple(sorted(set(DICE_GRID) | set(DICE_LEVELS[column]), reverse=True))


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
    """Match weights (log2 posterior odds): at or above ``link`` a pair is linked; at or
    above ``review`` it goes to the review queue; below, a non-link. The default link
    needs posterior 0.8: a small pool's model is not estimated (``PRIORS``), so its
    probabilities are not calibrated enough to link at 0.5 (decision 0009)."""

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


def _fine_priors(column: str) -> list[tuple[float, float]]:
    """``PRIORS`` (per coarse level) spread evenly over the fine levels inside each
    coarse one, so a model that was not trained weighs pairs as the coarse levels do."""
    coarse, cuts = DICE_LEVELS[column], dice_cuts(column)
    # coarse level of each fine level: index of the highest coarse cut at or below it
    bucket = [next((i for i, c in enumerate(coarse) if cut >= c), len(coarse)) for cut in cuts]
    bucket.append(len(coarse))  # the fine "else" level
    sizes = [bucket.count(i) for i in range(len(coarse) + 1)]
    return [(PRIORS[column][b][0] / sizes[b], PRIORS[column][b][1] / sizes[b]) for b in bucket]


def _dice_comparison(column: str, words: int) -> dict[str, Any]:
    dice = _dice_sql(column, words)
    total = f"({column}_n_l + {column}_n_r)"
    cuts = dice_cuts(column)
    conditions = [(f"{dice} >= {cut} * {total}", f"Dice >= {cut}") for cut in cuts]
    conditions.append(("ELSE", f"Dice < {cuts[-1]}"))
    null = {
        "sql_condition": f"{column}_n_l IS NULL OR {column}_n_r IS NULL",
        "label_for_charts": "missing",
        "is_null_level": True,
    }
    return {
        "output_column_name": column,
        "comparison_levels": [null, *_levels(_fine_priors(column), conditions)],
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

# Key of the trained model: the probability that a candidate pair (one that blocking
# found) matches; with u among candidates, it is what scores a pair. Splink's
# ``probability_two_random_records_match`` stays the share among all pairs.
CANDIDATE_PRIOR = "probability_candidate_pair_match"
# Random pairs drawn to start EM's u (per level: how often strangers look this alike).
U_SAMPLE_PAIRS = 20_000


@dataclass(frozen=True)
class _Records:
    """The records in one DuckDB table, with a row number ``_i`` and the input table
    ``_t`` each came from (link_only pairs table 0 with table 1)."""

    con: duckdb.DuckDBPyConnection
    name: str
    columns: tuple[str, ...]
    sizes: tuple[int, ...]


def _load(
    con: duckdb.DuckDBPyConnection, tables: Sequence[pl.DataFrame], new: set[str] | None = None
) -> _Records:
    frames = [t.with_columns(pl.lit(k, pl.Int8).alias("_t")) for k, t in enumerate(tables)]
    whole = pl.concat(frames, how="diagonal_relaxed").with_row_index("_i")
    if new is not None:
        whole = whole.with_columns(pl.col("unique_id").is_in(list(new)).alias("_new"))
    name = f"needle_records_{uuid.uuid4().hex[:12]}"
    con.register(f"{name}_arrow", whole.to_arrow())
    con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
    con.unregister(f"{name}_arrow")
    return _Records(con, name, tuple(whole.columns), tuple(t.height for t in tables))


def _candidates_sql(records: _Records, link_type: str) -> str:
    """Candidate pairs ``(i_l, i_r)`` in one query: the union (deduplicated) of one
    equi-join per blocking key, where Splink would run the rules one after another,
    each excluding the pairs found by the rules before it."""
    side = "l._t = 0 AND r._t = 1" if link_type == "link_only" else "l._i < r._i"
    if "_new" in records.columns:  # incremental: pairs with at least one new record
        side += " AND (l._new OR r._new)"
    keys = [rule.split(" = ")[0].removeprefix("l.") for rule in blocking_rules(records.columns)]
    if not keys:
        raise NeedleInputError("No blocking keys: the records have no match keys or filters.")
    return "\nUNION\n".join(
        f"SELECT l._i AS i_l, r._i AS i_r FROM {records.name} l "
        f"JOIN {records.name} r ON l.{key} = r.{key} WHERE {side}"
        for key in keys
    )


def _random_pairs_sql(records: _Records, link_type: str, count: int, seed: int) -> str:
    """``count`` pairs drawn uniformly (with replacement) from all comparable pairs."""
    rng = np.random.default_rng(seed)
    if link_type == "link_only":
        left = rng.integers(0, records.sizes[0], count)
        right = records.sizes[0] + rng.integers(0, records.sizes[1], count)
    else:
        n = sum(records.sizes)
        left, right = rng.integers(0, n, count), rng.integers(0, n, count)
        keep = left != right
        left, right = np.minimum(left, right)[keep], np.maximum(left, right)[keep]
    name = f"{records.name}_random"
    records.con.register(name, pl.DataFrame({"i_l": left, "i_r": right}).to_arrow())
    return f"SELECT i_l, i_r FROM {name}"


def _gamma_sql(model: dict[str, Any], records: _Records, pairs: str) -> str:
    """The comparison level of each pair in ``pairs`` (``i_l``, ``i_r``) by the model's
    own (Splink) SQL conditions, except that each Dice numerator is computed once per
    pair and the levels compare the stored number: Splink computes it once per level."""
    columns = records.columns
    inner, outer, joins = ["p.i_l", "p.i_r"], ["i_l", "i_r"], []
    plain: set[str] = set()
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        levels = comparison["comparison_levels"]
        words = sum(1 for c in columns if c.startswith(f"{name}_w"))
        dice = _dice_sql(name, words) if name in BLOOM_COLUMNS else None
        if dice is not None:
            both = " + ".join(f"bit_count(l.{name}_w{i} & r.{name}_w{i})" for i in range(words))
            inner += [f"2 * ({both}) AS {name}_d2", f"l.{name}_n AS {name}_n_l"]
            inner.append(f"r.{name}_n AS {name}_n_r")
        else:
            text = " ".join(lv["sql_condition"] for lv in levels)
            plain |= {c for c in columns if f"{c}_l" in text or f"{c}_r" in text}
        cases, value = [], sum(1 for lv in levels if not lv.get("is_null_level"))
        for level in levels:
            sql = (
                level["sql_condition"].replace(dice, f"{name}_d2")
                if dice
                else level["sql_condition"]
            )
            if level.get("is_null_level"):
                cases.append(f"WHEN {sql} THEN -1")
                continue
            value -= 1
            cases.append(f"ELSE {value}" if sql == "ELSE" else f"WHEN {sql} THEN {value}")
            tf = level.get("tf_adjustment_column")
            if tf:
                table = f"(SELECT {tf} AS v, count(*) / sum(count(*)) OVER () AS f FROM "
                table += f"{records.name} WHERE {tf} IS NOT NULL GROUP BY {tf})"
                for s in "lr":
                    joins.append(f"LEFT JOIN {table} tf_{tf}_{s} ON tf_{tf}_{s}.v = {s}.{tf}")
                    inner.append(f"tf_{tf}_{s}.f AS tf_{tf}_{s}")
                    outer.append(f"tf_{tf}_{s}")
        outer.append(f"CAST(CASE {' '.join(cases)} END AS TINYINT) AS gamma_{name}")
    for column in sorted(plain):
        inner += [f"l.{column} AS {column}_l", f"r.{column} AS {column}_r"]
    if "source_dataset" in columns:
        inner += ["l.source_dataset AS source_dataset_l", "r.source_dataset AS source_dataset_r"]
        outer += ["source_dataset_l", "source_dataset_r"]
    inner += ["l.unique_id AS unique_id_l", "r.unique_id AS unique_id_r"]
    outer += ["unique_id_l", "unique_id_r"]
    source = (
        f"({pairs}) p JOIN {records.name} l ON l._i = p.i_l "
        f"JOIN {records.name} r ON r._i = p.i_r {' '.join(joins)}"
    )
    return f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(inner)} FROM {source})"


def _gammas(model: dict[str, Any], records: _Records, pairs: str) -> pl.DataFrame:
    return records.con.sql(_gamma_sql(model, records, pairs)).pl()


def _weights(model: dict[str, Any], gammas: pl.DataFrame) -> pl.DataFrame:
    """Match weight (log2 posterior odds) and probability from the levels: Splink's
    formula, term-frequency adjustments included (the null level weighs nothing)."""
    prior = model.get(CANDIDATE_PRIOR, model["probability_two_random_records_match"])
    total = pl.lit(math.log2(prior / (1 - prior)))
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        gamma = pl.col(f"gamma_{name}")
        term = pl.when(gamma == -1).then(pl.lit(0.0))
        for i, level in enumerate(levels):
            value = len(levels) - 1 - i
            weight = math.log2(level["m_probability"] / level["u_probability"])
            term = term.when(gamma == value).then(pl.lit(weight))
            tf = level.get("tf_adjustment_column")
            if tf:
                frequency = pl.max_horizontal(f"tf_{tf}_l", f"tf_{tf}_r")
                adjust = (
                    pl.when(frequency.is_not_null())
                    .then(
                        level.get("tf_adjustment_weight", 1.0)
                        * (math.log2(level["u_probability"]) - frequency.log(2))
                    )
                    .otherwise(0.0)
                )
                total = total + pl.when(gamma == value).then(adjust).otherwise(0.0)
        total = total + term.otherwise(pl.lit(0.0))
    weight = total.alias("match_weight")
    return gammas.with_columns(weight).with_columns(
        (1 / (1 + pl.lit(2.0).pow(-pl.col("match_weight")))).alias("match_probability")
    )


def _gamma_names(model: dict[str, Any]) -> list[str]:
    return [f"gamma_{c['output_column_name']}" for c in model["comparisons"]]


def _level_table(model: dict[str, Any], key: str) -> list[np.ndarray]:
    """Per comparison, ``key`` (m or u) indexed by gamma value (0 = the lowest level)."""
    out = []
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        out.append(np.array([lv[f"{key}_probability"] for lv in reversed(levels)]))
    return out


def _set_levels(model: dict[str, Any], key: str, tables: list[np.ndarray]) -> None:
    for comparison, table in zip(model["comparisons"], tables, strict=True):
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for level, value in zip(reversed(levels), table, strict=True):
            level[f"{key}_probability"] = float(value)


def _patterns(gammas: pl.DataFrame, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    counted = gammas.group_by(names).len()
    return counted.select(names).to_numpy().astype(np.int64), counted["len"].to_numpy()


def _u_from_sample(model: dict[str, Any], sample: pl.DataFrame) -> list[np.ndarray]:
    """u per level: the share of random pairs at that level (present values only); a
    level no random pair reached gets half a pair, so its weight stays finite."""
    out = []
    for name, table in zip(_gamma_names(model), _level_table(model, "u"), strict=True):
        gamma = sample.get_column(name).drop_nulls()
        gamma = gamma.filter(gamma >= 0).to_numpy()
        counts = np.bincount(gamma, minlength=len(table)).astype(np.float64)
        counts[counts == 0] = 0.5
        out.append(counts / counts.sum())
    return out


def _likelihood(patterns: np.ndarray, tables: list[np.ndarray]) -> np.ndarray:
    out = np.ones(patterns.shape[0])
    for c, table in enumerate(tables):
        g = patterns[:, c]
        out *= np.where(g >= 0, table[np.clip(g, 0, None)], 1.0)
    return out


def expectation_maximisation(
    patterns: np.ndarray,
    counts: np.ndarray,
    m: list[np.ndarray],
    u: list[np.ndarray],
    share: float,
    *,
    iterations: int = 1000,
    tolerance: float = 1e-7,
) -> tuple[list[np.ndarray], list[np.ndarray], float]:
    """m, u and the share of matches among the candidate pairs: the Fellegi-Sunter EM
    (a two-class latent model) on comparison patterns, each distinct one once with its
    count. u is estimated here too, among candidates: blocking selected pairs that look
    alike, so candidate non-matches are closer than random pairs (u by random sampling
    held fixed made EM take a third of all candidates for matches on FEBRL4). Every
    level gets half a pair of each class, so no weight is infinite."""
    m, u = [t.copy() for t in m], [t.copy() for t in u]
    total = counts.sum()
    for _ in range(iterations):
        weight_m = share * _likelihood(patterns, m)
        weight_u = (1 - share) * _likelihood(patterns, u)
        p = counts * weight_m / (weight_m + weight_u)
        q = counts - p
        new_share = float(np.clip(p.sum() / total, 1e-9, 0.5))
        new_m, new_u = [], []
        for c, table in enumerate(m):
            g = patterns[:, c]
            present = g >= 0
            for weights, out in ((p, new_m), (q, new_u)):
                level = np.bincount(g[present], weights=weights[present], minlength=len(table))
                out.append((level + 0.5) / (level.sum() + 0.5 * len(table)))
        change = max(
            abs(new_share - share) / share,
            *(np.abs(np.log(a / b)).max() for a, b in zip(new_m + new_u, m + u, strict=True)),
        )
        m, u, share = new_m, new_u, new_share
        if change < tolerance:
            break
    return m, u, share


def train(
    tables: Sequence[pl.DataFrame],
    *,
    link_type: str = "dedupe_only",
    seed: int = 42,
    con: duckdb.DuckDBPyConnection | None = None,
) -> dict[str, Any]:
    """A trained model (Splink's settings dictionary) for these records, no labels used:
    see :func:`fit`. A pool too small to estimate from keeps ``PRIORS``."""
    return fit(tables, link_type=link_type, seed=seed, con=con)[0]


def fit(
    tables: Sequence[pl.DataFrame],
    *,
    link_type: str = "dedupe_only",
    seed: int = 42,
    min_weight: float = -5.0,
    con: duckdb.DuckDBPyConnection | None = None,
) -> tuple[dict[str, Any], pl.DataFrame]:
    """Train on these records and score them, comparing each candidate pair once.

    Candidate pairs come from one query (match keys and LSH keys); EM estimates m, u and
    the share of matches among them, started from ``PRIORS`` for m and from random pairs
    for u. A pool under ``MIN_RECORDS_TO_TRAIN`` keeps ``PRIORS``. Returns the model and
    the scored pairs (as :func:`score`)."""
    model = settings(tables[0], link_type)
    con = con or duckdb.connect()
    records = _load(con, tables)
    try:
        candidates = _gammas(model, records, _candidates_sql(records, link_type))
        if sum(records.sizes) >= MIN_RECORDS_TO_TRAIN and candidates.height:
            pairs = _random_pairs_sql(records, link_type, U_SAMPLE_PAIRS, seed)
            sample = _gammas(model, records, pairs)
            names = _gamma_names(model)
            patterns, counts = _patterns(candidates, names)
            expected = min(records.sizes) if link_type == "link_only" else sum(records.sizes) / 2
            m, u, share = expectation_maximisation(
                patterns,
                counts,
                _level_table(model, "m"),
                _u_from_sample(model, sample),
                min(0.5, expected / candidates.height),
            )
            _set_levels(model, "m", m)
            _set_levels(model, "u", u)
            model[CANDIDATE_PRIOR] = share
            model["probability_two_random_records_match"] = min(
                0.5, share * candidates.height / _comparisons(records.sizes, link_type)
            )
    finally:
        con.execute(f"DROP TABLE IF EXISTS {records.name}")
    return model, _scored(model, candidates, min_weight)


def _comparisons(sizes: Sequence[int], link_type: str) -> float:
    if link_type == "link_only":
        return float(math.prod(sizes))
    n = sum(sizes)
    return n * (n - 1) / 2


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
    new against existing and new against new; pairs of existing records are not
    compared again.
    """
    con = con or duckdb.connect()
    fresh = None
    if new is not None and existing is not None:
        fresh = set(new.get_column("unique_id").to_list())
    records = _load(con, tables, fresh)
    try:
        gammas = _gammas(model, records, _candidates_sql(records, model["link_type"]))
    finally:
        con.execute(f"DROP TABLE IF EXISTS {records.name}")
    return _scored(model, gammas, min_weight)


def _scored(model: dict[str, Any], gammas: pl.DataFrame, min_weight: float) -> pl.DataFrame:
    pairs = _weights(model, gammas).filter(pl.col("match_weight") >= min_weight)
    keep = [
        c
        for c in pairs.columns
        if c in ("unique_id_l", "unique_id_r", "source_dataset_l", "source_dataset_r")
        or c in ("match_weight", "match_probability")
        or c.startswith("gamma_")
    ]
    return pairs.select(keep)


def decide(pairs: pl.DataFrame, thresholds: Thresholds | None = None) -> pl.DataFrame:
    """Add ``decision``: ``link``, ``review`` or ``non-link`` from the match weight, with
    a pair whose names are less alike than the name floor at most sent for review."""
    thresholds = thresholds or Thresholds()
    weak_names = pl.lit(False)
    if "gamma_bf_name" in pairs.columns and thresholds.name_floor is not None:
        cuts = dice_cuts("bf_name")
        below = sum(1 for cut in cuts if cut >= thresholds.name_floor)
        # gamma counts down: the highest level is len(cuts), "else" 0, missing -1
        weak_names = pl.col("gamma_bf_name") < len(cuts) + 1 - below
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
