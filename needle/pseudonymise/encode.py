"""Keyed linkage encodings: exact match keys and hardened Bloom filters.

Why both: exact match keys (as national statistics offices build them) link the easy
majority of records quickly and with almost no false matches; Bloom filters carry what a
probabilistic (Fellegi-Sunter) model needs for the rest, a similarity per identifier that
survives typos, nicknames and moves. Both are keyed with the initiative's secret, so
someone holding the pool but not the secret cannot encode a list of names and look for
them (a dictionary attack), and both are built so that counting equal encodings tells an
attacker nothing (see docs/decisions/0004-pseudonymisation-encodings.md for the measured
evidence).

Layout of a Bloom filter (bit ``j`` of a filter of ``m`` bits): byte ``j // 8``, bit
``j % 8`` counted from the least significant, so the bytes read as little-endian 64-bit
words give the same bits. :func:`to_words` and :func:`dice` rely on this.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import polars as pl
import pyarrow as pa

from needle.errors import NeedleInputError
from needle.pseudonymise.normalise import normalise_people

__all__ = [
    "DEFAULT_PARAMS",
    "MATCH_KEYS",
    "BloomSpec",
    "EncodingParams",
    "bloom_columns",
    "dice",
    "dice_matrix",
    "encode_people",
    "match_key_columns",
    "to_words",
]

MIN_SECRET_BYTES = 16
IDENTIFIER_COLUMNS = ("given_name", "family_name", "date_of_birth", "postcode")
# dice_matrix keeps each block's intermediate (rows x len(b) x words) under this many words.
_BLOCK_WORDS = 1 << 24


@dataclass(frozen=True)
class BloomSpec:
    """One Bloom-filter column: which identifiers go in, how long it is, how many bits
    each token sets (``k``, one per part), and the flip probability of its hardening.

    ``parts`` are token sources (see ``_TOKENISERS``): ``given``, ``family``, ``dob`` or
    ``postcode``. Given and family names share one token space, so a swapped given and
    family name still looks alike.
    """

    column: str
    parts: tuple[str, ...]
    bits: int
    k: tuple[int, ...]
    flip_256: int  # flip probability in 1/256ths (randomised response, "BLIP")

    @property
    def flip_probability(self) -> float:
        return self.flip_256 / 256


@dataclass(frozen=True)
class EncodingParams:
    """Everything that decides what an encoding looks like, under one ``scheme`` name.

    Encodings made with different schemes must never be compared: the scheme is mixed into
    every key derived from the secret, so they would not agree anyway, and the scheme is
    written beside every encoding so the linkage step can refuse a mixture.
    """

    scheme: str = "needle-bf-1"
    match_key_bytes: int = 16  # 128 bits of HMAC-SHA256, written as 32 hex characters
    blooms: tuple[BloomSpec, ...] = field(
        default_factory=lambda: (
            BloomSpec("bf_name", ("given", "family"), bits=1024, k=(20, 20), flip_256=5),
            BloomSpec("bf_dob", ("dob",), bits=512, k=(12,), flip_256=5),
            BloomSpec("bf_postcode", ("postcode",), bits=512, k=(12,), flip_256=5),
        )
    )

    def __post_init__(self) -> None:
        for spec in self.blooms:
            if spec.bits % 64 or spec.bits <= 0:
                raise ValueError(f"{spec.column}: bits must be a positive multiple of 64")
            if len(spec.k) != len(spec.parts) or min(spec.k) < 1:
                raise ValueError(f"{spec.column}: one k (>= 1) per part")
            if not 0 <= spec.flip_256 < 128:
                raise ValueError(f"{spec.column}: flip_256 must be in [0, 128)")
            unknown = set(spec.parts) - _TOKENISERS.keys()
            if unknown:
                raise ValueError(f"{spec.column}: unknown parts {sorted(unknown)}")


# ---------------------------------------------------------------------------------------
# Exact match keys
# ---------------------------------------------------------------------------------------

# Each key: (column, label, normalised components). A key exists only when all its
# components are present. The label goes into the HMAC message, so keys of two kinds can
# never be equal even where their components are.
MATCH_KEYS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # As recorded (after normalisation): the most precise key.
    ("mk_exact", "mk1", ("given_compact", "family_compact", "dob", "postcode")),
    # Nicknames and transliterations: Bill/William, Mohamed/Muhammad.
    ("mk_canonical", "mk2", ("given_canonical", "family_compact", "dob", "postcode")),
    # A middle name recorded by one partner only, or an unknown diminutive.
    ("mk_initial", "mk3", ("given_initial", "family_compact", "dob", "postcode")),
    # Moved house or no postcode recorded.
    ("mk_no_postcode", "mk4", ("given_canonical", "family_compact", "dob")),
    # Wrong day or month of birth, same home.
    ("mk_birth_year", "mk5", ("given_canonical", "family_compact", "dob_year", "postcode")),
    # Day and month swapped (US-style entry, 05/07 vs 07/05): day and month unordered.
    ("mk_day_month", "mk6", ("given_canonical", "family_compact", "dob_year", "dob_dm_set")),
    # Given and family name swapped: the two names unordered.
    ("mk_names_swapped", "mk7", ("name_set", "dob")),
    # Double-barrelled family names recorded by one part: first and last part.
    ("mk_family_first", "mk8", ("given_canonical", "family_first", "dob")),
    ("mk_family_last", "mk9", ("given_canonical", "family_last", "dob")),
)

_SEP = "\x1f"  # unit separator: cannot occur in a normalised component


def _derive(secret: bytes, scheme: str, purpose: str) -> bytes:
    """A sub-key per purpose, so a key of one use reveals nothing about another."""
    return hmac.digest(secret, f"needle/{scheme}/{purpose}".encode(), "sha256")


def _components(norm: pl.DataFrame) -> pl.DataFrame:
    """The string components the match keys combine (derived, unordered forms added)."""
    dm_lo = pl.min_horizontal("dob_day", "dob_month").cast(pl.String)
    dm_hi = pl.max_horizontal("dob_day", "dob_month").cast(pl.String)
    g, f = pl.col("given_canonical"), pl.col("family_compact")
    return norm.select(
        pl.col(
            "given_compact",
            "given_canonical",
            "given_initial",
            "family_compact",
            "family_first",
            "family_last",
            "postcode",
        ),
        pl.col("dob").dt.strftime("%Y-%m-%d").alias("dob"),
        pl.col("dob_year").cast(pl.String).alias("dob_year"),
        pl.concat_str([dm_lo, dm_hi], separator="/").alias("dob_dm_set"),
        pl.when(g <= f)
        .then(pl.concat_str([g, f], separator="+"))
        .otherwise(pl.concat_str([f, g], separator="+"))
        .alias("name_set"),
    )


def match_key_columns(norm: pl.DataFrame, secret: bytes, params: EncodingParams) -> pl.DataFrame:
    """One text column per match key: hex of truncated HMAC-SHA256, null if incomplete.

    HMAC-SHA256 runs inside Polars (polars-hash, compiled and multi-threaded): a Python
    loop of a million HMAC calls was most of the time of an ingest. Its key is the hex text
    of the derived 256-bit sub-key (the plugin takes text keys), which is still HMAC with
    the full 256 bits of secret key material.
    """
    import polars_hash as plh

    key = _derive(secret, params.scheme, "match-key").hex()
    comps = _components(norm)
    width = 2 * params.match_key_bytes
    return comps.select(
        plh.concat_str([pl.lit(label), *[pl.col(p) for p in parts]], separator=_SEP)
        .chash.hmac_sha256(key=key)
        .str.slice(0, width)
        .alias(column)
        for column, label, parts in MATCH_KEYS
    )


# ---------------------------------------------------------------------------------------
# Bloom filters
# ---------------------------------------------------------------------------------------


def _bigrams(word: str) -> list[str]:
    padded = f"_{word}_"
    return [padded[i : i + 2] for i in range(len(padded) - 1)]


def _name_tokens(words: Iterable[str]) -> set[str]:
    """Padded bigrams of each word and of the words run together.

    The run-together form makes "smith jones" and "smithjones" nearly identical; each word
    padded on its own keeps "Smith" close to "Smith-Jones".
    """
    words = [w for w in words if w]
    tokens = {f"n:{b}" for w in words for b in _bigrams(w)}
    if len(words) > 1:
        tokens.update(f"n:{b}" for b in _bigrams("".join(words)))
    return tokens


def _given_tokens(row: tuple) -> set[str]:
    """The given name's bigrams plus those of its canonical form (the nickname kept as an
    alternative: "bill" also carries "william", so it is close to "William")."""
    given, canonical = row
    tokens = _name_tokens(given.split(" "))
    if canonical and canonical != given.replace(" ", ""):
        tokens |= _name_tokens([canonical])
    return tokens


def _family_tokens(row: tuple) -> set[str]:
    (family,) = row
    return _name_tokens(family.split(" "))


def _dob_tokens(row: tuple) -> set[str]:
    """Whole parts (year, month, day), pairs of parts, the unordered day-month pair and
    each digit in place: one wrong part, a swapped day and month, or a one-digit typo all
    keep most tokens in common."""
    (dob,) = row
    y, m, d = dob[0:4], dob[5:7], dob[8:10]
    digits = y + m + d
    tokens = {f"y:{y}", f"m:{m}", f"d:{d}", f"ym:{y}{m}", f"md:{m}{d}", f"yd:{y}{d}"}
    tokens.add(f"dm:{min(m, d)}{max(m, d)}")
    tokens.update(f"p{i}:{c}" for i, c in enumerate(digits))
    return tokens


def _postcode_tokens(row: tuple) -> set[str]:
    """The whole postcode, its sector and outward code (a move within the sector keeps
    those), and its padded bigrams (a typo keeps most of them)."""
    postcode, outward, sector = row
    tokens = {f"pc:{postcode}"} | {f"pb:{b}" for b in _bigrams(postcode)}
    if outward:
        tokens |= {f"po:{outward}", f"ps:{sector}"}
    return tokens


# part -> (normalised columns it reads (the first must be non-null), tokeniser)
_TOKENISERS: dict[str, tuple[tuple[str, ...], Callable[[tuple], set[str]]]] = {
    "given": (("given", "given_canonical"), _given_tokens),
    "family": (("family",), _family_tokens),
    "dob": (("dob_text",), _dob_tokens),
    "postcode": (("postcode", "postcode_outward", "postcode_sector"), _postcode_tokens),
}


DEFAULT_PARAMS = EncodingParams()


def _positions(key: bytes, tokens: list[str], bits: int, k: int) -> np.ndarray:
    """``k`` bit positions per token, each drawn independently from HMAC-SHA512 output
    ("random hashing"), shape ``(len(tokens), k)``.

    Why not double hashing (h1 + i*h2): its arithmetic structure is what published
    attacks on Bloom-filter linkage exploit; independent positions remove it.
    """
    blocks = -(-k // 16)  # 16 positions of 32 bits per 64-byte digest
    raw = b"".join(
        hmac.digest(key, f"{b}{_SEP}{t}".encode(), "sha512") for t in tokens for b in range(blocks)
    )
    words = np.frombuffer(raw, dtype="<u4").reshape(len(tokens), blocks * 16)[:, :k]
    return (words % np.uint32(bits)).astype(np.int64)


def _masks(positions: np.ndarray, bits: int) -> np.ndarray:
    """Bit positions -> packed filters, shape ``(rows, bits // 64)`` of uint64."""
    n = positions.shape[0]
    flat = np.zeros((n, bits), dtype=bool)
    flat[np.repeat(np.arange(n), positions.shape[1]), positions.ravel()] = True
    return np.packbits(flat, axis=1, bitorder="little").view("<u8")


def _part_filters(
    norm: pl.DataFrame, part: str, key: bytes, bits: int, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Unhardened filters of one part for each row, and which rows have the part.

    Tokenising runs once per distinct value (a submission repeats names and dates many
    times), then the filters are gathered to the rows.
    """
    columns, tokeniser = _TOKENISERS[part]
    present = norm.get_column(columns[0]).is_not_null().to_numpy()
    distinct = norm.select(columns).filter(pl.col(columns[0]).is_not_null()).unique()
    words = bits // 64
    if distinct.height == 0:
        return np.zeros((norm.height, words), dtype="<u8"), present
    token_sets = [tokeniser(row) for row in distinct.iter_rows()]
    vocab = sorted(set().union(*token_sets))
    index = {t: i for i, t in enumerate(vocab)}
    token_masks = _masks(_positions(key, vocab, bits, k), bits)
    lengths = np.fromiter((len(s) for s in token_sets), dtype=np.int64, count=len(token_sets))
    flat = np.fromiter(
        (index[t] for s in token_sets for t in s), dtype=np.int64, count=int(lengths.sum())
    )
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    value_filters = np.bitwise_or.reduceat(token_masks[flat], starts, axis=0)
    # Row -> distinct value, through a join on the value columns (nulls never join).
    lookup = distinct.with_row_index("_value")
    at = (
        norm.select(columns)
        .with_row_index("_row")
        .join(lookup, on=list(columns), how="left", nulls_equal=True)
        .sort("_row")
        .get_column("_value")
    )
    filters = np.zeros((norm.height, words), dtype="<u8")
    rows = at.fill_null(0).to_numpy()
    filters[present] = value_filters[rows[present]]
    return filters, present


def _flip_mask(rng: np.random.Generator, shape: tuple[int, int], flip_256: int) -> np.ndarray:
    """Random uint64 words whose bits are each 1 with probability ``flip_256 / 256``,
    independently: the binary expansion of the probability, one random word per digit."""
    out = np.zeros(shape, dtype="<u8")
    for i in range(8):  # least significant binary digit first
        r = rng.integers(0, np.iinfo(np.uint64).max, size=shape, dtype=np.uint64, endpoint=True)
        out = (out | r) if (flip_256 >> i) & 1 else (out & r)
    return out


def bloom_columns(
    norm: pl.DataFrame,
    secret: bytes,
    params: EncodingParams,
    rng: np.random.Generator,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per Bloom column: the hardened filters (uint64 words per row) and the rows that have
    one (rows where every part is missing get no filter, not a filter of pure noise)."""
    out = {}
    for spec in params.blooms:
        key = _derive(secret, params.scheme, f"bloom/{spec.column}")
        filters = np.zeros((norm.height, spec.bits // 64), dtype="<u8")
        present = np.zeros(norm.height, dtype=bool)
        for part, k in zip(spec.parts, spec.k, strict=True):
            part_filters, part_present = _part_filters(norm, part, key, spec.bits, k)
            filters |= part_filters
            present |= part_present
        if spec.flip_256:
            filters ^= _flip_mask(rng, filters.shape, spec.flip_256)
        filters[~present] = 0
        out[spec.column] = (filters, present)
    return out


def _binary_series(name: str, filters: np.ndarray, present: np.ndarray) -> pl.Series:
    """Packed filters as a Binary column (null where absent), without a copy per row."""
    width = filters.shape[1] * 8
    validity = pa.py_buffer(np.packbits(present, bitorder="little").tobytes())
    data = pa.py_buffer(np.ascontiguousarray(filters).view(np.uint8).tobytes())
    array = pa.Array.from_buffers(
        pa.binary(width), len(present), [validity, data], null_count=int((~present).sum())
    )
    return pl.Series(name, array.cast(pa.large_binary()))


# ---------------------------------------------------------------------------------------
# The public entry point
# ---------------------------------------------------------------------------------------


def encode_people(
    frame: pl.DataFrame,
    secret: bytes,
    *,
    key: str | list[str] = "person_ref",
    params: EncodingParams = DEFAULT_PARAMS,
    seed: int | None = None,
) -> pl.DataFrame:
    """Linkage encodings for each person, and nothing that identifies them.

    ``frame`` has the row key column(s) ``key`` and any of ``given_name``, ``family_name``,
    ``postcode`` (strings) and ``date_of_birth`` (a date); missing columns or values simply
    give null encodings. Rows of people who did not consent to sharing must be removed
    before this call. Returns the key column(s), ``scheme``, one ``mk_*`` column per match
    key (32 hex characters, null where a component is missing) and one ``bf_*`` Binary
    column per Bloom filter.

    ``seed`` makes the random hardening repeatable, for tests and benchmarks only: in use
    it must stay None, so the noise comes from the operating system's entropy.
    """
    if not isinstance(secret, bytes | bytearray) or len(secret) < MIN_SECRET_BYTES:
        raise NeedleInputError(
            f"the linkage secret must be at least {MIN_SECRET_BYTES} bytes; create one with "
            "needle.pseudonymise.create_secret"
        )
    keys = [key] if isinstance(key, str) else list(key)
    missing = [k for k in keys if k not in frame.columns]
    if missing:
        raise NeedleInputError(f"encode_people: key column(s) {missing} not in the frame")
    identifying = sorted(set(keys) & set(IDENTIFIER_COLUMNS))
    if identifying:
        raise NeedleInputError(
            f"encode_people: {identifying} cannot be a key column: it would copy a personal "
            "identifier into the output"
        )
    norm = normalise_people(frame).with_columns(
        pl.col("dob").dt.strftime("%Y-%m-%d").alias("dob_text")
    )
    if seed is None:
        seed = int.from_bytes(os.urandom(32), "little")
    rng = np.random.default_rng(seed)
    blooms = bloom_columns(norm, bytes(secret), params, rng)
    result = pl.concat(
        [
            frame.select(keys),
            pl.DataFrame({"scheme": pl.Series([params.scheme] * frame.height, dtype=pl.String)}),
            match_key_columns(norm, bytes(secret), params),
            pl.DataFrame([_binary_series(c, f, p) for c, (f, p) in blooms.items()]),
        ],
        how="horizontal",
    )
    del norm
    return result


# ---------------------------------------------------------------------------------------
# Similarity, for the linkage step
# ---------------------------------------------------------------------------------------


def to_words(column: pl.Series | list[bytes | None]) -> tuple[np.ndarray, np.ndarray]:
    """A Binary column of filters -> (uint64 words of shape (rows, bits // 64), present).

    Absent filters become rows of zeros; use ``present`` to tell them from empty ones.
    """
    series = column if isinstance(column, pl.Series) else pl.Series(column, dtype=pl.Binary)
    present = series.is_not_null().to_numpy()
    values = series.drop_nulls()
    if values.len() == 0:
        return np.zeros((series.len(), 0), dtype="<u8"), present
    width = values.bin.size().max()
    if values.bin.size().min() != width or width % 8:
        raise ValueError("filters of one column must share one length, a multiple of 8 bytes")
    buf = b"".join(values.to_list())
    packed = np.frombuffer(buf, dtype="<u8").reshape(values.len(), width // 8)
    out = np.zeros((series.len(), width // 8), dtype="<u8")
    out[present] = packed
    return out, present


def _popcount(words: np.ndarray) -> np.ndarray:
    return np.bitwise_count(words).sum(axis=-1, dtype=np.int64)


def dice(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dice coefficient row by row: ``2 |a & b| / (|a| + |b|)``; 0 where both are empty.

    ``a`` and ``b`` are uint64 words of equal shape (from :func:`to_words`).
    """
    both = _popcount(a & b)
    total = _popcount(a) + _popcount(b)
    return np.divide(2.0 * both, total, out=np.zeros(total.shape), where=total > 0)


def dice_matrix(a: np.ndarray, b: np.ndarray, *, block: int = 256) -> np.ndarray:
    """Dice of every row of ``a`` with every row of ``b``, shape ``(len(a), len(b))``,
    in blocks of ``a`` so the intermediate arrays stay small (about 128 MB at most)."""
    out = np.empty((a.shape[0], b.shape[0]), dtype=np.float32)
    block = max(1, min(block, _BLOCK_WORDS // max(1, b.shape[0] * b.shape[1])))
    count_b = _popcount(b)
    for start in range(0, a.shape[0], block):
        chunk = a[start : start + block]
        both = np.bitwise_count(chunk[:, None, :] & b[None, :, :]).sum(axis=-1, dtype=np.int32)
        total = _popcount(chunk)[:, None] + count_b[None, :]
        out[start : start + block] = np.divide(
            2.0 * both, total, out=np.zeros(total.shape), where=total > 0
        )
    return out
