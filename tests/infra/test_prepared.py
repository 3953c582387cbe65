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

    with runtime.db.read_on_loop() as connection:
        fast = _KEY_OWNER.first(connection, secret_hash=secret_hash)
        missing = _KEY_OWNER.first(connection, secret_hash=hashlib.sha256(b"x").hexdigest())

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

    with runtime.db.read_on_loop() as connection:
        fast = _OWNED.first(connection, **params)
        other_users = _OWNED.first(connection, id=generation_id, user_id=uuid.uuid4())

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
        with runtime.db.read_on_loop() as connection:
            owner = find_key_owner(connection, keys.hash_key(account.key, runtime.settings.secret))
    finally:
        event.remove(runtime.db.loop_engine, "before_cursor_execute", record)

    assert owner is not None and owner.account.id == account.user_id
    assert any("api_keys" in statement for statement in seen)
