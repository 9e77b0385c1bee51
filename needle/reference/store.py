"""The reference store: a folder of Parquet tables and a JSON manifest.

Why: deriving LSOA, ward, local authority and deprivation from a postcode must happen at
the edge, often on a partner's laptop, without a database and without the 1 GB ONS
Postcode Directory each time. So the downloaded files are read once (``load_reference``),
bridged, and written as four small columnar tables that load in a fraction of a second
(``open_reference``). ``build_reference`` does the same in memory, writing nothing (the
synthetic initiative builds the bundled Trafford reference this way):

``postcodes.parquet``
    postcode (upper case, no spaces), lsoa21, ward_code, ward_name, la_code, la_name, lon,
    lat, terminated, lsoa11, imd_decile, imd_quintile, imd_source
``lsoa.parquet``
    lsoa21, name, la_code, la_name, lsoa11, imd_decile, imd_quintile, imd_source,
    imd_share, postcodes
``population.parquet``
    lsoa21, age, and_over, sex, count (Census 2021, for denominators)
``ethnicity.parquet``
    lsoa21, ethnicity (the standard's code), count (Census 2021, for denominators)
``manifest.json``
    the sources with their licences and attribution, the load time, row counts, the
    bridge's counts by method and any warnings.

A reload replaces the whole folder at once (written beside it, then renamed), so a reader
never sees half a store.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import polars as pl

from needle.errors import NeedleInputError
from needle.reference.boundaries import read_boundaries
from needle.reference.bridge import bridge_imd
from needle.reference.sources import (
    Sources,
    read_ethnicity,
    read_imd,
    read_lsoa_lookup,
    read_names,
    read_population,
    read_postcodes,
)

__all__ = [
    "STORE_FORMAT_VERSION",
    "Reference",
    "build_reference",
    "load_reference",
    "open_reference",
    "reference_store_dir",
]

STORE_FORMAT_VERSION = 2
MANIFEST = "manifest.json"
TABLES = ("postcodes", "lsoa", "population", "ethnicity")

POSTCODE_SCHEMA = {
    "postcode": pl.String,
    "lsoa21": pl.String,
    "ward_code": pl.String,
    "ward_name": pl.String,
    "la_code": pl.String,
    "la_name": pl.String,
    "lon": pl.Float64,
    "lat": pl.Float64,
    "terminated": pl.Boolean,
    "lsoa11": pl.String,
    "imd_decile": pl.Int8,
    "imd_quintile": pl.Int8,
    "imd_source": pl.String,
}
LSOA_SCHEMA = {
    "lsoa21": pl.String,
    "name": pl.String,
    "la_code": pl.String,
    "la_name": pl.String,
    "lsoa11": pl.String,
    "imd_decile": pl.Int8,
    "imd_quintile": pl.Int8,
    "imd_source": pl.String,
    "imd_share": pl.Float64,
    "postcodes": pl.Int32,
}
POPULATION_SCHEMA = {
    "lsoa21": pl.String,
    "age": pl.Int16,
    "and_over": pl.Boolean,
    "sex": pl.String,
    "count": pl.Int32,
}
ETHNICITY_SCHEMA = {
    "lsoa21": pl.String,
    "ethnicity": pl.String,
    "count": pl.Int32,
}


def reference_store_dir(home: Path | str) -> Path:
    """Where an initiative keeps its reference store: ``<home>/reference``."""
    return Path(home) / "reference"


@dataclass(frozen=True, eq=False)
class Reference:
    """An opened reference store: four Polars frames and the manifest that explains them.

    ``directory`` is None for a reference built in memory (:func:`build_reference`).
    """

    directory: Path | None
    postcodes: pl.DataFrame
    lsoa: pl.DataFrame
    population: pl.DataFrame
    ethnicity: pl.DataFrame
    manifest: dict

    def tables(self) -> dict[str, pl.DataFrame]:
        """The tables by name, in store order."""
        return {name: getattr(self, name) for name in TABLES}

    def attributions(self) -> list[str]:
        """The credit lines every output built on this data must carry (no duplicates)."""
        seen: dict[str, None] = {}
        for source in self.manifest.get("sources", []):
            seen.setdefault(source["attribution"], None)
        return list(seen)

    def describe(self) -> str:
        """A short human summary of the manifest, for ``needle reference show``."""
        m = self.manifest
        pcs, bridge, pop, eth = m["postcodes"], m["bridge"], m["population"], m["ethnicity"]
        lsoa_methods = _methods(bridge["lsoa"])
        pc_methods = _methods(bridge["postcodes"])
        english_lsoas = self.lsoa.filter(pl.col("imd_source") != "outside_england").height
        english_pcs = pcs["total"] - bridge["postcodes"].get("outside_england", 0)
        where = f"in {self.directory}" if self.directory else "in memory (not saved)"
        lines = [
            f"Reference data {where}",
            f"  loaded {m['loaded_at']} by Needle {m['needle_version']}",
            f"  postcodes: {pcs['total']:,} ({pcs['terminated']:,} terminated, "
            f"{pcs['without_coordinates']:,} without coordinates) in "
            f"{_count(pcs['local_authorities'], 'local authority', 'local authorities')}, "
            f"{_count(pcs['wards'], 'ward', 'wards')}",
            f"  LSOA 2021: {self.lsoa.height:,}; IMD 2019 decile for "
            f"{english_lsoas - bridge['lsoa_without_decile']:,} of {english_lsoas:,} in "
            f"England ({lsoa_methods})",
            f"  postcodes with an IMD decile: "
            f"{english_pcs - bridge['postcodes_without_decile']:,} of {english_pcs:,} in "
            f"England ({pc_methods})",
            f"  population: {pop['lsoas']:,} LSOAs by age and sex"
            + (
                f" ({pop['lsoas_dropped_incomplete']:,} incomplete dropped, "
                f"{pop['lsoas_without_population']:,} LSOAs have none)"
                if pop["lsoas"]
                else ""
            ),
            f"  ethnicity: {eth['lsoas']:,} LSOAs by {eth['groups']:,} ethnic groups"
            + (
                f" ({eth['lsoas_dropped_incomplete']:,} incomplete dropped, "
                f"{eth['lsoas_without_ethnicity']:,} LSOAs have none)"
                if eth["lsoas"]
                else ""
            ),
            "Sources:",
        ]
        for s in m["sources"]:
            lines.append(f"  {s['role']}: {s['file']} - {s['title']} ({s['licence']})")
        if m.get("note"):
            lines.append(f"  {m['note']}")
        lines.append("Attribution (credit these wherever the data is shown):")
        lines += [f"  {a}" for a in self.attributions()]
        if m["warnings"]:
            lines.append("Warnings:")
            lines += [f"  - {w}" for w in m["warnings"]]
        return "\n".join(lines)


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _methods(counts: dict[str, int]) -> str:
    """Counts by method, e.g. "unchanged 137, located 2" (England only)."""
    return ", ".join(f"{k} {v:,}" for k, v in counts.items() if v and k != "outside_england")


def load_reference(
    store_dir: Path, sources: Sources, *, loaded_at: datetime | None = None
) -> Reference:
    """Read ``sources``, bridge IMD onto LSOA 2021, and write the store to ``store_dir``.

    Replaces an existing store in ``store_dir`` atomically; refuses to overwrite a folder
    that is not a reference store.
    """
    store_dir = Path(store_dir)
    _check_replaceable(store_dir)
    ref = build_reference(sources, loaded_at=loaded_at)
    _write_store(store_dir, ref.tables(), ref.manifest)
    return replace(ref, directory=store_dir)


def build_reference(sources: Sources, *, loaded_at: datetime | None = None) -> Reference:
    """Read ``sources`` and bridge IMD onto LSOA 2021, in memory: what ``load_reference``
    writes, without writing it (``directory`` is None).

    For a process that needs the reference once, such as the synthetic initiative built
    from ``bundled_sources()`` (about 0.15 s for Trafford).
    """
    warnings: list[str] = []
    raw, info = read_postcodes(sources.postcodes)
    infos = [info]

    names = []
    for path in sources.names:
        frame, info = read_names(path)
        names.append(frame)
        infos.append(info)
    if names:
        raw = _fill_names(raw, pl.concat(names).unique("code", keep="first"))

    if sources.imd is not None:
        imd, info = read_imd(sources.imd)
        infos.append(info)
    else:
        imd = pl.DataFrame(schema={"lsoa11": pl.String, "imd_decile": pl.Int8})
        warnings.append("No IMD file was given: every IMD decile is empty.")
    b11 = b21 = lookup = None
    if sources.lsoa2011_boundaries is not None:
        b11 = read_boundaries(sources.lsoa2011_boundaries, year=2011)
        infos.append(b11.source)
    if sources.lsoa2021_boundaries is not None:
        b21 = read_boundaries(sources.lsoa2021_boundaries, year=2021)
        infos.append(b21.source)
    if sources.lsoa_lookup is not None:
        lookup, info = read_lsoa_lookup(sources.lsoa_lookup)
        infos.append(info)

    bridged = bridge_imd(raw, imd, lsoa2011=b11, lsoa2021=b21, lookup=lookup)
    postcodes = bridged.postcodes.select(
        pl.col(name).cast(dtype) for name, dtype in POSTCODE_SCHEMA.items()
    )
    lsoa = _lsoa_table(bridged.lsoa, raw, b21)

    if sources.population is not None:
        population, info, pop_stats = read_population(sources.population)
        infos.append(info)
    else:
        population = pl.DataFrame(schema=POPULATION_SCHEMA)
        pop_stats = {"lsoas": 0, "lsoas_dropped_incomplete": 0, "top_age": None, "sexes": []}
    if sources.ethnicity is not None:
        ethnicity, info, eth_stats = read_ethnicity(sources.ethnicity)
        infos.append(info)
    else:
        ethnicity = pl.DataFrame(schema=ETHNICITY_SCHEMA)
        eth_stats = {"lsoas": 0, "lsoas_dropped_incomplete": 0, "groups": 0}
    english = lsoa.filter(pl.col("imd_source") != "outside_england")["lsoa21"]
    pop_stats["lsoas_without_population"] = int(
        (~english.is_in(population["lsoa21"].unique().implode())).sum()
    )
    eth_stats["lsoas_without_ethnicity"] = int(
        (~english.is_in(ethnicity["lsoa21"].unique().implode())).sum()
    )

    summary = bridged.summary
    if summary["lsoa_without_decile"] and sources.imd is not None:
        warnings.append(
            f"{_count(summary['lsoa_without_decile'], 'LSOA', 'LSOAs')} in England could not "
            "be bridged to IMD 2019 (no 2011 boundaries, lookup or located postcodes): no "
            "decile."
        )
    if summary["postcodes_without_decile"] and sources.imd is not None:
        warnings.append(
            f"{_count(summary['postcodes_without_decile'], 'postcode', 'postcodes')} in "
            "England without an IMD decile."
        )
    if pop_stats["lsoas_dropped_incomplete"]:
        warnings.append(
            f"{_count(pop_stats['lsoas_dropped_incomplete'], 'LSOA', 'LSOAs')} with "
            "incomplete rows in the population file left out."
        )
    if eth_stats["lsoas_dropped_incomplete"]:
        warnings.append(
            f"{_count(eth_stats['lsoas_dropped_incomplete'], 'LSOA', 'LSOAs')} with "
            "incomplete rows in the ethnic group file left out."
        )
    tables = {
        "postcodes": postcodes,
        "lsoa": lsoa,
        "population": population,
        "ethnicity": ethnicity.select(pl.col(n).cast(t) for n, t in ETHNICITY_SCHEMA.items()),
    }
    manifest = {
        "format": "needle-reference",
        "format_version": STORE_FORMAT_VERSION,
        "needle_version": _needle_version(),
        "loaded_at": (loaded_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "note": sources.note,
        "sources": [i.to_dict() for i in infos],
        "tables": {
            name: {"file": f"{name}.parquet", "rows": frame.height}
            for name, frame in tables.items()
        },
        "postcodes": {
            "total": postcodes.height,
            "terminated": int(postcodes["terminated"].sum()),
            "without_coordinates": int(postcodes["lat"].null_count()),
            "without_lsoa": int(postcodes["lsoa21"].null_count()),
            "local_authorities": postcodes["la_code"].drop_nulls().n_unique(),
            "wards": postcodes["ward_code"].drop_nulls().n_unique(),
        },
        "bridge": summary,
        "population": pop_stats,
        "ethnicity": eth_stats,
        "warnings": warnings,
    }
    return Reference(directory=None, **tables, manifest=manifest)


def open_reference(store_dir: Path) -> Reference:
    """Open a store written by :func:`load_reference`."""
    store_dir = Path(store_dir)
    path = store_dir / MANIFEST
    if not path.is_file():
        raise NeedleInputError(
            f"No reference data in {store_dir}: load it first with "
            "`needle reference load --home DIR --bundled-trafford` (or your own files)."
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise NeedleInputError(f"{path} is damaged: {exc}. Load the reference again.") from exc
    version = manifest.get("format_version")
    if manifest.get("format") != "needle-reference" or version != STORE_FORMAT_VERSION:
        raise NeedleInputError(
            f"{path} is reference store format {version!r}; this Needle reads format "
            f"{STORE_FORMAT_VERSION}. Load the reference again with this version."
        )
    frames = {}
    for name in TABLES:
        file = store_dir / manifest["tables"][name]["file"]
        try:
            frames[name] = pl.read_parquet(file)
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise NeedleInputError(
                f"{file} cannot be read ({exc}). Load the reference again."
            ) from exc
        if frames[name].height != manifest["tables"][name]["rows"]:
            raise NeedleInputError(
                f"{file} does not match its manifest (row count). Load the reference again."
            )
    return Reference(directory=store_dir, **frames, manifest=manifest)


def _fill_names(raw: pl.DataFrame, names: pl.DataFrame) -> pl.DataFrame:
    """Fill empty ward, local authority and LSOA names from ONS names-and-codes files."""
    for code, name in (
        ("ward_code", "ward_name"),
        ("la_code", "la_name"),
        ("lsoa21", "lsoa21_name"),
    ):
        raw = (
            raw.join(
                names.rename({"code": code, "name": "_name"}),
                on=code,
                how="left",
                maintain_order="left",
            )
            .with_columns(pl.coalesce(name, "_name").alias(name))
            .drop("_name")
        )
    return raw


def _lsoa_table(bridged: pl.DataFrame, raw: pl.DataFrame, b21) -> pl.DataFrame:
    """The bridged LSOAs with their name and local authority (the one most of their
    postcodes are in: LSOAs nest in local authorities)."""
    la = (
        raw.filter(pl.col("lsoa21").is_not_null() & pl.col("la_code").is_not_null())
        .group_by("lsoa21", "la_code")
        .agg(pl.len().alias("n"), pl.col("la_name").drop_nulls().first())
        .sort(["lsoa21", "n", "la_code"], descending=[False, True, False])
        .unique("lsoa21", keep="first")
        .select("lsoa21", "la_code", "la_name")
    )
    names = (
        raw.filter(pl.col("lsoa21_name").is_not_null())
        .group_by("lsoa21")
        .agg(pl.col("lsoa21_name").first().alias("name"))
    )
    if b21 is not None:
        polygons = pl.DataFrame(
            {"lsoa21": list(b21.codes), "_bname": list(b21.names)},
            schema={"lsoa21": pl.String, "_bname": pl.String},
        )
        names = names.join(polygons, on="lsoa21", how="full", coalesce=True).select(
            "lsoa21", pl.coalesce("name", "_bname").alias("name")
        )
    out = bridged.join(names, on="lsoa21", how="left").join(la, on="lsoa21", how="left")
    return out.select(pl.col(n).cast(t) for n, t in LSOA_SCHEMA.items()).sort("lsoa21")


def _check_replaceable(store_dir: Path) -> None:
    if store_dir.exists() and not store_dir.is_dir():
        raise NeedleInputError(f"{store_dir} is a file, not a folder for reference data.")
    if store_dir.is_dir() and any(store_dir.iterdir()) and not (store_dir / MANIFEST).is_file():
        raise NeedleInputError(
            f"{store_dir} is not empty and is not a Needle reference store; refusing to "
            "replace it. Choose another folder."
        )


def _write_store(store_dir: Path, tables: dict[str, pl.DataFrame], manifest: dict) -> None:
    """Write beside the target, then swap, so a reader sees the old or the new store."""
    store_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{store_dir.name}-new-", dir=store_dir.parent))
    try:
        for name, frame in tables.items():
            frame.write_parquet(tmp / f"{name}.parquet", compression="zstd")
        text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        (tmp / MANIFEST).write_text(text, encoding="utf-8")
        if store_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{store_dir.name}-old-", dir=store_dir.parent))
            old.rmdir()
            store_dir.rename(old)
            tmp.rename(store_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(store_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _needle_version() -> str:
    try:
        return metadata.version("needle")
    except metadata.PackageNotFoundError:  # running from a source tree
        return "unknown"
