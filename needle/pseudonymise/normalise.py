"""Normalise personal identifiers so that two recordings of one young person look alike.

Why: partners write the same name and postcode in many ways (``Zoë`` / ``ZOE``,
``Smith-Jones`` / ``Smith Jones``, ``m320ab`` / ``M32 0AB``). Exact match keys only work
if these differences are removed first, and Bloom filters work better when the
q-grams they see come from one alphabet. What normalisation cannot decide (is ``Bill`` the
same person as ``William``?) is kept as an *alternative* form, never as a replacement,
so the linkage model can weigh it.

Everything is a Polars expression over whole columns (a submission can hold 100,000
people); the scalar helpers run the same expressions on a one-row frame, so tests check the
code that runs in production. The normalised frame still holds identifiers: it lives only
in memory, is never logged, and is dropped as soon as the encodings are made.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from functools import cache
from importlib import resources
from typing import NamedTuple

import numpy as np
import polars as pl

from needle.errors import NeedleInputError
from needle.reference.lookup import normalise_postcode_expr

__all__ = [
    "IDENTIFIERS",
    "NAME_MAX_CHARS",
    "Distinct",
    "canonical_given_name",
    "distinct_rows",
    "nickname_table",
    "normalise_distinct",
    "normalise_name",
    "normalise_name_value",
    "normalise_people",
    "normalise_postcode",
    "postcode_parts",
]

# Long enough for any real name (the longest in the synthetic pools is ~25 characters),
# short enough that a pasted paragraph cannot make encoding slow.
NAME_MAX_CHARS = 64

# Letters that Unicode NFKD does not decompose into a base letter plus accents.
_FOLD = {
    "ß": "ss",
    "ẞ": "ss",
    "æ": "ae",
    "œ": "oe",
    "ø": "o",
    "ł": "l",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "ı": "i",
    "ħ": "h",
    "ŧ": "t",
    "ŋ": "n",
    "ſ": "s",
    "ĸ": "k",
    "ŀ": "l",
}
# Apostrophes and look-alikes join the parts of a name (O'Neill -> oneill, D'Souza ->
# dsouza) rather than split it, because partners mostly drop them.
_APOSTROPHES = r"['’‘`´ʼʻ′]"
_TITLES = r"^(?:mr|mrs|miss|ms|mx|master|dr|prof|rev|sir|dame|lady|lord)\s+"
_SUFFIXES = r"\s+(?:jr|jnr|junior|sr|snr|senior|ii|iii|iv)$"
# Values that mean "we do not know", which must never make two strangers agree.
_NAME_PLACEHOLDERS = [
    "unknown",
    "not known",
    "notknown",
    "nk",
    "n k",
    "n a",
    "none",
    "null",
    "x",
    "xx",
    "xxx",
    "test",
    "unnamed",
    "baby",
    "refused",
    "not given",
    "not stated",
]
# The most permissive UK shape (A9 9AA, A99 9AA, AA9 9AA, AA99 9AA, A9A 9AA, AA9A 9AA, and
# GIR 0AA); the inward code's letters never include C, I, K, M, O or V.
_UK_POSTCODE = r"^(?:GIR0AA|[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][ABD-HJLNP-UW-Z]{2})$"
# Dates at or before the spreadsheet epoch are artefacts of empty cells, not births.
_EARLIEST_DOB = date(1900, 1, 2)


def normalise_name(expr: pl.Expr) -> pl.Expr:
    """ASCII-fold Latin letters, lower-case, drop apostrophes, turn every other
    non-letter (hyphens, digits, punctuation, runs of whitespace) into one space.

    Letters of other scripts (Arabic, Chinese, Cyrillic...) are kept, lower-cased, so a
    name written in its own script still links to the same writing. Null when nothing is
    left or the value is a placeholder such as "Unknown" or "N/A".
    """
    folded = (
        expr.cast(pl.String)
        .str.slice(0, NAME_MAX_CHARS * 4)
        .str.normalize("NFKD")
        .str.to_lowercase()
        .str.replace_many(_FOLD)
        .str.replace_all(r"\p{M}+", "")
        .str.replace_all(_APOSTROPHES, "")
        .str.replace_all(r"[^\p{L}]+", " ")
        .str.strip_chars()
        .str.slice(0, NAME_MAX_CHARS)
        .str.strip_chars()
    )
    return folded.replace(["", *_NAME_PLACEHOLDERS], None)


def _given(expr: pl.Expr) -> pl.Expr:
    """A normalised given name without a leading title ("Mr John" -> "john")."""
    return normalise_name(expr).str.replace(_TITLES, "")


def _family(expr: pl.Expr) -> pl.Expr:
    """A normalised family name without a generational suffix ("Smith Jr" -> "smith").

    Mc and Mac are kept as written: ``mcdonald`` and ``macdonald`` are different spellings
    that the Bloom filters see as close, and folding one into the other would make exact
    match keys agree for families that are really different.
    """
    return normalise_name(expr).str.replace(_SUFFIXES, "")


@cache
def nickname_table() -> dict[str, str]:
    """Normalised variant -> normalised canonical given name, chains resolved.

    The table (``nicknames.csv``) lists diminutives (Bill -> William), transliterations
    (Mohamed -> Muhammad) and anglicisations (Kasia -> Katarzyna -> Katherine). A variant
    maps to one canonical name; an ambiguous diminutive (Alex, Sam) goes to its commoner
    full form among young people in England. Chains are followed, so every name of a
    group reaches the same canonical form.
    """
    text = (resources.files("needle.pseudonymise") / "nicknames.csv").read_text("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    raw = pl.DataFrame(
        {"variant": [r["variant"] for r in rows], "canonical": [r["canonical"] for r in rows]}
    )
    words = pl.col("variant").str.strip_chars().str.contains(r"[\s-]") | pl.col(
        "canonical"
    ).str.strip_chars().str.contains(r"[\s-]")
    norm = raw.select(
        normalise_name(pl.col("variant")).str.replace_all(" ", "").alias("v"),
        normalise_name(pl.col("canonical")).str.replace_all(" ", "").alias("c"),
        words.alias("several_words"),
    )
    direct: dict[str, str] = {}
    resolved: dict[str, str] = {}
    for v, c, several_words in norm.iter_rows():
        if v and c and v != c:
            direct.setdefault(v, c)
        if c and several_words:
            # "Xin Yi" is one name written as two words: its canonical form is the whole
            # name, not its first word.
            resolved[c] = c
    for v in direct:
        seen = {v}
        c = direct[v]
        while c in direct and direct[c] not in seen:
            seen.add(c)
            c = direct[c]
        resolved[v] = c
    return resolved


def _canonical(compact: pl.Expr, first: pl.Expr) -> pl.Expr:
    """The canonical form of a given name: the nickname table applied to the whole name
    (``xinyi``), else to its first word (``bill`` of ``bill james``), else the first word.

    The first word, not the whole name, so that "Mary Jane" and "Mary" share a canonical
    form while the exact keys (which use the whole name) still tell them apart.
    """
    table = nickname_table()
    keys = list(table)
    values = list(table.values())
    whole = compact.replace_strict(keys, values, default=None, return_dtype=pl.String)
    by_first = first.replace_strict(keys, values, default=None, return_dtype=pl.String)
    return pl.coalesce(whole, by_first, first)


def postcode_parts(expr: pl.Expr) -> dict[str, pl.Expr]:
    """The postcode without spaces in upper case, whether it has the UK shape, and (for UK
    postcodes) the outward code ``M32`` and the sector ``M32 0``.

    A value without a UK shape is still kept (upper case, letters and digits only), so a
    foreign postcode or a benchmark's four-digit code can still be compared exactly; it just
    has no coarser parts. Values without a digit ("NFA", "Unknown") and the NHS
    pseudo-postcodes ZZ99 (no fixed abode, not known) are null: they would make strangers
    agree.
    """
    postcode = normalise_postcode_expr(expr)
    valid = _uk_shape(postcode)
    none = pl.lit(None, dtype=pl.String)
    return {
        "postcode": postcode,
        "postcode_valid": valid,
        "postcode_outward": pl.when(valid).then(_outward_code(postcode)).otherwise(none),
        "postcode_sector": pl.when(valid)
        .then(_sector(_outward_code(postcode), postcode))
        .otherwise(none),
    }


def _postcode_table(values: pl.LazyFrame, column: str) -> pl.LazyFrame:
    """:func:`postcode_parts` of a column, one step at a time: written as one expression
    per part, Polars computed the shared steps again for each part (four times slower)."""
    postcode, valid = pl.col("postcode"), pl.col("postcode_valid")
    none = pl.lit(None, dtype=pl.String)
    return (
        values.select(normalise_postcode_expr(pl.col(column)).alias("postcode"))
        .with_columns(_uk_shape(postcode).alias("postcode_valid"))
        .with_columns(
            pl.when(valid).then(_outward_code(postcode)).otherwise(none).alias("postcode_outward")
        )
        .with_columns(
            pl.when(valid)
            .then(_sector(pl.col("postcode_outward"), postcode))
            .otherwise(none)
            .alias("postcode_sector")
        )
    )


def _uk_shape(postcode: pl.Expr) -> pl.Expr:
    return postcode.str.contains(_UK_POSTCODE).fill_null(False)


def _outward_code(postcode: pl.Expr) -> pl.Expr:
    return postcode.str.head(-3)  # a UK postcode's inward code is its last three characters


def _sector(outward: pl.Expr, postcode: pl.Expr) -> pl.Expr:
    return pl.concat_str([outward, pl.lit(" "), postcode.str.slice(-3, 1)])


class Distinct(NamedTuple):
    """One identifier, normalised once per distinct raw value: ``values`` holds the
    normalised forms of each distinct value, ``at`` each input row's index into it."""

    at: np.ndarray
    values: pl.DataFrame


# identifier -> the raw column it is normalised from
IDENTIFIERS = {
    "given": "given_name",
    "family": "family_name",
    "postcode": "postcode",
    "dob": "date_of_birth",
}


def distinct_rows(frame: pl.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per column: each row's index into the column's distinct values (null is a value
    too), and the first row of each distinct value, in order of appearance.

    One Polars pass groups the rows by hashing (each row learns the first row of its
    value); the rest is NumPy.
    """
    heads = frame.with_row_index("_row").select(
        pl.col("_row").first().over(name).alias(name) for name in frame.columns
    )
    rows = np.arange(frame.height)
    out = {}
    for name in frame.columns:
        head = heads.get_column(name).to_numpy()
        firsts = np.flatnonzero(head == rows)
        index = np.zeros(frame.height, dtype=np.int64)
        index[firsts] = np.arange(len(firsts))
        out[name] = (index[head], firsts)
    return out


def normalise_distinct(frame: pl.DataFrame) -> dict[str, Distinct]:
    """The columns of :func:`normalise_people`, one table per identifier (``given``,
    ``family``, ``postcode``, ``dob``, see :data:`IDENTIFIERS`), each computed once per
    distinct raw value.

    Why: a submission repeats names, postcodes and dates many times (100,000 young people
    have a few thousand names), and normalising every row was most of the time of
    normalisation. The encoders use the tables directly; :func:`normalise_people` gathers
    them to the rows.
    """
    raw = frame.with_columns(
        pl.lit(None, dtype=pl.String).alias(name)
        for name in ("given_name", "family_name", "postcode")
        if name not in frame.columns
    ).select(
        pl.col("given_name", "family_name", "postcode").cast(pl.String),
        _dob_column(frame).alias("date_of_birth"),
    )
    at, distinct = {}, {}
    for name, (index, firsts) in distinct_rows(raw).items():
        at[name] = index
        distinct[name] = raw.select(name)[firsts].lazy()

    words_g = pl.col("given").str.split(" ")
    given = (
        distinct["given_name"]
        .select(_given(pl.col("given_name")).alias("given"))
        .with_columns(
            pl.col("given").str.replace_all(" ", "").alias("given_compact"),
            words_g.list.first().alias("given_first"),
            pl.col("given").str.slice(0, 1).alias("given_initial"),
        )
        .with_columns(
            _canonical(pl.col("given_compact"), pl.col("given_first")).alias("given_canonical")
        )
        .select("given", "given_compact", "given_first", "given_initial", "given_canonical")
    )
    words_f = pl.col("family").str.split(" ")
    family = (
        distinct["family_name"]
        .select(_family(pl.col("family_name")).alias("family"))
        .with_columns(
            pl.col("family").str.replace_all(" ", "").alias("family_compact"),
            words_f.list.first().alias("family_first"),
            words_f.list.last().alias("family_last"),
        )
    )
    postcode = _postcode_table(distinct["postcode"], "postcode")
    dob = distinct["date_of_birth"].select(
        pl.col("date_of_birth").alias("dob"),
        pl.col("date_of_birth").dt.year().cast(pl.Int32).alias("dob_year"),
        pl.col("date_of_birth").dt.month().cast(pl.Int8).alias("dob_month"),
        pl.col("date_of_birth").dt.day().cast(pl.Int8).alias("dob_day"),
    )
    tables = pl.collect_all([given, family, postcode, dob])
    return {
        identifier: Distinct(at[column], table)
        for (identifier, column), table in zip(IDENTIFIERS.items(), tables, strict=True)
    }


def normalise_people(frame: pl.DataFrame) -> pl.DataFrame:
    """All normalised identifier forms the encoders need, one row per input row.

    Expects ``given_name``, ``family_name``, ``postcode`` (strings) and ``date_of_birth``
    (a date: parsing belongs to validation); a missing column counts as all null. The
    result holds identifiers and must never leave memory.

    Columns: ``given`` (normalised, words kept), ``given_compact`` (no spaces),
    ``given_first`` (first word), ``given_initial``, ``given_canonical`` (nickname table);
    ``family`` (words kept), ``family_compact``, ``family_first``, ``family_last`` (the parts
    of a double-barrelled name); ``postcode``, ``postcode_valid``, ``postcode_outward``,
    ``postcode_sector``; ``dob``, ``dob_year``, ``dob_month``, ``dob_day``.
    """
    parts = normalise_distinct(frame).values()
    return pl.concat([part.values[part.at] for part in parts], how="horizontal")


def _dob_column(frame: pl.DataFrame) -> pl.Expr:
    """The date of birth as a Date expression; artefact dates (on or before 1900-01-01) null."""
    if "date_of_birth" not in frame.columns:
        return pl.lit(None, dtype=pl.Date)
    dtype = frame.schema["date_of_birth"]
    col = pl.col("date_of_birth")
    if dtype == pl.Datetime or isinstance(dtype, pl.Datetime):
        col = col.dt.date()
    elif dtype == pl.Null:
        col = col.cast(pl.Date)
    elif dtype != pl.Date:
        # The message names the column and type, never a value.
        raise NeedleInputError(
            f"date_of_birth must be a date column (got {dtype}); dates are parsed during "
            "validation, before pseudonymisation"
        )
    return pl.when(col >= _EARLIEST_DOB).then(col).otherwise(pl.lit(None, dtype=pl.Date))


def _one(expr: pl.Expr, value: object, dtype: pl.DataType = pl.String) -> object:
    """Run a column expression on one value: scalar helpers share the vectorised code."""
    return pl.DataFrame({"v": [value]}, schema={"v": dtype}).select(expr).item()


def normalise_name_value(value: str | None) -> str | None:
    """Scalar :func:`normalise_name`, for tests and notebooks."""
    return _one(normalise_name(pl.col("v")), value)  # type: ignore[return-value]


def canonical_given_name(value: str | None) -> str | None:
    """The canonical form of one given name, e.g. ``"Billy"`` -> ``"william"``."""
    row = normalise_people(pl.DataFrame({"given_name": [value]}, schema={"given_name": pl.String}))
    return row["given_canonical"].item()


def normalise_postcode(value: str | None) -> dict[str, object]:
    """Scalar :func:`postcode_parts`: ``{"postcode", "postcode_valid", "postcode_outward",
    "postcode_sector"}``, e.g. ``"m32 0ab"`` -> ``M320AB``, True, ``M32``, ``M32 0``."""
    frame = pl.DataFrame({"v": [value]}, schema={"v": pl.String})
    return frame.select(**postcode_parts(pl.col("v"))).row(0, named=True)
