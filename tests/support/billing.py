"""Credit facts read straight from the database, for tests that check what the API did
to the ledger (whose deltas must always sum to the balance), plus plans built from the
defaults."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from krev.models import Generation, LedgerEntry, User
from krev.platform.config import DEFAULT_PLANS, Plan
from krev.platform.runtime import Runtime

# Generous enough that 429 never interferes with a test about something else.
UNLIMITED = "10000/minute"


def plans_with(**extra: Plan) -> dict[str, Plan]:
    """The default plans (so default_plan and bootstrap_plan still exist) plus ``extra``."""
    return {**DEFAULT_PLANS, **extra}


def unlimited_plan(credits: int = 2500) -> Plan:
    return Plan(name="Load", monthly_credits=credits, storage_bytes=1024**3, rate_limit=UNLIMITED)


def balance_of(runtime: Runtime, user_id: uuid.UUID) -> int:
    with runtime.db.transaction(write=False) as session:
        user = session.get(User, user_id)
        assert user is not None
        return int(user.credits_balance)


def ledger_sum(runtime: Runtime, user_id: uuid.UUID) -> int:
    with runtime.db.transaction(write=False) as session:
        total = session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.delta), 0)).where(
                LedgerEntry.user_id == user_id
            )
        )
        return int(total or 0)


def ledger_kinds(runtime: Runtime, user_id: uuid.UUID) -> list[str]:
    """The kinds of the user's ledger entries, oldest first."""
    with runtime.db.transaction(write=False) as session:
        stmt = select(LedgerEntry.kind).where(LedgerEntry.user_id == user_id)
        return list(session.scalars(stmt.order_by(LedgerEntry.id)))


def generation_count(runtime: Runtime, user_id: uuid.UUID) -> int:
    with runtime.db.transaction(write=False) as session:
        count = session.scalar(
            select(func.count()).select_from(Generation).where(Generation.user_id == user_id)
        )
        return int(count or 0)


def assert_ledger_matches_balance(runtime: Runtime, user_id: uuid.UUID) -> int:
    """The balance, after checking that the ledger's deltas sum to it."""
    balance = balance_of(runtime, user_id)
    assert ledger_sum(runtime, user_id) == balance
    return balance


def set_user_columns(runtime: Runtime, user_id: uuid.UUID, **values: Any) -> None:
    """Test setup the API has no way to do: move a period's end, pretend storage is used."""
    with runtime.db.transaction() as session:
        session.execute(update(User).where(User.id == user_id).values(**values))


def backdate_ledger(
    runtime: Runtime, generation_id: str, days: int, *, kind: str | None = None
) -> None:
    """Test setup the API has no way to do: move a generation's credit moves (or only those
    of ``kind``) ``days`` days into the past, as if the job had been accepted then."""
    moves = LedgerEntry.generation_id == uuid.UUID(generation_id)
    if kind is not None:
        moves &= LedgerEntry.kind == kind
    with runtime.db.transaction() as session:
        # Row by row in Python: SQLite has no date arithmetic on the stored text.
        for entry in session.scalars(select(LedgerEntry).where(moves)):
            entry.created_at -= timedelta(days=days)
