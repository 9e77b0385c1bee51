"""Shared fixtures: the bundled Trafford store is loaded once per session (about half a
second) and shared read-only by the tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from needle.reference import Reference, bundled_sources, load_reference

FIXTURES = Path(__file__).parent / "fixtures"
#: The full public files the bundled extracts were cut from, beside the repository
#: (``/work/shared`` for ``/work/main``).
SHARED = Path(__file__).resolve().parents[3] / "shared" / "reference" / "geography"


@pytest.fixture(scope="session")
def trafford(tmp_path_factory: pytest.TempPathFactory) -> Reference:
    return load_reference(tmp_path_factory.mktemp("home") / "reference", bundled_sources())


@pytest.fixture
def shared() -> Path:
    if not (SHARED / "trafford_postcodes.csv").is_file():
        pytest.skip(f"the full Trafford reference files are not at {SHARED}")
    return SHARED
