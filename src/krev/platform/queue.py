"""The task queue: Huey on SQLite (embedded) or Redis (scale-out), with tasks by name.

Each domain's tasks are registered under a name by the composition root (``krev.composition``)
in every process; services enqueue by that name, so nothing here knows a domain. Task
arguments are ids as strings, never objects, and work is enqueued only after the transaction
that created it has committed (``enqueue_after_commit``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from huey import Huey, PriorityRedisHuey, SqliteHuey
from huey.consumer import Consumer
from sqlalchemy.orm import Session

from krev.platform.config import Settings
from krev.platform.db import after_commit
from krev.platform.private_files import create_private_file, private_dir


def create_huey(settings: Settings) -> Huey:
    if settings.redis_url:
        # The priority flavour (a sorted set): tasks carry a priority, as in SQLite's queue.
        return PriorityRedisHuey(settings.queue_name, url=settings.redis_url, results=False)
    private_dir(settings.data_dir)
    filename = (settings.data_dir / "queue.db").resolve()
    create_private_file(filename)  # before SQLite creates it world-readable
    return SqliteHuey(
        settings.queue_name,
        filename=str(filename),
        results=False,
        timeout=30,
    )


class TaskQueue:
    """Named tasks over one Huey instance."""

    def __init__(self, huey: Huey) -> None:
        self.huey = huey
        self._tasks: dict[str, Any] = {}  # name -> huey TaskWrapper
        self._soon: dict[tuple[str, str], float] = {}  # (name, argument) -> when it runs
        self._lock = threading.Lock()

    def register(self, name: str, run: Callable[[str], object]) -> None:
        """What a task named ``name`` does with its argument, in whichever process runs it."""
        self._tasks[name] = self.huey.task(name=name)(run)

    def _task(self, name: str) -> Any:
        try:
            return self._tasks[name]
        except KeyError:
            raise LookupError(f"no task registered as {name!r}") from None

    def enqueue(self, name: str, argument: str, priority: int | None = None) -> None:
        """Run the task soon; among tasks waiting, higher ``priority`` first (0 by default)."""
        self._task(name)(argument, priority=priority)

    def schedule(self, name: str, argument: str, delay: float) -> None:
        self._task(name).schedule(args=(argument,), delay=max(0.0, delay))

    def enqueue_after_commit(
        self, session: Session, name: str, argument: str, priority: int | None = None
    ) -> None:
        self._task(name)  # an unknown name fails the request, not the after-commit hook
        after_commit(session, lambda: self.enqueue(name, argument, priority))

    def schedule_after_commit(
        self, session: Session, name: str, argument: str, delay: float
    ) -> None:
        self._task(name)
        after_commit(session, lambda: self.schedule(name, argument, delay))

    def run_soon(self, name: str, argument: str, delay: float) -> None:
        """Have the task run about ``delay`` seconds from now, once for all the calls this
        process makes meanwhile: a task already due later than now will see their work too."""
        now = time.monotonic()
        key = (name, argument)
        with self._lock:
            if self._soon.get(key, 0.0) > now:
                return
            if len(self._soon) > 10_000:
                self._soon = {k: due for k, due in self._soon.items() if due > now}
            self._soon[key] = now + delay
        self.schedule(name, argument, delay)

    def pending(self) -> int:
        return int(self.huey.pending_count())


class EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """A thread consumer living inside another process (the API server).

    Huey's consumer installs signal handlers when it starts, which would take SIGINT and
    SIGTERM away from the web server; the embedding process owns signals instead.
    """

    def _set_signal_handlers(self) -> None:
        return None
