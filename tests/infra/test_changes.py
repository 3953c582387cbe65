"""Which cache tags a write names, read off the ORM's own events (krev.platform.changes): every
write path is seen without naming anything, and a write whose rows cannot be named drops all."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from sqlalchemy import Executable, bindparam, delete, select, text, update
from sqlalchemy.orm import Session

from krev.models import GENERATION_TAG, USER_TAG, ApiKey, Generation, User
from krev.platform.changes import EVERYTHING, take_changes
from krev.platform.runtime import Runtime
from tests.conftest import Account

USER = uuid.uuid4()
OTHER = uuid.uuid4()


@pytest.fixture
def session(runtime: Runtime) -> Iterator[Session]:
    """A write transaction that is never committed."""
    with runtime.db.transaction() as session:
        yield session
        session.rollback()


def _named(
    session: Session, statement: Executable, parameters: Mapping[str, Any] | None = None
) -> set[str]:
    session.execute(statement, parameters)
    return take_changes(session)


def test_updates_and_deletes_name_the_rows_their_where_clause_pins(session: Session) -> None:
    assert _named(
        session, update(User).where(User.id == USER, User.credits_balance >= 1).values(plan="x")
    ) == {USER_TAG(USER)}
    assert _named(
        session, update(ApiKey).where(ApiKey.user_id.in_([USER, OTHER])).values(name="k")
    ) == {USER_TAG(USER), USER_TAG(OTHER)}
    users = User.metadata.tables["users"]
    assert _named(
        session, update(users).where(users.c.id == bindparam("u")).values(plan="x"), {"u": OTHER}
    ) == {USER_TAG(OTHER)}
    assert _named(session, delete(Generation).where(Generation.id == USER)) == {
        GENERATION_TAG(USER)
    }


def test_a_write_whose_rows_cannot_be_named_drops_everything(session: Session) -> None:
    assert _named(session, update(User).where(User.plan == "free").values(plan="pro")) == {
        EVERYTHING
    }
    assert _named(session, update(ApiKey).where(ApiKey.id == USER).values(name="k")) == {EVERYTHING}
    assert _named(session, text("UPDATE users SET plan = 'pro'")) == {EVERYTHING}


def test_reads_inserts_and_untagged_tables_name_nothing(session: Session) -> None:
    assert _named(session, select(User).where(User.id == USER)) == set()
    assert _named(session, text("SELECT 1")) == set()
    assert _named(session, delete(Generation.metadata.tables["products"])) == set()


def test_unit_of_work_changes_name_the_objects_they_flush(
    runtime: Runtime, account: Account
) -> None:
    announced: list[set[str]] = []
    runtime.db.announce = announced.append
    with runtime.db.transaction() as session:
        user = session.get(User, account.user_id)
        assert user is not None
        user.plan = "free"
    assert announced == [{USER_TAG(account.user_id)}]


def test_only_the_outermost_commit_announces_and_a_rollback_forgets(
    runtime: Runtime, account: Account
) -> None:
    announced: list[set[str]] = []
    runtime.db.announce = announced.append
    write = update(User).where(User.id == account.user_id).values(plan="free")
    with runtime.db.transaction() as session:
        with session.begin_nested():
            session.execute(write)
        assert announced == []  # a released savepoint is not a commit
    assert announced == [{USER_TAG(account.user_id)}]

    announced.clear()

    def abandoned() -> None:
        with runtime.db.transaction() as session:
            session.execute(write)
            raise RuntimeError("abandon")

    with pytest.raises(RuntimeError):
        abandoned()
    with runtime.db.transaction() as session:
        session.execute(select(User))
    assert announced == []
