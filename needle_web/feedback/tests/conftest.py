"""Fixtures for the feedback tests: the web apps' shared ones, and initiative homes."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from needle_web.accounts.tests.fixtures import admin, admin_client, client, fast_hashing
from needle_web.dashboards.tests.homes import home_with_results

__all__ = ["admin", "admin_client", "client", "fast_hashing", "home", "results_home"]


@pytest.fixture(scope="module")
def results_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with computed indicators (three partners, min_peers 3), built once per test
    module (about 4 seconds)."""
    return home_with_results(tmp_path_factory.mktemp("feedback") / "home")


@pytest.fixture
def home(results_home: Path, settings: Settings) -> Path:
    """The web app serves ``results_home`` for this test."""
    settings.HOME = results_home
    return results_home
