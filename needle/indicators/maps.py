"""Reach on a map: each neighbourhood (LSOA) with its deprivation decile and the reach of
its ward, as GeoJSON a web map draws.

Why wards: the results are computed by ward and by deprivation decile, not by LSOA (an
LSOA holds about 1,500 residents, so nearly every count of young people reached in one
would be too small to show). A neighbourhood therefore carries its ward's number from the
protected results, and its own decile from the reference data: the map shows where the
young people reached live against where deprivation is, and can never reveal more than
the results table the audience already sees. A ward's number that is not published for
the audience is ``None`` with its status, never a number.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from needle.errors import NeedleInputError
from needle.indicators.schema import PUBLISHED
from needle.indicators.summary import with_status

__all__ = ["AREA_SCHEMA", "NO_DATA", "area_lookup", "reach_map", "read_geojson"]

# What a neighbourhood of a ward with no result at all says (nobody reached there).
NO_DATA = "no_data"
AREA_SCHEMA: dict[str, pl.DataType] = {
    "lsoa21": pl.String(),
    "ward": pl.String(),
    "ward_name": pl.String(),
    "imd_decile": pl.Int8(),
}
# Five decimals of a degree are about a metre: plenty for generalised boundaries, and a
# third of the bytes.
_DIGITS = 5


def read_geojson(path: Path) -> dict[str, Any]:
    """A GeoJSON file (gzipped if its name ends in .gz), refused with a clear message if it
    is not a feature collection."""
    try:
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
        data = json.loads(raw)
    except (OSError, ValueError) as exc:
        raise NeedleInputError(
            f"{path} cannot be read as GeoJSON ({type(exc).__name__}); load the boundaries "
            "again with `needle reference load`."
        ) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise NeedleInputError(f"{path} is not a GeoJSON FeatureCollection.")
    return data


def area_lookup(reference: Any) -> pl.DataFrame:
    """Each LSOA of the reference store with its ward (the ward most of its postcodes are
    in, as for the population the indicators use) and its IMD decile (:data:`AREA_SCHEMA`)."""
    wards = (
        reference.postcodes.filter(pl.col("lsoa21").is_not_null())
        .group_by("lsoa21", "ward_code", "ward_name")
        .len()
        .sort("len", "ward_code", descending=[True, False])
        .unique("lsoa21", keep="first")
        .select("lsoa21", ward=pl.col("ward_code"), ward_name=pl.col("ward_name"))
    )
    return (
        reference.lsoa.select("lsoa21", "imd_decile")
        .join(wards, on="lsoa21", how="left")
        .select([pl.col(c).cast(t) for c, t in AREA_SCHEMA.items()])
        .sort("lsoa21")
    )


def _round(coordinates: Any) -> Any:
    if isinstance(coordinates, list):
        return [_round(c) for c in coordinates]
    return round(coordinates, _DIGITS) if isinstance(coordinates, float) else coordinates


def _code(properties: Mapping[str, Any]) -> str | None:
    for key in ("area_code", "lsoa21cd", "LSOA21CD", "code"):
        if properties.get(key):
            return str(properties[key])
    return None


def _name(properties: Mapping[str, Any], code: str) -> str:
    for key in ("area_name", "lsoa21nm", "LSOA21NM", "name"):
        if properties.get(key):
            return str(properties[key])
    return code


def reach_map(
    boundaries: Mapping[str, Any],
    areas: pl.DataFrame,
    results: pl.DataFrame,
    *,
    period: str,
    indicator: str = "reach",
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the LSOAs in ``areas`` (all of ``boundaries`` when
    ``areas`` is empty), each with ``code``, ``name``, ``ward``, ``ward_name``,
    ``imd_decile`` and its ward's ``value`` of ``indicator`` in ``period`` from the
    protected ``results``, with ``status``: ``published``, ``suppressed`` (or the
    backbone's reason) or :data:`NO_DATA`.
    """
    rows = (
        with_status(results)
        .filter(
            (pl.col("indicator") == indicator)
            & (pl.col("breakdown") == "ward")
            & (pl.col("period") == period)
        )
        .select("group", "value", "status")
        .to_dicts()
    )
    by_ward = {r["group"]: r for r in rows}
    known = {r["lsoa21"]: r for r in areas.to_dicts()}
    features = []
    for feature in boundaries.get("features", []):
        properties = feature.get("properties") or {}
        code = _code(properties)
        if code is None or (known and code not in known):
            continue
        area = known.get(code, {})
        ward = area.get("ward")
        row = by_ward.get(ward) if ward else None
        published = row is not None and row["status"] == PUBLISHED and row["value"] is not None
        geometry = feature.get("geometry") or {}
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": code,
                    "name": _name(properties, code),
                    "ward": ward,
                    "ward_name": area.get("ward_name") or ward,
                    "imd_decile": area.get("imd_decile"),
                    "value": row["value"] if published else None,
                    "status": row["status"] if row is not None else NO_DATA,
                },
                "geometry": {
                    "type": geometry.get("type"),
                    "coordinates": _round(geometry.get("coordinates")),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
