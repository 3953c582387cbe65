"""FLUX on Replicate's predictions API (``krev.engines.replicate_predictions``: create, poll,
cancel; ``Authorization: Bearer <token>``).

Text-only prompts go to ``black-forest-labs/flux-dev``, which takes an aspect ratio, not pixels
(one megapixel: the sizes in ``FLUX_ASPECT_RATIOS``); product scenes go to
``black-forest-labs/flux-fill-dev`` with the canvas and its mask (white: paint) as PNG data URIs
and ``megapixels: match_input``, so the result has the canvas's size. A model id may carry a
``:version``. Replicate's FLUX models drop the images their safety checker flags, and fail the
prediction when it flags them all.
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
)
from krev.engines.providers import (
    ContentRefused,
    GeneratedImage,
    ImageCapabilities,
    ImageGenerationRequest,
    InvalidRequest,
    RemoteStatus,
)
from krev.engines.replicate_predictions import ReplicatePredictions

__all__ = ["REPLICATE_CAPABILITIES", "ReplicateImageGenerator"]

REPLICATE_CAPABILITIES = ImageCapabilities(
    text_only=True, product_scenes=True, max_count=4, sizes=FLUX_SIZES
)

_FILL_MAX_SIDE = 1440  # flux-fill-dev scales a larger input down
_FILL_MULTIPLE = 32  # and floors its sides to multiples of 32


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
        api = HostedAPI(
            "Replicate", f"Bearer {api_token}", api_token, timeout=timeout, transport=transport
        )
        self._predictions = ReplicatePredictions(
            api, self.base_url, output="the images", wait_seconds=wait_seconds
        )
        self.wait_seconds = self._predictions.wait_seconds

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

    def submit(self, request: ImageGenerationRequest) -> str:
        model, arguments = self.request_input(request)
        prediction_id = self._predictions.create(model, arguments)
        return encode_job(id=prediction_id, count=request.count)

    def poll(self, job_id: str) -> RemoteStatus:
        job = decode_job(job_id, ("id",))
        outcome = self._predictions.get(str(job["id"]))
        if outcome.state != "succeeded":
            return RemoteStatus(outcome.state, error=outcome.error, poll_after=outcome.poll_after)
        return self._succeeded(outcome.output, int(job.get("count") or 1))

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
        self._predictions.cancel(str(job["id"]))
