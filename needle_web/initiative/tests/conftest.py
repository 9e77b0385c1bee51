"""Fixtures for the initiative settings tests: the web apps' shared ones, and a fresh
initiative home (the core's ``init_home``, no reference data) that the app serves."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from needle.initiative import Home, InitiativeConfig, PartnerConfig, PeriodsConfig, init_home
from needle_web.accounts.tests.fixtures import admin, admin_client, client, fast_hashing

__all__ = ["admin", "admin_client", "client", "fast_hashing", "home", "tasks_in_the_request"]

# tests/web/html_tree.py, to query pages as trees (on the path when tests/ is collected).
_CORE_TESTS = str(Path(__file__).resolve().parents[3] / "tests")
if _CORE_TESTS not in sys.path:
    sys.path.insert(0, _CORE_TESTS)


@pytest.fixture
def home(tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Home:
    """Partners YC and SPORT, quarterly from 2025-Q1; the web app's ``HOME``."""
    for name in (
        "NEEDLE_HOME",
        "DATABASE_URL",
        "NEEDLE_LINKAGE_SECRET",
        "NEEDLE_LINKAGE_SECRET_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    config = InitiativeConfig(
        name="Settings initiative",
        periods=PeriodsConfig(first="2025-Q1"),
        partners=(PartnerConfig("YC", "Youth Club"), PartnerConfig("SPORT", "Sport for All")),
    )
    the_home = init_home(tmp_path / "home", config, reference=False).home
    settings.HOME = the_home.root
    return the_home


@pytest.fixture(autouse=True)
def tasks_in_the_request(settings: Settings) -> None:
    """Run a queued task at once, so a test sees what it did without a worker."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
