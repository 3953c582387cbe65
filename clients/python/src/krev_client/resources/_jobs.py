"""The operation behind every ``generate(...)``: a job-creating POST, and the wait for its
result when the server's own wait window ran out (a 202 with a ``poll_url``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from krev_client._core import Api, Op, envelope
from krev_client.models import Generation, JobAccepted, RequestModel, ResponseModel

R = TypeVar("R", bound=ResponseModel)


def generate(
    api: Api,
    path: str,
    body: RequestModel,
    result: type[R],
    from_generation: Callable[[Generation], R],
    *,
    wait: bool,
    timeout: float | None,
    on_progress: Callable[[Generation], object] | None,
    poll_interval: float | None,
    idempotency_key: str | None,
) -> Op[R | JobAccepted]:
    """POST the job. The server answers 200 with the result when the job ends within its wait
    window, else 202; with ``wait`` the job is then polled until it ends and its result read
    from it, without ``wait`` the 202 is answered at once (``Prefer: respond-async``)."""
    response = yield from api.call(
        "POST",
        path,
        json=body.model_dump(mode="json", by_alias=True, exclude_unset=True),
        headers=None if wait else {"Prefer": "respond-async"},
        idempotency_key=idempotency_key,
    )
    data = envelope(response)["data"]
    if response.status_code != 202:
        return result.model_validate(data)
    accepted = JobAccepted.model_validate(data)
    if not wait:
        return accepted
    generation = yield from api.wait_generation(
        accepted.generation_id,
        poll_url=accepted.poll_url,
        timeout=timeout,
        on_progress=on_progress,
        poll_interval=poll_interval,
    )
    return from_generation(generation)


def outputs(generation: Generation) -> list[str]:
    return generation.output.urls if generation.output is not None else []
