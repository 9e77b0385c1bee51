"""The pseudonymised submission package that ``needle prepare`` writes on a partner's machine.

Why a package: identifiers need never leave the organisation. The package is a zip of one
Parquet file per entity (already pseudonymised) and a ``manifest.json`` saying what it is:
the standard version, the encoding scheme, the period, a hash of the original file (so
re-sending the same workbook, raw or prepared, is recognised) and the validation report.
The pool checks that no identifier column is inside before accepting it.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from needle.errors import NeedleInputError
from needle.standard import Standard

PACKAGE_FORMAT = "needle-pseudonymised-package"
PACKAGE_VERSION = 1
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Package:
    manifest: dict[str, Any]
    tables: dict[str, pl.DataFrame]

    @property
    def source_sha256(self) -> str:
        return self.manifest["source_sha256"]


def write_package(
    path: Path,
    tables: dict[str, pl.DataFrame],
    *,
    standard_version: str,
    scheme: str,
    period: str,
    source_sha256: str,
    source_name: str,
    report: dict[str, Any],
    org: str | None = None,
) -> Path:
    """Write the package atomically (temporary file, then rename)."""
    manifest = {
        "format": PACKAGE_FORMAT,
        "format_version": PACKAGE_VERSION,
        "standard_version": standard_version,
        "scheme": scheme,
        "org": org,
        "period": period,
        "source_sha256": source_sha256,
        "source_name": source_name,
        "entities": {name: frame.height for name, frame in tables.items()},
        "report": report,
    }
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
        for name, frame in tables.items():
            buffer = io.BytesIO()
            frame.write_parquet(buffer, compression="zstd")
            archive.writestr(f"{name}.parquet", buffer.getvalue())
    os.replace(tmp, path)
    return path


def is_package(path: Path) -> bool:
    """A zip whose manifest says it is a Needle package (a zip of CSVs is not)."""
    path = Path(path)
    if not path.is_file() or not zipfile.is_zipfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            if MANIFEST not in archive.namelist():
                return False
            manifest = json.loads(archive.read(MANIFEST))
    except (zipfile.BadZipFile, ValueError, OSError):
        return False
    return isinstance(manifest, dict) and manifest.get("format") == PACKAGE_FORMAT


def read_package(path: Path, standard: Standard, *, scheme: str) -> Package:
    """Read and check a package: right format, known entities, no identifier columns."""
    name = Path(path).name
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(MANIFEST))
            tables = {
                entity: pl.read_parquet(io.BytesIO(archive.read(f"{entity}.parquet")))
                for entity in manifest.get("entities", {})
            }
    except (KeyError, ValueError, OSError, zipfile.BadZipFile, pl.exceptions.PolarsError) as exc:
        raise NeedleInputError(
            f"{name}: the prepared package is damaged ({type(exc).__name__}). "
            "Run `needle prepare` again on the original workbook."
        ) from None
    if manifest.get("format_version") != PACKAGE_VERSION:
        raise NeedleInputError(
            f"{name}: package format version {manifest.get('format_version')} is not "
            f"supported (this Needle reads version {PACKAGE_VERSION}). Prepare it again with "
            "the same Needle version as the pool."
        )
    if manifest.get("scheme") != scheme:
        raise NeedleInputError(
            f"{name}: the package was encoded with scheme {manifest.get('scheme')!r} but the "
            f"initiative uses {scheme!r}. Prepare it again with the initiative's settings."
        )
    if manifest.get("standard_version") != standard.version:
        raise NeedleInputError(
            f"{name}: the package uses standard version {manifest.get('standard_version')}, "
            f"not {standard.version}."
        )
    for entity, frame in tables.items():
        if entity not in standard.entities:
            raise NeedleInputError(f"{name}: unknown entity {entity!r} in the package.")
        spec = standard.entities[entity]
        forbidden = set(spec.pi_columns) | {
            c.name for c in spec.columns.values() if c.type == "postcode"
        }
        leaked = sorted(forbidden & set(frame.columns))
        if leaked:
            raise NeedleInputError(
                f"{name}: the {entity} table holds identifier column(s) {leaked}; a prepared "
                "package must not. Prepare it again with `needle prepare`."
            )
    return Package(manifest=manifest, tables=tables)
