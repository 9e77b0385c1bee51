"""The pool's young people as linkage records: one per partner's young person.

A record is ``(org, person_ref)``: a partner's own reference already means one young
person at that partner, across its periods, so linkage only has to find the same person
under another reference or at another partner. The latest period's row stands for the
record (the newest name, date of birth and home); its ``fingerprint`` (a hash of the match
keys and coarse attributes, not of the noisy Bloom filters, which change at every
re-encoding) tells an incremental run which records really changed.
"""

from __future__ import annotations

import polars as pl

from needle.linkage.model import COARSE_COLUMNS, MK_COLUMNS

PEOPLE = "young_people"
RECORD_COLUMNS = ("record_id", "org", "person_ref", "fingerprint", "linkable")


def record_id() -> pl.Expr:
    """``ORG/person_ref``: the partner's pseudonymous reference, never an identifier."""
    return pl.concat_str([pl.col("org"), pl.col("person_ref")], separator="/")


def pool_records(pool) -> pl.DataFrame:
    """One row per (org, person_ref) among the current accepted submissions, with the
    latest period's encodings and coarse attributes; ``linkable`` is false for a young
    person with no encodings (no consent to share): they stay a person of their own."""
    rows = pool.read(PEOPLE).collect()
    if rows.height == 0 or "person_ref" not in rows.columns:
        return pl.DataFrame(
            schema={
                "record_id": pl.String,
                "org": pl.String,
                "person_ref": pl.String,
                "fingerprint": pl.String,
                "linkable": pl.Boolean,
            }
        )
    keep = [
        c
        for c in (*MK_COLUMNS, "bf_name", "bf_dob", "bf_postcode", "scheme", *COARSE_COLUMNS)
        if c in rows.columns
    ]
    rows = (
        rows.filter(pl.col("person_ref").is_not_null())
        .sort("org", "person_ref", "period")
        .unique(["org", "person_ref"], keep="last", maintain_order=True)
        .select("org", "person_ref", *keep)
    )
    blooms = [c for c in ("bf_name", "bf_dob", "bf_postcode") if c in rows.columns]
    linkable = pl.any_horizontal([pl.col(c).is_not_null() for c in blooms]) if blooms else False
    hashed = [c for c in (*MK_COLUMNS, *COARSE_COLUMNS, "scheme") if c in rows.columns]
    fingerprint = (
        pl.concat_str([pl.col(c).cast(pl.String).fill_null("") for c in hashed], separator="|")
        if hashed
        else pl.lit("")
    )
    return rows.with_columns(
        record_id().alias("record_id"),
        fingerprint.hash(seed=6).cast(pl.String).alias("fingerprint"),
        (pl.lit(linkable) if isinstance(linkable, bool) else linkable).alias("linkable"),
    ).select("record_id", "org", "person_ref", "fingerprint", "linkable", *keep)
