"""Project-wide test settings.

``NEEDLE_REQUIRE_SERVICES=1`` (set by .ci/run) turns a missing PostgreSQL server or
Chromium browser into a failure instead of a skip, so CI can never pass by skipping.
"""

from __future__ import annotations

import os

import pytest

REQUIRE_SERVICES = os.environ.get("NEEDLE_REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip on a developer's machine; fail in CI, where every service must be present."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (NEEDLE_REQUIRE_SERVICES=1: required in CI)")
    pytest.skip(reason)
