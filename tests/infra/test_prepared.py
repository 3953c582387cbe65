"""PreparedSelect (the DB-API shortcut on the hot lookups) returns exactly what SQLAlchemy's
own execution of the same statement returns, on both databases, and steps aside when
someone listens to the SQL."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event

from krev.accounts import keys
from krev.accounts.repository import _KEY_OWNER, find_key_owner
from krev.generations.repository import _OWNED
from krev.models import Generation
from krev.runtime import Runtime
from tests.conftest import Account

BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


def _via_sqlalchemy(runtime: Runtime, statement: Any, **params: Any) -> tuple[Any, ...] | None:
    with runtime.db.loop_engine.connect() as connection:
        row = connection.execute(statement, params).first()
    return None if row is None else tuple(row)


@BOTH
def test_the_key_owner_row_matches_sqlalchemys(
    runtime: Runtime, make_account: Callable[..., Account]
) -> None:
    account = make_account(scopes=["credits", "images"])
    secret_hash = keys.hash_key(account.key, runtime.settings.secret)

    fast = runtime.db.run_on_loop(lambda c: _KEY_OWNER.first(c, secret_hash=secret_hash))
    unknown = hashlib.sha256(b"x").hexdigest()
    missing = runtime.db.run_on_loop(lambda c: _KEY_OWNER.first(c, secret_hash=unknown))

    assert tuple(fast) == _via_sqlalchemy(runtime, _KEY_OWNER.statement, secret_hash=secret_hash)
    assert missing is None
    assert isinstance(fast.key_id, uuid.UUID) and fast.id == account.user_id
    assert fast.scopes == ["credits", "images"]
    assert fast.credits_resets_at.tzinfo is not None and fast.revoked_at is None
    assert fast.is_admin is False


@BOTH
def test_the_generation_row_matches_sqlalchemys(
    runtime: Runtime, make_account: Callable[..., Account]
) -> None:
    account = make_account()
    now = datetime.now(UTC)
    generation = Generation(
        user_id=account.user_id,
        kind="test_render",
        status="succeeded",
        progress=100,
        params={"prompt": "x"},
        output={"files": [], "note": "ünïcode"},
        credits_reserved=40,
        credits_used=40,
        queued_at=now,
        completed_at=now,
        deadline_at=now,
    )
    with runtime.db.transaction() as session:
        session.add(generation)
        session.flush()
        generation_id = generation.id
    params = {"id": generation_id, "user_id": account.user_id}

    fast = runtime.db.run_on_loop(lambda c: _OWNED.first(c, **params))
    other_users = runtime.db.run_on_loop(
        lambda c: _OWNED.first(c, id=generation_id, user_id=uuid.uuid4())
    )

    assert tuple(fast) == _via_sqlalchemy(runtime, _OWNED.statement, **params)
    assert other_users is None
    assert fast.output == {"files": [], "note": "ünïcode"}
    assert fast.completed_at == now


def test_listeners_see_the_sql(runtime: Runtime, make_account: Callable[..., Account]) -> None:
    account = make_account()
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(runtime.db.loop_engine, "before_cursor_execute", record)
    try:
        secret_hash = keys.hash_key(account.key, runtime.settings.secret)
        owner = runtime.db.run_on_loop(lambda c: find_key_owner(c, secret_hash))
    finally:
        event.remove(runtime.db.loop_engine, "before_cursor_execute", record)

    assert owner is not None and owner.account.id == account.user_id
    assert any("api_keys" in statement for statement in seen)


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_poll_survives_the_database_dropping_the_loops_connection(
    runtime: Runtime, make_account: Callable[..., Account]
) -> None:
    """A restart or failover closes the loop's kept connection; the next read reconnects and
    answers instead of failing the request."""
    from sqlalchemy import text

    account = make_account()
    secret_hash = keys.hash_key(account.key, runtime.settings.secret)

    def owner_and_backend(connection: Any) -> tuple[Any, int]:
        owner = find_key_owner(connection, secret_hash)
        return owner, connection.connection.driver_connection.info.backend_pid

    first, pid = runtime.db.run_on_loop(owner_and_backend)
    with runtime.db.engine.connect() as admin:
        assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()

    again, new_pid = runtime.db.run_on_loop(owner_and_backend)

    assert first is not None and again is not None
    assert again.account.id == first.account.id == account.user_id
    assert new_pid != pid


def test_errors_that_are_not_the_databases_keep_the_connection(
    runtime: Runtime, make_account: Callable[..., Account]
) -> None:
    connections: list[Any] = []

    def refuse(connection: Any) -> None:
        connections.append(connection)
        raise LookupError("not found, say")

    for _ in range(2):
        with pytest.raises(LookupError):
            runtime.db.run_on_loop(refuse)

    assert connections[0] is connections[1]
