"""The plug-in point for generation kinds: one function per pipeline.

A pipeline receives a ``JobContext`` (its parameters, progress reporting, output storage)
and returns a ``JobOutcome``. It raises ``PipelineError`` for failures the user should read
about; anything else is reported as an unexpected failure. Either way the credits reserved
for the job are refunded.

    @register_pipeline("image", scope="images")
    def run_image(ctx: JobContext) -> JobOutcome: ...
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from krev.platform.config import Settings
from krev.platform.storage import Storage


class JobCancelled(Exception):
    """The user cancelled the job; raised from ``JobContext.progress``."""


class JobSuperseded(Exception):
    """Another worker owns this job now (this one was presumed dead); stop quietly."""


class JobWaiting(Exception):
    """Raised by a pipeline to be run again in ``delay`` seconds (a hosted provider's job to
    poll, a transient failure to retry): the job stays processing, remembers what it put in
    ``JobContext.remember``, and holds no worker thread meanwhile."""

    def __init__(
        self,
        delay: float,
        reason: str = "waiting",
        ready: Callable[[], bool] | None = None,
        *,
        recorded: bool = False,
    ) -> None:
        super().__init__(reason)
        self.delay = max(0.0, delay)
        self.reason = reason
        # Asked once the wait is recorded: True when what the job waits for happened
        # meanwhile, whose wake-up found it not yet waiting; it is then run again at once.
        self.ready = ready
        # Already written by ``JobContext.wait_in``, with the work the job waits on.
        self.recorded = recorded


class PipelineError(Exception):
    """A failure to show the user; the job fails and its credits are refunded."""

    def __init__(self, message: str, code: str = "generation_failed") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class JobContext(Protocol):
    generation_id: uuid.UUID
    user_id: uuid.UUID
    kind: str
    params: Mapping[str, Any]
    attempt: int
    deadline: datetime
    """No run of the job may end later than this (the job fails there, refunded)."""

    @property
    def settings(self) -> Settings:
        """This worker's settings (its engines, thresholds)."""

    @property
    def storage(self) -> Storage:
        """Read access to stored objects (product images, references)."""

    @property
    def state(self) -> Mapping[str, Any]:
        """What earlier runs of this job remembered (empty on its first run)."""

    def remember(self, state: Mapping[str, Any]) -> None:
        """Store ``state`` on the job now, before anything that must not happen twice (paying a
        provider) relies on it; later runs, retries and restarts read it back as ``state``."""

    def progress(self, percent: int) -> None:
        """Report progress 0-100; raises JobCancelled / JobSuperseded when the job must stop."""

    def progress_in(self, session: Session, percent: int) -> None:
        """Report progress in the pipeline's own transaction, committed with it; raises
        JobCancelled / JobSuperseded when the job must stop, so that what the transaction
        did is undone with it."""

    def raise_if_stopped(self) -> None:
        """Raise JobCancelled / JobSuperseded when the heartbeat has seen the job must stop,
        without a write (inside a transaction of the pipeline's own)."""

    def wait_in(self, session: Session, delay: float, reason: str) -> JobWaiting:
        """Record in the pipeline's own transaction that the job waits ``delay`` seconds (or
        until woken), committed with the work it waits on: what that work starts cannot end
        before the wait is recorded, and the worker is free the moment it commits. Raise the
        returned ``JobWaiting`` after the commit."""

    def save_output(
        self, data: bytes, content_type: str, extension: str, role: str | None = None
    ) -> str:
        """Store one output file and return its storage key. Files without a ``role`` are the
        outputs (``output.urls``, in order); one with a role is shown as ``output.<role>_url``
        (a video's poster)."""


@dataclass
class JobOutcome:
    extra: dict[str, Any] = field(default_factory=dict)  # kind-specific output (e.g. ad copy)
    credits_used: int | None = None  # less than reserved refunds the difference
    # What the pipeline's own records say of the success, written in the transaction that
    # ends the job (a chat run's reply): both commit, or neither.
    records: Callable[[Session], None] | None = None


Pipeline = Callable[[JobContext], JobOutcome]
Estimate = Callable[[Mapping[str, Any]], float]
"""Seconds a job of this kind is expected to take on the engine, given its parameters."""


@dataclass(frozen=True)
class PipelineSpec:
    kind: str
    scope: str
    run: Pipeline
    estimate: Estimate
    priority: int = 0
    """Queue priority: a worker takes the highest first (videos wait behind images)."""


_REGISTRY: dict[str, PipelineSpec] = {}
DEFAULT_EXPECTED_SECONDS = 5.0


def register_pipeline(
    kind: str,
    *,
    scope: str,
    expected_seconds: float | Estimate = DEFAULT_EXPECTED_SECONDS,
    priority: int = 0,
) -> Callable[[Pipeline], Pipeline]:
    """Register ``run`` for generations of ``kind``, readable with ``scope``; ``expected_seconds``
    (a number, or a function of the job's parameters) is what a client is told to wait before
    polling (Retry-After on a 202); ``priority`` orders the queue (higher first), so that long
    jobs (videos) do not hold everyone's short ones behind them."""
    estimate: Estimate = (
        expected_seconds if callable(expected_seconds) else lambda _params: expected_seconds
    )

    def decorator(run: Pipeline) -> Pipeline:
        _REGISTRY[kind] = PipelineSpec(
            kind=kind, scope=scope, run=run, estimate=estimate, priority=priority
        )
        return run

    return decorator


FinishListener = Callable[[Any, uuid.UUID, str], None]
"""Called in the worker after a job ended (succeeded, failed, cancelled) with the process's
runtime, the job's id and its ``source``: how work that waits on jobs it started (a chat run on
its renders) hears of their end at once instead of at its next look."""
_FINISH_LISTENERS: list[FinishListener] = []


def on_job_finished(listener: FinishListener) -> FinishListener:
    """Register ``listener`` for every job's end; it must be quick and must not raise."""
    _FINISH_LISTENERS.append(listener)
    return listener


def finish_listeners() -> list[FinishListener]:
    return list(_FINISH_LISTENERS)


def expected_seconds(kind: str, params: Mapping[str, Any] | None) -> float:
    spec = _REGISTRY.get(kind)
    return DEFAULT_EXPECTED_SECONDS if spec is None else spec.estimate(params or {})


def queue_priority(kind: str) -> int:
    spec = _REGISTRY.get(kind)
    return 0 if spec is None else spec.priority


def get_pipeline(kind: str) -> PipelineSpec | None:
    return _REGISTRY.get(kind)


def scope_of(kind: str) -> str | None:
    spec = _REGISTRY.get(kind)
    return spec.scope if spec else None


def registered_kinds() -> list[str]:
    return sorted(_REGISTRY)


def kinds_for_scopes(scopes: frozenset[str]) -> list[str]:
    return sorted(kind for kind, spec in _REGISTRY.items() if spec.scope in scopes)
