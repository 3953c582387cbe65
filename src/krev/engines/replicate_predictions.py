"""Replicate's predictions API, shared by the image and the video adapters: ``POST
{base}/models/{owner}/{name}/predictions`` creates a prediction (``POST {base}/predictions``
with a ``version`` for a model id with a ``:version``; ``Prefer: wait=N`` lets a quick one
come back finished), ``GET {base}/predictions/{id}`` says where it stands and ``POST
{base}/predictions/{id}/cancel`` stops it (``Authorization: Bearer <token>``).

Each adapter reads the ``output`` of its own models (a list of image URLs, one video URL);
everything else, down to the error each answer becomes, is here.
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

__all__ = ["PredictionOutcome", "ReplicatePredictions"]

_PENDING = ("starting", "processing", "queued")
_CANCELLED = ("canceled", "cancelled", "aborted")


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _detail(body: Any) -> str | None:
    """Replicate's problem-details body: ``{"title", "detail", "status"}``."""
    if isinstance(body, dict):
        for key in ("detail", "title", "error"):
            if isinstance(body.get(key), str) and body[key].strip():
                return str(body[key])
    return None


@dataclass(frozen=True)
class PredictionOutcome:
    """Where a prediction stands; ``output`` is the model's once it succeeded."""

    state: Literal["pending", "succeeded", "failed", "cancelled"]
    output: Any = None
    error: ProviderError | None = None
    poll_after: float | None = None


class ReplicatePredictions:
    """Replicate's API at ``base_url`` with one token; ``output`` names what its models make
    in messages ("the images", "the video")."""

    def __init__(
        self, api: HostedAPI, base_url: str, *, output: str, wait_seconds: int = 0
    ) -> None:
        self.api = api
        self.base_url = base_url.rstrip("/")
        self.output = output
        self.wait_seconds = max(0, min(60, wait_seconds))  # Replicate holds at most 60 s

    def refusal(self, response: httpx.Response) -> ProviderError:
        return self.api.refusal(response, _detail(_json(response)))

    def _create_url_and_body(
        self, model: str, arguments: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        name, _, version = model.partition(":")
        if version:
            return f"{self.base_url}/predictions", {"version": version, "input": arguments}
        return f"{self.base_url}/models/{name}/predictions", {"input": arguments}

    def create(self, model: str, arguments: dict[str, Any]) -> str:
        """The id of a new prediction of ``model`` on ``arguments``."""
        url, body = self._create_url_and_body(model, arguments)
        headers = {"Prefer": f"wait={self.wait_seconds}"} if self.wait_seconds else {}
        response = self.api.call(
            "POST",
            url,
            json_body=body,
            headers=headers,
            timeout=self.api.timeout + self.wait_seconds,
        )
        if response.status_code not in (200, 201, 202):
            raise self.refusal(response)
        created = _json(response)
        prediction_id = created.get("id") if isinstance(created, dict) else None
        if not isinstance(prediction_id, str) or not prediction_id:
            raise TemporarilyUnavailable("Replicate created a prediction but named no id.")
        # Even when Prefer: wait brought it back finished, the id is what the pipeline stores;
        # the first poll reads the outcome.
        return prediction_id

    def get(self, prediction_id: str) -> PredictionOutcome:
        """Where the prediction stands. Raises the typed error when the API itself did not
        answer (the prediction may still be fine)."""
        response = self.api.call("GET", f"{self.base_url}/predictions/{prediction_id}")
        if response.status_code == 404:
            return PredictionOutcome(
                "failed", error=InvalidRequest("Replicate no longer knows this prediction.")
            )
        if response.status_code != 200:
            raise self.refusal(response)
        prediction = _json(response)
        status = prediction.get("status") if isinstance(prediction, dict) else None
        if status in _PENDING:
            return PredictionOutcome("pending", poll_after=retry_after(response))
        if status in _CANCELLED:
            return PredictionOutcome("cancelled")
        if status == "failed":
            error = prediction.get("error") if isinstance(prediction, dict) else None
            return PredictionOutcome("failed", error=self.failure(response, error))
        if status != "succeeded" or not isinstance(prediction, dict):
            raise TemporarilyUnavailable(f"Replicate answered an unknown status {status!r}.")
        return PredictionOutcome("succeeded", output=prediction.get("output"))

    def failure(self, response: httpx.Response, error: Any) -> ProviderError:
        """The error of a prediction that ran and failed, from its ``error`` text."""
        message = error if isinstance(error, str) else None
        said = self.api.detail(response, message)
        lowered = (message or "").lower()
        if "nsfw" in lowered or "safety" in lowered or "sensitive" in lowered:
            return ContentRefused(f"Replicate's safety checker refused {self.output}{said}.")
        if "interrupted" in lowered or "please retry" in lowered or "out of memory" in lowered:
            return TemporarilyUnavailable(f"Replicate's prediction was interrupted{said}.")
        return InvalidRequest(f"Replicate's model failed{said}.")

    def cancel(self, prediction_id: str) -> None:
        """Ask Replicate to stop (and not bill) the prediction; quiet when it already ended."""
        response = self.api.call("POST", f"{self.base_url}/predictions/{prediction_id}/cancel")
        status = response.status_code
        if status < 300 or status in (400, 404, 409, 422):  # ended already: nothing to stop
            return
        raise self.refusal(response)
