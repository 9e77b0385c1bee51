"""What Needle knows about each reference file format: its columns and whom to credit.

Why: every table in the reference store comes from a file someone else published under a
licence that asks for attribution (OGL v3, CC BY 4.0). The attribution travels with the
data into the store's manifest, so a dashboard or an export can credit its sources without
anyone remembering where a file came from. Column names are matched here, in one place,
because publishers rename them between releases (``lsoa21`` became ``lsoa21cd`` in the ONS
Postcode Directory; ward codes carry the year: ``wd24cd``).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from needle.errors import NeedleInputError

__all__ = [
    "FORMATS",
    "Provenance",
    "SourceInfo",
    "describe_source",
    "file_sha256",
    "missing_columns_error",
    "read_header",
    "resolve_columns",
]

OGL = "OGL-UK-3.0"
OGL_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
CC_BY = "CC-BY-4.0"
CC_BY_URL = "https://creativecommons.org/licenses/by/4.0/"

_ONS = "Source: Office for National Statistics licensed under the Open Government Licence v3.0."
_OS = "Contains OS data © Crown copyright and database right."
_ROYAL_MAIL = "Contains Royal Mail data © Royal Mail copyright and database right."
_GEOPLACE = (
    "Contains GeoPlace data © Local Government Information House Limited copyright and "
    "database right."
)
_PSI = "Contains public sector information licensed under the Open Government Licence v3.0."


@dataclass(frozen=True)
class Provenance:
    """Who published a kind of file, under which licence, and the credit they ask for."""

    title: str
    publisher: str
    licence: str
    licence_url: str
    attribution: str
    url: str


FORMATS: dict[str, Provenance] = {
    "trafford_postcodes": Provenance(
        title="Trafford postcodes (extract of the ONS Postcode Directory)",
        publisher="Trafford Data Lab; Office for National Statistics",
        licence=OGL,
        licence_url=OGL_URL,
        attribution=f"Trafford Data Lab (https://www.trafforddatalab.io). {_ONS} {_OS} "
        f"{_ROYAL_MAIL}",
        url="https://github.com/traffordDataLab/open_data/tree/master/postcodes",
    ),
    "onspd": Provenance(
        title="ONS Postcode Directory (ONSPD)",
        publisher="Office for National Statistics",
        licence=OGL,
        licence_url=OGL_URL,
        attribution=f"{_ONS} {_OS} {_ROYAL_MAIL} {_GEOPLACE}",
        url="https://geoportal.statistics.gov.uk/search?q=ONS%20Postcode%20Directory",
    ),
    "mysociety_composite_imd": Provenance(
        title="Composite UK IMD (English IMD 2019 deciles on LSOA 2011)",
        publisher="mySociety; Ministry of Housing, Communities and Local Government",
        licence=CC_BY,
        licence_url=CC_BY_URL,
        attribution="Composite UK IMD by mySociety (https://github.com/mysociety/"
        "composite_uk_imd), CC BY 4.0. Its English deciles are the English Indices of "
        f"Deprivation 2019 (MHCLG). {_PSI}",
        url="https://github.com/mysociety/composite_uk_imd",
    ),
    "iod2019": Provenance(
        title="English Indices of Deprivation 2019: Index of Multiple Deprivation (LSOA 2011)",
        publisher="Ministry of Housing, Communities and Local Government",
        licence=OGL,
        licence_url=OGL_URL,
        attribution=f"English Indices of Deprivation 2019, Ministry of Housing, Communities "
        f"and Local Government. {_PSI}",
        url="https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019",
    ),
    "lsoa_boundaries": Provenance(
        title="Lower layer Super Output Area boundaries",
        publisher="Office for National Statistics (Open Geography Portal)",
        licence=OGL,
        licence_url=OGL_URL,
        attribution=f"{_ONS} {_OS}",
        url="https://geoportal.statistics.gov.uk",
    ),
    "trafford_population": Provenance(
        title="Census 2021 usual residents by sex and single year of age, Trafford LSOAs",
        publisher="Trafford Data Lab; Office for National Statistics",
        licence=OGL,
        licence_url=OGL_URL,
        attribution=f"Trafford Data Lab (https://www.trafforddatalab.io). {_ONS}",
        url="https://github.com/traffordDataLab/open_data",
    ),
    "ons_census_population": Provenance(
        title="Census 2021 usual residents by LSOA and single year of age (custom dataset)",
        publisher="Office for National Statistics",
        licence=OGL,
        licence_url=OGL_URL,
        attribution=_ONS,
        url="https://www.ons.gov.uk/datasets/create",
    ),
    "trafford_ethnicity": Provenance(
        title="Census 2021 usual residents by ethnic group, Trafford LSOAs",
        publisher="Trafford Data Lab; Office for National Statistics",
        licence=OGL,
        licence_url=OGL_URL,
        attribution=f"Trafford Data Lab (https://www.trafforddatalab.io). {_ONS}",
        url="https://github.com/traffordDataLab/open_data",
    ),
    "ons_census_ethnicity": Provenance(
        title="Census 2021 usual residents by LSOA and ethnic group (custom dataset)",
        publisher="Office for National Statistics",
        licence=OGL,
        licence_url=OGL_URL,
        attribution=_ONS,
        url="https://www.ons.gov.uk/datasets/create",
    ),
    "ons_lsoa_lookup": Provenance(
        title="LSOA (2011) to LSOA (2021) lookup for England and Wales",
        publisher="Office for National Statistics (Open Geography Portal)",
        licence=OGL,
        licence_url=OGL_URL,
        attribution=_ONS,
        url="https://geoportal.statistics.gov.uk",
    ),
    "ons_names": Provenance(
        title="Names and codes (ONS Postcode Directory documents)",
        publisher="Office for National Statistics",
        licence=OGL,
        licence_url=OGL_URL,
        attribution=_ONS,
        url="https://geoportal.statistics.gov.uk",
    ),
}


@dataclass(frozen=True)
class SourceInfo:
    """One file that went into a reference store, as recorded in its manifest.

    ``file`` is the file name only: a full path could reveal a user's folders.
    """

    role: str
    format: str
    file: str
    sha256: str
    rows: int
    title: str
    publisher: str
    licence: str
    licence_url: str
    attribution: str
    url: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def describe_source(role: str, fmt: str, path: Path, rows: int) -> SourceInfo:
    """The manifest entry for ``path``, read as format ``fmt``."""
    p = FORMATS[fmt]
    return SourceInfo(
        role=role,
        format=fmt,
        file=path.name,
        sha256=file_sha256(path),
        rows=rows,
        title=p.title,
        publisher=p.publisher,
        licence=p.licence,
        licence_url=p.licence_url,
        attribution=p.attribution,
        url=p.url,
    )


def file_sha256(path: Path) -> str:
    """The file's digest, so a manifest says exactly which release was loaded."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_header(path: Path) -> list[str]:
    """The column names of a CSV (plain or gzipped), without a byte-order mark."""
    _require_file(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            header = next(csv.reader(text), None)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise NeedleInputError(f"{path.name} cannot be read as a UTF-8 CSV file: {exc}") from exc
    if not header:
        raise NeedleInputError(f"{path.name} is empty: expected a CSV file with a header row.")
    return [h.strip().lstrip("\ufeff") for h in header]


def resolve_columns(
    header: Iterable[str], wanted: Mapping[str, tuple[str, ...]]
) -> tuple[dict[str, str], list[str]]:
    """Map each canonical name to the file's column. Returns ``(found, missing)``.

    Aliases match case-insensitively and in order; an alias starting with ``re:`` is a
    regular expression for the whole name (``re:wd\\d\\dcd``). The first alias names the
    column in error messages, so it is always a plain name.
    """
    header = list(header)
    found: dict[str, str] = {}
    missing: list[str] = []
    for canonical, aliases in wanted.items():
        for alias in aliases:
            if alias.startswith("re:"):
                pattern = re.compile(alias[3:], re.IGNORECASE)
                match = next((h for h in header if pattern.fullmatch(h)), None)
            else:
                match = next((h for h in header if h.casefold() == alias.casefold()), None)
            if match is not None:
                found[canonical] = match
                break
        else:
            missing.append(aliases[0])
    return found, missing


def missing_columns_error(path: Path, what: str, missing: Iterable[str]) -> NeedleInputError:
    """A message naming the file, what it was read as, and the columns it lacks."""
    cols = ", ".join(f'"{m}"' for m in missing)
    return NeedleInputError(
        f"{path.name} cannot be read as {what}: it has no column {cols}. "
        "Check that you passed the right file (see docs/guides/reference-data.md)."
    )


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise NeedleInputError(f"Reference file not found: {path}")
