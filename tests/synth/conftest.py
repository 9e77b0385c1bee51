"""One synthetic initiative per test session, and a plain reader for its submissions.

The initiative is generated at scale 0.25 (about 1,000 young people): every property the
tests check (shape, validity, determinism, ground truth) is the same as at scale 1, at a
quarter of the cost.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from synth_helpers import SCALE, SEED, read_tables

from needle.synth import SynthSummary, generate


@pytest.fixture(scope="session")
def initiative(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthSummary]:
    out = tmp_path_factory.mktemp("synth") / "initiative"
    summary = generate(out, seed=SEED, scale=SCALE)
    return out, summary


@pytest.fixture(scope="session")
def manifest(initiative: tuple[Path, SynthSummary]) -> dict[str, Any]:
    out, _ = initiative
    return json.loads((out / "initiative.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def clean_tables(
    initiative: tuple[Path, SynthSummary], manifest: dict[str, Any]
) -> list[tuple[dict[str, Any], dict[str, pl.DataFrame]]]:
    """Every clean submission as text tables, with its manifest entry."""
    out, _ = initiative
    return [
        (entry, read_tables(out / entry["path"]))
        for entry in manifest["submissions"]
        if entry["kind"] == "clean"
    ]
