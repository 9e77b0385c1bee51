"""Services a test needs: skipped on a developer's machine, required in CI.

A plain module rather than part of tests/conftest.py, so that conftest files in other
folders can import it by a name no other module shares (with --import-mode=importlib,
``from conftest import ...`` can find another folder's conftest)."""

from __future__ import annotations

import os

import pytest

REQUIRE_SERVICES = os.environ.get("NEEDLE_REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip on a developer's machine; fail in CI, where every service must be present."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (NEEDLE_REQUIRE_SERVICES=1: required in CI)")
    pytest.skip(reason)
