"""Project-wide test settings.

``NEEDLE_REQUIRE_SERVICES=1`` (set by .ci/run) turns a missing PostgreSQL server or
Chromium browser into a failure instead of a skip, so CI can never pass by skipping.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# Shared builders (tests/submission_builders.py) are importable from every test folder.
sys.path.insert(0, str(Path(__file__).parent))

REQUIRE_SERVICES = os.environ.get("NEEDLE_REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip on a developer's machine; fail in CI, where every service must be present."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (NEEDLE_REQUIRE_SERVICES=1: required in CI)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def trafford_reference(tmp_path_factory):
    """The bundled Trafford reference data, loaded once per test session."""
    from needle.reference import bundled_sources, load_reference

    return load_reference(tmp_path_factory.mktemp("reference") / "store", bundled_sources())
