"""Project-wide test settings.

``NEEDLE_REQUIRE_SERVICES=1`` (set by .ci/run) turns a missing PostgreSQL server or
Chromium browser into a failure instead of a skip, so CI can never pass by skipping.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

# Shared builders (tests/submission_builders.py) are importable from every test folder.
sys.path.insert(0, str(Path(__file__).parent))

from required import REQUIRE_SERVICES, skip_or_fail

__all__ = ["REQUIRE_SERVICES", "skip_or_fail"]


@pytest.fixture(scope="session")
def trafford_reference(tmp_path_factory):
    """The bundled Trafford reference data, loaded once per test session."""
    from needle.reference import bundled_sources, load_reference

    return load_reference(tmp_path_factory.mktemp("reference") / "store", bundled_sources())


POSTGRES_URL = os.environ.get(
    "NEEDLE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")


def _postgres_server() -> sa.Engine:
    engine = sa.create_engine(
        POSTGRES_URL, connect_args={"connect_timeout": 5}, poolclass=sa.pool.NullPool
    )
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError:
        engine.dispose()
        skip_or_fail(f"PostgreSQL is not reachable at {sa.make_url(POSTGRES_URL).host}")
    return engine


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """An empty metadata database of each backend: every test using it runs twice.

    For PostgreSQL, a fresh schema on the real server (``NEEDLE_TEST_POSTGRES_URL``,
    default the local server) selected through ``search_path``, dropped afterwards.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'needle.sqlite'}"
        return
    server = _postgres_server()
    schema = f"needle_test_{uuid.uuid4().hex[:12]}"
    with server.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with server.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        server.dispose()
