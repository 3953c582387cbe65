"""Alembic migrations; run with ``krev migrate`` (``krev.platform.migrate.upgrade``)."""
