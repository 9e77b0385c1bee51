"""LSOA boundaries from GeoJSON, and locating points inside them.

Why: IMD 2019 is published on LSOA 2011 codes, postcodes now carry LSOA 2021 codes, and
where the two differ the honest bridge is geometry: find which 2011 area a postcode (or a
2021 area) actually lies in. Points are located all at once with a shapely 2 ``STRtree``
query, so locating a hundred thousand postcodes is a single vectorised call, not a loop.

Coordinates must be longitude/latitude (WGS84/CRS84), the GeoJSON standard and what the
ONS Open Geography Portal serves; a file in British National Grid metres is refused with
a message rather than silently locating nothing.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from needle.errors import NeedleInputError
from needle.reference.formats import SourceInfo, describe_source, resolve_columns

__all__ = ["Boundaries", "read_boundaries"]

_LONLAT_CRS = ("crs84", "epsg::4326", "epsg:4326", "wgs84", "wgs 84")
_CODE_KEYS = ("area_code", "lsoa21cd", "lsoa11cd", "lsoa_code", "code")
_NAME_KEYS = ("area_name", "lsoa21nm", "lsoa11nm", "lsoa_name", "name")


@dataclass(frozen=True, eq=False)
class Boundaries:
    """Areas with codes, names and (valid) polygons, indexed for point queries."""

    codes: np.ndarray  # object array of str
    names: np.ndarray  # object array of str or None
    geometries: np.ndarray  # shapely geometries
    tree: shapely.STRtree
    source: SourceInfo | None = None

    @classmethod
    def from_geometries(
        cls, codes, geometries, names=None, source: SourceInfo | None = None
    ) -> Boundaries:
        """Build from codes and shapely geometries; invalid polygons (common in generalised
        boundary files) are repaired so that point queries are well defined."""
        geoms = np.asarray(geometries, dtype=object)
        invalid = ~shapely.is_valid(geoms)
        if invalid.any():
            geoms = geoms.copy()
            geoms[invalid] = shapely.make_valid(geoms[invalid])
        codes = np.asarray(codes, dtype=object)
        names = np.asarray(names if names is not None else [None] * len(codes), dtype=object)
        return cls(codes, names, geoms, shapely.STRtree(geoms), source)

    def __len__(self) -> int:
        return len(self.codes)

    def locate(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """The code of the area strictly containing each point, or None.

        A point in no area (outside the file's coverage, or in a sliver that boundary
        generalisation left uncovered) or in two areas (an overlap left by generalisation)
        gets None: which area it belongs to is not known, so it is not guessed.
        """
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        out = np.full(lon.shape[0], None, dtype=object)
        if lon.shape[0] == 0:
            return out
        points = shapely.points(lon, lat)
        point_idx, geom_idx = self.tree.query(points, predicate="within")
        hits = np.bincount(point_idx, minlength=lon.shape[0])
        single = hits[point_idx] == 1
        out[point_idx[single]] = self.codes[geom_idx[single]]
        return out

    def overlaps(self, geometry) -> list[tuple[str, float]]:
        """The areas overlapping ``geometry`` with the share of its area in each, largest
        first. Shares are of planar lon/lat area, which is fine for comparing pieces of one
        small area (the distortion is the same across it)."""
        idx = self.tree.query(geometry, predicate="intersects")
        if idx.size == 0:
            return []
        area = shapely.area(geometry)
        if area <= 0:
            return []
        parts = shapely.area(shapely.intersection(self.geometries[idx], geometry)) / area
        order = np.argsort(-parts, kind="stable")
        return [(str(self.codes[idx[i]]), float(parts[i])) for i in order if parts[i] > 0]

    def geometry_of(self, code: str):
        """The polygon of ``code``, or None."""
        where = np.flatnonzero(self.codes == code)
        return self.geometries[where[0]] if where.size else None


def read_boundaries(path: Path, *, year: int) -> Boundaries:
    """LSOA ``year`` (2011 or 2021) boundaries from a GeoJSON FeatureCollection (or .gz).

    The code is read from the ``area_code`` (Trafford Data Lab) or ``LSOA11CD``/``LSOA21CD``
    (ONS) property. A file whose code property names the other census year is refused, so
    the 2011 and 2021 files cannot be swapped by mistake.
    """
    if not path.is_file():
        raise NeedleInputError(f"Reference file not found: {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8-sig") as fh:
            data = json.load(fh)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NeedleInputError(f"{path.name} cannot be read as GeoJSON: {exc}") from exc
    features = data.get("features") if isinstance(data, dict) else None
    if not features:
        raise NeedleInputError(f"{path.name} is not a GeoJSON FeatureCollection of areas.")
    _check_crs(path, data)

    props = features[0].get("properties") or {}
    keys, _ = resolve_columns(props, {"code": _CODE_KEYS, "name": _NAME_KEYS})
    if "code" not in keys:
        raise NeedleInputError(
            f"{path.name}: the areas have no code property (looked for "
            f"{', '.join(_CODE_KEYS)}; found {', '.join(props) or 'none'})."
        )
    other = "21" if year == 2011 else "11"
    if other in keys["code"]:
        raise NeedleInputError(
            f"{path.name} holds LSOA 20{other} areas ({keys['code']}), but was given as the "
            f"LSOA {year} boundaries."
        )
    codes, names, geoms = [], [], []
    for i, feature in enumerate(features):
        p = feature.get("properties") or {}
        code = p.get(keys["code"])
        geometry = feature.get("geometry")
        if not code or not geometry:
            raise NeedleInputError(f"{path.name}: feature {i + 1} has no code or no geometry.")
        codes.append(str(code).strip())
        names.append(p.get(keys["name"]) if "name" in keys else None)
        geoms.append(geometry)
    try:
        shapes = np.array([shapely.geometry.shape(g) for g in geoms], dtype=object)
    except (KeyError, TypeError, ValueError, shapely.errors.GEOSException) as exc:
        raise NeedleInputError(f"{path.name}: a geometry cannot be read: {exc}") from exc
    xmin, ymin, xmax, ymax = shapely.total_bounds(shapes)
    if xmin < -180 or xmax > 180 or ymin < -90 or ymax > 90:
        raise NeedleInputError(
            f"{path.name} has coordinates outside longitude/latitude ranges (probably British "
            "National Grid metres). Download the GeoJSON in WGS84 from the ONS Open Geography "
            "Portal, or convert it: ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson"
        )
    role = f"lsoa{year}_boundaries"
    source = describe_source(role, "lsoa_boundaries", path, len(codes))
    return Boundaries.from_geometries(codes, shapes, names, source)


def _check_crs(path: Path, data: dict) -> None:
    crs = data.get("crs")
    if not crs:
        return  # RFC 7946: GeoJSON without a crs member is WGS84 lon/lat
    name = str((crs.get("properties") or {}).get("name", "")).lower()
    if not any(tag in name for tag in _LONLAT_CRS):
        raise NeedleInputError(
            f"{path.name} is in coordinate system {name or 'unknown'}; Needle needs "
            "longitude/latitude (WGS84). Download the GeoJSON from the ONS Open Geography "
            "Portal, or convert it: ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson"
        )
