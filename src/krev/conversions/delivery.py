"""Delivering the outbox to Meta: send a claimed batch, then record it as sent, failed (Meta's
message kept), or queued again with exponential backoff and jitter, honouring Retry-After,
until the give-up bound. Used by the POST endpoint right after commit and by the worker task.
"""

from __future__ import annotations

import functools
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from anyio import to_thread
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from krev.conversions import service
from krev.conversions.events import non_finite_numbers, parse_body
from krev.conversions.graph import GraphClient, GraphError, encode_event
from krev.conversions.repository import ClaimedEvent, ConversionEventRepository
from krev.kit.clock import utcnow
from krev.models import ConversionEvent
from krev.platform.config import Settings
from krev.platform.db import after_commit, lock_conflict
from krev.platform.queue import TaskQueue
from krev.platform.runtime import Runtime

log = structlog.get_logger("krev.conversions")

# The queue's name for delivering one account's due events (krev.conversions.tasks).
DELIVER_CONVERSIONS = "krev.deliver_conversions"
# Events accepted without waiting are delivered together a moment later: one task and one
# Graph request for everything a busy account sent meanwhile, not one per request.
COALESCE_SECONDS = 1.0

MAX_BATCH = 1000


def graph_client(settings: Settings) -> GraphClient:
    """The process's client for the Graph API these settings name: one connection pool each."""
    return _graph_client(
        settings.meta_graph_url,
        settings.meta_graph_version,
        settings.conversions_delivery_timeout_seconds,
    )


@functools.lru_cache(maxsize=16)
def _graph_client(url: str, version: str, timeout: float) -> GraphClient:
    return GraphClient(url, version, timeout=timeout)


# A claim outlives the Graph request by this much; after it the rows are anyone's again.
CLAIM_MARGIN_SECONDS = 60.0


@dataclass(frozen=True)
class BatchResult:
    status: str  # sent | queued | failed | none
    events: int
    retry_in: float | None = None
    error: str | None = None


def backoff_seconds(
    attempt: int, base: float, cap: float, retry_after: float | None, rng: random.Random
) -> float:
    """Delay before try ``attempt + 1``: exponential, with "equal jitter" so a crowd of
    failed batches does not come back at once, and never sooner than Meta's Retry-After."""
    ceiling = min(cap, base * 2.0 ** max(0, attempt - 1))
    delay = ceiling / 2 + rng.uniform(0, ceiling / 2)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


_rng = random.Random()


def deliver_claimed(runtime: Runtime, token: uuid.UUID, *, timeout: float) -> BatchResult:
    """Send the events claimed under ``token`` in one Graph request and record the outcome.

    An event that cannot be sent for a reason of its own (one an older version stored with a
    number JSON cannot carry, say) is recorded as failed with that reason, and the others go
    out without it: left claimed, it would come back when the claim lapsed, forever."""
    settings = runtime.settings
    with runtime.db.transaction(write=False) as session:
        rows = ConversionEventRepository(session).claimed(token)
        if not rows:
            return BatchResult("none", 0)
        user_id = rows[0].user_id
        config = service.get_config(session, user_id)
    if len(rows) > MAX_BATCH:
        # Meta refuses a request of more than 1000, all of it. A claim takes no more, but
        # should one ever hold more, the surplus goes back to the queue untried.
        log.warning("conversions_claim_over_limit", events=len(rows), limit=MAX_BATCH)
        surplus = [row.id for row in rows[MAX_BATCH:]]
        _record(runtime, lambda repo: repo.release(token, surplus))
        runtime.queue.enqueue(DELIVER_CONVERSIONS, str(user_id))
        rows = rows[:MAX_BATCH]
    if config is None:
        return _fail(runtime, token, len(rows), "The Meta pixel configuration was removed.")
    try:
        access_token = service.access_token_of(settings, config)
    except ValueError:
        return _fail(
            runtime,
            token,
            len(rows),
            "The stored Meta access token cannot be read (the server secret changed); "
            "set the access token again.",
        )
    rows, events, unsendable = _encode(rows)
    if unsendable:
        _fail_each(runtime, token, unsendable)
        if not rows:
            return BatchResult("failed", len(unsendable), error=unsendable[0][1])
    try:
        result = graph_client(settings).send_events(
            config.pixel_id, access_token, events, rows[0].test_event_code, timeout=timeout
        )
    except GraphError as error:
        if not error.retryable:
            return _fail(runtime, token, len(rows), error.message, error.fbtrace_id)
        return _retry_or_give_up(runtime, token, rows, error)
    _finish(
        runtime,
        token,
        status="sent",
        fbtrace_id=result.fbtrace_id,
        last_error=None,
        completed_at=utcnow(),
    )
    log.info("conversions_sent", events=len(rows), fbtrace_id=result.fbtrace_id)
    if unsendable:
        return BatchResult("failed", len(rows) + len(unsendable), error=unsendable[0][1])
    return BatchResult("sent", len(rows))


def _encode(
    rows: list[ClaimedEvent],
) -> tuple[list[ClaimedEvent], list[bytes], list[tuple[uuid.UUID, str]]]:
    """(the rows that can be sent, their events encoded, (id, why) of those that cannot)."""
    sendable: list[ClaimedEvent] = []
    events: list[bytes] = []
    unsendable: list[tuple[uuid.UUID, str]] = []
    for row in rows:
        if not isinstance(row.payload, dict):
            unsendable.append((row.id, "The stored event is not a JSON object; it cannot be sent."))
            continue
        try:
            events.append(encode_event(row.payload))
        except (TypeError, ValueError):
            where = ", ".join(non_finite_numbers(row.payload))
            why = f"{where} is not a finite number" if where else "a value is not JSON"
            unsendable.append((row.id, f"The stored event cannot be sent to Meta: {why}."))
            continue
        sendable.append(row)
    return sendable, events, unsendable


FINISH_TRIES = 3


def _finish(runtime: Runtime, token: uuid.UUID, **values: Any) -> None:
    """Record a batch's outcome and release its claim."""
    values.update(attempts=ConversionEvent.attempts + 1, claim_token=None, claimed_until=None)
    _record(runtime, lambda repo: repo.finish_claimed(token, **values))


def _record(runtime: Runtime, write: Callable[[ConversionEventRepository], object]) -> None:
    """Write what became of claimed events. The batch has been sent (or given up on), so
    losing this write would send it again once the claim lapses: a lock conflict PostgreSQL
    resolved by rolling us back is retried (each write is keyed on the claim token, so it
    applies once)."""
    for attempt in range(1, FINISH_TRIES + 1):
        try:
            with runtime.db.transaction() as session:
                write(ConversionEventRepository(session))
            return
        except DBAPIError as error:
            if attempt == FINISH_TRIES or not lock_conflict(error):
                raise
            log.warning("conversions_finish_conflict", attempt=attempt)


def _fail_each(runtime: Runtime, token: uuid.UUID, errors: list[tuple[uuid.UUID, str]]) -> None:
    completed_at = utcnow()
    _record(runtime, lambda repo: repo.fail_each(token, errors, completed_at))
    log.warning("conversions_unsendable", events=len(errors), error=errors[0][1])


def _fail(
    runtime: Runtime, token: uuid.UUID, count: int, message: str, fbtrace_id: str | None = None
) -> BatchResult:
    _finish(
        runtime,
        token,
        status="failed",
        last_error=message,
        fbtrace_id=fbtrace_id,
        completed_at=utcnow(),
    )
    log.warning("conversions_failed", events=count, error=message)
    return BatchResult("failed", count, error=message)


def _retry_or_give_up(
    runtime: Runtime, token: uuid.UUID, rows: list[ClaimedEvent], error: GraphError
) -> BatchResult:
    settings = runtime.settings
    now = utcnow()
    attempt = max(row.attempts for row in rows) + 1
    delay = backoff_seconds(
        attempt,
        settings.conversions_retry_base_seconds,
        settings.conversions_retry_max_seconds,
        error.retry_after,
        _rng,
    )
    oldest: datetime = min(row.created_at for row in rows)
    give_up_at = oldest + timedelta(seconds=settings.conversions_give_up_seconds)
    if now + timedelta(seconds=delay) > give_up_at:
        elapsed = (now - oldest).total_seconds()
        message = (
            f"Gave up after {attempt} attempt{'s' if attempt > 1 else ''} over "
            f"{elapsed:.0f} s; Meta's last answer: {error.message}"
        )
        return _fail(runtime, token, len(rows), message, error.fbtrace_id)
    _finish(
        runtime,
        token,
        last_error=error.message,
        fbtrace_id=error.fbtrace_id,
        next_attempt_at=now + timedelta(seconds=delay),
    )
    runtime.queue.schedule(DELIVER_CONVERSIONS, str(rows[0].user_id), delay)
    log.info("conversions_retry", events=len(rows), attempt=attempt, retry_in=round(delay, 2))
    return BatchResult("queued", len(rows), retry_in=delay, error=error.message)


def deliver_pending(runtime: Runtime, user_id: uuid.UUID) -> int:
    """The worker's job: send the account's events that were due when it started, up to 1000
    per Graph request. Returns how many events went out (or failed for good).

    Events that fall due after the start are left to the task their own POST (or retry)
    scheduled: chasing a steady stream would send it in many small Graph requests, each with
    its own claim and record, instead of one a second.
    """
    timeout = runtime.settings.conversions_delivery_timeout_seconds
    started = utcnow()
    done = 0
    while True:
        token = uuid.uuid4()
        # A read first: most tasks find nothing left (a coalesced run took it), and a read
        # does not queue for SQLite's write lock.
        with runtime.db.transaction(write=False) as session:
            if not ConversionEventRepository(session).has_due(user_id, started):
                return done
        with runtime.db.transaction() as session:
            claimed = ConversionEventRepository(session).claim_due(
                user_id,
                token,
                started,
                utcnow() + timedelta(seconds=timeout + CLAIM_MARGIN_SECONDS),
                MAX_BATCH,
            )
        if not claimed:
            return done
        result = deliver_claimed(runtime, token, timeout=timeout)
        if result.status == "queued":
            return done  # Meta is unwell: the retry is scheduled, do not hammer it now
        done += result.events


def deliver_soon_after_commit(session: Session, queue: TaskQueue, user_id: uuid.UUID) -> None:
    """Have the account's events delivered shortly after this transaction commits, by one task
    for everything this process accepts for it meanwhile (``TaskQueue.run_soon``)."""
    after_commit(
        session, lambda: queue.run_soon(DELIVER_CONVERSIONS, str(user_id), COALESCE_SECONDS)
    )


async def accept(
    session: Session, runtime: Runtime, user_id: uuid.UUID, body: Any, *, inline: bool
) -> service.AcceptedEvents:
    """Check and store a request's events in its transaction (the outbox). With ``inline``
    they are claimed for a delivery right after the commit (``outcome``); otherwise one task
    delivers them a moment after it."""
    # Normalising and hashing a big batch is worth a thread; one event is not.
    data = body.get("data") if isinstance(body, dict) else None
    batch = (
        await to_thread.run_sync(parse_body, body, time.time())
        if isinstance(data, list)
        else parse_body(body, time.time())
    )
    wait = runtime.settings.conversions_wait_seconds

    def store() -> service.AcceptedEvents:
        accepted = service.accept_events(
            session,
            user_id,
            batch,
            claim_seconds=wait + CLAIM_MARGIN_SECONDS if inline else None,
        )
        if not inline and accepted.new_ids:
            deliver_soon_after_commit(session, runtime.queue, user_id)
        return accepted

    return await to_thread.run_sync(store)


async def outcome(
    runtime: Runtime, accepted: service.AcceptedEvents, *, inline: bool
) -> service.RequestOutcome:
    """What became of a request's events, once its transaction committed: delivered now when
    they were claimed for it, else queued; a repeat of earlier events answers as they did."""
    result: BatchResult | None = None
    if accepted.claim_token is not None:
        try:
            token, wait = accepted.claim_token, runtime.settings.conversions_wait_seconds
            result = await to_thread.run_sync(lambda: deliver_claimed(runtime, token, timeout=wait))
        except Exception:
            # Stored and claimed: when the claim lapses the janitor hands them to a worker.
            log.exception("conversions_inline_delivery_failed")
    only_new = len(accepted.new_ids) == len(accepted.event_ids)
    if only_new and not inline:
        return service.RequestOutcome("queued", None)
    if only_new and result is not None and result.status != "none":
        return service.RequestOutcome(result.status, result.error)

    def earlier() -> service.RequestOutcome:  # duplicates: their delivery answers for them
        with runtime.db.transaction(write=False) as session:
            return service.request_outcome(session, accepted.event_ids)

    return await to_thread.run_sync(earlier)
