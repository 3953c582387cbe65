"""The task queue: Huey on SQLite (embedded) or Redis (scale-out), with tasks by name.

Each domain's tasks are registered under a name by the composition root (``krev.composition``)
in every process; services enqueue by that name, so nothing here knows a domain. Task
arguments are ids as strings, never objects, and work is enqueued only after the transaction
that created it has committed (``enqueue_after_commit``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import structlog
from huey import Huey, PriorityRedisHuey
from huey.consumer import Consumer, Worker
from huey.storage import SqliteStorage
from sqlalchemy.orm import Session

from krev.platform.config import Settings
from krev.platform.db import after_commit
from krev.platform.private_files import create_private_file, private_dir

log = structlog.get_logger("krev.platform.queue")


def create_huey(settings: Settings) -> Huey:
    if settings.redis_url:
        # The priority flavour (a sorted set): tasks carry a priority, as in SQLite's queue.
        return PriorityRedisHuey(settings.queue_name, url=settings.redis_url, results=False)
    private_dir(settings.data_dir)
    filename = (settings.data_dir / "queue.db").resolve()
    create_private_file(filename)  # before SQLite creates it world-readable
    return Huey(
        settings.queue_name,
        storage_class=QueueStorage,
        filename=str(filename),
        results=False,
        timeout=30,
    )


class QueueStorage(SqliteStorage):  # type: ignore[misc]
    """Huey's SQLite storage, as durable as the database it carries messages for: WAL with
    ``synchronous=NORMAL`` (``krev.platform.db``), so a commit is not an fsync. Huey's default
    syncs every enqueue and every dequeue, a millisecond or more each on a busy disk, on
    every hop a job makes. What a power cut loses is a message, never a job: the janitor
    sends a queued job whose message is gone again, and takes up a waiting one whose wake
    is gone (``krev.generations.sweeper``), as when a process dies between a commit and its
    enqueue."""

    def _create_connection(self) -> Any:
        connection = super()._create_connection()
        connection.execute("pragma synchronous=NORMAL")
        return connection


class Arrivals:
    """Tells this process's idle workers that a task was just enqueued here.

    Huey's workers poll the queue, backing off to ``max_delay`` while it is empty, so a task
    enqueued by this process could wait that long for a worker sitting idle beside it. A chat
    run that submits its renders, and a render that wakes its run, pay that wait on every hop;
    counting arrivals lets an idle worker look at once instead. Tasks enqueued by other
    processes are still found by polling.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._count = 0

    @property
    def count(self) -> int:
        return self._count

    def announce(self) -> None:
        with self._changed:
            self._count += 1
            self._changed.notify_all()

    def wait(self, seen: int, timeout: float) -> bool:
        """Until a task arrives after ``seen`` (True) or ``timeout`` seconds pass (False)."""
        with self._changed:
            return self._changed.wait_for(lambda: self._count != seen, timeout)


@dataclass(frozen=True)
class _Held:
    """A task held back by ``TaskQueue.holding``: to run soon, or in ``delay`` seconds."""

    task: Any  # huey TaskWrapper
    argument: str
    priority: int | None
    delay: float | None = None

    def send(self) -> None:
        if self.delay is None:
            self.task(self.argument, priority=self.priority)
        else:
            self.task.schedule(args=(self.argument,), delay=self.delay)


class TaskQueue:
    """Named tasks over one Huey instance."""

    def __init__(self, huey: Huey) -> None:
        self.huey = huey
        self.arrivals = Arrivals()
        self._held = threading.local()  # .tasks: what this thread holds back (_Held), or None
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
        task = self._task(name)
        held: list[_Held] | None = getattr(self._held, "tasks", None)
        if held is not None:
            held.append(_Held(task, argument, priority))
            return
        task(argument, priority=priority)
        self.arrivals.announce()

    @contextmanager
    def holding(self) -> Iterator[None]:
        """Hold back what this thread enqueues until the block ends, then enqueue it all at
        once, however the block ends: work submitted step by step then starts together, as
        a client's requests sent side by side would; what it schedules for later is sent
        after them. Already committed, so a process that dies inside the block loses only
        the messages, which the janitor re-enqueues."""
        if getattr(self._held, "tasks", None) is not None:
            yield  # the outer block releases them
            return
        held: list[_Held] = []
        self._held.tasks = held
        try:
            yield
        finally:
            self._held.tasks = None
            for item in sorted(held, key=lambda item: item.delay is not None):
                try:
                    item.send()
                except Exception:  # committed work: the janitor re-enqueues it
                    log.exception("enqueue_failed", task=item.task.name, argument=item.argument)
            if any(item.delay is None for item in held):
                self.arrivals.announce()

    def schedule(self, name: str, argument: str, delay: float) -> None:
        task = self._task(name)
        held: list[_Held] | None = getattr(self._held, "tasks", None)
        if held is not None:
            held.append(_Held(task, argument, None, max(0.0, delay)))
            return
        task.schedule(args=(argument,), delay=max(0.0, delay))

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


class _PromptWorker(Worker):  # type: ignore[misc]
    """Huey's worker, whose idle back-off ends as soon as this process enqueues a task."""

    arrivals: Arrivals  # set by WorkerConsumer: its queue's
    delay: float
    default_delay: float
    max_delay: float
    backoff: float
    _seen = 0

    def loop(self, now: Any = None) -> None:
        # Read before the queue is: a task enqueued after an empty read changes the count.
        self._seen = self.arrivals.count
        super().loop(now)

    def sleep(self) -> None:
        self.delay = min(self.delay, self.max_delay)
        if self.arrivals.wait(self._seen, self.delay):
            self.delay = self.default_delay
        else:
            self.delay *= self.backoff


class WorkerConsumer(Consumer):  # type: ignore[misc]
    """Huey's thread consumer, with workers woken by the tasks this process enqueues."""

    worker_class = _PromptWorker

    def __init__(self, queue: TaskQueue, **options: Any) -> None:
        self.arrivals = queue.arrivals
        super().__init__(queue.huey, worker_type="thread", **options)

    def _create_worker(self) -> _PromptWorker:
        worker: _PromptWorker = super()._create_worker()
        worker.arrivals = self.arrivals
        return worker


class EmbeddedConsumer(WorkerConsumer):
    """A thread consumer living inside another process (the API server).

    Huey's consumer installs signal handlers when it starts, which would take SIGINT and
    SIGTERM away from the web server; the embedding process owns signals instead.
    """

    def _set_signal_handlers(self) -> None:
        return None
