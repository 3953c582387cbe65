"""How every job-creating POST answers: the finished result if the job ends within the wait
window, else 202 with a poll URL (at once when the client sends ``Prefer: respond-async``).

An endpoint accepts the job through its service, in the request's transaction, and returns a
``JobResponse``. The dependency that owns the transaction commits it as the endpoint returns
(and the job is enqueued after that commit); only then does Starlette send the response, and
a ``JobResponse`` waits for the job as it is sent. So the wait never holds the transaction,
and no endpoint commits. What a kind of job shows is its ``JobAnswer``.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from abc import ABC, abstractmethod
from typing import Any

from anyio import to_thread
from fastapi.encoders import jsonable_encoder
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from krev.errors import Conflict, GenerationFailed, KrevError, StorageQuotaExceeded
from krev.generations.pipelines import expected_seconds
from krev.generations.repository import GenerationRepository
from krev.kit.clock import utcnow
from krev.kit.envelope import ok
from krev.models import Generation
from krev.models.generation import TERMINAL_STATUSES
from krev.platform.runtime import Runtime

# Retry-After on a 202: about when the job should be done, never sooner than this nor later.
RETRY_AFTER_BOUNDS = (1, 60)


def prefers_async(request: Request) -> bool:
    prefer = request.headers.get("prefer", "")
    return any(token.strip().lower() == "respond-async" for token in prefer.split(","))


def poll_url(runtime: Runtime, generation_id: uuid.UUID) -> str:
    return f"{runtime.settings.base_url}/api/v1/generations/{generation_id}"


class GenerationCancelled(Conflict):
    code = "generation_cancelled"


_FAILURE_KINDS: dict[str, type[KrevError]] = {
    "cancelled": GenerationCancelled,
    StorageQuotaExceeded.code: StorageQuotaExceeded,
}


def job_failure(generation: Generation, message: str | None = None) -> KrevError:
    """The error a job that did not succeed answers with. Its own reason decides the status:
    a cancelled job is a conflict and outputs over the plan's storage a 413, not "an
    unexpected error"."""
    kind = _FAILURE_KINDS.get(generation.error_code or "", GenerationFailed)
    return kind(
        message or generation.error or GenerationFailed.default_message,
        extra={"generation_id": str(generation.id), "status": generation.status},
    )


class JobAnswer(ABC):
    """What one kind of job shows its client."""

    @abstractmethod
    def result(self, session: Session, generation: Generation) -> dict[str, Any]:
        """The 200's ``data`` for a job that succeeded."""

    def finished(self, session: Session, generation: Generation) -> dict[str, Any]:
        """The 200's ``data`` for a job that ended; raises the error a failed one answers."""
        if generation.status != "succeeded":
            raise job_failure(generation)
        return self.result(session, generation)

    def accepted(self, session: Session, generation: Generation, url: str) -> dict[str, Any]:
        """The 202's ``data`` while the job runs on."""
        return {"generation_id": str(generation.id), "status": generation.status, "poll_url": url}


class JobResponse(Response):
    """The answer to a job-creating POST, decided as it is sent (see the module docstring)."""

    def __init__(
        self,
        runtime: Runtime,
        generation_id: uuid.UUID,
        answer: JobAnswer,
        *,
        prefer_async: bool,
        wait_seconds: float | None = None,
    ) -> None:
        super().__init__(status_code=202)
        self.runtime = runtime
        self.generation_id = generation_id
        self.answer = answer
        self.prefer_async = prefer_async
        # A kind with its own window (videos take longer than images); else the server's.
        self.wait_seconds = (
            runtime.settings.sync_wait_seconds if wait_seconds is None else wait_seconds
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        wait = 0.0 if self.prefer_async else self.wait_seconds
        ended = await self._wait(wait)
        # Off the event loop: with every pooled connection held by requests waiting for
        # SQLite's write lock, a checkout blocks, and a blocked loop cannot end their requests.
        response = await to_thread.run_sync(self._render, ended)
        await response(scope, receive, send)

    async def _wait(self, seconds: float) -> bool:
        """Whether the job ended within ``seconds``; its status is read on the event loop's
        own connection (an indexed read, no thread round trip per look)."""
        deadline = time.monotonic() + seconds
        delay = 0.02
        while True:
            if self.runtime.db.run_on_loop(self._status) in TERMINAL_STATUSES:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            await asyncio.sleep(min(delay, remaining))
            delay = min(delay * 1.5, 0.5)

    def _status(self, connection: Connection) -> str | None:
        query = select(Generation.status).where(Generation.id == self.generation_id)
        return connection.execute(query).scalar_one_or_none()

    def _render(self, ended: bool) -> Response:
        with self.runtime.db.transaction(write=False) as session:
            generation = GenerationRepository(session).get(self.generation_id)
            assert generation is not None
            if ended or generation.status in TERMINAL_STATUSES:
                try:
                    data = self.answer.finished(session, generation)
                except KrevError as error:
                    return JSONResponse(error.body(), error.status, error.headers or None)
                return JSONResponse(ok(jsonable_encoder(data)))
            url = poll_url(self.runtime, self.generation_id)
            data = self.answer.accepted(session, generation, url)
            headers = {"Location": url, "Retry-After": str(retry_after(generation))}
        if self.prefer_async:
            headers["Preference-Applied"] = "respond-async"
        return JSONResponse(ok(jsonable_encoder(data)), status_code=202, headers=headers)


def retry_after(generation: Generation) -> int:
    """Seconds until the job is expected to be done: its kind's expected time less what has
    passed since it was accepted, within ``RETRY_AFTER_BOUNDS``. A client that obeys it polls
    about once per job, not every couple of seconds."""
    elapsed = (utcnow() - generation.created_at).total_seconds()
    remaining = expected_seconds(generation.kind, generation.params) - elapsed
    low, high = RETRY_AFTER_BOUNDS
    return max(low, min(high, math.ceil(remaining)))
