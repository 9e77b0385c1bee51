"""One module per migration of the pool's tables (``needle_alembic_version`` holds the head)."""
