"""Readers for the tabular reference files a user downloads (or Needle bundles).

Why: the store must be built from the files as their publishers ship them, so a user in
another area downloads the ONS Postcode Directory and the IoD 2019 File 1 and loads them
unchanged. Each reader recognises its formats by their columns, reads only the columns it
needs (the ONSPD has ~50 columns and 2.7 million rows, so it is scanned lazily), and returns
one canonical frame plus the :class:`~needle.reference.formats.SourceInfo` that the manifest
records. A file that is missing or lacks a column raises ``NeedleInputError`` naming the file
and the columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from needle.errors import NeedleInputError
from needle.reference.formats import (
    SourceInfo,
    describe_source,
    missing_columns_error,
    read_header,
    resolve_columns,
)
from needle.standard import load_standard, normalise_token

__all__ = [
    "Sources",
    "bundled_sources",
    "ethnicity_label_map",
    "read_ethnicity",
    "read_imd",
    "read_lsoa_lookup",
    "read_names",
    "read_population",
    "read_postcodes",
]

DATA = Path(__file__).parent / "data"

#: Postcode file columns (canonical name -> aliases; see ``resolve_columns``).
TRAFFORD_POSTCODES = {
    "postcode": ("postcode",),
    "lsoa21": ("lsoa_code",),
    "ward_code": ("ward_code",),
    "ward_name": ("ward_name",),
    "la_code": ("la_code",),
    "la_name": ("la_name",),
    "lon": ("lon",),
    "lat": ("lat",),
}
ONSPD = {
    "postcode": ("pcds", "pcd", "pcd7", "pcd8", "pcd2"),
    "lsoa21": ("lsoa21cd", "lsoa21"),
    "ward_code": ("osward", r"re:wd\d\dcd"),
    "la_code": ("oslaua", r"re:lad\d\dcd"),
    "lat": ("lat",),
    "lon": ("long", "lon"),
}
ONSPD_OPTIONAL = {
    "doterm": ("doterm",),
    "lsoa11": ("lsoa11cd", "lsoa11"),
    "country": ("ctry", r"re:ctry\d\dcd"),
}

# ONS pseudo codes (E99999999, L99999999 ...) mean "no such area here".
_PSEUDO_CODE = r"^[A-Z]99999999$"
# ONSPD gives postcodes without a grid reference latitude 99.999999 and longitude 0.
_NO_GRID_LAT = 99.0


@dataclass(frozen=True)
class Sources:
    """The files to build a reference store from. Only ``postcodes`` is required.

    ``imd``: mySociety composite UK IMD or IoD 2019 File 1 (CSV or XLSX).
    ``lsoa2011_boundaries`` / ``lsoa2021_boundaries``: LSOA boundary GeoJSON (lon/lat).
    ``population``: Census 2021 residents by LSOA 2021 and single year of age.
    ``ethnicity``: Census 2021 residents by LSOA 2021 and ethnic group.
    ``lsoa_lookup``: the ONS LSOA (2011) to LSOA (2021) lookup CSV.
    ``names``: ONS "names and codes" CSVs, for ward and local authority names the ONSPD
    does not carry. ``note`` is recorded in the manifest (e.g. where bundled extracts came
    from).
    """

    postcodes: Path
    imd: Path | None = None
    lsoa2011_boundaries: Path | None = None
    lsoa2021_boundaries: Path | None = None
    population: Path | None = None
    lsoa_lookup: Path | None = None
    ethnicity: Path | None = None
    names: tuple[Path, ...] = ()
    note: str | None = None

    def __post_init__(self) -> None:
        # Accept str paths from notebooks; everything downstream expects Path.
        for name in (
            "postcodes",
            "imd",
            "lsoa2011_boundaries",
            "lsoa2021_boundaries",
            "population",
            "lsoa_lookup",
            "ethnicity",
        ):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Path):
                object.__setattr__(self, name, Path(value))
        object.__setattr__(self, "names", tuple(Path(p) for p in self.names))


def bundled_sources() -> Sources:
    """The Trafford extracts shipped with Needle for the demo initiative.

    See ``needle/reference/data/ATTRIBUTION.txt`` for where each file came from.
    """
    return Sources(
        postcodes=DATA / "trafford_postcodes.csv.gz",
        imd=DATA / "trafford_imd_2019_lsoa2011.csv",
        lsoa2011_boundaries=DATA / "trafford_lsoa_2011_generalised.geojson.gz",
        lsoa2021_boundaries=DATA / "trafford_lsoa_2021_generalised.geojson.gz",
        population=DATA / "trafford_population_by_sex_and_age_lsoa_2021.csv.gz",
        ethnicity=DATA / "trafford_population_ethnic_group_lsoa_2021.csv.gz",
        note="Trafford extracts bundled with Needle for the demo "
        "(needle/reference/data/ATTRIBUTION.txt).",
    )


def _code(expr: pl.Expr) -> pl.Expr:
    """An area code, trimmed; empty and ONS pseudo codes become null."""
    e = expr.cast(pl.String).str.strip_chars()
    return pl.when((e == "") | e.str.contains(_PSEUDO_CODE)).then(None).otherwise(e)


def _text(expr: pl.Expr) -> pl.Expr:
    e = expr.cast(pl.String).str.strip_chars()
    return pl.when(e == "").then(None).otherwise(e)


def read_postcodes(path: Path) -> tuple[pl.DataFrame, SourceInfo]:
    """Postcodes with their LSOA 2021, ward, local authority and lon/lat.

    Formats: the ONS Postcode Directory CSV (``pcds``, ``lsoa21cd``/``lsoa21``, ``osward``,
    ``oslaua``, ``lat``, ``long``, and if present ``doterm``, ``lsoa11cd``/``lsoa11`` and
    ``ctry``) and the Trafford Data Lab postcode file. Terminated postcodes are kept,
    flagged: records may hold a postcode that has since been retired, and the ONSPD still
    places it.
    Postcodes are normalised (upper case, no spaces) as :func:`normalise_postcode_expr` does.
    """
    from needle.reference.lookup import normalise_postcode_expr

    header = read_header(path)
    onspd, onspd_missing = resolve_columns(header, ONSPD)
    if "postcode" in onspd:
        if onspd_missing:
            raise missing_columns_error(path, "an ONS Postcode Directory file", onspd_missing)
        fmt, cols = "onspd", {**onspd, **resolve_columns(header, ONSPD_OPTIONAL)[0]}
    else:
        cols, missing = resolve_columns(header, TRAFFORD_POSTCODES)
        if missing:
            raise missing_columns_error(
                path,
                'a postcode file (ONS Postcode Directory columns "pcds", "lsoa21cd", '
                '"osward", "oslaua", "lat", "long"; or the Trafford Data Lab format)',
                missing,
            )
        fmt = "trafford_postcodes"
        if "lsoa_name" in header:
            cols["lsoa21_name"] = "lsoa_name"

    scan = pl.scan_csv(path, infer_schema=False, with_column_names=_strip_bom)
    none = pl.lit(None, dtype=pl.String)
    lat = pl.col(cols["lat"]).str.strip_chars().cast(pl.Float64, strict=False)
    lon = pl.col(cols["lon"]).str.strip_chars().cast(pl.Float64, strict=False)
    no_grid = lat.is_null() | (lat > _NO_GRID_LAT) | lon.is_null()

    def opt(name: str, conv=_text) -> pl.Expr:
        return conv(pl.col(cols[name])) if name in cols else none

    frame = (
        scan.select(
            normalise_postcode_expr(pl.col(cols["postcode"])).alias("postcode"),
            _code(pl.col(cols["lsoa21"])).alias("lsoa21"),
            opt("lsoa21_name").alias("lsoa21_name"),
            _code(pl.col(cols["ward_code"])).alias("ward_code"),
            opt("ward_name").alias("ward_name"),
            _code(pl.col(cols["la_code"])).alias("la_code"),
            opt("la_name").alias("la_name"),
            pl.when(no_grid).then(None).otherwise(lon).alias("lon"),
            pl.when(no_grid).then(None).otherwise(lat).alias("lat"),
            opt("doterm").is_not_null().alias("terminated"),
            opt("lsoa11", _code).alias("lsoa11"),
            opt("country", _code).alias("country"),
        )
        .filter(pl.col("postcode").is_not_null())
        .collect()
    )
    rows = frame.height
    # One row per postcode; where a file repeats one, the live row wins.
    frame = frame.sort(["postcode", "terminated"]).unique("postcode", keep="first")
    frame = frame.sort("postcode")
    if frame.height == 0:
        raise NeedleInputError(f"{path.name} has no postcodes.")
    return frame, describe_source("postcodes", fmt, path, rows)


def _strip_bom(names: list[str]) -> list[str]:
    return [n.strip().lstrip("\ufeff") for n in names]


COMPOSITE_IMD = {"nation": ("nation",), "lsoa11": ("lsoa",), "decile": ("original_decile",)}
IOD_FILE_1 = {
    "lsoa11": ("LSOA code (2011)",),
    "decile": (
        "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)",
        r"re:index of multiple deprivation \(imd\) decile.*",
    ),
}


def read_imd(path: Path) -> tuple[pl.DataFrame, SourceInfo]:
    """English IMD 2019 deciles (1 = most deprived tenth) by LSOA 2011 code.

    Formats: the IoD 2019 File 1 (XLSX as published, or saved as CSV; File 7 CSV works
    too: same columns) and mySociety's composite UK IMD (its ``nation = E`` rows and
    ``original_decile``, which is the official English decile).
    """
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        header, rows = _read_xlsx_table(path, IOD_FILE_1["lsoa11"][0])
        cols, missing = resolve_columns(header, IOD_FILE_1)
        if missing:
            raise missing_columns_error(path, "the IoD 2019 File 1 workbook", missing)
        idx = [header.index(cols["lsoa11"]), header.index(cols["decile"])]
        raw = pl.DataFrame(
            [[r[i] for i in idx] for r in rows],
            schema={"lsoa11": pl.String, "decile": pl.String},
            orient="row",
        )
        fmt = "iod2019"
    else:
        header = read_header(path)
        cols, missing = resolve_columns(header, COMPOSITE_IMD)
        if not missing:
            fmt = "mysociety_composite_imd"
            scan = pl.scan_csv(path, infer_schema=False, with_column_names=_strip_bom)
            scan = scan.filter(pl.col(cols["nation"]).str.strip_chars() == "E")
        else:
            cols, missing = resolve_columns(header, IOD_FILE_1)
            if missing:
                raise missing_columns_error(
                    path,
                    "an IMD 2019 file (IoD 2019 File 1, or mySociety composite UK IMD with "
                    '"nation", "lsoa", "original_decile")',
                    missing,
                )
            fmt = "iod2019"
            scan = pl.scan_csv(path, infer_schema=False, with_column_names=_strip_bom)
        raw = scan.select(
            pl.col(cols["lsoa11"]).alias("lsoa11"), pl.col(cols["decile"]).alias("decile")
        ).collect()

    frame = raw.select(
        _code(pl.col("lsoa11")).alias("lsoa11"),
        pl.col("decile").cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False),
    ).filter(pl.col("lsoa11").str.starts_with("E01"))
    bad = frame.filter(
        pl.col("decile").is_null()
        | ~pl.col("decile").is_between(1, 10)
        | (pl.col("decile") != pl.col("decile").round())
    )
    if bad.height:
        raise NeedleInputError(
            f"{path.name}: {bad.height} English LSOAs have a decile that is not a whole number "
            f"from 1 to 10 (first: {bad['lsoa11'][0]})."
        )
    dupes = frame.filter(pl.col("lsoa11").is_duplicated())
    if dupes.height:
        raise NeedleInputError(
            f"{path.name}: LSOA {dupes['lsoa11'][0]} appears more than once; one decile per "
            "LSOA 2011 is expected."
        )
    if frame.height == 0:
        raise NeedleInputError(f"{path.name} has no English LSOA (E01...) rows.")
    frame = frame.select("lsoa11", pl.col("decile").cast(pl.Int8).alias("imd_decile"))
    return frame.sort("lsoa11"), describe_source("imd", fmt, path, frame.height)


def _read_xlsx_table(path: Path, first_column: str) -> tuple[list[str], list[tuple]]:
    """The first sheet whose header row (within the first 5 rows) has ``first_column``."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise NeedleInputError(f"{path.name} cannot be opened as a workbook: {exc}") from exc
    try:
        for sheet in book.worksheets:
            rows = sheet.iter_rows(values_only=True)
            for _, row in zip(range(5), rows, strict=False):
                header = [str(c).strip() if c is not None else "" for c in row]
                if any(h.casefold() == first_column.casefold() for h in header):
                    return header, [r for r in rows if any(c is not None for c in r)]
    finally:
        book.close()
    raise missing_columns_error(path, "the IoD 2019 File 1 workbook", [first_column])


TRAFFORD_POPULATION = {
    "lsoa21": ("area_code",),
    "age": ("age",),
    "sex": ("sex",),
    "count": ("value",),
}
ONS_POPULATION = {
    "lsoa21": ("Lower layer Super Output Areas Code", "lsoa21cd"),
    "age": (r"Age (101 categories)", r"re:age \(\d+ categories\)"),
    "count": ("Observation",),
}
_SEX = {"female": "female", "male": "male", "all persons": "all", "total": "all"}


def read_population(path: Path) -> tuple[pl.DataFrame, SourceInfo, dict[str, object]]:
    """Census 2021 usual residents by LSOA 2021, single year of age and sex.

    Formats: an ONS "create a custom dataset" CSV (LSOA x Age (101 categories), optionally x
    Sex (2 categories)) and the Trafford Data Lab long file. Ages must be single years; the
    top age is open ("90 years and over"), so ``and_over`` marks it. Where female and male
    are both given, "all persons" rows are dropped (they are the sum). An LSOA with fewer
    rows than every age x sex is dropped and counted in the returned stats: a partial
    denominator is worse than a visibly missing one.
    """
    header = read_header(path)
    cols, missing = resolve_columns(header, ONS_POPULATION)
    fmt = "ons_census_population"
    if missing:
        cols, missing = resolve_columns(header, TRAFFORD_POPULATION)
        fmt = "trafford_population"
        if missing:
            raise missing_columns_error(
                path,
                'a Census 2021 population file ("Lower layer Super Output Areas Code", '
                '"Age (101 categories)", "Observation"; or the Trafford Data Lab format)',
                missing,
            )
    else:
        sex = resolve_columns(header, {"sex": (r"re:sex \(\d+ categories\)",)})[0]
        cols.update(sex)

    scan = pl.scan_csv(path, infer_schema=False, with_column_names=_strip_bom)
    label = pl.col(cols["age"]).str.strip_chars().str.to_lowercase()
    raw = scan.select(
        _code(pl.col(cols["lsoa21"])).alias("lsoa21"),
        label.alias("label"),
        (
            pl.col(cols["sex"]).str.strip_chars().str.to_lowercase()
            if "sex" in cols
            else pl.lit("all persons")
        ).alias("sex"),
        pl.col(cols["count"]).str.strip_chars().cast(pl.Int64, strict=False).alias("count"),
    ).collect()
    rows = raw.height

    age = (
        pl.when(pl.col("label") == "aged under 1 year")
        .then(pl.lit("0"))
        .otherwise(pl.col("label").str.extract(r"^aged (\d+) years?(?: and over)?$"))
        .cast(pl.Int16)
    )
    frame = raw.with_columns(
        age.alias("age"),
        pl.col("label").str.ends_with("and over").alias("and_over"),
        pl.col("sex").replace_strict(_SEX, default=None, return_dtype=pl.String),
    )
    for column, what in (("age", "single year of age"), ("sex", "sex")):
        bad = frame.filter(pl.col(column).is_null())
        if bad.height:
            value = bad["label" if column == "age" else "sex"][0]
            raise NeedleInputError(
                f"{path.name}: {bad.height} rows have a {what} Needle cannot read "
                f'(first: "{value}"); single years of age ("Aged 7 years") are needed.'
            )
    if frame["count"].null_count():
        raise NeedleInputError(f"{path.name}: some counts are not whole numbers.")
    sexes = set(frame["sex"].unique())
    if {"female", "male"} <= sexes:
        frame = frame.filter(pl.col("sex") != "all")
    frame = frame.filter(pl.col("lsoa21").is_not_null())
    cells = frame["age"].n_unique() * frame["sex"].n_unique()
    sizes = frame.group_by("lsoa21").agg(pl.len().alias("n"))
    complete = sizes.filter(pl.col("n") == cells)["lsoa21"]
    stats = {
        "lsoas": complete.len(),
        "lsoas_dropped_incomplete": sizes.height - complete.len(),
        "top_age": int(frame["age"].max()),  # type: ignore[arg-type]
        "sexes": sorted(frame["sex"].unique().to_list()),
    }
    frame = (
        frame.filter(pl.col("lsoa21").is_in(complete.implode()))
        .select("lsoa21", "age", "and_over", "sex", pl.col("count").cast(pl.Int32).alias("count"))
        .sort(["lsoa21", "sex", "age"])
    )
    return frame, describe_source("population", fmt, path, rows), stats


TRAFFORD_ETHNICITY = {
    "lsoa21": ("area_code",),
    "group": ("ethnic_group",),
    "count": ("value",),
}
ONS_ETHNICITY = {
    "lsoa21": ("Lower layer Super Output Areas Code", "lsoa21cd"),
    "group": ("Ethnic group (20 categories)", r"re:ethnic group \(\d+ categories\)"),
    "count": ("Observation",),
}
# Census rows that are not an ethnic group: ONS's "Does not apply" (always 0 for usual
# residents) and totals.
_NOT_A_GROUP = {"does_not_apply", "total", "all_usual_residents"}


def ethnicity_label_map() -> dict[str, str]:
    """Census 2021 ethnic group label (normalised) -> the standard's ethnicity code.

    The standard's ``ethnicity`` code list carries the ONS 2021 labels as published, so a
    Census file maps by label; a file that already holds the codes maps too.
    """
    codes = [c for c in load_standard().codelists["ethnicity"].codes if c.group]
    out = {normalise_token(c.code): c.code for c in codes}
    out.update({normalise_token(c.label): c.code for c in codes})
    return out


def read_ethnicity(path: Path) -> tuple[pl.DataFrame, SourceInfo, dict[str, object]]:
    """Census 2021 usual residents by LSOA 2021 and ethnic group, as the standard's codes.

    Formats: an ONS "create a custom dataset" CSV (LSOA x Ethnic group (20 categories)) and
    the Trafford Data Lab long file. The Census labels ("White: Irish") become the codes of
    the standard's ``ethnicity`` code list (``white_irish``); a label that is not one of the
    19 ONS 2021 groups is an error, "Does not apply" and total rows are skipped. An LSOA
    without a row for every group in the file is dropped and counted, as for population.
    """
    header = read_header(path)
    cols, missing = resolve_columns(header, ONS_ETHNICITY)
    fmt = "ons_census_ethnicity"
    if missing:
        cols, missing = resolve_columns(header, TRAFFORD_ETHNICITY)
        fmt = "trafford_ethnicity"
        if missing:
            raise missing_columns_error(
                path,
                'a Census 2021 ethnic group file ("Lower layer Super Output Areas Code", '
                '"Ethnic group (20 categories)", "Observation"; or the Trafford Data Lab '
                "format)",
                missing,
            )
    raw = (
        pl.scan_csv(path, infer_schema=False, with_column_names=_strip_bom)
        .select(
            _code(pl.col(cols["lsoa21"])).alias("lsoa21"),
            pl.col(cols["group"]).str.strip_chars().alias("label"),
            pl.col(cols["count"]).str.strip_chars().cast(pl.Int64, strict=False).alias("count"),
        )
        .collect()
    )
    rows = raw.height
    labels = {label: normalise_token(label or "") for label in raw["label"].unique()}
    codes = ethnicity_label_map()
    unknown = sorted(str(k) for k, v in labels.items() if v not in codes and v not in _NOT_A_GROUP)
    if unknown:
        raise NeedleInputError(
            f"{path.name}: {len(unknown)} ethnic groups are not Census 2021 groups Needle "
            f'knows (first: "{unknown[0]}"); the ONS 2021 labels such as "White: Irish" are '
            "needed (see the ethnicity code list of the standard)."
        )
    mapping = {k: codes[v] for k, v in labels.items() if v in codes}
    frame = raw.filter(pl.col("label").is_in(list(mapping))).with_columns(
        pl.col("label").replace_strict(mapping, return_dtype=pl.String).alias("ethnicity")
    )
    if frame["count"].null_count() or (frame["count"] < 0).any():
        raise NeedleInputError(f"{path.name}: some counts are not whole numbers.")
    frame = frame.filter(pl.col("lsoa21").is_not_null())
    dupes = frame.filter(pl.struct("lsoa21", "ethnicity").is_duplicated())
    if dupes.height:
        raise NeedleInputError(
            f"{path.name}: LSOA {dupes['lsoa21'][0]} has more than one row for "
            f'"{dupes["label"][0]}"; one count per LSOA and ethnic group is expected.'
        )
    groups = frame["ethnicity"].n_unique()
    sizes = frame.group_by("lsoa21").agg(pl.len().alias("n"))
    complete = sizes.filter(pl.col("n") == groups)["lsoa21"]
    stats = {
        "lsoas": complete.len(),
        "lsoas_dropped_incomplete": sizes.height - complete.len(),
        "groups": groups,
    }
    frame = (
        frame.filter(pl.col("lsoa21").is_in(complete.implode()))
        .select("lsoa21", "ethnicity", pl.col("count").cast(pl.Int32))
        .sort(["lsoa21", "ethnicity"])
    )
    return frame, describe_source("ethnicity", fmt, path, rows), stats


LSOA_LOOKUP = {"lsoa11": ("LSOA11CD",), "lsoa21": ("LSOA21CD",)}


def read_lsoa_lookup(path: Path) -> tuple[pl.DataFrame, SourceInfo]:
    """Pairs of LSOA 2011 and LSOA 2021 codes that overlap (the ONS exact-fit lookup,
    columns ``LSOA11CD``, ``LSOA21CD``; ``CHGIND`` is not needed: the number of 2011
    parents of a 2021 LSOA says whether it is one piece of one 2011 LSOA).
    """
    header = read_header(path)
    cols, missing = resolve_columns(header, LSOA_LOOKUP)
    if missing:
        raise missing_columns_error(path, "the ONS LSOA (2011) to LSOA (2021) lookup", missing)
    frame = (
        pl.scan_csv(path, infer_schema=False, with_column_names=_strip_bom)
        .select(
            _code(pl.col(cols["lsoa11"])).alias("lsoa11"),
            _code(pl.col(cols["lsoa21"])).alias("lsoa21"),
        )
        .drop_nulls()
        .unique()
        .sort(["lsoa21", "lsoa11"])
        .collect()
    )
    return frame, describe_source("lsoa_lookup", "ons_lsoa_lookup", path, frame.height)


def read_names(path: Path) -> tuple[pl.DataFrame, SourceInfo]:
    """Code -> name from an ONS "names and codes" CSV (``WD24CD``/``WD24NM``,
    ``LAD23CD``/``LAD23NM``, ``LSOA21CD``/``LSOA21NM`` ...): the first ``..CD`` column with
    a matching ``..NM`` column.
    """
    header = read_header(path)
    pair = None
    for h in header:
        m = re.fullmatch(r"(.+)cd", h, re.IGNORECASE)
        if m:
            name = next((n for n in header if n.casefold() == f"{m.group(1)}nm".casefold()), None)
            if name:
                pair = (h, name)
                break
    if pair is None:
        raise missing_columns_error(
            path, 'an ONS names and codes file (e.g. "WD24CD" with "WD24NM")', ["..CD", "..NM"]
        )
    frame = (
        pl.scan_csv(path, infer_schema=False, with_column_names=_strip_bom)
        .select(_code(pl.col(pair[0])).alias("code"), _text(pl.col(pair[1])).alias("name"))
        .drop_nulls()
        .unique("code", keep="first")
        .collect()
    )
    return frame, describe_source("names", "ons_names", path, frame.height)
