"""FLUX on fal's queue API: ``POST {queue}/{model}`` submits, ``GET .../requests/{id}/status``
says where the request stands, ``GET .../requests/{id}`` gives the result and ``PUT
.../requests/{id}/cancel`` stops it (queue.fal.run, ``Authorization: Key <key>``).

Text-only prompts go to a FLUX.1 [dev] text-to-image model (``fal-ai/flux/dev``); product
scenes to FLUX.1 Fill [dev] (``fal-ai/flux-lora-fill``) with the canvas and its mask (white:
paint) as PNG data URIs. Any model sharing those schemas works by changing its id.

The queue's protocol is ``krev.engines.fal_queue``'s; the job id carries the model and the
request id, so a worker that restarts polls the same request without submitting again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from krev.engines.fal_queue import FalQueue
from krev.engines.hosted import (
    FLUX_SIZES,
    HostedAPI,
    canvas_data_uris,
    decode_job,
    encode_job,
    extra_input,
)
from krev.engines.providers import (
    ContentRefused,
    GeneratedImage,
    ImageCapabilities,
    ImageGenerationRequest,
    InvalidRequest,
    RemoteStatus,
)

__all__ = ["FAL_CAPABILITIES", "FalImageGenerator"]

FAL_CAPABILITIES = ImageCapabilities(
    text_only=True, product_scenes=True, max_count=4, sizes=FLUX_SIZES
)


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
        api = HostedAPI("fal", f"Key {api_key}", api_key, timeout=timeout, transport=transport)
        self._queue = FalQueue(api, self.base_url, output="the images")

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

    def submit(self, request: ImageGenerationRequest) -> str:
        model, arguments = self.request_input(request)
        request_id = self._queue.submit(model, arguments)
        return encode_job(model=model, request_id=request_id, count=request.count)

    def poll(self, job_id: str) -> RemoteStatus:
        job = decode_job(job_id, ("model", "request_id"))
        outcome = self._queue.poll(str(job["model"]), str(job["request_id"]))
        if outcome.state != "completed":
            return RemoteStatus(outcome.state, error=outcome.error, poll_after=outcome.poll_after)
        assert outcome.result is not None  # a completed outcome carries its body
        return self._result(outcome.result, int(job.get("count") or 1))

    def _result(self, body: dict[str, Any], count: int) -> RemoteStatus:
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
        self._queue.cancel(str(job["model"]), str(job["request_id"]))
