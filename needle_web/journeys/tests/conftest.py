"""Fixtures for the journeys tests: the web apps' shared ones, and a home with a pool."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from needle_web.accounts.tests.fixtures import admin, admin_client, client, fast_hashing
from needle_web.journeys.tests.homes import journeys_home

__all__ = ["admin", "admin_client", "client", "fast_hashing", "home"]


@pytest.fixture(scope="module")
def pool_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return journeys_home(tmp_path_factory.mktemp("journeys") / "home")


@pytest.fixture
def home(pool_home: Path, settings: Settings) -> Path:
    """The web app serves ``pool_home`` for this test."""
    settings.HOME = pool_home
    return pool_home
