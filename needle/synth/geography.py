"""Real Trafford geography, population and deprivation for the synthetic initiative.

Why: linkage, pseudonymisation and indicators are only tested honestly on data that looks
like a real place. So young people live at real Trafford postcodes, in proportion to the
Census 2021 population by age and sex of their LSOA, with ethnic groups drawn from their
LSOA's Census mix, and deprivation taken from the Index of Multiple Deprivation 2019.

The reference files are public data (OGL v3 and CC BY 4.0, credited in
docs/guides/synthetic-data.md). They are looked up in ``$NEEDLE_REFERENCE_DIR``, then in
``shared/reference/geography`` beside the repository.

Two honest gaps in the source data are bridged here, and said so:

* the age-and-sex file stops after 25,000 rows, so 47 of Trafford's 139 LSOAs have no
  counts by age. For those, the 8-25 counts are the LSOA's Census total (from the ethnic
  group file, which covers every LSOA) times the age-and-sex profile of the LSOAs that
  are complete;
* IMD 2019 is published on LSOA 2011 codes. 137 of the 139 LSOA 2021 codes are
  unchanged; the two new ones take the decile of the LSOA 2011 that contains most of
  their postcodes (point in polygon on the published 2011 boundaries).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl

from needle.errors import NeedleInputError
from needle.standard import load_standard, normalise_token

REFERENCE_ENV = "NEEDLE_REFERENCE_DIR"

MIN_AGE = 8
MAX_AGE = 25
AGES = np.arange(MIN_AGE, MAX_AGE + 1)
SEXES = ("female", "male")

_REQUIRED_FILES = (
    "trafford_postcodes.csv",
    "trafford_population_by_sex_and_age_lsoa_2021.csv",
    "trafford_population_ethnic_group_lsoa_2021.csv",
    "uk_imd_2019_lsoa2011_composite.csv",
    "trafford_lsoa_2011_generalised.geojson",
    "trafford_childrens_centres.csv",
)


def reference_dir() -> Path:
    """The folder holding the Trafford reference files.

    ``$NEEDLE_REFERENCE_DIR`` may name the geography folder itself or its parent.
    """
    candidates: list[Path] = []
    env = os.environ.get(REFERENCE_ENV)
    if env:
        candidates += [Path(env), Path(env) / "geography"]
    # <repo>/../shared/reference/geography; this file is <repo>/needle/synth/geography.py
    candidates.append(Path(__file__).resolve().parents[3] / "shared/reference/geography")
    for folder in candidates:
        if all((folder / name).is_file() for name in _REQUIRED_FILES):
            return folder
    looked = ", ".join(str(c) for c in candidates)
    raise NeedleInputError(
        "Cannot find the Trafford reference data used to build the synthetic initiative "
        f"(looked in {looked}). Set the environment variable {REFERENCE_ENV} to the folder "
        "that holds trafford_postcodes.csv and the other geography files."
    )


@dataclass(frozen=True)
class Venue:
    """A real place with a real postcode where a provision can meet."""

    name: str
    postcode: str
    ward: str
    lon: float
    lat: float


@dataclass(frozen=True)
class Geography:
    """Everything the generator needs about Trafford, as arrays indexed by LSOA."""

    lsoas: tuple[str, ...]  # LSOA 2021 codes, sorted
    population: np.ndarray  # (lsoa, age 8..25, sex) expected residents, float
    estimated: np.ndarray  # (lsoa,) True where age counts were estimated
    ethnicity_codes: tuple[str, ...]  # the standard's codes, in census order
    ethnicity_share: np.ndarray  # (lsoa, ethnic group) shares summing to 1
    imd_decile: np.ndarray  # (lsoa,) 1 = most deprived tenth of England
    postcodes: pl.DataFrame  # postcode, ward, ward_code, lsoa, lsoa_idx, lon, lat
    lsoa_offsets: np.ndarray  # postcodes are sorted by lsoa: rows [off[i], off[i+1])
    wards: tuple[str, ...]
    ward_offsets: np.ndarray  # postcodes sorted by ward in ``ward_order``
    ward_order: np.ndarray  # row indices of ``postcodes`` sorted by ward
    venues: tuple[Venue, ...]  # real children's centres

    @property
    def postcode_array(self) -> np.ndarray:
        return self.postcodes["postcode"].to_numpy()

    def age_sex_weights(self) -> np.ndarray:
        """Flattened (lsoa, age, sex) weights summing to 1: who lives where."""
        w = self.population.reshape(-1)
        return w / w.sum()

    def ward_venue(self, ward: str, k: int = 0) -> tuple[str, float, float]:
        """A stable, real postcode near the middle of a ward (the k-th nearest), with lon/lat.

        Venues of the invented organisations sit at these postcodes.
        """
        i = self.wards.index(ward)
        rows = self.ward_order[self.ward_offsets[i] : self.ward_offsets[i + 1]]
        pcs = self.postcodes[rows]
        lon, lat = pcs["lon"].to_numpy(), pcs["lat"].to_numpy()
        d = (lon - lon.mean()) ** 2 + (lat - lat.mean()) ** 2
        j = int(np.argsort(d, kind="stable")[min(k, d.size - 1)])
        return str(pcs["postcode"][j]), float(lon[j]), float(lat[j])


def ethnicity_label_map() -> dict[str, str]:
    """Census label (normalised) -> the standard's ethnicity code."""
    codelist = load_standard().codelists["ethnicity"]
    return {normalise_token(c.label): c.code for c in codelist.codes}


@cache
def load_geography(folder: Path | None = None) -> Geography:
    """Read and shape the reference files once per process."""
    folder = folder or reference_dir()
    pcs = pl.read_csv(
        folder / "trafford_postcodes.csv",
        columns=["postcode", "ward_code", "ward_name", "lsoa_code", "lon", "lat"],
        schema_overrides={"lon": pl.Float64, "lat": pl.Float64},
    ).rename({"ward_name": "ward", "lsoa_code": "lsoa"})

    eth = pl.read_csv(folder / "trafford_population_ethnic_group_lsoa_2021.csv")
    lsoas = tuple(sorted(eth["area_code"].unique().to_list()))
    index = {code: i for i, code in enumerate(lsoas)}

    label_to_code = ethnicity_label_map()
    eth = eth.with_columns(
        pl.col("ethnic_group")
        .map_elements(lambda s: label_to_code[normalise_token(s)], return_dtype=pl.String)
        .alias("code")
    )
    codes = tuple(sorted(eth["code"].unique().to_list()))
    counts = np.zeros((len(lsoas), len(codes)))
    li = np.array([index[a] for a in eth["area_code"]])
    ci = np.array([codes.index(c) for c in eth["code"]])
    np.add.at(counts, (li, ci), eth["value"].to_numpy().astype(float))
    totals = counts.sum(axis=1)
    share = counts / totals[:, None]

    population, estimated = _population(folder, index, totals)
    imd = _imd_deciles(folder, lsoas, pcs)

    pcs = pcs.filter(pl.col("lsoa").is_in(lsoas)).with_columns(
        pl.col("lsoa").replace_strict(index, return_dtype=pl.Int32).alias("lsoa_idx")
    )
    pcs = pcs.sort(["lsoa_idx", "postcode"])
    lsoa_idx = pcs["lsoa_idx"].to_numpy()
    offsets = np.searchsorted(lsoa_idx, np.arange(len(lsoas) + 1))

    wards = tuple(sorted(pcs["ward"].unique().to_list()))
    ward_idx = np.array([wards.index(w) for w in pcs["ward"]])
    ward_order = np.argsort(ward_idx, kind="stable")
    ward_offsets = np.searchsorted(ward_idx[ward_order], np.arange(len(wards) + 1))

    cc = pl.read_csv(folder / "trafford_childrens_centres.csv")
    ward_of = dict(zip(pcs["postcode"], pcs["ward"], strict=True))
    venues = tuple(
        Venue(name=n, postcode=p, ward=ward_of.get(p, ""), lon=float(x), lat=float(y))
        for n, p, x, y in zip(cc["name"], cc["postcode"], cc["lon"], cc["lat"], strict=True)
    )
    return Geography(
        lsoas=lsoas,
        population=population,
        estimated=estimated,
        ethnicity_codes=codes,
        ethnicity_share=share,
        imd_decile=imd,
        postcodes=pcs,
        lsoa_offsets=offsets,
        wards=wards,
        ward_offsets=ward_offsets,
        ward_order=ward_order,
        venues=venues,
    )


def _population(
    folder: Path, index: dict[str, int], totals: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Residents aged 8-25 by LSOA, age and sex; estimated where the file has no counts."""
    raw = pl.read_csv(
        folder / "trafford_population_by_sex_and_age_lsoa_2021.csv",
        columns=["area_code", "age", "sex", "value"],
    )
    raw = raw.filter(pl.col("sex").is_in(["Female", "Male"])).with_columns(
        pl.col("age").str.extract(r"^Aged (\d+) years?$").cast(pl.Int32).alias("n")
    )
    raw = raw.filter(pl.col("n").is_between(MIN_AGE, MAX_AGE))
    pop = np.zeros((len(index), len(AGES), 2))
    have = np.zeros(len(index), dtype=bool)
    li = np.array([index[a] for a in raw["area_code"]])
    ai = raw["n"].to_numpy() - MIN_AGE
    si = (raw["sex"] == "Male").to_numpy().astype(int)
    pop[li, ai, si] = raw["value"].to_numpy()
    complete = raw.group_by("area_code").len().filter(pl.col("len") == len(AGES) * 2)
    have[[index[a] for a in complete["area_code"]]] = True
    profile = pop[have].sum(axis=0) / totals[have].sum()
    estimated = ~have
    pop[estimated] = totals[estimated, None, None] * profile[None]
    return pop, estimated


def _imd_deciles(folder: Path, lsoas: tuple[str, ...], pcs: pl.DataFrame) -> np.ndarray:
    imd = pl.read_csv(
        folder / "uk_imd_2019_lsoa2011_composite.csv",
        columns=["nation", "lsoa", "original_decile"],
    ).filter(pl.col("nation") == "E")
    decile = dict(zip(imd["lsoa"], imd["original_decile"], strict=True))
    out = np.zeros(len(lsoas), dtype=np.int8)
    missing = []
    for i, code in enumerate(lsoas):
        if code in decile:
            out[i] = decile[code]
        else:
            missing.append(i)
    if missing:
        polygons = _lsoa2011_polygons(folder / "trafford_lsoa_2011_generalised.geojson")
        for i in missing:
            sub = pcs.filter(pl.col("lsoa") == lsoas[i])
            hits = [
                code
                for lon, lat in zip(sub["lon"], sub["lat"], strict=True)
                for code, rings in polygons
                if _inside(lon, lat, rings)
            ]
            if not hits:
                out[i] = int(np.median(list(decile.values())))
                continue
            values, counts = np.unique(hits, return_counts=True)
            out[i] = decile[str(values[int(np.argmax(counts))])]
    return out


def _lsoa2011_polygons(path: Path) -> list[tuple[str, list[np.ndarray]]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for feature in data["features"]:
        geom = feature["geometry"]
        polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        rings = [np.asarray(ring, dtype=float) for poly in polys for ring in poly]
        out.append((feature["properties"]["area_code"], rings))
    return out


def _inside(x: float, y: float, rings: list[np.ndarray]) -> bool:
    """Even-odd ray casting over all rings (holes included), after a bounding-box test."""
    points = np.concatenate(rings)
    low, high = points.min(axis=0), points.max(axis=0)
    if not (low[0] <= x <= high[0] and low[1] <= y <= high[1]):
        return False
    crossings = 0
    for ring in rings:
        x1, y1 = ring[:, 0], ring[:, 1]
        x2, y2 = np.roll(x1, -1), np.roll(y1, -1)
        straddle = (y1 > y) != (y2 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            xcross = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
        crossings += int(np.count_nonzero(straddle & (x < xcross)))
    return crossings % 2 == 1
