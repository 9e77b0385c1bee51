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

import hashlib
import hmac
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import polars as pl
import pyarrow as pa

from needle.errors import NeedleInputError
from needle.pseudonymise.normalise import Distinct, distinct_rows, normalise_distinct

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


def _dob_components() -> list[pl.Expr]:
    """The date components, over a frame with ``dob`` and its year, month and day."""
    dm_lo = pl.min_horizontal("dob_day", "dob_month").cast(pl.String)
    dm_hi = pl.max_horizontal("dob_day", "dob_month").cast(pl.String)
    return [
        pl.col("dob").dt.strftime("%Y-%m-%d").alias("dob"),
        pl.col("dob_year").cast(pl.String).alias("dob_year"),
        pl.concat_str([dm_lo, dm_hi], separator="/").alias("dob_dm_set"),
    ]


def _name_set() -> pl.Expr:
    """Canonical given and family name, unordered: the smaller first (null if either is)."""
    g, f = pl.col("given_canonical"), pl.col("family_compact")
    g_first = g <= f
    return pl.concat_str(
        [pl.when(g_first).then(g).otherwise(f), pl.when(g_first).then(f).otherwise(g)],
        separator="+",
    ).alias("name_set")


# identifier (see normalise_distinct) -> the components the match keys read from it
_COMPONENTS = {
    "given": ("given_compact", "given_canonical", "given_initial"),
    "family": ("family_compact", "family_first", "family_last"),
    "postcode": ("postcode",),
}


def _components(norm: pl.DataFrame) -> pl.DataFrame:
    """The string components the match keys combine (derived, unordered forms added)."""
    return norm.select(
        pl.col(*(c for columns in _COMPONENTS.values() for c in columns)),
        *_dob_components(),
        _name_set(),
    )


def _components_of(parts: dict[str, Distinct]) -> pl.DataFrame:
    """:func:`_components` of the rows of :func:`normalise_distinct` tables: each
    component made once per distinct value, then gathered to the rows."""
    tables = [parts[i].values.select(columns)[parts[i].at] for i, columns in _COMPONENTS.items()]
    dob = parts["dob"]
    tables.append(dob.values.select(_dob_components())[dob.at])
    return pl.concat(tables, how="horizontal").with_columns(_name_set())


def match_key_columns(norm: pl.DataFrame, secret: bytes, params: EncodingParams) -> pl.DataFrame:
    """One text column per match key: hex of truncated HMAC-SHA256, null if incomplete."""
    return _match_keys(_components(norm), secret, params)


def _match_keys(comps: pl.DataFrame, secret: bytes, params: EncodingParams) -> pl.DataFrame:
    """The match keys of the components' rows.

    HMAC-SHA256 runs inside Polars (polars-hash, compiled and multi-threaded): a Python
    loop of a million HMAC calls was most of the time of an ingest. Its key is the hex text
    of the derived 256-bit sub-key (the plugin takes text keys), which is still HMAC with
    the full 256 bits of secret key material.
    """
    import polars_hash as plh

    key = _derive(secret, params.scheme, "match-key").hex()
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
#
# The tokens of each part (what a filter is made of):
# - given, family: padded bigrams ("_al_" -> "_a", "al", "l_") of each word of the name
#   and, for a name of several words, of the words run together: "smith jones" and
#   "smithjones" look nearly identical, and each word on its own keeps "Smith" close to
#   "Smith-Jones". The given name also carries the bigrams of its canonical form when that
#   differs (the nickname kept as an alternative: "bill" also carries "william", so it is
#   close to "William"). Both names write "n:<bigram>": one token space, so a swapped given
#   and family name still looks alike.
# - dob: whole parts ("y:2009", "m:05", "d:07"), pairs of parts ("ym:", "md:", "yd:"), the
#   unordered day-month pair ("dm:") and each of the eight digits in place ("p0:2"...): one
#   wrong part, a swapped day and month, or a one-digit typo all keep most tokens in common.
# - postcode: the whole postcode ("pc:"), its padded bigrams ("pb:"), and for UK postcodes
#   the outward code ("po:") and sector ("ps:"): a move within the sector keeps those.
#
# How (speed): tokens are made once per distinct value of a part (a submission repeats
# names, dates and postcodes many times), as NumPy arrays rather than Python sets; bit
# positions are computed once per distinct token; a value's filter is the OR of its
# tokens' masks; each row gathers the filters of its values. tests/pseudonymise/
# test_encode.py checks the result against a plain per-row implementation.


class _Tokens(NamedTuple):
    """Token occurrences of a part's distinct values: occurrence ``i`` is token
    ``vocab[ids[i]]`` of value ``owners[i]``; ``owners`` never decreases."""

    owners: np.ndarray
    ids: np.ndarray
    vocab: list[str]


def _dense(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, return_inverse=True)`` for integer keys, through a lookup table
    when they span a small range (no sort)."""
    if keys.size == 0:
        return keys, np.zeros(0, dtype=np.int64)
    low, high = int(keys.min()), int(keys.max())
    if high - low < max(1 << 16, 8 * keys.size):
        offsets = (keys - keys.dtype.type(low)).astype(np.int64)
        seen = np.zeros(high - low + 1, dtype=bool)
        seen[offsets] = True
        return np.flatnonzero(seen) + low, (np.cumsum(seen) - 1)[offsets]
    distinct, inverse = np.unique(keys, return_inverse=True)
    return distinct, inverse.reshape(-1)


def _by_key(owners: np.ndarray, keys: np.ndarray, text: Callable[[int], str]) -> _Tokens:
    """Tokens identified by integer keys; ``text`` spells a key as its token."""
    distinct, ids = _dense(keys)
    return _Tokens(owners, ids, [text(int(k)) for k in distinct])


def _one_each(groups: list[_Tokens]) -> _Tokens:
    """Groups that give every one of the same owners one token each, as one group."""
    offsets = np.cumsum([0, *(len(g.vocab) for g in groups[:-1])])
    return _Tokens(
        np.repeat(groups[0].owners, len(groups)),
        np.stack(
            [g.ids + offset for g, offset in zip(groups, offsets, strict=True)], axis=1
        ).ravel(),
        [token for g in groups for token in g.vocab],
    )


def _by_text(prefix: str, values: list[str | None]) -> _Tokens:
    """One token, ``prefix + value``, per value that is neither null nor empty."""
    owners = [i for i, value in enumerate(values) if value]
    index: dict[str, int] = {}
    ids = [index.setdefault(values[i], len(index)) for i in owners]
    return _Tokens(
        np.array(owners, dtype=np.int64), np.array(ids, dtype=np.int64), [prefix + v for v in index]
    )


def _bigrams(prefix: str, owners: np.ndarray, words: list[str]) -> _Tokens:
    """Padded bigrams of each word (``"_al_"`` -> ``_a``, ``al``, ``l_``), owned by
    ``owners`` (one per word, never decreasing).

    The words sit side by side in a fixed-width UTF-32 array; code points are numbered
    densely and a bigram is the pair of numbers, so no Python string is made per bigram.
    """
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    width = int(lengths.max(initial=0))
    chars = np.zeros((len(words), width + 2), dtype=np.uint32)
    chars[:, 0] = ord("_")
    if width:
        utf32 = np.array(words, dtype=f"<U{width}").view(np.uint32).reshape(len(words), width)
        chars[:, 1 : width + 1] = utf32
    chars[np.arange(len(words)), lengths + 1] = ord("_")
    alphabet, numbers = _dense(chars.ravel())
    numbers = numbers.reshape(chars.shape)
    pairs = numbers[:, :-1] * len(alphabet) + numbers[:, 1:]
    keys = pairs[np.arange(width + 1) <= lengths[:, None]]  # row by row: owners stay in order
    return _by_key(
        np.repeat(owners, lengths + 1),
        keys,
        lambda k: f"{prefix}{chr(alphabet[k // len(alphabet)])}{chr(alphabet[k % len(alphabet)])}",
    )


def _name_tokens(names: list[str], alternatives: list[str | None] | None = None) -> list[_Tokens]:
    """Bigrams of each word, of the words run together (several words only), and of the
    alternative form where it differs from the name run together."""
    owners, words = [], []
    for i, name in enumerate(names):
        parts = [w for w in name.split(" ") if w]
        if len(parts) > 1:
            parts.append("".join(parts))
        alternative = alternatives[i] if alternatives is not None else None
        if alternative and alternative != name.replace(" ", ""):
            parts.append(alternative)
        owners.extend([i] * len(parts))
        words.extend(parts)
    return [_bigrams("n:", np.array(owners, dtype=np.int64), words)]


def _given_tokens(given: list[str], canonical: list[str | None]) -> list[_Tokens]:
    return _name_tokens(given, canonical)


def _family_tokens(family: list[str]) -> list[_Tokens]:
    return _name_tokens(family)


def _dob_text_tokens(dob: str) -> set[str]:
    """The tokens of a date written ``YYYY-MM-DD`` (see the list above)."""
    y, m, d = dob[0:4], dob[5:7], dob[8:10]
    tokens = {f"y:{y}", f"m:{m}", f"d:{d}", f"ym:{y}{m}", f"md:{m}{d}", f"yd:{y}{d}"}
    tokens.add(f"dm:{min(m, d)}{max(m, d)}")
    tokens.update(f"p{i}:{c}" for i, c in enumerate(y + m + d))
    return tokens


def _dob_tokens(
    dates: np.ndarray, years: np.ndarray, months: np.ndarray, days: np.ndarray
) -> list[_Tokens]:
    """The tokens of :func:`_dob_text_tokens`, made from the year, month and day numbers.

    For years 1000 to 9999 (every date normalisation keeps) the text is exactly
    ``f"{y:04d}-{m:02d}-{d:02d}"``; any other year is tokenised from its text as Polars
    writes it.
    """
    y, m, d = (np.asarray(a, dtype=np.int64) for a in (years, months, days))
    plain = (y >= 1000) & (y <= 9999)
    owners = np.flatnonzero(plain)
    y, m, d = y[plain], m[plain], d[plain]
    digits = (y // 1000, y // 100 % 10, y // 10 % 10, y % 10, m // 10, m % 10, d // 10, d % 10)
    groups = [
        _one_each(
            [
                _by_key(owners, y, "y:{:04d}".format),
                _by_key(owners, m, "m:{:02d}".format),
                _by_key(owners, d, "d:{:02d}".format),
                _by_key(owners, y * 100 + m, "ym:{:06d}".format),
                _by_key(owners, m * 100 + d, "md:{:04d}".format),
                _by_key(owners, y * 100 + d, "yd:{:06d}".format),
                _by_key(owners, np.minimum(m, d) * 100 + np.maximum(m, d), "dm:{:04d}".format),
                *(_by_key(owners, digit, f"p{i}:{{}}".format) for i, digit in enumerate(digits)),
            ]
        )
    ]
    others = np.flatnonzero(~plain)
    if others.size:
        texts = pl.Series(dates[others], dtype=pl.Date).dt.strftime("%Y-%m-%d").to_list()
        pairs = [
            (int(i), t)
            for i, text in zip(others, texts, strict=True)
            for t in sorted(_dob_text_tokens(text))
        ]
        vocab = sorted({t for _, t in pairs})
        index = {t: j for j, t in enumerate(vocab)}
        groups.append(
            _Tokens(
                np.array([i for i, _ in pairs], dtype=np.int64),
                np.array([index[t] for _, t in pairs], dtype=np.int64),
                vocab,
            )
        )
    return groups


def _postcode_tokens(
    postcode: list[str], outward: list[str | None], sector: list[str | None]
) -> list[_Tokens]:
    return [
        _by_text("pc:", postcode),
        _bigrams("pb:", np.arange(len(postcode)), postcode),
        _by_text("po:", outward),
        _by_text("ps:", [s if o else None for o, s in zip(outward, sector, strict=True)]),
    ]


# part -> (normalised columns it reads, tokeniser of their distinct values: one argument
# per column, a list of text or an array of numbers or dates). The first column decides
# whether a row has the part and which value it has: the others are functions of it (a
# given name's canonical form, a date's year, a postcode's outward code and sector), so
# they are read from one row per distinct value.
_TOKENISERS: dict[str, tuple[tuple[str, ...], Callable[..., list[_Tokens]]]] = {
    "given": (("given", "given_canonical"), _given_tokens),
    "family": (("family",), _family_tokens),
    "dob": (("dob", "dob_year", "dob_month", "dob_day"), _dob_tokens),
    "postcode": (("postcode", "postcode_outward", "postcode_sector"), _postcode_tokens),
}


DEFAULT_PARAMS = EncodingParams()


def _positions(key: bytes, tokens: list[str], bits: int, k: int) -> np.ndarray:
    """``k`` bit positions per token, each drawn independently from HMAC-SHA512 output
    ("random hashing"), shape ``(len(tokens), k)``: the 32-bit little-endian words of
    ``HMAC-SHA512(key, block ␟ token)`` for blocks 0, 1, ... (16 words each), the first
    ``k`` of them, modulo ``bits``.

    Why not double hashing (h1 + i*h2): its arithmetic structure is what published
    attacks on Bloom-filter linkage exploit; independent positions remove it.

    HMAC as RFC 2104 defines it, with the keyed inner and outer hash states computed once:
    each token then costs two state copies and two short hashes, the same bytes as
    ``hmac.digest(key, message, "sha512")`` at half its cost.
    """
    blocks = -(-k // 16)  # 16 positions of 32 bits per 64-byte digest
    if len(key) > _SHA512_BLOCK:
        key = hashlib.sha512(key).digest()
    key = key.ljust(_SHA512_BLOCK, b"\0")
    inner, outer = (
        hashlib.sha512(key.translate(_IPAD)).copy,
        hashlib.sha512(key.translate(_OPAD)).copy,
    )
    digests = []
    for token in tokens:
        for block in range(blocks):
            h = inner()
            h.update(f"{block}{_SEP}{token}".encode())
            o = outer()
            o.update(h.digest())
            digests.append(o.digest())
    words = np.frombuffer(b"".join(digests), dtype="<u4").reshape(len(tokens), blocks * 16)
    return (words[:, :k] % np.uint32(bits)).astype(np.int64)


_SHA512_BLOCK = 128
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


def _masks(positions: np.ndarray, bits: int) -> np.ndarray:
    """Bit positions -> packed filters, shape ``(rows, bits // 64)`` of uint64."""
    n = positions.shape[0]
    flat = np.zeros((n, bits), dtype=bool)
    flat[np.repeat(np.arange(n), positions.shape[1]), positions.ravel()] = True
    return np.packbits(flat, axis=1, bitorder="little").view("<u8")


def _value_filters(groups: list[_Tokens], count: int, key: bytes, bits: int, k: int) -> np.ndarray:
    """The filter of each of ``count`` distinct values (OR of its tokens' masks), plus an
    empty last row for rows without a value."""
    out = np.zeros((count + 1, bits // 64), dtype="<u8")
    for owners, ids, vocab in groups:
        if not len(ids):
            continue
        masks = _masks(_positions(key, vocab, bits, k), bits)
        starts = np.flatnonzero(np.diff(owners, prepend=-1))
        out[owners[starts]] |= np.bitwise_or.reduceat(masks[ids], starts, axis=0)
    return out


# part -> (each row's index into the part's distinct values, or their count for a row
# without the part; the distinct values: one list or array per column of the part)
_Values = dict[str, tuple[np.ndarray, list[list | np.ndarray]]]


def _values_of(parts: dict[str, Distinct], names: Iterable[str]) -> _Values:
    """The distinct values of each part from :func:`normalise_distinct` tables, without
    the values that lack the part (a null raw value, or one normalised away), as Python
    lists and NumPy arrays: what comes after needs no Polars."""
    out = {}
    for name in dict.fromkeys(names):
        columns = _TOKENISERS[name][0]
        at, table = parts[name]
        keep = np.flatnonzero(table.get_column(columns[0]).is_not_null().to_numpy())
        index = np.full(table.height, len(keep), dtype=np.int64)
        index[keep] = np.arange(len(keep))
        kept = table.select(columns)[keep]
        out[name] = (
            index[at],
            [s.to_list() if s.dtype == pl.String else s.to_numpy() for s in kept.get_columns()],
        )
    return out


def _values_of_rows(norm: pl.DataFrame, names: Iterable[str]) -> _Values:
    """The distinct values of each part from normalised rows (``normalise_people``)."""
    names = list(dict.fromkeys(names))
    index = distinct_rows(norm.select(list(dict.fromkeys(_TOKENISERS[n][0][0] for n in names))))
    parts = {}
    for name in names:
        at, firsts = index[_TOKENISERS[name][0][0]]
        parts[name] = Distinct(at, norm[firsts])
    return _values_of(parts, names)


def _flip_mask(rng: np.random.Generator, shape: tuple[int, int], flip_256: int) -> np.ndarray:
    """Random uint64 words whose bits are each 1 with probability ``flip_256 / 256``,
    independently: the binary expansion of the probability, one random word per digit."""
    out = np.zeros(shape, dtype="<u8")
    for i in range(8):  # least significant binary digit first
        r = rng.integers(0, np.iinfo(np.uint64).max, size=shape, dtype=np.uint64, endpoint=True)
        (np.bitwise_or if (flip_256 >> i) & 1 else np.bitwise_and)(out, r, out=out)
    return out


def _noise(rng: np.random.Generator, rows: int, params: EncodingParams) -> list[np.ndarray | None]:
    """The flip masks of the Bloom columns, in their order (None where nothing flips)."""
    return [
        _flip_mask(rng, (rows, spec.bits // 64), spec.flip_256) if spec.flip_256 else None
        for spec in params.blooms
    ]


def bloom_columns(
    norm: pl.DataFrame,
    secret: bytes,
    params: EncodingParams,
    rng: np.random.Generator,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per Bloom column: the hardened filters (uint64 words per row) and the rows that have
    one (rows where every part is missing get no filter, not a filter of pure noise).

    ``norm`` is the result of ``normalise_people``.
    """
    names = [part for spec in params.blooms for part in spec.parts]
    parts = _tokenise(_values_of_rows(norm, names))
    return _harden(_filters(parts, norm.height, secret, params), _noise(rng, norm.height, params))


class _Part(NamedTuple):
    """A part, tokenised: each row's index into the part's distinct values (``count``
    for a row without the part), and the tokens of those values."""

    at: np.ndarray
    count: int
    tokens: list[_Tokens]


def _tokenise(values: _Values) -> dict[str, _Part]:
    return {
        name: _Part(at, len(columns[0]), _TOKENISERS[name][1](*columns))
        for name, (at, columns) in values.items()
    }


def _filters(
    parts: dict[str, _Part], rows: int, secret: bytes, params: EncodingParams
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per Bloom column: the filters before hardening, and the rows that have one.

    NumPy and hashlib only (no Polars), so it runs at full speed while Polars is busy.
    """
    out = {}
    for spec in params.blooms:
        key = _derive(secret, params.scheme, f"bloom/{spec.column}")
        filters = np.empty((rows, spec.bits // 64), dtype="<u8")
        present = np.zeros(rows, dtype=bool)
        for i, (name, k) in enumerate(zip(spec.parts, spec.k, strict=True)):
            part = parts[name]
            values = _value_filters(part.tokens, part.count, key, spec.bits, k)
            if i == 0:
                np.take(values, part.at, axis=0, out=filters)
            else:
                filters |= np.take(values, part.at, axis=0)
            present |= part.at < part.count
        out[spec.column] = (filters, present)
    return out


def _harden(
    filters: dict[str, tuple[np.ndarray, np.ndarray]], noise: list[np.ndarray | None]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Flip the bits of the noise (in place); rows without a filter stay empty."""
    for (words, present), flips in zip(filters.values(), noise, strict=True):
        if flips is not None:
            words ^= flips
        words[~present] = 0
    return filters


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
    secret = bytes(secret)
    if seed is None:
        seed = int.from_bytes(os.urandom(32), "little")
    rng = np.random.default_rng(seed)
    names = [part for spec in params.blooms for part in spec.parts]
    # Three things run at once on the machine's cores: the noise (it depends only on the
    # number of rows) is drawn on one thread, Polars hashes the match keys on another, and
    # this one builds the Bloom filters with NumPy and hashlib. NumPy's random fill and
    # Polars release the GIL; one after the other took a quarter to a third longer. The
    # Bloom filters' last Polars call comes before the match keys start (only a date after
    # the year 9999 needs Polars later): once the match keys occupy Polars' threads, any
    # other Polars call would wait for them.
    with ThreadPoolExecutor(max_workers=2) as pool:
        noise = pool.submit(_noise, rng, frame.height, params)
        people = normalise_distinct(frame)
        values = _values_of(people, names)
        match_keys = pool.submit(lambda: _match_keys(_components_of(people), secret, params))
        parts = _tokenise(values)
        blooms = _harden(_filters(parts, frame.height, secret, params), noise.result())
        mk = match_keys.result()
    return pl.concat(
        [
            frame.select(keys),
            pl.select(scheme=pl.repeat(params.scheme, frame.height, dtype=pl.String)),
            mk,
            pl.DataFrame([_binary_series(c, f, p) for c, (f, p) in blooms.items()]),
        ],
        how="horizontal",
    )


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
