"""All SQL for balances and the credit ledger.

Balance changes are single conditional UPDATEs so concurrent requests cannot overdraw:
PostgreSQL re-checks the WHERE clause after a concurrent commit, and SQLite write
transactions are serialised by BEGIN IMMEDIATE.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, String, func, literal_column, select, update
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from krev.kit.pagination import Keyset, Page, PageRequest
from krev.kit.repository import Repository
from krev.models import Cause, LedgerEntry, User

# Newest first by id alone: ids are given in the order the balance moved (each entry is
# written under the user's row lock), which clocks on several machines need not agree on.
CREDIT_HISTORY = Keyset("credit-history", (LedgerEntry.id,))
# A chat run's moves carry its cause, ``chat:<run id>``. Written into the SQL as a literal: a
# bound parameter would make the grouped expression differ from the selected one on PostgreSQL.
_VIA_CHAT: ColumnElement[str] = literal_column("'chat:%'")


class utc_day(FunctionElement[str]):  # noqa: N801 (an SQL function, named like one)
    """The UTC calendar day of a timestamp, as ``YYYY-MM-DD`` text, on either database."""

    type = String()
    inherit_cache = True


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite holds UTC timestamps without an offset (krev.models.base.UTCDateTime).
    return f"strftime('%Y-%m-%d', {compiler.process(element.clauses, **kw)})"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    # timestamptz: read in UTC, whatever the connection's TimeZone.
    column = compiler.process(element.clauses, **kw)
    return f"to_char(({column}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


@compiles(utc_day)
def _utc_day_other(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    raise CompileError(f"utc_day is written for SQLite and PostgreSQL, not {compiler.dialect.name}")


class DailyUsage(NamedTuple):
    """Credits that the jobs of one kind accepted on one UTC day used, net of their refunds."""

    day: str
    generation_kind: str
    via_chat: bool
    credits: int


class LedgerRepository(Repository[LedgerEntry]):
    model = LedgerEntry

    def debit_if_covered(self, user_id: uuid.UUID, amount: int) -> int | None:
        """Take ``amount`` if the balance covers it; the new balance, or None if short."""
        stmt = (
            update(User)
            .where(User.id == user_id, User.credits_balance >= amount)
            .values(credits_balance=User.credits_balance - amount)
            .returning(User.credits_balance)
        )
        return self.session.execute(stmt).scalar_one_or_none()

    def credit(self, user_id: uuid.UUID, amount: int) -> int:
        stmt = (
            update(User)
            .where(User.id == user_id)
            .values(credits_balance=User.credits_balance + amount)
            .returning(User.credits_balance)
        )
        return int(self.session.execute(stmt).scalar_one())

    def record(
        self,
        user_id: uuid.UUID,
        kind: str,
        delta: int,
        balance_after: int,
        generation_id: uuid.UUID | None = None,
        note: str | None = None,
        *,
        cause: Cause,
        generation_kind: str | None = None,
    ) -> LedgerEntry:
        return self.add(
            LedgerEntry(
                user_id=user_id,
                kind=kind,
                delta=delta,
                balance_after=balance_after,
                generation_id=generation_id,
                generation_kind=generation_kind,
                note=note,
                **cause.columns(),
            )
        )

    def has_entry(self, generation_id: uuid.UUID, kind: str) -> bool:
        stmt = select(LedgerEntry.id).where(
            LedgerEntry.generation_id == generation_id, LedgerEntry.kind == kind
        )
        return self.session.scalar(stmt) is not None

    def total(self, user_id: uuid.UUID) -> int:
        stmt = select(func.coalesce(func.sum(LedgerEntry.delta), 0)).where(
            LedgerEntry.user_id == user_id
        )
        return int(self.session.scalar(stmt) or 0)

    def history(self, user_id: uuid.UUID, page: PageRequest) -> Page[LedgerEntry]:
        stmt = select(LedgerEntry).where(LedgerEntry.user_id == user_id)
        return self.paginate(stmt, CREDIT_HISTORY, page)

    def usage_by_day(
        self, user_id: uuid.UUID, since: datetime, kinds: Sequence[str]
    ) -> list[DailyUsage]:
        """Per UTC day from ``since``, generation kind and chat or not: the credits the jobs
        accepted that day used. A job counts on the day it was reserved, net of its refunds
        whenever they came, so a failure after midnight never makes a day negative."""
        reservation = aliased(LedgerEntry)
        move = aliased(LedgerEntry)
        day = utc_day(reservation.created_at)
        via_chat: ColumnElement[bool] = reservation.source.like(_VIA_CHAT)
        stmt = (
            select(
                day,
                reservation.generation_kind,
                via_chat,
                func.sum(-move.delta),
            )
            .join(
                move,
                (move.generation_id == reservation.generation_id)
                & (move.user_id == reservation.user_id),
            )
            .where(
                reservation.user_id == user_id,
                reservation.kind == "reservation",
                reservation.created_at >= since,
                reservation.generation_kind.in_(kinds),
            )
            .group_by(day, reservation.generation_kind, via_chat)
        )
        return [
            DailyUsage(str(found_day), str(kind), bool(chat), int(credits or 0))
            for found_day, kind, chat, credits in self.session.execute(stmt)
        ]

    def lock_user(self, user_id: uuid.UUID) -> User | None:
        # FOR NO KEY UPDATE on PostgreSQL: rows that reference the user (generations, ledger)
        # take KEY SHARE locks on it, and a plain FOR UPDATE waiting on those deadlocks.
        stmt = select(User).where(User.id == user_id).with_for_update(key_share=True)
        return self.session.scalars(stmt).first()

    def start_period(self, user_id: uuid.UUID, balance: int, resets_at: datetime) -> None:
        self.session.execute(
            update(User)
            .where(User.id == user_id)
            .values(credits_balance=balance, credits_resets_at=resets_at)
        )
