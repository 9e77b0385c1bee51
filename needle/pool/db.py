"""The metadata database: which one, how to connect, how to lock, how to migrate.

Every difference between SQLite and PostgreSQL that the pool cares about lives here, so
the rest of the pool is written once:

- **Which database**: an explicit URL, else the ``DATABASE_URL`` setting, else SQLite in
  the home folder. ``postgresql://`` URLs are given the psycopg 3 driver, the only one
  Needle installs.
- **Writers take a lock first.** SQLite (in WAL mode, so readers never wait) starts every
  write transaction with ``BEGIN IMMEDIATE``, which takes the database's single write lock
  up front, waiting up to the busy timeout; a deferred transaction that later tries to
  write can fail instead of waiting. PostgreSQL locks the partner's row with
  ``SELECT ... FOR UPDATE``, so submissions of different partners proceed side by side
  and those of one partner queue. Under the lock, the next version number and the
  "identical re-send" check are read and acted on without a race.
- **Migrations run on open**, under the same lock on SQLite and a transaction-scoped
  advisory lock on PostgreSQL, so many processes opening a new pool at once migrate it
  exactly once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from needle.errors import NeedleInputError
from needle.pool.schema import VERSION_TABLE, partners
from needle.settings import get_setting

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_FILE = "needle.sqlite"
BUSY_TIMEOUT_MS = 120_000  # a writer waits this long for SQLite's lock before failing
_WRITE = "needle_write"  # execution option: this transaction will write
_MIGRATION_LOCK = 0x6E65656431  # PostgreSQL advisory lock key for migrations ("need1")


def database_url(home: Path, explicit: str | None = None) -> sa.URL:
    """The URL to use: ``explicit``, else ``DATABASE_URL``, else ``HOME/needle.sqlite``."""
    text = explicit or get_setting("DATABASE_URL") or f"sqlite:///{Path(home) / SQLITE_FILE}"
    try:
        url = sa.make_url(text)
    except sa.exc.ArgumentError:
        # Never echo the URL: it may hold a password.
        raise NeedleInputError(
            "The database URL is not a valid SQLAlchemy URL; "
            "see docs/reference/settings.md (DATABASE_URL)."
        ) from None
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise NeedleInputError(
            f"Needle's pool supports SQLite and PostgreSQL databases, not "
            f"'{url.get_backend_name()}'."
        )
    return url


def create_engine(url: sa.URL) -> sa.Engine:
    """An engine with the pool's connection settings for its backend."""
    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        sa.event.listen(engine, "connect", _sqlite_on_connect)
        sa.event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def _sqlite_on_connect(dbapi_connection, _record) -> None:
    """WAL (readers never block the writer), full sync, foreign keys, a long busy timeout.

    pysqlite's own transaction handling is switched off (``isolation_level = None``) so
    that SQLAlchemy's ``begin`` event below decides how each transaction starts.
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_on_begin(connection: sa.Connection) -> None:
    mode = "IMMEDIATE" if connection.get_execution_options().get(_WRITE) else "DEFERRED"
    connection.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def write_transaction(
    engine: sa.Engine, *, lock_partner: str | None = None
) -> Iterator[sa.Connection]:
    """A transaction that will write, holding the lock that serialises competing writers.

    On SQLite the whole database is locked from the start (``BEGIN IMMEDIATE``). On
    PostgreSQL the row of ``lock_partner`` is locked, if given; statements that need no
    partner lock rely on unique constraints instead.
    """
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            if lock_partner is not None and engine.dialect.name == "postgresql":
                conn.execute(
                    sa.select(partners.c.code)
                    .where(partners.c.code == lock_partner)
                    .with_for_update()
                )
            yield conn


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(engine: sa.Engine) -> None:
    """Bring the schema to the latest migration, once, even with many processes opening.

    A quick unlocked look first: an up-to-date database (the usual case) costs one query.
    """
    config = _alembic_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        if context.get_current_revision() == head:
            return
    with write_transaction(engine) as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        # Alembic sees the transaction already begun and runs inside it; it commits here.
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def current_revision(engine: sa.Engine) -> str | None:
    """The migration the database is at (for tests and diagnostics)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()
