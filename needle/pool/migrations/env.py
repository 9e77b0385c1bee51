"""Alembic environment for the pool: always run by ``needle.pool.db.migrate``.

The caller passes an open connection (inside a locked transaction) through
``config.attributes["connection"]``; there is no ini file, no logging set-up and no
offline mode, because migrations only ever run when a pool is opened.
"""

from __future__ import annotations

from alembic import context

from needle.pool.schema import VERSION_TABLE, metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable from the alembic command line
    raise RuntimeError(
        "Pool migrations run from needle.pool.db.migrate, which passes a connection."
    )

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
