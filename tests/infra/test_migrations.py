"""The migrations build exactly the schema the models describe, on both databases: a model
change without its migration (or the reverse) fails here, not in someone's deployment."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from krev.models import Base, Generation, GenerationProduct, Product, User
from krev.platform.migrate import alembic_config, upgrade
from krev.platform.runtime import Runtime
from tests.conftest import _pg_admin_url, _pg_execute, service_missing


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_the_migrated_schema_matches_the_models(runtime: Runtime) -> None:
    with runtime.db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)

    assert differences == []


@pytest.fixture
def empty_database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database with no tables yet, to migrate step by step."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'krev.db'}"
        return
    name = f"krev_m_{uuid.uuid4().hex[:16]}"
    try:
        _pg_execute(f'CREATE DATABASE "{name}"')
    except Exception as error:
        service_missing("PostgreSQL", error)
    yield _pg_admin_url(name)
    _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_0005_links_existing_generations_to_the_products_in_their_params(
    empty_database_url: str,
) -> None:
    upgrade(empty_database_url, "0004")
    now = datetime.now(UTC)
    user, gone = uuid.uuid4(), uuid.uuid4()  # ``gone``: a product deleted since
    bag, box = uuid.uuid4(), uuid.uuid4()
    jobs = {
        "analysis": ("product_analysis", {"product_id": str(bag), "skip_segmentation": False}),
        "image": ("image", {"prompt": "p", "products": [{"id": str(bag), "name": "Bag"}]}),
        "multi": ("image", {"products": [{"id": str(box)}, {"id": str(gone)}]}),
        "by_ids": ("image", {"product_id": str(box), "product_ids": [str(box), str(bag)]}),
        "none": ("image", {"prompt": "no product", "products": []}),
        "garbage": ("image", {"product_id": "not-an-id", "products": [{"id": 7}, "x"]}),
    }
    ids = {name: uuid.uuid4() for name in jobs}
    engine = create_engine(empty_database_url, poolclass=NullPool)
    try:
        with Session(engine) as session, session.begin():
            session.add(
                User(
                    id=user,
                    email="old@example.com",
                    password_hash="x",
                    plan="pro",
                    credits_resets_at=now,
                )
            )
            session.flush()
            for product_id in (bag, box):
                session.add(Product(id=product_id, user_id=user, image_key=f"{product_id}.webp"))
            for name, (kind, params) in jobs.items():
                generation = Generation(
                    id=ids[name], user_id=user, kind=kind, params=params, deadline_at=now
                )
                session.add(generation)

        upgrade(empty_database_url, "head")
        links = _links(engine)
        # Down and up again: the table goes and comes back with the same links.
        command.downgrade(alembic_config(empty_database_url), "0004")
        upgrade(empty_database_url, "head")
        again = _links(engine)
    finally:
        engine.dispose()
    assert again == links
    assert links == sorted(
        {
            (ids["analysis"], bag),
            (ids["image"], bag),
            (ids["multi"], box),
            (ids["multi"], gone),
            (ids["by_ids"], box),
            (ids["by_ids"], bag),
        }
    )


def _links(engine: Engine) -> list[tuple[uuid.UUID, uuid.UUID]]:
    with Session(engine) as session:
        rows = session.execute(select(GenerationProduct)).scalars().all()
        return sorted((row.generation_id, row.product_id) for row in rows)
