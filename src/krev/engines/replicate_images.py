"""FLUX on Replicate's predictions API: ``POST {base}/models/{owner}/{name}/predictions``
creates a prediction (``Prefer: wait=N`` lets a quick one come back finished), ``GET
{base}/predictions/{id}`` says where it stands and ``POST {base}/predictions/{id}/cancel``
stops it (``Authorization: Bearer <token>``).

Text-only prompts go to ``black-forest-labs/flux-dev``, which takes an aspect ratio, not pixels
(one megapixel: the sizes in ``FLUX_ASPECT_RATIOS``); product scenes go to
``black-forest-labs/flux-fill-dev`` with the canvas and its mask (white: paint) as PNG data URIs
and ``megapixels: match_input``, so the result has the canvas's size. A model id with a
``:version`` is created through ``POST {base}/predictions`` instead. Replicate's FLUX models drop
the images their safety checker flags, and fail the prediction when it flags them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from krev.engines.hosted import (
    FLUX_ASPECT_RATIOS,
    FLUX_SIZES,
    HostedAPI,
    canvas_data_uris,
    decode_job,
    encode_job,
    extra_input,
    retry_after,
)
from krev.engines.providers import (
    ContentRefused,
    GeneratedImage,
    ImageCapabilities,
    ImageGenerationRequest,
    InvalidRequest,
    ProviderError,
    RemoteStatus,
    TemporarilyUnavailable,
)

__all__ = ["REPLICATE_CAPABILITIES", "ReplicateImageGenerator"]

REPLICATE_CAPABILITIES = ImageCapabilities(
    text_only=True, product_scenes=True, max_count=4, sizes=FLUX_SIZES
)

_PENDING = ("starting", "processing", "queued")
_CANCELLED = ("canceled", "cancelled", "aborted")
_FILL_MAX_SIDE = 1440  # flux-fill-dev scales a larger input down
_FILL_MULTIPLE = 32  # and floors its sides to multiples of 32


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


def _aspect_ratio(width: int, height: int) -> str:
    for ratio, size in FLUX_ASPECT_RATIOS.items():
        if size == (width, height):
            return ratio
    raise InvalidRequest(
        f"Replicate's FLUX renders fixed sizes; {width}x{height} is not one of them."
    )


class ReplicateImageGenerator:
    """``RemoteImageGenerator`` over Replicate's predictions."""

    id = "replicate"
    capabilities = REPLICATE_CAPABILITIES

    def __init__(
        self,
        api_token: str,
        *,
        base_url: str = "https://api.replicate.com/v1",
        t2i_model: str = "black-forest-labs/flux-dev",
        fill_model: str = "black-forest-labs/flux-fill-dev",
        extra: Mapping[str, Any] | None = None,
        timeout: float = 30.0,
        wait_seconds: int = 0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.t2i_model = t2i_model.strip("/")
        self.fill_model = fill_model.strip("/")
        self.extra = extra_input(extra)
        self.wait_seconds = max(0, min(60, wait_seconds))  # Replicate holds at most 60 s
        self._api = HostedAPI(
            "Replicate", f"Bearer {api_token}", api_token, timeout=timeout, transport=transport
        )

    def __repr__(self) -> str:
        return f"ReplicateImageGenerator(base_url={self.base_url!r}, t2i_model={self.t2i_model!r})"

    def request_input(self, request: ImageGenerationRequest) -> tuple[str, dict[str, Any]]:
        """(model, its input) for ``request``."""
        arguments: dict[str, Any] = {"output_format": "png", **self.extra}
        arguments.update(prompt=request.prompt, num_outputs=request.count, seed=request.seed)
        if request.canvas is None:
            arguments.setdefault("megapixels", "1")
            arguments["aspect_ratio"] = _aspect_ratio(request.width, request.height)
            return self.t2i_model, arguments
        if (
            max(request.width, request.height) > _FILL_MAX_SIDE
            or request.width % _FILL_MULTIPLE
            or request.height % _FILL_MULTIPLE
        ):
            raise InvalidRequest(
                f"Replicate's FLUX Fill cannot paint {request.width}x{request.height} exactly "
                f"(sides must be multiples of {_FILL_MULTIPLE} up to {_FILL_MAX_SIDE})."
            )
        image, mask = canvas_data_uris(request.canvas, request.width, request.height)
        arguments.update(image=image, mask=mask, megapixels="match_input")
        return self.fill_model, arguments

    def _create_url_and_body(
        self, model: str, arguments: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        name, _, version = model.partition(":")
        if version:
            return f"{self.base_url}/predictions", {"version": version, "input": arguments}
        return f"{self.base_url}/models/{name}/predictions", {"input": arguments}

    def submit(self, request: ImageGenerationRequest) -> str:
        model, arguments = self.request_input(request)
        url, body = self._create_url_and_body(model, arguments)
        headers = {"Prefer": f"wait={self.wait_seconds}"} if self.wait_seconds else {}
        response = self._api.call(
            "POST",
            url,
            json_body=body,
            headers=headers,
            timeout=self._api.timeout + self.wait_seconds,
        )
        if response.status_code not in (200, 201, 202):
            raise self._api.refusal(response, _detail(_json(response)))
        created = _json(response)
        prediction_id = created.get("id") if isinstance(created, dict) else None
        if not isinstance(prediction_id, str) or not prediction_id:
            raise TemporarilyUnavailable("Replicate created a prediction but named no id.")
        # Even when Prefer: wait brought it back finished, the id is what the pipeline stores;
        # the first poll reads the outcome.
        return encode_job(id=prediction_id, count=request.count)

    def poll(self, job_id: str) -> RemoteStatus:
        job = decode_job(job_id, ("id",))
        response = self._api.call("GET", f"{self.base_url}/predictions/{job['id']}")
        if response.status_code == 404:
            return RemoteStatus(
                "failed", error=InvalidRequest("Replicate no longer knows this prediction.")
            )
        if response.status_code != 200:
            raise self._api.refusal(response, _detail(_json(response)))
        prediction = _json(response)
        status = prediction.get("status") if isinstance(prediction, dict) else None
        if status in _PENDING:
            return RemoteStatus("pending", poll_after=retry_after(response))
        if status in _CANCELLED:
            return RemoteStatus("cancelled")
        if status == "failed":
            error = prediction.get("error") if isinstance(prediction, dict) else None
            return RemoteStatus("failed", error=self._failure(response, error))
        if status != "succeeded":
            raise TemporarilyUnavailable(f"Replicate answered an unknown status {status!r}.")
        return self._succeeded(prediction.get("output"), int(job.get("count") or 1))

    def _failure(self, response: httpx.Response, error: Any) -> ProviderError:
        message = error if isinstance(error, str) else None
        said = self._api.detail(response, message)
        lowered = (message or "").lower()
        if "nsfw" in lowered or "safety" in lowered or "sensitive" in lowered:
            return ContentRefused(f"Replicate's safety checker refused the images{said}.")
        if "interrupted" in lowered or "please retry" in lowered or "out of memory" in lowered:
            return TemporarilyUnavailable(f"Replicate's prediction was interrupted{said}.")
        return InvalidRequest(f"Replicate's model failed{said}.")

    def _succeeded(self, output: Any, count: int) -> RemoteStatus:
        urls = [output] if isinstance(output, str) else output if isinstance(output, list) else []
        urls = [url for url in urls if isinstance(url, str) and url]
        if len(urls) < count:
            # Replicate's FLUX models drop the images their safety checker flags.
            return RemoteStatus(
                "failed",
                error=ContentRefused(
                    f"Replicate answered {len(urls)} image(s) where {count} were asked for; "
                    "its safety checker withholds the images it flags."
                ),
            )
        return RemoteStatus("succeeded", images=[GeneratedImage(url=url) for url in urls[:count]])

    def cancel(self, job_id: str) -> None:
        job = decode_job(job_id, ("id",))
        response = self._api.call("POST", f"{self.base_url}/predictions/{job['id']}/cancel")
        status = response.status_code
        if status < 300 or status in (400, 404, 409, 422):  # ended already: nothing to stop
            return
        raise self._api.refusal(response, _detail(_json(response)))
