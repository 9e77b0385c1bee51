"""Where linkage keeps its state, and how it writes it (atomically: temp file, rename).

    HOME/linkage/model.json          the trained model (Splink settings with m and u)
    HOME/linkage/records.parquet     record_id, fingerprint, person_id (last run)
    HOME/linkage/persons.parquet     person_id, created (run number): the oldest id wins
    HOME/linkage/pairs.parquet       scored candidate pairs above the review threshold
    HOME/linkage/decisions.parquet   the backbone's review decisions (kept forever)
    HOME/linkage/review.parquet      the review queue: pairs waiting for a decision
    HOME/linkage/merges.jsonl        every merge and split of person ids, appended
    HOME/indicators/person_links.parquet   (org, person_ref, person_id) for the indicators
    HOME/indicators/linkage_quality.json   the last run's quality report

Nothing here holds an identifier or an encoding: records are ``ORG/person_ref``, pairs
carry similarity levels and weights only.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import polars as pl

LINKAGE_FOLDER = "linkage"
LINKS_FILE = "person_links.parquet"
QUALITY_FILE = "linkage_quality.json"

DECISIONS_SCHEMA = {
    "pair_id": pl.String,
    "record_l": pl.String,
    "record_r": pl.String,
    "decision": pl.String,  # confirmed / rejected
    "decided_by": pl.String,
    "decided_at": pl.String,
}
LINKS_SCHEMA = {"org": pl.String, "person_ref": pl.String, "person_id": pl.String}


def linkage_dir(home_root: Path) -> Path:
    return Path(home_root) / LINKAGE_FOLDER


def links_path(home_root: Path) -> Path:
    """Where the indicators read person links (``needle.indicators.refresh._links``)."""
    return Path(home_root) / "indicators" / LINKS_FILE


def quality_path(home_root: Path) -> Path:
    return Path(home_root) / "indicators" / QUALITY_FILE


def _temp(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")


def write_parquet(frame: pl.DataFrame, path: Path) -> None:
    temp = _temp(path)
    frame.write_parquet(temp)
    os.replace(temp, path)


def write_json(data: Any, path: Path) -> None:
    temp = _temp(path)
    temp.write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
    os.replace(temp, path)


def read_parquet(path: Path, schema: dict[str, Any] | None = None) -> pl.DataFrame | None:
    if path.exists():
        return pl.read_parquet(path)
    return pl.DataFrame(schema=schema) if schema is not None else None


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def append_jsonl(rows: list[dict[str, Any]], path: Path) -> None:
    if not rows:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, default=str) + "\n")


def decisions(home_root: Path) -> pl.DataFrame:
    return read_parquet(linkage_dir(home_root) / "decisions.parquet", DECISIONS_SCHEMA)


def save_decisions(home_root: Path, frame: pl.DataFrame) -> None:
    write_parquet(frame, linkage_dir(home_root) / "decisions.parquet")
