"""fal's queue API (queue.fal.run), shared by the image and the video adapters: ``POST
{queue}/{model}`` submits, ``GET .../requests/{id}/status`` says where the request stands,
``GET .../requests/{id}`` gives the result and ``PUT .../requests/{id}/cancel`` stops it
(``Authorization: Key <key>``).

The status and result live under the app's owner and alias only (``fal-ai/flux``, not
``fal-ai/flux/dev``), as fal's own clients build them. The URLs fal returns are not followed:
the key only ever goes to the configured queue. Each adapter reads the result body of its own
models (``images`` or ``video``); everything else, down to the error each answer becomes, is
here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import httpx

from krev.engines.hosted import HostedAPI, retry_after
from krev.engines.providers import (
    ContentRefused,
    InvalidRequest,
    ProviderError,
    TemporarilyUnavailable,
)

__all__ = ["FalOutcome", "FalQueue"]

_NAMESPACES = ("workflows", "comfy")  # app ids with a leading namespace: ns/owner/alias/path
_CONTENT_TYPES = ("content_policy_violation",)
_TRANSIENT_TYPES = ("internal_server_error", "downstream_service_unavailable", "generation_timeout")


def _app_path(model: str) -> str:
    parts = [part for part in model.strip("/").split("/") if part]
    keep = 3 if parts and parts[0] in _NAMESPACES else 2
    if len(parts) < keep:
        raise InvalidRequest(f"{model!r} is not a fal model id such as fal-ai/flux/dev.")
    return "/".join(parts[:keep])


def _fal_error(body: Any) -> tuple[str | None, str | None]:
    """(type, message) of fal's error body: ``{"detail": [{"type", "msg", ...}]}`` or
    ``{"detail": "..."}``, or a status with ``error``/``error_type``."""
    if not isinstance(body, dict):
        return None, None
    if isinstance(body.get("error"), str):
        kind = body.get("error_type")
        return (kind if isinstance(kind, str) else None), body["error"]
    detail = body.get("detail")
    if isinstance(detail, str):
        return None, detail
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        first = detail[0]
        kind, message = first.get("type"), first.get("msg")
        return (kind if isinstance(kind, str) else None), (
            message if isinstance(message, str) else None
        )
    return None, None


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


@dataclass(frozen=True)
class FalOutcome:
    """Where a queued request stands; ``result`` is the model's output body once completed."""

    state: Literal["pending", "completed", "failed", "cancelled"]
    result: dict[str, Any] | None = None
    error: ProviderError | None = None
    poll_after: float | None = None


class FalQueue:
    """One fal queue: where it is, the key, and what its models make (``output``, as the
    messages name it: "the images", "the video")."""

    def __init__(self, api: HostedAPI, base_url: str, *, output: str) -> None:
        self.api = api
        self.base_url = base_url.rstrip("/")
        self.output = output

    def refusal(self, response: httpx.Response) -> ProviderError:
        kind, message = _fal_error(_json(response))
        if kind in _CONTENT_TYPES:
            return ContentRefused(
                "fal's safety system refused the prompt or image"
                + self.api.detail(response, message)
                + "."
            )
        return self.api.refusal(response, message)

    def submit(self, model: str, arguments: dict[str, Any]) -> str:
        """The request id fal queued ``arguments`` for ``model`` under."""
        response = self.api.call("POST", f"{self.base_url}/{model}", json_body=arguments)
        if response.status_code not in (200, 201, 202):
            raise self.refusal(response)
        body = _json(response)
        request_id = body.get("request_id") if isinstance(body, dict) else None
        if not isinstance(request_id, str) or not request_id:
            raise TemporarilyUnavailable("fal accepted the request but named no request id.")
        return request_id

    def _request_url(self, model: str, request_id: str) -> str:
        return f"{self.base_url}/{_app_path(model)}/requests/{request_id}"

    def poll(self, model: str, request_id: str) -> FalOutcome:
        """Where the request stands; its result body once it completed. Raises the typed
        error when the queue itself did not answer (the request may still be fine)."""
        url = self._request_url(model, request_id)
        response = self.api.call("GET", f"{url}/status?logs=0")
        if response.status_code == 404:
            return FalOutcome("failed", error=InvalidRequest("fal no longer knows this request."))
        if response.status_code not in (200, 202):
            raise self.refusal(response)
        body = _json(response)
        state = body.get("status") if isinstance(body, dict) else None
        if state in ("IN_QUEUE", "IN_PROGRESS"):
            return FalOutcome("pending", poll_after=retry_after(response))
        if state in ("CANCELED", "CANCELLED"):
            return FalOutcome("cancelled")
        if state not in ("COMPLETED", "FAILED"):
            raise TemporarilyUnavailable(f"fal answered an unknown request status {state!r}.")
        kind, message = _fal_error(body)
        if message is not None or state == "FAILED":
            return FalOutcome("failed", error=self.failure(response, kind, message))
        return self._result(url)

    def failure(
        self, response: httpx.Response, kind: str | None, message: str | None
    ) -> ProviderError:
        """The error of a request that ran and failed."""
        said = self.api.detail(response, message)
        if kind in _CONTENT_TYPES:
            return ContentRefused(f"fal's safety system refused the prompt or image{said}.")
        if kind in _TRANSIENT_TYPES:
            return TemporarilyUnavailable(f"fal could not finish {self.output}{said}.")
        return InvalidRequest(f"fal could not make {self.output}{said}.")

    def _result(self, url: str) -> FalOutcome:
        response = self.api.call("GET", url)
        if response.status_code != 200:
            kind, message = _fal_error(_json(response))
            if response.status_code == 429 or (response.status_code >= 500 and message is None):
                raise self.api.refusal(response, message)  # the answer, not the job, failed
            if response.status_code in (401, 403):
                raise self.api.refusal(response, message)
            if message is None:
                message = f"HTTP {response.status_code}"
            return FalOutcome("failed", error=self.failure(response, kind, message))
        body = _json(response)
        if not isinstance(body, dict):
            return FalOutcome("failed", error=InvalidRequest("fal's result is not JSON."))
        return FalOutcome("completed", result=body)

    def cancel(self, model: str, request_id: str) -> None:
        """Ask fal to stop the request; quiet when it already ended."""
        response = self.api.call("PUT", f"{self._request_url(model, request_id)}/cancel")
        # 400 ALREADY_COMPLETED and 404: the request has ended; nothing to stop.
        if response.status_code in (200, 202, 400, 404):
            return
        raise self.refusal(response)
