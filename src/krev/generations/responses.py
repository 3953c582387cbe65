"""How a job-creating POST answers: the finished result if the job ends within the wait
window, else 202 with a poll URL (immediately when the client sends Prefer: respond-async).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from krev.errors import Conflict, GenerationFailed, KrevError, StorageQuotaExceeded
from krev.generations.repository import GenerationRepository
from krev.models import Generation
from krev.models.generation import TERMINAL_STATUSES
from krev.platform.runtime import Runtime

Render = Callable[[Session, Generation], dict[str, Any]]


def prefers_async(request: Request) -> bool:
    prefer = request.headers.get("prefer", "")
    return any(token.strip().lower() == "respond-async" for token in prefer.split(","))


def _status(runtime: Runtime, generation_id: uuid.UUID) -> str | None:
    with runtime.db.transaction(write=False) as session:
        return GenerationRepository(session).status_of(generation_id)


async def wait_until_finished(
    runtime: Runtime, generation_id: uuid.UUID, wait_seconds: float
) -> bool:
    deadline = time.monotonic() + wait_seconds
    delay = 0.02
    while True:
        status = await asyncio.to_thread(_status, runtime, generation_id)
        if status in TERMINAL_STATUSES:
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        await asyncio.sleep(min(delay, remaining))
        delay = min(delay * 1.5, 0.5)


def poll_url(runtime: Runtime, generation_id: uuid.UUID) -> str:
    return f"{runtime.settings.base_url}/api/v1/generations/{generation_id}"


async def job_response(
    request: Request, runtime: Runtime, generation_id: uuid.UUID, render: Render
) -> JSONResponse:
    asynchronous = prefers_async(request)
    if not asynchronous and await wait_until_finished(
        runtime, generation_id, runtime.settings.sync_wait_seconds
    ):
        return await asyncio.to_thread(_final_response, runtime, generation_id, render)
    url = poll_url(runtime, generation_id)
    # Off the event loop: with every pooled connection held by requests waiting for SQLite's
    # write lock, the checkout blocks, and a blocked loop cannot end the lock holder's request.
    status = await asyncio.to_thread(_status, runtime, generation_id) or "queued"
    headers = {"Location": url, "Retry-After": "2"}
    if asynchronous:
        headers["Preference-Applied"] = "respond-async"
    body = {"generation_id": str(generation_id), "status": status, "poll_url": url}
    return JSONResponse({"success": True, "data": body}, status_code=202, headers=headers)


def _final_response(runtime: Runtime, generation_id: uuid.UUID, render: Render) -> JSONResponse:
    with runtime.db.transaction(write=False) as session:
        generation = GenerationRepository(session).get(generation_id)
        assert generation is not None
        if generation.status == "succeeded":
            return JSONResponse(
                {"success": True, "data": jsonable_encoder(render(session, generation))}
            )
        # The job's own reason decides the status: a cancelled job is a conflict and outputs
        # over the plan's storage a 413, not "an unexpected error".
        kind = _FAILURE_KINDS.get(generation.error_code or "", GenerationFailed)
        error: KrevError = kind(
            generation.error or GenerationFailed.default_message,
            extra={"generation_id": str(generation.id), "status": generation.status},
        )
    return JSONResponse(error.body(), status_code=error.status)


class GenerationCancelled(Conflict):
    code = "generation_cancelled"


_FAILURE_KINDS: dict[str, type[KrevError]] = {
    "cancelled": GenerationCancelled,
    StorageQuotaExceeded.code: StorageQuotaExceeded,
}
