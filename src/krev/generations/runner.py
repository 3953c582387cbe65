"""Runs one generation in a worker: claim, run its pipeline with a heartbeat, finish.

Whatever happens, the job ends in a terminal state with credits settled or refunded,
or stays claimed by this attempt until the janitor's sweep sees its heartbeat stop.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

import structlog
from sqlalchemy.orm import Session

from krev.engines.providers import ProviderError
from krev.errors import KrevError
from krev.generations import service
from krev.generations.pipelines import (
    JobCancelled,
    JobOutcome,
    JobSuperseded,
    JobWaiting,
    PipelineError,
    finish_listeners,
    get_pipeline,
)
from krev.generations.repository import GenerationRepository
from krev.kit.clock import utcnow
from krev.models import Generation
from krev.models.generation import TERMINAL_STATUSES
from krev.platform.config import Settings
from krev.platform.memory import job_memory
from krev.platform.runtime import Runtime
from krev.platform.storage import Storage, StoredObject

log = structlog.get_logger("krev.jobs")

UNEXPECTED = "The generation failed unexpectedly. Your credits were refunded."


@dataclass
class WorkerJobContext:
    """The ``JobContext`` a pipeline gets inside a worker."""

    runtime: Runtime
    generation_id: uuid.UUID
    user_id: uuid.UUID
    kind: str
    params: Mapping[str, Any]
    attempt: int
    deadline: datetime
    source: str = "unknown"
    state: dict[str, Any] = field(default_factory=dict)
    files: list[StoredObject] = field(default_factory=list)
    roles: dict[str, str] = field(default_factory=dict)  # storage key -> role
    cancelled: threading.Event = field(default_factory=threading.Event)
    superseded: threading.Event = field(default_factory=threading.Event)

    @property
    def storage(self) -> Storage:
        return self.runtime.storage

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @classmethod
    def of(cls, runtime: Runtime, generation: Generation) -> WorkerJobContext:
        return cls(
            runtime=runtime,
            generation_id=generation.id,
            user_id=generation.user_id,
            kind=generation.kind,
            params=dict(generation.params),
            attempt=generation.attempts,
            deadline=generation.deadline_at,
            source=generation.source,
            state=dict(generation.provider_state or {}),
        )

    def remember(self, state: Mapping[str, Any]) -> None:
        with self.runtime.db.transaction() as session:
            kept = GenerationRepository(session).remember(
                self.generation_id, self.attempt, dict(state)
            )
        if not kept:
            self.superseded.set()
            raise JobSuperseded()
        self.state = dict(state)

    def beat(self, progress: int | None = None) -> None:
        with self.runtime.db.transaction() as session:
            self._beat_in(session, progress)

    def _beat_in(self, session: Session, progress: int | None) -> None:
        state = GenerationRepository(session).heartbeat(
            self.generation_id, self.attempt, utcnow(), progress
        )
        if state is None:
            self.superseded.set()
        elif state:
            self.cancelled.set()

    def progress(self, percent: int) -> None:
        self.beat(_percent(percent))
        self.raise_if_stopped()

    def progress_in(self, session: Session, percent: int) -> None:
        self._beat_in(session, _percent(percent))
        self.raise_if_stopped()

    def wait_in(self, session: Session, delay: float, reason: str) -> JobWaiting:
        now = utcnow()
        delay = max(0.0, delay)
        wake_at = now + timedelta(seconds=delay)
        if wake_at >= self.deadline:
            return JobWaiting(delay, reason)  # not recorded: the runner fails it, refunded
        if not GenerationRepository(session).suspend(
            self.generation_id, self.attempt, now, wake_at
        ):
            self.superseded.set()
            raise JobSuperseded()
        self.runtime.queue.schedule_after_commit(
            session, service.RESUME_GENERATION, str(self.generation_id), delay
        )
        return JobWaiting(delay, reason, recorded=True)

    def raise_if_stopped(self) -> None:
        if self.superseded.is_set():
            raise JobSuperseded()
        if self.cancelled.is_set():
            raise JobCancelled()

    def save_output(
        self, data: bytes, content_type: str, extension: str, role: str | None = None
    ) -> str:
        self.raise_if_stopped()
        key = (
            f"users/{self.user_id}/generations/{self.generation_id}/"
            f"{self.attempt}-{len(self.files) + 1}.{extension.lstrip('.')}"
        )
        self.files.append(self.storage.put(key, data, content_type))
        if role is not None:
            self.roles[key] = role
        return key

    def discard_outputs(self) -> None:
        for stored in self.files:
            try:
                self.storage.delete(stored.key)
            except Exception:
                log.exception("output_cleanup_failed", key=stored.key)
        self.files.clear()
        self.roles.clear()


def _percent(percent: int) -> int:
    return max(0, min(99, int(percent)))


class Heartbeat:
    """Beats in the background while a pipeline runs, so long steps do not look dead."""

    def __init__(self, ctx: WorkerJobContext, interval: float) -> None:
        self.ctx = ctx
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="krev-heartbeat", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.ctx.beat()
            except Exception:
                log.exception("heartbeat_failed", generation_id=str(self.ctx.generation_id))

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()


def execute_generation(runtime: Runtime, generation_id: uuid.UUID) -> str | None:
    """Run the job if it is still queued; returns its final status (None if not ours)."""
    with job_memory():
        return _execute(runtime, generation_id)


def resume_generation(runtime: Runtime, generation_id: uuid.UUID) -> str | None:
    """Run a job that was waiting on a provider again, if it still waits (same attempt)."""
    with job_memory():
        with runtime.db.transaction() as session:
            woken = GenerationRepository(session).wake(generation_id, utcnow())
            if woken is None:
                return None
            ctx = WorkerJobContext.of(runtime, woken)
        log.info("job_resumed", generation_id=str(generation_id), attempt=ctx.attempt)
        return _run(ctx)


def _execute(runtime: Runtime, generation_id: uuid.UUID) -> str | None:
    with runtime.db.transaction() as session:
        claimed = GenerationRepository(session).claim(generation_id, utcnow())
        if claimed is None:
            return None
        ctx = WorkerJobContext.of(runtime, claimed)
    log.info("job_started", generation_id=str(generation_id), kind=ctx.kind, attempt=ctx.attempt)
    return _run(ctx)


def _run(ctx: WorkerJobContext) -> str | None:
    status = _run_pipeline(ctx)
    if status in TERMINAL_STATUSES:
        for listener in finish_listeners():
            try:
                listener(ctx.runtime, ctx.generation_id, ctx.source)
            except Exception:
                log.exception("finish_listener_failed", generation_id=str(ctx.generation_id))
    return status


def _run_pipeline(ctx: WorkerJobContext) -> str | None:
    bound = log.bind(generation_id=str(ctx.generation_id), kind=ctx.kind, attempt=ctx.attempt)
    spec = get_pipeline(ctx.kind)
    if spec is None:
        return _finish_failed(
            ctx, f"No pipeline for generations of kind {ctx.kind!r}.", "no_pipeline"
        )
    try:
        with Heartbeat(ctx, ctx.settings.job_heartbeat_seconds):
            outcome = spec.run(ctx)
            ctx.raise_if_stopped()
    except JobSuperseded:
        bound.warning("job_superseded")
        ctx.discard_outputs()
        return None
    except JobWaiting as waiting:
        ctx.discard_outputs()  # a run that waits delivers nothing; the last run stores all
        return _suspend(ctx, waiting)
    except JobCancelled:
        bound.info("job_cancelled")
        return _finish_failed(ctx, "Cancelled by the user.", "cancelled", status="cancelled")
    except PipelineError as error:
        bound.info("job_failed", error=error.message, code=error.code)
        return _finish_failed(ctx, error.message, error.code)
    except ProviderError as error:  # a pipeline that let a provider's refusal through
        bound.info("job_failed", error=error.message, code=error.code)
        return _finish_failed(ctx, f"{error.message} Your credits were refunded.", error.code)
    except Exception:
        bound.exception("job_crashed")
        return _finish_failed(ctx, UNEXPECTED, "internal_error")
    return _finish_succeeded(ctx, outcome)


def _suspend(ctx: WorkerJobContext, waiting: JobWaiting) -> str | None:
    """Let the job wait ``waiting.delay`` seconds without a thread, then run it again; or fail
    it now when it would wake past its deadline."""
    if waiting.recorded:
        log.info("job_waiting", generation_id=str(ctx.generation_id), reason=waiting.reason)
        return "processing"
    now = utcnow()
    wake_at = now + timedelta(seconds=waiting.delay)
    if wake_at >= ctx.deadline:
        return _finish_failed(
            ctx,
            "The generation did not finish in time. Your credits were refunded.",
            "deadline_exceeded",
        )
    with ctx.runtime.db.transaction() as session:
        if not GenerationRepository(session).suspend(ctx.generation_id, ctx.attempt, now, wake_at):
            return None  # another attempt owns the job now
        ctx.runtime.queue.schedule_after_commit(
            session, service.RESUME_GENERATION, str(ctx.generation_id), waiting.delay
        )
    log.info(
        "job_waiting",
        generation_id=str(ctx.generation_id),
        reason=waiting.reason,
        delay=round(waiting.delay, 3),
    )
    if waiting.ready is not None and waiting.ready():
        ctx.runtime.queue.enqueue(service.RESUME_GENERATION, str(ctx.generation_id))
    return "processing"


def _finish_failed(
    ctx: WorkerJobContext, message: str, code: str, status: str = "failed"
) -> str | None:
    ctx.discard_outputs()
    with ctx.runtime.db.transaction() as session:
        done = service.fail(
            session, ctx.generation_id, message, code, attempt=ctx.attempt, status=status
        )
    return status if done else None


def _finish_succeeded(ctx: WorkerJobContext, outcome: JobOutcome) -> str | None:
    try:
        with ctx.runtime.db.transaction() as session:
            done = service.succeed(
                session,
                ctx.runtime.settings,
                ctx.generation_id,
                ctx.attempt,
                ctx.files,
                outcome.extra,
                outcome.credits_used,
                ctx.roles,
            )
            if done and outcome.records is not None:
                outcome.records(session)
    except KrevError as error:  # e.g. the outputs do not fit the plan's storage
        return _finish_failed(ctx, error.message, error.code)
    if not done:
        ctx.discard_outputs()
        return None
    log.info("job_succeeded", generation_id=str(ctx.generation_id), files=len(ctx.files))
    return "succeeded"
