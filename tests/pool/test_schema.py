"""The metadata schema: created by the migrations, owned by the core, shareable."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from pool_helpers import PERIOD, submit

from needle.errors import NeedleInputError
from needle.pool import Pool
from needle.pool.db import current_revision, database_url
from needle.pool.schema import VERSION_TABLE, metadata


def test_migrations_create_exactly_the_declared_schema(pool):
    with pool.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"version_table": VERSION_TABLE, "compare_type": True}
        )
        assert compare_metadata(context, metadata) == []


def test_every_table_is_prefixed_and_the_version_table_is_ours(pool):
    names = set(sa.inspect(pool.engine).get_table_names())
    assert names == set(metadata.tables) | {VERSION_TABLE}
    assert all(name.startswith("needle_") for name in names)
    assert current_revision(pool.engine) == "0001"


def test_reopening_does_not_migrate_again(pool, home, database_url):
    with Pool.open(home, database_url=database_url) as again:
        assert current_revision(again.engine) == "0001"
        assert [p.code for p in again.partners()] == ["SPORT", "YC"]


def test_the_database_refuses_a_second_accepted_version(pool):
    """A guard below the code: at most one accepted version per (org, period)."""
    s = submit(pool, "YC", "a")
    row = {
        "id": "0" * 32, "org": "YC", "period": PERIOD, "version": 2, "standard_version": "1.0",
        "state": "accepted", "content_sha256": "0" * 64, "source_name": "x",
        "pseudonymised_by": "pool", "received_at": s.received_at, "report": {},
    }  # fmt: skip
    table = metadata.tables["needle_submissions"]
    with pytest.raises(sa.exc.IntegrityError), pool.engine.begin() as conn:
        conn.execute(table.insert().values(**row))


def test_default_database_is_sqlite_in_the_home(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    url = database_url(tmp_path)
    assert url.get_backend_name() == "sqlite"
    assert url.database == str(tmp_path / "needle.sqlite")
    with Pool.open(tmp_path) as pool:
        assert pool.backend == "sqlite"
    assert (tmp_path / "needle.sqlite").exists() and (tmp_path / "pool").is_dir()


def test_database_url_setting_and_driver(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://needle:secret@db.example.org/needle")
    url = database_url(tmp_path)
    assert url.drivername == "postgresql+psycopg"
    assert database_url(tmp_path, "postgres://x@y/z").drivername == "postgresql+psycopg"
    with pytest.raises(NeedleInputError) as info:
        database_url(tmp_path, "mysql://u:secret@h/db")
    assert "secret" not in str(info.value)
    with pytest.raises(NeedleInputError) as info:
        database_url(tmp_path, "::not a url secret::")
    assert "secret" not in str(info.value)


def test_repr_hides_the_password(pool):
    assert "secret" not in repr(pool)
