"""The conversions task: deliver an account's due events (its id in, never objects), and the
janitor's duty that re-enqueues deliveries whose task was lost, so a restart loses nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import structlog

from krev.conversions.delivery import DELIVER_CONVERSIONS, deliver_pending
from krev.conversions.repository import ConversionEventRepository
from krev.kit.clock import utcnow
from krev.platform.runtime import Runtime

log = structlog.get_logger("krev.conversions")


def register(runtime: Runtime) -> None:
    runtime.queue.register(
        DELIVER_CONVERSIONS, lambda user_id: deliver_pending(runtime, uuid.UUID(user_id))
    )


def enqueue_lost_deliveries(runtime: Runtime) -> int:
    """Enqueue delivery for accounts whose events have been due for a while with nobody
    holding them: their task was lost (a stopped process, a wiped queue) or never sent."""
    now = utcnow()
    grace = timedelta(seconds=runtime.settings.job_requeue_after_seconds)
    with runtime.db.transaction(write=False) as session:
        users = ConversionEventRepository(session).users_with_due_events(now - grace, now)
    for user_id in users:
        runtime.queue.enqueue(DELIVER_CONVERSIONS, str(user_id))
    if users:
        log.info("conversions_reenqueued", accounts=len(users))
    return len(users)
