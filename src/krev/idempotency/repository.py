"""All SQL for idempotency records."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from krev.kit.repository import Repository
from krev.models import IdempotencyRecord


class IdempotencyRepository(Repository[IdempotencyRecord]):
    model = IdempotencyRecord

    def find(self, user_id: uuid.UUID, key: str) -> IdempotencyRecord | None:
        stmt = select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
        )
        return self.session.scalars(stmt).first()

    def insert_new(self, record: IdempotencyRecord) -> bool:
        """False when the user already has a record for this key (a concurrent retry)."""
        try:
            with self.session.begin_nested():
                self.add(record)
        except IntegrityError:
            return False
        return True

    def take_over(
        self, record_id: uuid.UUID, seen_created_at: datetime, values: dict[str, Any]
    ) -> bool:
        """Claim an abandoned or expired record; False if another retry claimed it first."""
        stmt = (
            update(IdempotencyRecord)
            .where(
                IdempotencyRecord.id == record_id,
                IdempotencyRecord.created_at == seen_created_at,
            )
            .values(**values)
        )
        return bool(self.session.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def complete(
        self, record_id: uuid.UUID, status: int, headers: list[list[str]], body: bytes
    ) -> None:
        self.session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.id == record_id)
            .values(
                status="completed",
                response_status=status,
                response_headers=headers,
                response_body=body,
            )
        )

    def remove(self, record_id: uuid.UUID) -> None:
        self.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))

    def purge_expired(self, now: datetime) -> int:
        result = self.session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= now)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
