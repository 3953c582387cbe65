"""Huey tasks for conversions: deliver an account's due events (ids in, never objects), and
the sweep that re-enqueues deliveries whose task was lost, so a restart loses nothing."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy.orm import Session

from krev.conversions.graph import GraphClient
from krev.kit.clock import utcnow
from krev.platform.db import after_commit
from krev.platform.runtime import Runtime

log = structlog.get_logger("krev.conversions")

# Events accepted without waiting are delivered together a moment later: one task and one
# Graph request for everything a busy account sent meanwhile, not one per request.
COALESCE_SECONDS = 1.0


@dataclass
class ConversionTasks:
    deliver_task: Any  # huey TaskWrapper
    graph: GraphClient  # one connection pool per process
    _due: dict[uuid.UUID, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def enqueue(self, user_id: uuid.UUID) -> None:
        self.deliver_task(str(user_id))

    def schedule(self, user_id: uuid.UUID, delay: float) -> None:
        self.deliver_task.schedule(args=(str(user_id),), delay=max(0.0, delay))

    def deliver_soon(self, user_id: uuid.UUID) -> None:
        """Have the account's events delivered shortly, by a task that starts after this call.

        Called after commit: when a delivery is already scheduled to start later than now, it
        will see these events too, so no task is added.
        """
        now = time.monotonic()
        with self._lock:
            if self._due.get(user_id, 0.0) > now:
                return
            if len(self._due) > 10_000:
                self._due = {k: v for k, v in self._due.items() if v > now}
            self._due[user_id] = now + COALESCE_SECONDS
        self.schedule(user_id, COALESCE_SECONDS)

    def deliver_soon_after_commit(self, session: Session, user_id: uuid.UUID) -> None:
        after_commit(session, lambda: self.deliver_soon(user_id))


def register_tasks(runtime: Runtime) -> ConversionTasks:
    @runtime.huey.task(name="krev.deliver_conversions")  # type: ignore[untyped-decorator]
    def deliver_conversions(user_id: str) -> None:
        from krev.conversions.delivery import deliver_pending

        deliver_pending(runtime, uuid.UUID(user_id))

    settings = runtime.settings
    graph = GraphClient(
        settings.meta_graph_url,
        settings.meta_graph_version,
        timeout=settings.conversions_delivery_timeout_seconds,
    )
    return ConversionTasks(deliver_task=deliver_conversions, graph=graph)


def enqueue_lost_deliveries(runtime: Runtime) -> int:
    """Enqueue delivery for accounts whose events have been due for a while with nobody
    holding them: their task was lost (a stopped process, a wiped queue) or never sent."""
    from krev.conversions.repository import ConversionEventRepository

    now = utcnow()
    grace = timedelta(seconds=runtime.settings.job_requeue_after_seconds)
    with runtime.db.transaction(write=False) as session:
        users = ConversionEventRepository(session).users_with_due_events(now - grace, now)
    for user_id in users:
        runtime.conversions.enqueue(user_id)
    if users:
        log.info("conversions_reenqueued", accounts=len(users))
    return len(users)
