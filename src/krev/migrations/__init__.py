"""Alembic migrations; run with ``krev migrate`` (``krev.migrate.upgrade``)."""
