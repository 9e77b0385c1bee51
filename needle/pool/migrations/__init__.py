"""Alembic migrations of the pool's tables, run programmatically by ``needle.pool.db.migrate``."""
