"""The migrations build exactly the schema the models describe, on both databases: a model
change without its migration (or the reverse) fails here, not in someone's deployment."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from krev.models import Base
from krev.runtime import Runtime


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_the_migrated_schema_matches_the_models(runtime: Runtime) -> None:
    with runtime.db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)

    assert differences == []
