"""FLUX on fal's queue API: ``POST {queue}/{model}`` submits, ``GET .../requests/{id}/status``
says where the request stands, ``GET .../requests/{id}`` gives the result and ``PUT
.../requests/{id}/cancel`` stops it (queue.fal.run, ``Authorization: Key <key>``).

Text-only prompts go to a FLUX.1 [dev] text-to-image model (``fal-ai/flux/dev``); product
scenes to FLUX.1 Fill [dev] (``fal-ai/flux-lora-fill``) with the canvas and its mask (white:
paint) as PNG data URIs. Any model sharing those schemas works by changing its id.

The status and result live under the app's owner and alias only (``fal-ai/flux``, not
``fal-ai/flux/dev``), as fal's own clients build them; the job id carries the model and the
request id, so a worker that restarts polls the same request without submitting again. The
URLs fal returns are not followed: the key only ever goes to the configured queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from krev.engines.hosted import (
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

__all__ = ["FAL_CAPABILITIES", "FalImageGenerator"]

FAL_CAPABILITIES = ImageCapabilities(
    text_only=True, product_scenes=True, max_count=4, sizes=FLUX_SIZES
)

_NAMESPACES = ("workflows", "comfy")  # app ids with a leading namespace: ns/owner/alias/path
_CONTENT_TYPES = ("content_policy_violation",)


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


class FalImageGenerator:
    """``RemoteImageGenerator`` over fal's queue."""

    id = "fal"
    capabilities = FAL_CAPABILITIES

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = "https://queue.fal.run",
        t2i_model: str = "fal-ai/flux/dev",
        fill_model: str = "fal-ai/flux-lora-fill",
        extra: Mapping[str, Any] | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.t2i_model = t2i_model.strip("/")
        self.fill_model = fill_model.strip("/")
        self.extra = extra_input(extra)
        self._api = HostedAPI(
            "fal", f"Key {api_key}", api_key, timeout=timeout, transport=transport
        )

    def __repr__(self) -> str:
        return f"FalImageGenerator(base_url={self.base_url!r}, t2i_model={self.t2i_model!r})"

    def request_input(self, request: ImageGenerationRequest) -> tuple[str, dict[str, Any]]:
        """(model, its input) for ``request``."""
        arguments: dict[str, Any] = {"output_format": "png", **self.extra}
        arguments.update(
            prompt=request.prompt,
            image_size={"width": request.width, "height": request.height},
            num_images=request.count,
            seed=request.seed,
        )
        if request.canvas is None:
            return self.t2i_model, arguments
        image, mask = canvas_data_uris(request.canvas, request.width, request.height)
        arguments.update(image_url=image, mask_url=mask)
        return self.fill_model, arguments

    def _refusal(self, response: httpx.Response) -> ProviderError:
        kind, message = _fal_error(_json(response))
        if kind in _CONTENT_TYPES:
            return ContentRefused(
                "fal's safety system refused the prompt or image"
                + self._api.detail(response, message)
                + "."
            )
        return self._api.refusal(response, message)

    def submit(self, request: ImageGenerationRequest) -> str:
        model, arguments = self.request_input(request)
        response = self._api.call("POST", f"{self.base_url}/{model}", json_body=arguments)
        if response.status_code not in (200, 201, 202):
            raise self._refusal(response)
        body = _json(response)
        request_id = body.get("request_id") if isinstance(body, dict) else None
        if not isinstance(request_id, str) or not request_id:
            raise TemporarilyUnavailable("fal accepted the request but named no request id.")
        return encode_job(model=model, request_id=request_id, count=request.count)

    def _request_url(self, job: dict[str, Any]) -> str:
        return f"{self.base_url}/{_app_path(str(job['model']))}/requests/{job['request_id']}"

    def poll(self, job_id: str) -> RemoteStatus:
        job = decode_job(job_id, ("model", "request_id"))
        url = self._request_url(job)
        response = self._api.call("GET", f"{url}/status?logs=0")
        if response.status_code == 404:
            return RemoteStatus("failed", error=InvalidRequest("fal no longer knows this request."))
        if response.status_code not in (200, 202):
            raise self._refusal(response)
        body = _json(response)
        state = body.get("status") if isinstance(body, dict) else None
        if state in ("IN_QUEUE", "IN_PROGRESS"):
            return RemoteStatus("pending", poll_after=retry_after(response))
        if state in ("CANCELED", "CANCELLED"):
            return RemoteStatus("cancelled")
        if state not in ("COMPLETED", "FAILED"):
            raise TemporarilyUnavailable(f"fal answered an unknown request status {state!r}.")
        kind, message = _fal_error(body)
        if message is not None or state == "FAILED":
            return RemoteStatus("failed", error=self._failure(response, kind, message))
        return self._result(url, int(job.get("count") or 1))

    def _failure(
        self, response: httpx.Response, kind: str | None, message: str | None
    ) -> ProviderError:
        said = self._api.detail(response, message)
        if kind in _CONTENT_TYPES:
            return ContentRefused(f"fal's safety system refused the prompt or image{said}.")
        if kind in (
            "internal_server_error",
            "downstream_service_unavailable",
            "generation_timeout",
        ):
            return TemporarilyUnavailable(f"fal could not finish the images{said}.")
        return InvalidRequest(f"fal could not make the images{said}.")

    def _result(self, url: str, count: int) -> RemoteStatus:
        response = self._api.call("GET", url)
        if response.status_code != 200:
            kind, message = _fal_error(_json(response))
            if response.status_code == 429 or (response.status_code >= 500 and message is None):
                raise self._api.refusal(response, message)  # the answer, not the job, failed
            if response.status_code in (401, 403):
                raise self._api.refusal(response, message)
            if message is None:
                message = f"HTTP {response.status_code}"
            return RemoteStatus("failed", error=self._failure(response, kind, message))
        body = _json(response)
        if not isinstance(body, dict):
            return RemoteStatus("failed", error=InvalidRequest("fal's result is not JSON."))
        flagged = body.get("has_nsfw_concepts")
        if isinstance(flagged, list) and any(flagged):
            return RemoteStatus(
                "failed",
                error=ContentRefused(
                    "fal's safety checker withheld the generated image "
                    f"({sum(1 for f in flagged if f)} of {len(flagged)} flagged)."
                ),
            )
        images = body.get("images")
        urls = [
            item.get("url")
            for item in (images if isinstance(images, list) else [])
            if isinstance(item, dict)
        ]
        if len(urls) < count or not all(isinstance(u, str) and u for u in urls):
            return RemoteStatus(
                "failed",
                error=InvalidRequest(
                    f"fal answered {len(urls)} image(s) where {count} were asked for."
                ),
            )
        return RemoteStatus("succeeded", images=[GeneratedImage(url=str(u)) for u in urls[:count]])

    def cancel(self, job_id: str) -> None:
        job = decode_job(job_id, ("model", "request_id"))
        response = self._api.call("PUT", f"{self._request_url(job)}/cancel")
        # 400 ALREADY_COMPLETED and 404: the request has ended; nothing to stop.
        if response.status_code in (200, 202, 400, 404):
            return
        raise self._refusal(response)
