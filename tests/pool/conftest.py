"""Fixtures for the pool's tests: every test runs on SQLite and on PostgreSQL.

``database_url`` (tests/conftest.py) is parametrised over both backends, so one test
function covers both (``test_x[sqlite]``, ``test_x[postgresql]``); an unreachable server
skips the PostgreSQL half on a developer's machine and fails it in CI.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from needle.pool import Pool

# Helpers that child processes import by name (multiprocessing, the crash script).
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def backend(database_url) -> str:
    return sa.make_url(database_url).get_backend_name()


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def pool(home, database_url):
    """An open pool with two partners, ``YC`` and ``SPORT``."""
    opened = Pool.open(home, database_url=database_url)
    opened.add_partner("yc", "Youth Club")
    opened.add_partner("SPORT", "Sport for All")
    yield opened
    opened.close()
