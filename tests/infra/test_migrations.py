"""The migrations build exactly the schema the models describe, on both databases: a model
change without its migration (or the reverse) fails here, not in someone's deployment."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from krev.accounts.service import create_key
from krev.composition import build_runtime
from krev.models import (
    Base,
    Generation,
    GenerationEvent,
    GenerationProduct,
    LedgerEntry,
    Product,
    User,
)
from krev.platform.config import Settings
from krev.platform.migrate import alembic_config, upgrade
from krev.platform.runtime import Runtime
from tests.conftest import _pg_admin_url, _pg_execute, build_app, service_missing
from tests.generations.stack import JOB_PLANS


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
    jobs: dict[str, tuple[str, dict[str, Any]]] = {
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
                _add_old_generation(session, ids[name], user, kind, params, now)

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


# The generations table as migrations 0001-0006 left it: the model has grown columns since.
_OLD_GENERATIONS = sa.table(
    "generations",
    *(
        sa.column(name, Generation.__table__.c[name].type)
        for name in (
            "id",
            "user_id",
            "kind",
            "status",
            "progress",
            "params",
            "credits_reserved",
            "credits_used",
            "attempts",
            "cancel_requested",
            "created_at",
            "queued_at",
            "deadline_at",
        )
    ),
)


def _add_old_generation(
    session: Session,
    generation_id: uuid.UUID,
    user_id: uuid.UUID,
    kind: str,
    params: dict[str, Any],
    now: datetime,
) -> None:
    """A queued generation written as the code before migration 0007 wrote one."""
    session.execute(
        sa.insert(_OLD_GENERATIONS).values(
            id=generation_id,
            user_id=user_id,
            kind=kind,
            status="queued",
            progress=0,
            params=params,
            credits_reserved=0,
            credits_used=0,
            attempts=0,
            cancel_requested=False,
            created_at=now,
            queued_at=now,
            deadline_at=now,
        )
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
                _add_old_generation(session, generation_id, user, "image", {}, now)

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


# The ledger as migrations 0001-0006 left it.
_OLD_LEDGER = sa.table(
    "credit_ledger",
    *(
        sa.column(name, LedgerEntry.__table__.c[name].type)
        for name in ("user_id", "kind", "delta", "balance_after", "generation_id", "created_at")
    ),
)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_0007_records_causes_and_old_rows_read_as_unknown(
    empty_database_url: str, make_settings: Callable[..., Settings]
) -> None:
    upgrade(empty_database_url, "0006")
    now = datetime.now(UTC)
    user, old, product = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    engine = create_engine(empty_database_url, poolclass=NullPool)
    try:
        with Session(engine) as session, session.begin():
            session.add(
                User(
                    id=user,
                    email="old@example.com",
                    password_hash="x",
                    plan="pro",
                    credits_resets_at=now + timedelta(days=30),
                    credits_balance=2460,
                )
            )
            session.flush()
            _add_old_generation(session, old, user, "test_render", {}, now)
            session.add(GenerationProduct(generation_id=old, product_id=product))
            session.add(_event(old, user, "queued"))
            for kind, delta, balance, generation_id in (
                ("monthly_reset", 2500, 2500, None),
                ("reservation", -40, 2460, old),
            ):
                session.execute(
                    sa.insert(_OLD_LEDGER).values(
                        user_id=user,
                        kind=kind,
                        delta=delta,
                        balance_after=balance,
                        generation_id=generation_id,
                        created_at=now,
                    )
                )

        upgrade(empty_database_url, "head")
        # SQLite rebuilt the tables: what hangs off an old generation is all still there.
        assert _links(engine) == [(old, product)]
        assert [(e[1], e[2]) for e in _events(engine)] == [(old, "queued")]
        assert _causes(engine) == [("unknown", None, None)] * 3

        # The API shows old rows as unknown; new ones say who made them.
        runtime = build_runtime(make_settings(database_url=empty_database_url, plans=JOB_PLANS))
        try:
            with runtime.db.transaction() as session:
                scopes = ["images", "credits"]
                key, plaintext = create_key(session, runtime.settings, user, "new", scopes)
                key_id = str(key.id)
            headers = {"Authorization": f"Bearer {plaintext}"}
            with TestClient(build_app(runtime), base_url="http://127.0.0.1:8000") as client:
                view = client.get(f"/api/v1/generations/{old}", headers=headers).json()["data"]
                assert (view["source"], view["api_key_id"]) == ("unknown", None)
                new = client.post(
                    "/api/v1/test-jobs", json={}, headers={**headers, "Prefer": "respond-async"}
                ).json()["data"]["generation_id"]
                history = client.get("/api/v1/credits/history", headers=headers).json()["data"]
            assert [(e["generation_id"], e["source"], e["api_key_id"]) for e in history] == [
                (new, "api", key_id),
                (str(old), "unknown", None),
                (None, "unknown", None),
            ]
        finally:
            runtime.close()

        # Down (with new rows there) and up again: the columns go, and come back unknown.
        command.downgrade(alembic_config(empty_database_url), "0006")
        with engine.connect() as connection:
            for table in ("generations", "credit_ledger"):
                columns = {c["name"] for c in inspect(connection).get_columns(table)}
                assert not columns & {"source", "api_key_id", "dashboard_session_id"}
        upgrade(empty_database_url, "head")
        assert _causes(engine) == [("unknown", None, None)] * 5
        assert _links(engine) == [(old, product)]
    finally:
        engine.dispose()


def _causes(engine: Engine) -> list[tuple[str, uuid.UUID | None, uuid.UUID | None]]:
    """(source, api_key_id, dashboard_session_id) of every generation, then every ledger entry."""
    with Session(engine) as session:
        rows = [
            *session.execute(select(Generation).order_by(Generation.created_at)).scalars(),
            *session.execute(select(LedgerEntry).order_by(LedgerEntry.id)).scalars(),
        ]
        return [(r.source, r.api_key_id, r.dashboard_session_id) for r in rows]


_LEDGER_0012 = sa.table(
    "credit_ledger",
    *(
        sa.column(name, LedgerEntry.__table__.c[name].type)
        for name in (
            "user_id",
            "kind",
            "delta",
            "balance_after",
            "generation_id",
            "created_at",
            "source",
        )
    ),
)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_0013_gives_old_credit_moves_their_generations_kind(
    empty_database_url: str, make_settings: Callable[..., Settings]
) -> None:
    upgrade(empty_database_url, "0012")
    now = datetime.now(UTC)
    user, kept, deleted = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    engine = create_engine(empty_database_url, poolclass=NullPool)
    try:
        with Session(engine) as session, session.begin():
            session.add(
                User(
                    id=user,
                    email="old@example.com",
                    password_hash="x",
                    plan="pro",
                    credits_resets_at=now + timedelta(days=30),
                    credits_balance=2140,
                )
            )
            session.flush()
            session.add(
                Generation(
                    id=kept,
                    user_id=user,
                    kind="video",
                    status="succeeded",
                    params={},
                    credits_reserved=320,
                    credits_used=320,
                    created_at=now,
                    queued_at=now,
                    deadline_at=now,
                    source="unknown",
                )
            )
            # The image's generation was deleted before 0013: its moves stay, kind unknown.
            for kind, delta, balance, generation_id in (
                ("monthly_reset", 2500, 2500, None),
                ("reservation", -320, 2180, kept),
                ("reservation", -40, 2140, deleted),
            ):
                session.execute(
                    sa.insert(_LEDGER_0012).values(
                        user_id=user,
                        kind=kind,
                        delta=delta,
                        balance_after=balance,
                        generation_id=generation_id,
                        created_at=now,
                        source="unknown",
                    )
                )

        upgrade(empty_database_url, "head")
        assert _ledger_kinds(engine) == [None, "video", None]

        # Usage by kind counts the video; the move whose kind is lost counts in no kind.
        runtime = build_runtime(make_settings(database_url=empty_database_url, plans=JOB_PLANS))
        try:
            with runtime.db.transaction() as session:
                _, plaintext = create_key(session, runtime.settings, user, "new", ["credits"])
            headers = {"Authorization": f"Bearer {plaintext}"}
            with TestClient(build_app(runtime), base_url="http://127.0.0.1:8000") as client:
                usage = client.get("/api/v1/credits/usage", headers=headers).json()["data"]
            assert usage["total"] == {"images": 0, "videos": 320, "ads": 0, "total": 320}
        finally:
            runtime.close()

        command.downgrade(alembic_config(empty_database_url), "0012")
        with engine.connect() as connection:
            columns = {c["name"] for c in inspect(connection).get_columns("credit_ledger")}
            assert "generation_kind" not in columns
        upgrade(empty_database_url, "head")
        assert _ledger_kinds(engine) == [None, "video", None]
    finally:
        engine.dispose()


def _ledger_kinds(engine: Engine) -> list[str | None]:
    with Session(engine) as session:
        stmt = select(LedgerEntry.generation_kind).order_by(LedgerEntry.id)
        return list(session.execute(stmt).scalars())
