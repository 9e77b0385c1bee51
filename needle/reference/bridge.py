"""The bridge from LSOA 2021 (what postcodes carry) to IMD 2019 (published on LSOA 2011).

Why: most LSOA codes did not change between the 2011 and 2021 censuses, but some areas
were split, merged or redrawn and got new codes, and IMD 2019 has no decile for a new
code. Guessing (the median, a neighbour) would put young people in the wrong deprivation
tenth without anyone knowing. So every decile here comes from a stated method, recorded
beside it, and an area that cannot be bridged gets no decile and is counted.

Per LSOA 2021 (the ``lsoa`` table, for aggregates by area), in order:

``unchanged``
    the code exists in IMD 2019: its own decile.
``lookup``
    the ONS LSOA 2011 -> 2021 lookup gives it exactly one 2011 parent (a split): the
    parent's decile. Exact, since the whole area lies inside that parent.
``located``
    all its located postcodes lie inside one 2011 LSOA (or, for an area without postcodes,
    at least 95% of its 2021 polygon does; generalised boundaries never match exactly).
``majority_of_postcodes``
    its postcodes lie in several 2011 LSOAs (a merge or a redraw): the decile of the one
    holding most of them, the share recorded in ``imd_share``. A tie between LSOAs with
    different deciles is not broken by guessing: the area falls through to the next method.
``majority_of_area``
    no usable postcodes: the 2011 LSOA holding most of its 2021 polygon's area.
``outside_england``
    a Welsh, Scottish or Northern Irish area: English IMD does not apply.
``unbridged``
    none of the above was possible: no decile.

Per postcode (the ``postcodes`` table, what ``derive_geography`` returns) the most exact
evidence for that one address wins: ``directory`` (the ONSPD's own ``lsoa11`` for the
postcode), ``unchanged``, ``lookup``, ``located`` (the postcode's point inside the 2011
boundaries), and only then ``lsoa_bridge`` (its LSOA 2021's decile from the list above).
Points are located only for postcodes whose LSOA changed: for unchanged areas the ONS's own
assignment is more exact than a point in a generalised polygon (in Trafford 41 of 11,145
such postcodes fall just across a generalised boundary).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from needle.reference.boundaries import Boundaries

__all__ = ["LSOA_METHODS", "POSTCODE_METHODS", "BridgeResult", "bridge_imd", "quintile"]

LSOA_METHODS = (
    "unchanged",
    "lookup",
    "located",
    "majority_of_postcodes",
    "majority_of_area",
    "outside_england",
    "unbridged",
)
POSTCODE_METHODS = (
    "directory",
    "unchanged",
    "lookup",
    "located",
    "lsoa_bridge",
    "outside_england",
    "unbridged",
)
#: Share of a 2021 polygon that must lie in one 2011 LSOA for it to count as ``located``.
AREA_LOCATED_SHARE = 0.95

_STR = pl.String


@dataclass(frozen=True)
class BridgeResult:
    """The bridged tables and the counts the manifest records."""

    postcodes: pl.DataFrame  # input columns + lsoa11, imd_decile, imd_quintile, imd_source
    lsoa: pl.DataFrame  # lsoa21, lsoa11, imd_decile, imd_quintile, imd_source, imd_share
    summary: dict[str, object] = field(default_factory=dict)


def quintile(decile: pl.Expr) -> pl.Expr:
    """IMD quintile from decile: ceil(decile / 2), 1 = most deprived fifth."""
    return ((decile.cast(pl.Int16) + 1) // 2).cast(pl.Int8)


def bridge_imd(
    postcodes: pl.DataFrame,
    imd: pl.DataFrame,
    *,
    lsoa2011: Boundaries | None = None,
    lsoa2021: Boundaries | None = None,
    lookup: pl.DataFrame | None = None,
) -> BridgeResult:
    """Give every postcode and every LSOA 2021 an IMD 2019 decile and the method used.

    ``postcodes`` needs ``postcode``, ``lsoa21``, ``lon``, ``lat`` and may have ``lsoa11``
    (from the ONSPD), ``country`` and ``la_code`` (to tell English postcodes apart).
    ``imd`` has ``lsoa11``, ``imd_decile`` (English LSOA 2011 codes). ``lookup`` has
    ``lsoa11``, ``lsoa21`` pairs. Every spatial step is optional: without
    boundaries and lookup, changed LSOAs stay unbridged (and are counted).
    """
    known = imd["lsoa11"]
    pc = postcodes.with_row_index("_row")
    if "lsoa11" not in pc.columns:
        pc = pc.with_columns(pl.lit(None, dtype=_STR).alias("lsoa11"))
    single, parents = _lookup_parents(lookup)
    pc = pc.join(single, on="lsoa21", how="left", maintain_order="left")

    def usable(col: str) -> pl.Expr:
        return pl.when(pl.col(col).is_in(known.implode())).then(pl.col(col))

    # England by the country code (ONSPD ``ctry``: E92000001), else by the LSOA code, else
    # by the local authority code; a postcode with none of them is tried as English.
    area = pl.coalesce(*(c for c in ("country", "lsoa21", "la_code") if c in pc.columns))
    england = area.is_null() | area.str.starts_with("E")
    pc = pc.with_columns(
        england.alias("_england"),
        usable("lsoa11").alias("_dir"),
        usable("lsoa21").alias("_unch"),
        usable("_parent").alias("_look"),
    )
    pc = pc.join(
        _locate_postcodes(pc, known, lsoa2011, parents),
        on="_row",
        how="left",
        maintain_order="left",
    )

    lsoa = _bridge_lsoas(pc, imd, known, single, parents, lsoa2011, lsoa2021)

    chosen = pl.coalesce("_dir", "_unch", "_look", "_loc")
    source = (
        pl.when(pl.col("_dir").is_not_null())
        .then(pl.lit("directory"))
        .when(pl.col("_unch").is_not_null())
        .then(pl.lit("unchanged"))
        .when(pl.col("_look").is_not_null())
        .then(pl.lit("lookup"))
        .when(pl.col("_loc").is_not_null())
        .then(pl.lit("located"))
        .when(~pl.col("_england"))
        .then(pl.lit("outside_england"))
    )
    pc = pc.with_columns(chosen.alias("_lsoa11"), source.alias("_source"))
    fallback = lsoa.filter(pl.col("imd_decile").is_not_null()).select(
        "lsoa21", pl.col("lsoa11").alias("_fb11")
    )
    pc = pc.join(fallback, on="lsoa21", how="left", maintain_order="left")
    use_fb = pl.col("_lsoa11").is_null() & pl.col("_england") & pl.col("_fb11").is_not_null()
    pc = pc.with_columns(
        pl.when(use_fb).then(pl.col("_fb11")).otherwise(pl.col("_lsoa11")).alias("lsoa11"),
        pl.when(use_fb)
        .then(pl.lit("lsoa_bridge"))
        .otherwise(pl.col("_source"))
        .fill_null("unbridged")
        .alias("imd_source"),
    )
    pc = pc.join(imd, on="lsoa11", how="left", maintain_order="left").with_columns(
        quintile(pl.col("imd_decile")).alias("imd_quintile")
    )
    keep = [c for c in postcodes.columns if c != "lsoa11"]
    out = pc.select(*keep, "lsoa11", "imd_decile", "imd_quintile", "imd_source")
    return BridgeResult(out, lsoa, _summary(out, lsoa))


def _lookup_parents(lookup: pl.DataFrame | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``single``: lsoa21 -> its only 2011 parent; ``parents``: every (lsoa21, lsoa11) pair
    of the 2021 LSOAs with several parents (used to discard points that generalised
    boundaries put in a non-parent)."""
    empty_single = pl.DataFrame(schema={"lsoa21": _STR, "_parent": _STR})
    empty_pairs = pl.DataFrame(schema={"lsoa21": _STR, "lsoa11": _STR})
    if lookup is None or lookup.height == 0:
        return empty_single, empty_pairs
    n = lookup.group_by("lsoa21").agg(
        pl.col("lsoa11").n_unique().alias("n"), pl.col("lsoa11").first().alias("_parent")
    )
    single = n.filter(pl.col("n") == 1).select("lsoa21", "_parent")
    multi = n.filter(pl.col("n") > 1)["lsoa21"]
    return single, lookup.filter(pl.col("lsoa21").is_in(multi.implode())).select("lsoa21", "lsoa11")


def _locate_postcodes(
    pc: pl.DataFrame, known: pl.Series, lsoa2011: Boundaries | None, parents: pl.DataFrame
) -> pl.DataFrame:
    """Point-in-polygon for the postcodes no code match could place (one vectorised
    STRtree query). Returns ``_row``, ``_loc`` (a 2011 code with an IMD decile, or null)."""
    need = pc.filter(
        pl.col("_england")
        & pl.all_horizontal(pl.col("_dir", "_unch", "_look").is_null())
        & pl.col("lon").is_not_null()
        & pl.col("lat").is_not_null()
    )
    if lsoa2011 is None or need.height == 0:
        return pl.DataFrame(schema={"_row": pl.UInt32, "_loc": _STR})
    codes = lsoa2011.locate(need["lon"].to_numpy(), need["lat"].to_numpy())
    found = need.select("_row", "lsoa21").with_columns(pl.Series("_loc", codes, dtype=_STR))
    found = found.with_columns(
        pl.when(pl.col("_loc").is_in(known.implode())).then(pl.col("_loc")).alias("_loc")
    )
    if parents.height:
        # A 2021 LSOA with known 2011 parents: a point outside them is boundary noise.
        restricted = found.filter(pl.col("lsoa21").is_in(parents["lsoa21"].implode()))
        ok = restricted.join(
            parents, left_on=["lsoa21", "_loc"], right_on=["lsoa21", "lsoa11"], how="semi"
        )
        found = found.with_columns(
            pl.when(
                pl.col("lsoa21").is_in(parents["lsoa21"].implode())
                & ~pl.col("_row").is_in(ok["_row"].implode())
            )
            .then(None)
            .otherwise(pl.col("_loc"))
            .alias("_loc")
        )
    return found.select("_row", "_loc")


def _bridge_lsoas(
    pc: pl.DataFrame,
    imd: pl.DataFrame,
    known: pl.Series,
    single: pl.DataFrame,
    parents: pl.DataFrame,
    lsoa2011: Boundaries | None,
    lsoa2021: Boundaries | None,
) -> pl.DataFrame:
    codes = (
        pc.filter(pl.col("lsoa21").is_not_null())
        .group_by("lsoa21")
        .agg(pl.len().cast(pl.Int32).alias("postcodes"))
    )
    if lsoa2021 is not None:
        extra = pl.DataFrame({"lsoa21": list(lsoa2021.codes)}, schema={"lsoa21": _STR})
        codes = codes.join(extra, on="lsoa21", how="full", coalesce=True)
    lsoa = codes.with_columns(pl.col("postcodes").fill_null(0)).join(
        single, on="lsoa21", how="left"
    )
    lsoa = lsoa.with_columns(
        pl.when(~pl.col("lsoa21").str.starts_with("E"))
        .then(pl.lit("outside_england"))
        .when(pl.col("lsoa21").is_in(known.implode()))
        .then(pl.lit("unchanged"))
        .when(pl.col("_parent").is_in(known.implode()))
        .then(pl.lit("lookup"))
        .alias("imd_source"),
        pl.when(pl.col("lsoa21").is_in(known.implode()))
        .then(pl.col("lsoa21"))
        .when(pl.col("_parent").is_in(known.implode()))
        .then(pl.col("_parent"))
        .alias("lsoa11"),
        pl.lit(None, dtype=pl.Float64).alias("imd_share"),
    ).drop("_parent")

    # Majority of postcodes, from point-level evidence (the ONSPD's lsoa11, or located).
    open_ = lsoa.filter(pl.col("imd_source").is_null())["lsoa21"]
    evidence = pc.filter(pl.col("lsoa21").is_in(open_.implode())).select(
        "lsoa21", pl.coalesce("_dir", "_loc").alias("lsoa11")
    )
    evidence = evidence.drop_nulls()
    if parents.height:
        outside = evidence.filter(pl.col("lsoa21").is_in(parents["lsoa21"].implode())).join(
            parents, on=["lsoa21", "lsoa11"], how="anti"
        )
        evidence = evidence.join(outside, on=["lsoa21", "lsoa11"], how="anti")
    lsoa = _update(lsoa, _majority(evidence, imd))

    if lsoa2011 is not None and lsoa2021 is not None:
        still = lsoa.filter(pl.col("imd_source").is_null())["lsoa21"].to_list()
        lsoa = _update(lsoa, _by_area(still, lsoa2011, lsoa2021, known, parents))

    lsoa = lsoa.with_columns(pl.col("imd_source").fill_null("unbridged"))
    lsoa = lsoa.join(imd, on="lsoa11", how="left").with_columns(
        quintile(pl.col("imd_decile")).alias("imd_quintile")
    )
    return lsoa.select(
        "lsoa21", "lsoa11", "imd_decile", "imd_quintile", "imd_source", "imd_share", "postcodes"
    ).sort("lsoa21")


def _majority(evidence: pl.DataFrame, imd: pl.DataFrame) -> pl.DataFrame:
    """Per LSOA 2021: the 2011 LSOA holding most of its postcodes, unless a tie between
    different deciles makes the answer unknown."""
    counts = (
        evidence.group_by("lsoa21", "lsoa11")
        .agg(pl.len().alias("n"))
        .join(imd, on="lsoa11", how="left")
    )
    per = counts.with_columns(
        pl.col("n").sum().over("lsoa21").alias("total"),
        pl.col("n").max().over("lsoa21").alias("top"),
        pl.col("lsoa11").n_unique().over("lsoa21").alias("areas"),
    )
    tops = per.filter(pl.col("n") == pl.col("top")).sort("lsoa21", "lsoa11")
    decided = (
        tops.group_by("lsoa21", maintain_order=True)
        .agg(
            pl.col("lsoa11").first(),
            pl.col("imd_decile").n_unique().alias("deciles"),
            (pl.col("top").first() / pl.col("total").first()).alias("imd_share"),
            pl.col("areas").first(),
        )
        .filter(pl.col("deciles") == 1)
    )
    return decided.select(
        "lsoa21",
        "lsoa11",
        pl.when(pl.col("areas") == 1)
        .then(pl.lit("located"))
        .otherwise(pl.lit("majority_of_postcodes"))
        .alias("imd_source"),
        "imd_share",
    )


def _by_area(
    codes: list[str],
    lsoa2011: Boundaries,
    lsoa2021: Boundaries,
    known: pl.Series,
    parents: pl.DataFrame,
) -> pl.DataFrame:
    """For the few LSOAs with no usable postcodes: overlap of the 2021 polygon with the 2011
    polygons (a loop over those areas only; each step is a vectorised shapely call)."""
    known_set = set(known.to_list())
    rows = []
    for code in codes:
        geometry = lsoa2021.geometry_of(code)
        if geometry is None:
            continue
        allowed = set(parents.filter(pl.col("lsoa21") == code)["lsoa11"]) or known_set
        shares = [(c, s) for c, s in lsoa2011.overlaps(geometry) if c in allowed]
        if not shares:
            continue
        best, share = shares[0]
        method = "located" if share >= AREA_LOCATED_SHARE else "majority_of_area"
        rows.append((code, best, method, share))
    return pl.DataFrame(
        rows,
        schema={"lsoa21": _STR, "lsoa11": _STR, "imd_source": _STR, "imd_share": pl.Float64},
        orient="row",
    )


def _update(lsoa: pl.DataFrame, decided: pl.DataFrame) -> pl.DataFrame:
    """Fill the undecided LSOAs from ``decided`` (lsoa21, lsoa11, imd_source, imd_share)."""
    if decided.height == 0:
        return lsoa
    joined = lsoa.join(decided, on="lsoa21", how="left", suffix="_new", maintain_order="left")
    take = pl.col("imd_source").is_null() & pl.col("imd_source_new").is_not_null()
    return joined.with_columns(
        pl.when(take).then(pl.col(f"{c}_new")).otherwise(pl.col(c)).alias(c)
        for c in ("lsoa11", "imd_source", "imd_share")
    ).drop("lsoa11_new", "imd_source_new", "imd_share_new")


def _summary(postcodes: pl.DataFrame, lsoa: pl.DataFrame) -> dict[str, object]:
    def counts(frame: pl.DataFrame, methods: tuple[str, ...]) -> dict[str, int]:
        got = dict(frame.group_by("imd_source").len().iter_rows())
        return {m: int(got.get(m, 0)) for m in methods}

    english_pc = postcodes.filter(pl.col("imd_source") != "outside_england")
    english_lsoa = lsoa.filter(pl.col("imd_source") != "outside_england")
    return {
        "lsoa": counts(lsoa, LSOA_METHODS),
        "lsoa_without_decile": int(english_lsoa["imd_decile"].null_count()),
        "postcodes": counts(postcodes, POSTCODE_METHODS),
        "postcodes_without_decile": int(english_pc["imd_decile"].null_count()),
    }
