"""Fixtures for the tracker tests: the web apps' shared ones, and an initiative home."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from needle_web.accounts.tests.fixtures import admin, admin_client, client, fast_hashing
from needle_web.tracker.tests.homes import tracker_home

__all__ = ["admin", "admin_client", "client", "fast_hashing", "home", "pooled_home"]


@pytest.fixture(scope="module")
def pooled_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tracker's home, built once per test module."""
    return tracker_home(tmp_path_factory.mktemp("tracker") / "home")


@pytest.fixture
def home(pooled_home: Path, settings: Settings) -> Path:
    """The web app serves ``pooled_home`` for this test."""
    settings.HOME = pooled_home
    return pooled_home
