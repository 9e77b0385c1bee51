"""Fixtures for the api tests: the web apps' shared ones, an initiative home to send files
to, one with computed indicators to read, and partner tokens."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from needle.initiative import Home, InitiativeConfig, PartnerConfig, PeriodsConfig, init_home
from needle_web.accounts.tests.fixtures import admin, admin_client, client, fast_hashing
from needle_web.api import services
from needle_web.dashboards.tests.homes import home_with_results

__all__ = [
    "admin",
    "admin_client",
    "client",
    "fast_hashing",
    "home",
    "results_home",
    "token_for",
]

# The core's test builders (tests/submission_builders.py), when run without the core's tests.
_CORE_TESTS = str(Path(__file__).resolve().parents[3] / "tests")
if _CORE_TESTS not in sys.path:
    sys.path.insert(0, _CORE_TESTS)


def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "NEEDLE_HOME",
        "DATABASE_URL",
        "NEEDLE_LINKAGE_SECRET",
        "NEEDLE_LINKAGE_SECRET_FILE",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def home(tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Home:
    """An initiative with partners YC and SPORT, quarterly from 2025-Q1, with the bundled
    reference data (files can be sent to it); the web app's ``HOME``."""
    _clean_environment(monkeypatch)
    config = InitiativeConfig(
        name="Test initiative",
        periods=PeriodsConfig(first="2025-Q1"),
        partners=(PartnerConfig("YC", "Youth Club"), PartnerConfig("SPORT", "Sport for All")),
    )
    the_home = init_home(tmp_path / "home", config).home
    settings.HOME = the_home.root
    return the_home


@pytest.fixture(scope="session")
def _results_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return home_with_results(tmp_path_factory.mktemp("api") / "results")


@pytest.fixture
def results_home(_results_root: Path, settings: Settings) -> Path:
    """A home with computed indicators (partners YC, SPORT and ARTS), read-only."""
    settings.HOME = _results_root
    return _results_root


@pytest.fixture
def token_for(admin: Any) -> Any:
    """Make a live token for a partner code; returns the token itself."""

    def make(partner_code: str = "YC", name: str = "Test system") -> str:
        return services.api_token_create(created_by=admin, partner_code=partner_code, name=name)[1]

    return make


@pytest.fixture(autouse=True)
def tasks_in_the_request(settings: Settings) -> None:
    """Run an upload's task as soon as it is queued (after the commit), as the submissions
    tests do, so a test sees the decision without a worker."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
