"""Every test here starts from a clean environment: no secret, no database, no home."""

from __future__ import annotations

import pytest

from needle.initiative import InitiativeConfig, PeriodsConfig


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "NEEDLE_HOME",
        "DATABASE_URL",
        "NEEDLE_LINKAGE_SECRET",
        "NEEDLE_LINKAGE_SECRET_FILE",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def config() -> InitiativeConfig:
    return InitiativeConfig(
        name="Test Collective",
        area=("E08000009",),
        periods=PeriodsConfig(first="2025-Q1"),
    )
