"""What the sync and the async client share: every request, answer, retry and wait is written
once here, as an *operation* that does no I/O itself.

An operation is a generator. It yields what it needs done (``Send`` a request, ``Sleep``,
``Notify`` a callback) and is sent back the result (the response, or the transport error in
its place); it returns its answer. ``Krev`` runs operations with blocking calls and
``AsyncKrev`` with awaits, so the two clients cannot behave differently.
"""

from __future__ import annotations

import json as jsonlib
import time
import uuid
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter

from krev_client._config import api_path, resolve_api_key, resolve_base_url
from krev_client._retry import Retries
from krev_client._version import __version__
from krev_client.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    GenerationCancelled,
    GenerationFailed,
    RunCancelled,
    RunFailed,
    WaitTimeout,
    error_class,
)
from krev_client.models import Generation, Run

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

# Read timeouts sit above the server's longest wait window (a video POST waits up to 120 s
# for its result before answering 202).
DEFAULT_TIMEOUT = httpx.Timeout(180.0, connect=10.0)
# How long generate(...) and wait(...) wait for a job by default, in all.
DEFAULT_WAIT_SECONDS = 900.0
# Polls start often (most images finish in seconds) and slow down for long jobs.
FIRST_POLL_SECONDS = 0.25
MAX_POLL_SECONDS = 5.0


@dataclass(frozen=True)
class Send:
    request: httpx.Request


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Notify:
    callback: Callable[[Any], object]
    value: Any


Step: TypeAlias = Send | Sleep | Notify
Op: TypeAlias = Generator[Step, Any, T]
"""An operation answering ``T``: sent back a ``httpx.Response | httpx.TransportError``
after a ``Send``, None after the others."""


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


class NotGiven:
    """The default of a parameter whose ``None`` means something (clear a product's field)."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven()


def given(**values: Any) -> dict[str, Any]:
    """The arguments a caller gave: None and NOT_GIVEN are left for the server's defaults."""
    return {
        name: value
        for name, value in values.items()
        if value is not None and value is not NOT_GIVEN
    }


class Api:
    """The configuration and the operations of one client."""

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None,
        timeout: float | httpx.Timeout | None,
        retries: Retries,
        headers: Mapping[str, str] | None,
    ) -> None:
        self.api_key = resolve_api_key(api_key)
        self.base_url = resolve_base_url(base_url)
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.retries = retries
        self.headers = {
            "Accept": "application/json",
            "User-Agent": f"krev-client-python/{__version__} httpx/{httpx.__version__}",
            **(headers or {}),
            "Authorization": f"Bearer {self.api_key}",
        }

    # --- requests ----------------------------------------------------------------------------

    def build(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Request:
        """A request to ``path`` below the API's root, its body read into memory so that a
        retry sends the very same bytes (a multipart boundary included)."""
        all_headers = {**self.headers, **(headers or {})}
        if method == "POST":
            # Every POST may be retried: the server answers a repeat of the key with its first
            # answer, so a job is accepted (and paid for) once.
            all_headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        request = httpx.Request(
            method,
            self.base_url + path,
            params=query or None,
            json=json,
            files=files,
            data=data,
            headers=all_headers,
            extensions={"timeout": self.timeout.as_dict()},
        )
        request.read()
        return request

    def send(self, request: httpx.Request) -> Op[httpx.Response]:
        """The request's answer (an error answer included), retried as ``Retries`` says."""
        retry = 0
        while True:
            outcome = yield Send(request)
            retry += 1
            delay = self.retries.delay(outcome, retry)
            if delay is None:
                break
            yield Sleep(delay)
        if isinstance(outcome, httpx.TimeoutException):
            raise APITimeoutError(f"No answer from {request.url} in time: {outcome}") from outcome
        if isinstance(outcome, httpx.TransportError):
            raise APIConnectionError(f"Could not reach {request.url}: {outcome}") from outcome
        assert isinstance(outcome, httpx.Response)
        return outcome

    def call(self, method: str, path: str, **options: Any) -> Op[httpx.Response]:
        """The request's successful answer; an error answer raises its ``KrevError``."""
        response = yield from self.send(self.build(method, path, **options))
        if response.status_code >= 400:
            raise answer_error(response)
        return response

    def fetch(self, model: type[M], method: str, path: str, **options: Any) -> Op[M]:
        """The ``data`` of the request's answer, as ``model``."""
        response = yield from self.call(method, path, **options)
        return model.model_validate(envelope(response)["data"])

    def page(
        self, model: type[M], path: str, params: Mapping[str, Any], cursor: str | None
    ) -> Op[Page[M]]:
        """One page of a list: its items and the cursor of the next page."""
        response = yield from self.call("GET", path, params={**params, "cursor": cursor})
        body = envelope(response)
        items = TypeAdapter(list[model]).validate_python(body["data"])  # type: ignore[valid-type]
        meta = body.get("meta") or {}
        return Page(items, meta.get("next_cursor"))

    # --- waiting -----------------------------------------------------------------------------

    def wait_generation(
        self,
        generation_id: str,
        *,
        poll_url: str | None = None,
        timeout: float | None,
        on_progress: Callable[[Generation], object] | None,
        poll_interval: float | None,
    ) -> Op[Generation]:
        """The job once it succeeded; ``GenerationFailed`` when it did not."""
        path = f"/generations/{generation_id}"
        if poll_url is not None:
            path = api_path(poll_url, path)
        generation = yield from self._poll(
            Generation, path, generation_id, timeout, on_progress, poll_interval
        )
        if generation.status == "succeeded":
            return generation
        failure = GenerationCancelled if generation.status == "cancelled" else GenerationFailed
        raise failure(
            generation.error or f"The job ended {generation.status}.",
            code=generation.error_code
            or ("cancelled" if generation.status == "cancelled" else "generation_failed"),
            generation_id=generation.id,
            status=generation.status,
            generation=generation,
        )

    def wait_run(
        self,
        run_id: str,
        *,
        poll_url: str | None = None,
        timeout: float | None,
        on_progress: Callable[[Run], object] | None,
        poll_interval: float | None,
    ) -> Op[Run]:
        """The chat run once it succeeded; ``RunFailed`` when it did not."""
        path = f"/chat/runs/{run_id}"
        if poll_url is not None:
            path = api_path(poll_url, path)
        run = yield from self._poll(Run, path, run_id, timeout, on_progress, poll_interval)
        if run.status == "succeeded":
            return run
        raise (RunCancelled if run.status == "cancelled" else RunFailed)(run)

    def _poll(
        self,
        model: type[M],
        path: str,
        id: str,
        timeout: float | None,
        on_progress: Callable[[M], object] | None,
        poll_interval: float | None,
    ) -> Op[M]:
        """``GET path`` until what it shows has ended; ``on_progress`` is told each change of
        its status, progress or place in the queue."""
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = poll_interval if poll_interval is not None else FIRST_POLL_SECONDS
        seen: tuple[Any, ...] | None = None
        while True:
            view = yield from self.fetch(model, "GET", path)
            state = (
                getattr(view, "status", None),
                getattr(view, "progress", None),
                getattr(view, "queue_position", None),
            )
            if on_progress is not None and state != seen:
                seen = state
                yield Notify(on_progress, view)
            if getattr(view, "done", False):
                return view
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise WaitTimeout(
                    f"{path.strip('/')} is still {state[0]} after {timeout} s; it goes on on the "
                    "server: wait again, or cancel it.",
                    id=id,
                    last=view,
                )
            yield Sleep(delay if remaining is None else min(delay, remaining))
            if poll_interval is None:
                delay = min(delay * 1.5, MAX_POLL_SECONDS)


def envelope(response: httpx.Response) -> dict[str, Any]:
    """The answer's JSON object (``{"success": true, "data": …}``)."""
    try:
        body = response.json()
    except ValueError as error:
        raise APIError(
            f"The server answered {response.status_code} with something that is not JSON.",
            code="invalid_response",
            status_code=response.status_code,
            response=response,
        ) from error
    if not isinstance(body, dict):
        raise APIError(
            "The server's answer is not a JSON object.",
            code="invalid_response",
            status_code=response.status_code,
            response=response,
        )
    return body


def answer_error(response: httpx.Response) -> Exception:
    """The ``KrevError`` an error answer stands for."""
    try:
        body = jsonlib.loads(response.content)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        text = response.text.strip()[:200] or response.reason_phrase
        return error_class(response.status_code)(
            f"HTTP {response.status_code}: {text}",
            code="http_error",
            status_code=response.status_code,
            response=response,
        )
    error = str(body.get("error") or response.reason_phrase or "The request failed.")
    code = str(body.get("code") or "http_error")
    if "generation_id" in body:
        status = str(body.get("status") or "failed")
        cancelled = status == "cancelled" or code == "generation_cancelled"
        return (GenerationCancelled if cancelled else GenerationFailed)(
            error,
            code=code,
            generation_id=str(body["generation_id"]),
            status="cancelled" if cancelled else status,
            status_code=response.status_code,
            body=body,
        )
    return error_class(response.status_code)(
        error, code=code, status_code=response.status_code, body=body, response=response
    )


def _query_value(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value
