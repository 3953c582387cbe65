"""All SQL for balances and the credit ledger.

Balance changes are single conditional UPDATEs so concurrent requests cannot overdraw:
PostgreSQL re-checks the WHERE clause after a concurrent commit, and SQLite write
transactions are serialised by BEGIN IMMEDIATE.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update

from krev.kit.pagination import Keyset, Page, PageRequest
from krev.kit.repository import Repository
from krev.models import Cause, LedgerEntry, User

# Newest first by id alone: ids are given in the order the balance moved (each entry is
# written under the user's row lock), which clocks on several machines need not agree on.
CREDIT_HISTORY = Keyset("credit-history", (LedgerEntry.id,))


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
    ) -> LedgerEntry:
        return self.add(
            LedgerEntry(
                user_id=user_id,
                kind=kind,
                delta=delta,
                balance_after=balance_after,
                generation_id=generation_id,
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
