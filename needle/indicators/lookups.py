"""Lookups the engine and disclosure control need from the standard and the reference
data: ethnicity groups, nested breakdowns, the resident population by area, age and sex."""

from __future__ import annotations

from typing import Any

import polars as pl

from needle.standard import load_standard


def ethnicity_groups() -> dict[str, str]:
    """Each detailed ethnicity code's high-level group, from the standard's code list."""
    standard = load_standard()
    return {c.code: c.group for c in standard.codelists["ethnicity"].codes if c.group}


def nesting() -> dict[str, dict[str, str]]:
    """Child group -> parent group for nested dimensions (disclosure control needs it)."""
    deciles = {str(d): str((d + 1) // 2) for d in range(1, 11)}
    return {"ethnicity": ethnicity_groups(), "imd_decile": deciles}


def population_frame(reference: Any) -> pl.DataFrame:
    """Census 2021 residents by LSOA, single year of age and sex, with each LSOA's ward
    (the ward most of its postcodes are in), local authority and IMD."""
    wards = (
        reference.postcodes.filter(pl.col("lsoa21").is_not_null())
        .group_by("lsoa21", "ward_code")
        .len()
        .sort("len", "ward_code", descending=[True, False])
        .unique("lsoa21", keep="first")
        .select("lsoa21", ward=pl.col("ward_code"))
    )
    lsoa = reference.lsoa.select(
        "lsoa21", local_authority=pl.col("la_code"), imd_decile="imd_decile",
        imd_quintile="imd_quintile",
    )  # fmt: skip
    return (
        reference.population.filter(~pl.col("and_over"))
        .join(lsoa, on="lsoa21", how="left")
        .join(wards, on="lsoa21", how="left")
        .select(
            "lsoa21",
            "ward",
            "local_authority",
            "imd_decile",
            "imd_quintile",
            pl.col("age").cast(pl.Int32),
            "sex",
            pl.col("count").cast(pl.Int64),
        )
    )
