"""All SQL for Meta conversions: pixel configurations and the events outbox.

Claiming is a conditional write (``status = 'queued'`` and no live claim), so any number of
API processes and workers can race for the same rows and each row goes out in one batch.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from krev.kit.pagination import Keyset, Page, PageRequest
from krev.kit.repository import Repository
from krev.models import ConversionEvent, MetaPixelConfig

CONVERSION_EVENTS = Keyset("conversion-events", (ConversionEvent.created_at, ConversionEvent.id))

# Core statements built once: intake runs them on every POST, and building a statement
# costs about as much Python as executing it (see krev.kit.repository).
_CONFIGS: Any = MetaPixelConfig.__table__
_EVENTS: Any = ConversionEvent.__table__
_INSERT_NEW = {
    postgres: (postgresql.insert(_EVENTS) if postgres else sqlite.insert(_EVENTS))
    .on_conflict_do_nothing(index_elements=["user_id", "dedup_key"])
    .returning(_EVENTS.c.id)
    for postgres in (True, False)
}
_TEST_CODE = select(_CONFIGS.c.test_event_code).where(_CONFIGS.c.user_id == bindparam("user_id"))


class ClaimedEvent(NamedTuple):
    id: uuid.UUID
    user_id: uuid.UUID
    payload: dict[str, Any]
    test_event_code: str | None
    attempts: int
    created_at: datetime


class MetaPixelConfigRepository(Repository[MetaPixelConfig]):
    model = MetaPixelConfig

    def test_event_code_of(self, user_id: uuid.UUID) -> tuple[bool, str | None]:
        """(whether the account has a pixel configured, its test event code)."""
        row = self.session.execute(_TEST_CODE, {"user_id": user_id}).first()
        return (False, None) if row is None else (True, row.test_event_code)

    def remove(self, user_id: uuid.UUID) -> bool:
        stmt = delete(MetaPixelConfig).where(MetaPixelConfig.user_id == user_id)
        return bool(self.session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def _unclaimed(now: datetime) -> Any:
    return or_(ConversionEvent.claimed_until.is_(None), ConversionEvent.claimed_until < now)


class ConversionEventRepository(Repository[ConversionEvent]):
    model = ConversionEvent

    # --- intake -----------------------------------------------------------------------

    def holders_of(
        self, user_id: uuid.UUID, keys: Sequence[str]
    ) -> list[tuple[str, uuid.UUID, str, datetime]]:
        """(dedup_key, id, status, created_at) of the events holding these keys."""
        if not keys:
            return []
        stmt = select(
            ConversionEvent.dedup_key,
            ConversionEvent.id,
            ConversionEvent.status,
            ConversionEvent.created_at,
        ).where(ConversionEvent.user_id == user_id, ConversionEvent.dedup_key.in_(keys))
        return [(r.dedup_key, r.id, r.status, r.created_at) for r in self.session.execute(stmt)]

    def release_dedup_keys(self, ids: Sequence[uuid.UUID]) -> None:
        """Free the keys of these events, so an event with the same key can be stored."""
        if ids:
            self.session.execute(
                update(ConversionEvent).where(ConversionEvent.id.in_(ids)).values(dedup_key=None)
            )

    def insert_new(self, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
        """Insert the rows but those whose dedup key an earlier event holds; the ids stored."""
        if not rows:
            return set()
        stmt = _INSERT_NEW[self.session.get_bind().dialect.name == "postgresql"]
        return set(self.session.execute(stmt, rows).scalars())

    # --- delivery ---------------------------------------------------------------------

    def has_due(self, user_id: uuid.UUID, now: datetime) -> bool:
        stmt = (
            select(ConversionEvent.id)
            .where(
                ConversionEvent.user_id == user_id,
                ConversionEvent.status == "queued",
                ConversionEvent.next_attempt_at <= now,
                _unclaimed(now),
            )
            .limit(1)
        )
        return self.session.scalar(stmt) is not None

    def claim_due(
        self, user_id: uuid.UUID, token: uuid.UUID, now: datetime, until: datetime, limit: int
    ) -> int:
        """Claim up to ``limit`` of the user's due events that share one test_event_code (a
        Graph request carries one). Returns how many were claimed."""
        due = and_(
            ConversionEvent.user_id == user_id,
            ConversionEvent.status == "queued",
            ConversionEvent.next_attempt_at <= now,
            _unclaimed(now),
        )
        first = self.session.execute(
            select(ConversionEvent.test_event_code)
            .where(due)
            .order_by(ConversionEvent.created_at, ConversionEvent.id)
            .limit(1)
        ).first()
        if first is None:
            return 0
        code = first.test_event_code
        same_code = (
            ConversionEvent.test_event_code.is_(None)
            if code is None
            else ConversionEvent.test_event_code == code
        )
        # One statement: the conditions are checked again on each row as it is written, so
        # a concurrent claimer's rows are never taken twice. On PostgreSQL the candidates are
        # locked with SKIP LOCKED: a claimer that waited on rows another batch is finishing
        # would keep its locks on the rows it had already passed, which that finish needs (a
        # deadlock). They are chosen once, in a MATERIALIZED CTE: as `id IN (subquery)` the
        # planner may run the subquery again for each row it considers (a nested loop), and
        # each run, skipping the rows this statement has already written, picks ``limit``
        # more: one claim took 1524 events. SQLite has one writer at a time and no row locks;
        # FOR UPDATE and MATERIALIZED are not rendered there.
        candidates = (
            select(ConversionEvent.id)
            .where(due, same_code)
            .order_by(ConversionEvent.created_at, ConversionEvent.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("due")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        stmt = (
            update(ConversionEvent)
            .where(
                ConversionEvent.id.in_(select(candidates.c.id)),
                ConversionEvent.status == "queued",
                _unclaimed(now),
            )
            .values(claim_token=token, claimed_until=until)
            .execution_options(synchronize_session=False)
        )
        return int(self.session.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def claimed(self, token: uuid.UUID) -> list[ClaimedEvent]:
        # Plain rows, not ORM objects: a batch is up to 1000 of them.
        stmt = (
            select(
                _EVENTS.c.id,
                _EVENTS.c.user_id,
                _EVENTS.c.payload,
                _EVENTS.c.test_event_code,
                _EVENTS.c.attempts,
                _EVENTS.c.created_at,
            )
            .where(_EVENTS.c.claim_token == token, _EVENTS.c.status == "queued")
            .order_by(_EVENTS.c.created_at, _EVENTS.c.id)
        )
        return [ClaimedEvent(*row) for row in self.session.execute(stmt)]

    def finish_claimed(self, token: uuid.UUID, **values: Any) -> int:
        """Write the outcome of a claimed batch (sent, failed, or back to queued)."""
        stmt = (
            update(ConversionEvent)
            .where(ConversionEvent.claim_token == token, ConversionEvent.status == "queued")
            .values(**values)
        )
        return int(self.session.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def fail_each(
        self, token: uuid.UUID, errors: Sequence[tuple[uuid.UUID, str]], completed_at: datetime
    ) -> None:
        """Record these claimed events as failed, each with its own error."""
        stmt = (
            update(_EVENTS)
            .where(
                _EVENTS.c.id == bindparam("event"),
                _EVENTS.c.claim_token == token,
                _EVENTS.c.status == "queued",
            )
            .values(
                status="failed",
                last_error=bindparam("error"),
                attempts=_EVENTS.c.attempts + 1,
                claim_token=None,
                claimed_until=None,
                completed_at=completed_at,
            )
        )
        self.session.execute(stmt, [{"event": id_, "error": error} for id_, error in errors])

    def release(self, token: uuid.UUID, ids: Sequence[uuid.UUID]) -> None:
        """Hand these claimed events back to the queue untried."""
        stmt = (
            update(_EVENTS)
            .where(_EVENTS.c.id.in_(ids), _EVENTS.c.claim_token == token)
            .values(claim_token=None, claimed_until=None)
        )
        self.session.execute(stmt)

    def users_with_due_events(self, due_before: datetime, now: datetime) -> list[uuid.UUID]:
        """Accounts with events due since ``due_before`` that nobody holds: their delivery
        task was lost (a restart, a wiped queue) and must be enqueued again."""
        stmt = (
            select(ConversionEvent.user_id)
            .where(
                ConversionEvent.status == "queued",
                ConversionEvent.next_attempt_at <= due_before,
                _unclaimed(now),
            )
            .distinct()
        )
        return list(self.session.scalars(stmt))

    # --- reading ------------------------------------------------------------------------

    def statuses(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[str, str | None]]:
        if not ids:
            return {}
        stmt = select(ConversionEvent.id, ConversionEvent.status, ConversionEvent.last_error).where(
            ConversionEvent.id.in_(ids)
        )
        return {row.id: (row.status, row.last_error) for row in self.session.execute(stmt)}

    def page_for_user(self, user_id: uuid.UUID, page: PageRequest) -> Page[ConversionEvent]:
        stmt = select(ConversionEvent).where(ConversionEvent.user_id == user_id)
        return self.paginate(stmt, CONVERSION_EVENTS, page)

    def count_for_user(self, user_id: uuid.UUID) -> int:
        stmt = select(func.count()).where(ConversionEvent.user_id == user_id)
        return int(self.session.scalar(stmt) or 0)
