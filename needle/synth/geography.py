"""Real Trafford geography, population and deprivation for the synthetic initiative.

Why: linkage, pseudonymisation and indicators are only tested honestly on data that looks
like a real place. So young people live at real Trafford postcodes, in proportion to the
Census 2021 population by age and sex of their LSOA, with ethnic groups drawn from their
LSOA's Census mix, and deprivation taken from the Index of Multiple Deprivation 2019.

Everything comes from the Trafford extracts bundled with Needle (``needle/reference/data``,
credited in its ATTRIBUTION.txt and in docs/guides/synthetic-data.md), read through
:mod:`needle.reference`: the reference is built in memory from ``bundled_sources()``, so
postcodes, wards, LSOAs, Census counts and the IMD 2019 deciles (bridged from LSOA 2011 to
2021 by the reference layer, each by a stated method) are exactly what an initiative loading
the same files would get. The real children's centres are read from the bundled file.

One honest gap in the source data is bridged here, and said so: the age-and-sex file
stops after 25,000 rows, so the reference keeps 91 of Trafford's 139 LSOAs (one is cut
short, 47 are absent). For the other 48, the 8-25 counts are the LSOA's Census total (from
the ethnic group table, which covers every LSOA) times the age-and-sex profile of the
LSOAs that are complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

from needle.errors import NeedleInputError
from needle.reference import Reference, build_reference, bundled_sources
from needle.reference.sources import DATA

MIN_AGE = 8
MAX_AGE = 25
AGES = np.arange(MIN_AGE, MAX_AGE + 1)
SEXES = ("female", "male")

#: The real venues: Trafford Data Lab's children's centres (bundled, OGL v3).
CHILDRENS_CENTRES = DATA / "trafford_childrens_centres.csv"


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
    ethnicity_codes: tuple[str, ...]  # the standard's codes, sorted
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


@cache
def load_geography() -> Geography:
    """The bundled Trafford reference, shaped for the generator, once per process."""
    return geography_from_reference(build_reference(bundled_sources()))


def geography_from_reference(ref: Reference) -> Geography:
    """Shape a reference (postcodes, LSOAs with IMD deciles, population, ethnicity)."""
    eth = ref.ethnicity
    lsoas = tuple(sorted(eth["lsoa21"].unique().to_list()))
    index = {code: i for i, code in enumerate(lsoas)}
    codes = tuple(sorted(eth["ethnicity"].unique().to_list()))
    counts = np.zeros((len(lsoas), len(codes)))
    li = np.array([index[a] for a in eth["lsoa21"]])
    ci = np.array([codes.index(c) for c in eth["ethnicity"]])
    np.add.at(counts, (li, ci), eth["count"].to_numpy().astype(float))
    totals = counts.sum(axis=1)
    share = counts / totals[:, None]

    population, estimated = _population(ref.population, index, totals)
    imd = _imd_deciles(ref.lsoa, lsoas)

    # Live postcodes with coordinates, written as people write them ("M15 4AB").
    pcs = ref.postcodes.filter(
        ~pl.col("terminated") & pl.col("lat").is_not_null() & pl.col("lsoa21").is_in(list(lsoas))
    ).select(
        pl.concat_str(
            pl.col("postcode").str.head(-3), pl.lit(" "), pl.col("postcode").str.tail(3)
        ).alias("postcode"),
        pl.col("ward_code"),
        pl.col("ward_name").alias("ward"),
        pl.col("lsoa21").alias("lsoa"),
        pl.col("lsoa21").replace_strict(index, return_dtype=pl.Int32).alias("lsoa_idx"),
        "lon",
        "lat",
    )
    pcs = pcs.sort(["lsoa_idx", "postcode"])
    lsoa_idx = pcs["lsoa_idx"].to_numpy()
    offsets = np.searchsorted(lsoa_idx, np.arange(len(lsoas) + 1))
    empty = [lsoas[i] for i in np.flatnonzero(np.diff(offsets) == 0)]
    if empty:
        raise NeedleInputError(
            f"LSOAs with Census counts but no postcode in the reference data: {len(empty)} "
            f"(first: {empty[0]}); young people cannot be placed there."
        )

    wards = tuple(sorted(pcs["ward"].unique().to_list()))
    ward_idx = np.array([wards.index(w) for w in pcs["ward"]])
    ward_order = np.argsort(ward_idx, kind="stable")
    ward_offsets = np.searchsorted(ward_idx[ward_order], np.arange(len(wards) + 1))

    cc = pl.read_csv(CHILDRENS_CENTRES, columns=["name", "postcode", "lon", "lat"])
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
    table: pl.DataFrame, index: dict[str, int], totals: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Residents aged 8-25 by LSOA, age and sex; estimated where the reference has none."""
    rows = table.filter(
        pl.col("sex").is_in(SEXES)
        & pl.col("age").is_between(MIN_AGE, MAX_AGE)
        & ~pl.col("and_over")
        & pl.col("lsoa21").is_in(list(index))
    )
    pop = np.zeros((len(index), len(AGES), 2))
    have = np.zeros(len(index), dtype=bool)
    li = np.array([index[a] for a in rows["lsoa21"]], dtype=np.int64)
    ai = rows["age"].to_numpy().astype(np.int64) - MIN_AGE
    si = (rows["sex"] == "male").to_numpy().astype(np.int64)
    pop[li, ai, si] = rows["count"].to_numpy()
    complete = rows.group_by("lsoa21").len().filter(pl.col("len") == len(AGES) * 2)
    have[[index[a] for a in complete["lsoa21"]]] = True
    if not have.any():
        raise NeedleInputError(
            "The reference data has no Census counts by single year of age and sex for ages "
            f"{MIN_AGE} to {MAX_AGE}: the synthetic young people cannot be placed."
        )
    profile = pop[have].sum(axis=0) / totals[have].sum()
    estimated = ~have
    pop[estimated] = totals[estimated, None, None] * profile[None]
    return pop, estimated


def _imd_deciles(lsoa: pl.DataFrame, lsoas: tuple[str, ...]) -> np.ndarray:
    """Each LSOA's IMD 2019 decile as the reference bridged it; none may be missing."""
    decile = dict(zip(lsoa["lsoa21"], lsoa["imd_decile"], strict=True))
    missing = [code for code in lsoas if decile.get(code) is None]
    if missing:
        raise NeedleInputError(
            f"LSOAs without an IMD 2019 decile in the reference data: {len(missing)} "
            f"(first: {missing[0]}); the synthetic initiative needs one for every LSOA."
        )
    return np.array([decile[code] for code in lsoas], dtype=np.int8)
