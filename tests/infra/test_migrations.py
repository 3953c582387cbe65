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
from sqlalchemy import Engine, create_engine, event, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from krev.models import Base, Generation, GenerationEvent, GenerationProduct, Product, User
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


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_0006_adds_the_generation_events_outbox_and_takes_it_away_again(
    empty_database_url: str,
) -> None:
    upgrade(empty_database_url, "0005")
    now = datetime.now(UTC)
    user = uuid.uuid4()
    kept, deleted = uuid.uuid4(), uuid.uuid4()
    engine = create_engine(empty_database_url, poolclass=NullPool)
    if engine.dialect.name == "sqlite":  # as the app's engine does (krev.platform.db)
        event.listen(engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA foreign_keys=ON"))
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
            for generation_id in (kept, deleted):
                session.add(
                    Generation(
                        id=generation_id, user_id=user, kind="image", params={}, deadline_at=now
                    )
                )

        upgrade(empty_database_url, "head")
        # Generations from before have no past made up for them.
        assert _events(engine) == []
        with Session(engine) as session, session.begin():
            for generation_id in (kept, deleted):
                session.add(_event(generation_id, user, "queued"))
        with Session(engine) as session, session.begin():
            session.delete(session.get(Generation, deleted))  # its events go with it
        with Session(engine) as session, session.begin():
            session.add(_event(kept, user, "processing"))
        events = _events(engine)
        # The newest row was deleted, and its id is still never given again.
        assert [(e[1], e[2]) for e in events] == [(kept, "queued"), (kept, "processing")]
        assert events[1][0] > events[0][0] + 1

        command.downgrade(alembic_config(empty_database_url), "0005")
        with engine.connect() as connection:
            assert "generation_events" not in inspect(connection).get_table_names()
        upgrade(empty_database_url, "head")
        assert _events(engine) == []
    finally:
        engine.dispose()


def _event(generation_id: uuid.UUID, user_id: uuid.UUID, status: str) -> GenerationEvent:
    return GenerationEvent(
        generation_id=generation_id,
        user_id=user_id,
        type=f"generation.{status}",
        status=status,
        progress=0,
    )


def _events(engine: Engine) -> list[tuple[int, uuid.UUID, str]]:
    with Session(engine) as session:
        rows = session.execute(select(GenerationEvent).order_by(GenerationEvent.id)).scalars()
        return [(row.id, row.generation_id, row.status) for row in rows]
