"""Replace postcodes by coarse geography: LSOA 2021, ward, local authority, IMD decile.

Why: a young person's postcode is a personal identifier; Needle keeps only what the
indicators need (which area, how deprived) and drops the postcode. The lookup is one
vectorised join on the normalised postcode, so a submission of 100,000 rows takes
milliseconds. A postcode that is not in the reference data gives empty attributes and a
status, never an error and never an echo: the caller reports "N postcodes were not found
in the reference data" without naming them.
"""

from __future__ import annotations

import polars as pl

from needle.reference.store import Reference

__all__ = [
    "GEOGRAPHY_COLUMNS",
    "GEOGRAPHY_STATUS",
    "derive_geography",
    "normalise_postcode_expr",
    "unknown_postcode_message",
]

#: What ``derive_geography`` returns, in order.
GEOGRAPHY_COLUMNS = (
    "lsoa21",
    "ward_code",
    "ward_name",
    "la_code",
    "la_name",
    "imd_decile",
    "imd_quintile",
    "geography_status",
)
#: ``found``: in the reference data; ``not_found``: a postcode the reference data does not
#: hold (mistyped, outside the loaded area, or newer than the directory); ``missing``: no
#: postcode given.
GEOGRAPHY_STATUS = pl.Enum(["found", "not_found", "missing"])


def normalise_postcode_expr(expr: pl.Expr | str = "postcode") -> pl.Expr:
    """A postcode as the reference store keys it: upper case, letters and digits only.

    ``m32 0ab``, ``M32  0AB`` and ``M320AB`` all become ``M320AB``. Values that cannot be a
    postcode become null, as ``needle.pseudonymise`` treats them: empty, no digit ("NFA",
    "Unknown"), longer than 10 characters, or the NHS pseudo-postcodes ``ZZ99...`` (no fixed
    abode). Compatibility forms (full-width digits) are folded first (NFKD). Every part of
    Needle that keys on a postcode uses this rule.
    """
    e = pl.col(expr) if isinstance(expr, str) else expr
    compact = (
        e.cast(pl.String)
        .str.slice(0, 64)
        .str.normalize("NFKD")
        .str.to_uppercase()
        .str.replace_all(r"[^A-Z0-9]", "")
    )
    usable = (
        compact.str.contains(r"[0-9]")
        & ~compact.str.starts_with("ZZ99")
        & (compact.str.len_chars() <= 10)
    )
    return pl.when(usable).then(compact)


def derive_geography(
    postcodes: pl.Series | pl.DataFrame, reference: Reference, *, column: str = "postcode"
) -> pl.DataFrame:
    """Coarse geography for each postcode, one row per input row in the same order.

    ``postcodes`` is a Series of raw postcodes, or a frame with a ``column`` of them. The
    result has :data:`GEOGRAPHY_COLUMNS` and no postcode. The IMD decile is the postcode's
    own (see :mod:`needle.reference.bridge`: the 2011 LSOA its point lies in where its LSOA
    changed).
    """
    raw = postcodes.to_frame(column) if isinstance(postcodes, pl.Series) else postcodes
    keys = raw.select(normalise_postcode_expr(pl.col(column)).alias("_key"))
    table = reference.postcodes.select(
        pl.col("postcode").alias("_key"),
        *GEOGRAPHY_COLUMNS[:-1],
        pl.lit(True).alias("_hit"),
    )
    # Postcodes are unique in the store (the loader makes them so). Hash the smaller side:
    # a submission is usually far smaller than the national directory.
    side = "prefer_left" if keys.height < table.height else "prefer_right"
    joined = keys.join(table, on="_key", how="left", maintain_order="left", build_side=side)
    status = (
        pl.when(pl.col("_key").is_null())
        .then(pl.lit("missing"))
        .when(pl.col("_hit").is_null())
        .then(pl.lit("not_found"))
        .otherwise(pl.lit("found"))
        .cast(GEOGRAPHY_STATUS)
        .alias("geography_status")
    )
    return joined.with_columns(status).select(GEOGRAPHY_COLUMNS)


def unknown_postcode_message(derived: pl.DataFrame) -> str | None:
    """The warning "N postcodes were not found in the reference data", or None if all were.

    Counts only; the postcodes themselves are never repeated in a message.
    """
    n = int((derived["geography_status"] == "not_found").sum())
    if n == 0:
        return None
    noun = "postcode was" if n == 1 else "postcodes were"
    return f"{n:,} {noun} not found in the reference data."
