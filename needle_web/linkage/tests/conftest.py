"""Fixtures for the linkage tests: the web apps' shared ones, and initiative homes with
linked and unlinked young people."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from needle_web.accounts.tests.fixtures import admin, admin_client, client, fast_hashing
from needle_web.linkage.tests.homes import linked_home, unlinked_home

__all__ = ["admin", "admin_client", "client", "fast_hashing", "home", "linked", "unlinked"]


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home linked once, built once per test module; tests that decide use a copy."""
    return linked_home(tmp_path_factory.mktemp("linkage") / "home")


@pytest.fixture
def home(linked: Path, tmp_path: Path, settings: Settings) -> Path:
    """The web app serves a fresh copy of ``linked`` for this test."""
    root = Path(shutil.copytree(linked, tmp_path / "home"))
    settings.HOME = root
    return root


@pytest.fixture
def unlinked(tmp_path: Path, settings: Settings) -> Path:
    """The web app serves a home whose linkage has never run."""
    root = unlinked_home(tmp_path / "unlinked")
    settings.HOME = root
    return root
