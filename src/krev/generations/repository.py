"""All SQL for generation records. State changes are conditional updates.

A worker owns a job for one attempt: every write it makes is guarded by
``status = 'processing' AND attempts = :attempt``, so a worker that was presumed dead and
comes back cannot overwrite the attempt that replaced it.

Every change of ``status`` goes through ``_change_status``, which writes the change's
``generation_events`` row in the same transaction (the outbox, docs/jobs.md); ``_update``
refuses to touch ``status``, so no other method can change it without its event.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session, defer

from krev.kit.clock import utcnow
from krev.kit.pagination import Keyset, Page, PageRequest
from krev.kit.repository import Repository
from krev.models import Generation, GenerationEvent, GenerationProduct, User
from krev.models.generation import ACTIVE_STATUSES, EVENT_TYPES, TERMINAL_STATUSES

GENERATIONS = Keyset("generations", (Generation.created_at, Generation.id))
# Oldest first: readers follow the outbox in the order it was written.
USER_EVENTS = Keyset("generation-events", (GenerationEvent.id,), ascending=True)


def _owned_by_attempt(generation_id: uuid.UUID, attempt: int) -> tuple[ColumnElement[bool], ...]:
    return (
        Generation.id == generation_id,
        Generation.status == "processing",
        Generation.attempts == attempt,
    )


class GenerationRepository(Repository[Generation]):
    model = Generation

    def _update(
        self, generation_id: uuid.UUID, *conditions: ColumnElement[bool], **values: Any
    ) -> bool:
        """One conditional UPDATE of the generation; True when it changed the row. Not for
        ``status``: that changes through ``_change_status``, with its event."""
        if "status" in values:
            raise ValueError("status changes go through _change_status, which writes the event")
        stmt = (
            update(Generation)
            .where(Generation.id == generation_id, *conditions)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(self.session.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def _change_status(
        self, generation_id: uuid.UUID, *conditions: ColumnElement[bool], **values: Any
    ) -> Generation | None:
        """Move the generation to ``values["status"]`` with one conditional UPDATE and, when it
        changed the row, write the change's event in the same transaction; the generation as
        it now is, or None when the conditions did not hold (no change, no event)."""
        if "status" not in values:
            raise ValueError("a status change names the status it moves to")
        stmt = (
            update(Generation)
            .where(Generation.id == generation_id, *conditions)
            .values(**values)
            .returning(Generation)
            # The returned row replaces whatever this session had loaded: the event and the
            # callers read the generation as the UPDATE left it.
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        generation = self.session.scalars(stmt).first()
        if generation is not None:
            self._record_event(generation)
        return generation

    def _record_event(self, generation: Generation) -> None:
        """The event of the generation's status as it now is, with its progress at this moment.

        Written under the user's row lock (held to commit): the id is drawn after any other
        transaction writing this user's events has committed, so one user's events become
        visible in id order and a reader that remembers the last id it saw misses none. A
        status change already serialises on the generation's row, so a generation's events
        are in order too. (On SQLite, writers are serialised anyway.)"""
        self.session.execute(
            select(User.id).where(User.id == generation.user_id).with_for_update(key_share=True)
        )
        self.session.execute(
            insert(GenerationEvent).values(
                generation_id=generation.id,
                user_id=generation.user_id,
                type=EVENT_TYPES[generation.status],
                status=generation.status,
                progress=generation.progress,
                error_code=generation.error_code,
                created_at=utcnow(),
            )
        )

    def accept(self, generation: Generation) -> Generation:
        """Record a new queued job and its ``generation.queued`` event."""
        self.add(generation)
        self._record_event(generation)
        return generation

    def count_active(self, user_id: uuid.UUID) -> int:
        """The user's jobs queued or running."""
        query = select(func.count()).where(
            Generation.user_id == user_id, Generation.status.in_(("queued", "processing"))
        )
        return int(self.session.scalar(query) or 0)

    def _find(self, *conditions: ColumnElement[bool], limit: int) -> list[Generation]:
        return list(self.session.scalars(select(Generation).where(*conditions).limit(limit)))

    def claim(self, generation_id: uuid.UUID, now: datetime) -> Generation | None:
        return self._change_status(
            generation_id,
            Generation.status == "queued",
            Generation.cancel_requested.is_(False),
            status="processing",
            attempts=Generation.attempts + 1,
            started_at=func.coalesce(Generation.started_at, now),
            heartbeat_at=now,
            progress=0,
        )

    def heartbeat(
        self, generation_id: uuid.UUID, attempt: int, now: datetime, progress: int | None = None
    ) -> bool | None:
        """Prove the attempt is alive; returns cancel_requested, or None if it lost the job."""
        values: dict[str, Any] = {"heartbeat_at": now}
        if progress is not None:
            values["progress"] = progress
        stmt = (
            update(Generation)
            .where(*_owned_by_attempt(generation_id, attempt))
            .values(**values)
            .returning(Generation.cancel_requested)
            .execution_options(synchronize_session=False)
        )
        return self.session.execute(stmt).scalar_one_or_none()

    def remember(self, generation_id: uuid.UUID, attempt: int, state: dict[str, Any]) -> bool:
        """Store what the attempt must not forget (a provider's job id); False if it lost
        the job."""
        return self._update(
            generation_id, *_owned_by_attempt(generation_id, attempt), provider_state=state
        )

    def suspend(
        self, generation_id: uuid.UUID, attempt: int, now: datetime, wake_at: datetime
    ) -> bool:
        """The attempt waits, holding no thread, until ``wake_at``; False if it lost the job."""
        return self._update(
            generation_id,
            *_owned_by_attempt(generation_id, attempt),
            heartbeat_at=now,
            wake_at=wake_at,
        )

    def wake(self, generation_id: uuid.UUID, now: datetime) -> Generation | None:
        """Take a waiting job up again (same attempt); None if it is not waiting (already
        woken by a duplicate task, finished, or taken over by another attempt)."""
        stmt = (
            update(Generation)
            .where(
                Generation.id == generation_id,
                Generation.status == "processing",
                Generation.wake_at.is_not(None),
            )
            .values(wake_at=None, heartbeat_at=now)
            .returning(Generation)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        return self.session.scalars(stmt).first()

    def finish_attempt(
        self, generation_id: uuid.UUID, attempt: int, **values: Any
    ) -> Generation | None:
        return self._change_status(
            generation_id, *_owned_by_attempt(generation_id, attempt), **values
        )

    def finish_if_active(self, generation_id: uuid.UUID, **values: Any) -> Generation | None:
        return self._change_status(generation_id, Generation.status.in_(ACTIVE_STATUSES), **values)

    def cancel_if_queued(self, generation_id: uuid.UUID, now: datetime) -> Generation | None:
        return self._change_status(
            generation_id,
            Generation.status == "queued",
            status="cancelled",
            completed_at=now,
            error="Cancelled by the user.",
            error_code="cancelled",
            credits_used=0,
        )

    def request_cancel(self, generation_id: uuid.UUID) -> None:
        self._update(
            generation_id,
            Generation.status == "processing",
            cancel_requested=True,
        )

    def requeue(self, generation_id: uuid.UUID, attempt: int, now: datetime) -> Generation | None:
        return self._change_status(
            generation_id,
            *_owned_by_attempt(generation_id, attempt),
            # A cancelled job queued again could never be claimed; the janitor's sweep ends it.
            Generation.cancel_requested.is_(False),
            status="queued",
            queued_at=now,
            heartbeat_at=None,
            wake_at=None,
            progress=0,
        )

    def touch_queued(self, generation_id: uuid.UUID, now: datetime) -> bool:
        return self._update(generation_id, Generation.status == "queued", queued_at=now)

    def silent_since(self, before: datetime, limit: int = 100) -> Sequence[Generation]:
        """Processing jobs silent since ``before``: their worker stopped beating, or, for a
        job waiting on a provider, its wake-up is that long overdue (the task was lost)."""
        return self._find(
            Generation.status == "processing",
            func.coalesce(Generation.wake_at, Generation.heartbeat_at) < before,
            limit=limit,
        )

    def queued_since(self, before: datetime, limit: int = 100) -> Sequence[Generation]:
        return self._find(Generation.status == "queued", Generation.queued_at < before, limit=limit)

    def overdue(self, now: datetime, limit: int = 100) -> Sequence[Generation]:
        return self._find(
            Generation.status.in_(ACTIVE_STATUSES), Generation.deadline_at < now, limit=limit
        )

    def link_products(self, generation_id: uuid.UUID, product_ids: Sequence[uuid.UUID]) -> None:
        rows = [
            {"generation_id": generation_id, "product_id": product_id}
            for product_id in dict.fromkeys(product_ids)
        ]
        if rows:
            self.session.execute(insert(GenerationProduct), rows)

    def page_for_user(
        self,
        user_id: uuid.UUID,
        kinds: Sequence[str],
        page: PageRequest,
        *,
        status: str | None = None,
        product_id: uuid.UUID | None = None,
        api_key_id: uuid.UUID | None = None,
    ) -> Page[Generation]:
        # A listing shows no parameters; an image job's carry its reference thumbnails.
        stmt = (
            select(Generation)
            .options(defer(Generation.params))
            .where(Generation.user_id == user_id, Generation.kind.in_(kinds))
        )
        if status is not None:
            stmt = stmt.where(Generation.status == status)
        if product_id is not None:
            for_product = select(GenerationProduct.generation_id).where(
                GenerationProduct.product_id == product_id
            )
            stmt = stmt.where(Generation.id.in_(for_product))
        if api_key_id is not None:
            stmt = stmt.where(Generation.api_key_id == api_key_id)
        return self.paginate(stmt, GENERATIONS, page)

    def recent_of_kinds(
        self, user_id: uuid.UUID, kinds: Sequence[str], limit: int
    ) -> list[Generation]:
        stmt = (
            select(Generation)
            .where(
                Generation.user_id == user_id,
                Generation.kind.in_(kinds),
                Generation.status == "succeeded",
            )
            .order_by(Generation.created_at.desc(), Generation.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def lock_owned(self, generation_id: uuid.UUID, user_id: uuid.UUID) -> Generation | None:
        """The user's generation, its row locked until commit (another user's reads as
        missing). A deletion holds it: a second deletion, or the janitor's retention, waits and
        then finds the row gone, so outputs are un-counted once; a worker's finish waits too,
        and the status read here is the one that holds until commit."""
        stmt = (
            select(Generation)
            .where(Generation.id == generation_id, Generation.user_id == user_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return self.session.scalars(stmt).first()

    def lock_finished_before(self, generation_id: uuid.UUID, before: datetime) -> Generation | None:
        """The generation if it finished before ``before``, its row locked until commit; None
        once another deletion took it."""
        stmt = (
            select(Generation)
            .where(
                Generation.id == generation_id,
                Generation.status.in_(TERMINAL_STATUSES),
                Generation.completed_at < before,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return self.session.scalars(stmt).first()

    def finished_before(self, before: datetime, limit: int = 100) -> list[uuid.UUID]:
        """Ids of generations that finished before ``before``, oldest first (indexed on
        ``completed_at``, which only finished generations have)."""
        stmt = (
            select(Generation.id)
            .where(Generation.completed_at < before, Generation.status.in_(TERMINAL_STATUSES))
            .order_by(Generation.completed_at)
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def remove(self, generation_id: uuid.UUID) -> None:
        """Delete the record; its events and product links go with it (ON DELETE CASCADE).
        The credit ledger's rows for it stay: they are history, keyed by a plain id."""
        self.session.execute(
            delete(Generation)
            .where(Generation.id == generation_id)
            .execution_options(synchronize_session=False)
        )

    def status_of(self, generation_id: uuid.UUID) -> str | None:
        return self.session.scalar(select(Generation.status).where(Generation.id == generation_id))


class GenerationEventRepository(Repository[GenerationEvent]):
    """Reads of the outbox; its rows are written by ``GenerationRepository._change_status``."""

    model = GenerationEvent

    def of_generation(self, generation_id: uuid.UUID) -> list[GenerationEvent]:
        """The generation's events, oldest first: its status history."""
        stmt = (
            select(GenerationEvent)
            .where(GenerationEvent.generation_id == generation_id)
            .order_by(GenerationEvent.id)
        )
        return list(self.session.scalars(stmt))

    def for_user(
        self, user_id: uuid.UUID, page: PageRequest, *, after_id: int = 0
    ) -> Page[GenerationEvent]:
        """A page of the user's events with ids above ``after_id``, oldest first; the
        page's cursor (or its last id) continues from there."""
        stmt = select(GenerationEvent).where(
            GenerationEvent.user_id == user_id, GenerationEvent.id > after_id
        )
        return self.paginate(stmt, USER_EVENTS, page)


# Module-level, Core-only reads: they run on an ORM session or, for the hot polling path,
# on the event loop's own connection (see Database.run_on_loop).
# Only what a view shows: params (the request, possibly large JSON) is not decoded per poll.
_OWNED = select(
    Generation.id,
    Generation.kind,
    Generation.status,
    Generation.progress,
    Generation.output,
    Generation.error,
    Generation.error_code,
    Generation.credits_used,
    Generation.queued_at,
    Generation.created_at,
    Generation.started_at,
    Generation.completed_at,
    Generation.source,
    Generation.api_key_id,
    Generation.prompt,  # read out of params in SQL (see Generation.prompt)
).where(Generation.id == bindparam("id"), Generation.user_id == bindparam("user_id"))


def find_owned_record(
    executor: Connection | Session, generation_id: uuid.UUID, user_id: uuid.UUID
) -> Row[Any] | None:
    """The generation's columns if ``user_id`` owns it; another user's id reads as missing."""
    return executor.execute(_OWNED, {"id": generation_id, "user_id": user_id}).first()


_STATES = select(Generation.id, Generation.status, Generation.credits_used, Generation.error).where(
    Generation.user_id == bindparam("user_id"), Generation.id.in_(bindparam("ids", expanding=True))
)


def find_owned_states(
    executor: Connection | Session, user_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[Row[Any]]:
    """The status, credits used and error of those of ``ids`` that ``user_id`` owns, in one
    query (another user's, or a deleted one, is left out)."""
    if not ids:
        return []
    return list(executor.execute(_STATES, {"user_id": user_id, "ids": list(ids)}))


def count_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(Generation.status, func.count()).group_by(Generation.status))
    return {status: int(count) for status, count in rows}


def queue_position(executor: Connection | Session, queued_at: datetime) -> int:
    stmt = select(func.count()).where(
        Generation.status == "queued", Generation.queued_at < queued_at
    )
    return int(executor.scalar(stmt) or 0) + 1
