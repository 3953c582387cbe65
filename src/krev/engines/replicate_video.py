"""Seedance on Replicate's predictions API (``krev.engines.replicate_predictions``): one model,
``bytedance/seedance-1-pro``, renders from a prompt alone or from a prompt and a first frame
(``image``, a JPEG data URI). Its ``output`` is the video's URL.

Inputs, as the model's schema declares them: ``prompt``, ``aspect_ratio`` (16:9, 4:3, 1:1, 3:4,
9:16, 21:9, 9:21; the model follows the image's instead when it has one), ``resolution``
(480p, 720p, 1080p), ``duration`` in whole seconds (2-12), ``fps`` (24, its only rate),
``seed``. A model id may carry a ``:version``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from krev.engines.hosted import HostedAPI, decode_job, encode_job
from krev.engines.hosted_video import (
    SEEDANCE_DURATIONS,
    first_frame_data_uri,
    model_seed,
    nearest_aspect_ratio,
    rendered_duration,
    resolution_for,
)
from krev.engines.providers import InvalidRequest
from krev.engines.replicate_predictions import ReplicatePredictions
from krev.engines.video import (
    FPS,
    GeneratedVideo,
    RemoteVideoStatus,
    VideoGenerationRequest,
    VideoModelCapabilities,
)

__all__ = [
    "REPLICATE_SEEDANCE",
    "REPLICATE_SEEDANCE_ASPECT_RATIOS",
    "ReplicateVideoGenerator",
    "replicate_video_capabilities",
]

REPLICATE_SEEDANCE = "bytedance/seedance-1-pro"
REPLICATE_SEEDANCE_ASPECT_RATIOS = ("16:9", "4:3", "1:1", "3:4", "9:16", "21:9", "9:21")


def replicate_video_capabilities(
    model: str, durations: Sequence[int] = SEEDANCE_DURATIONS
) -> VideoModelCapabilities:
    """What the configured model can do, without building anything: Seedance renders from a
    prompt alone and from a first frame alike."""
    configured = bool(model.strip("/"))
    return VideoModelCapabilities(
        text_to_video=configured,
        image_to_video=configured,
        native_audio=False,  # Seedance 1.0 renders no sound
        durations=tuple(sorted(set(durations))),
    )


def _video_url(output: Any) -> str | None:
    """The video's URL: Seedance answers one string; a list is taken by its first URL."""
    if isinstance(output, list):
        output = next((item for item in output if isinstance(item, str) and item), None)
    return output if isinstance(output, str) and output else None


class ReplicateVideoGenerator:
    """``RemoteVideoGenerator`` over Replicate's predictions."""

    id = "replicate"

    def __init__(
        self,
        api_token: str,
        *,
        base_url: str = "https://api.replicate.com/v1",
        model: str = REPLICATE_SEEDANCE,
        durations: Sequence[int] = SEEDANCE_DURATIONS,
        max_resolution: str = "1080p",
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model.strip("/")
        self.max_resolution = max_resolution
        self.capabilities = replicate_video_capabilities(self.model, durations)
        api = HostedAPI(
            "Replicate", f"Bearer {api_token}", api_token, timeout=timeout, transport=transport
        )
        # No Prefer: wait: a video takes minutes, longer than Replicate holds a request.
        self._predictions = ReplicatePredictions(api, self.base_url, output="the video")

    def __repr__(self) -> str:
        return f"ReplicateVideoGenerator(base_url={self.base_url!r}, model={self.model!r})"

    def request_input(self, request: VideoGenerationRequest) -> dict[str, Any]:
        """The model's input for ``request``."""
        if not self.model:
            raise InvalidRequest("Replicate has no video model configured.")
        duration = rendered_duration(request.duration, self.capabilities.durations)
        arguments: dict[str, Any] = {
            "prompt": request.prompt,
            "aspect_ratio": nearest_aspect_ratio(
                request.width, request.height, REPLICATE_SEEDANCE_ASPECT_RATIOS
            ),
            "resolution": resolution_for(request.width, request.height, self.max_resolution),
            "duration": duration,
            "fps": FPS,  # Seedance renders 24 fps only; the normaliser retimes to the request
            "seed": model_seed(request.seed),
        }
        if request.first_frame is not None:
            arguments["image"] = first_frame_data_uri(request.first_frame)
        return arguments

    def submit(self, request: VideoGenerationRequest) -> str:
        prediction_id = self._predictions.create(self.model, self.request_input(request))
        return encode_job(id=prediction_id)

    def poll(self, job_id: str) -> RemoteVideoStatus:
        job = decode_job(job_id, ("id",))
        outcome = self._predictions.get(str(job["id"]))
        if outcome.state != "succeeded":
            return RemoteVideoStatus(
                outcome.state, error=outcome.error, poll_after=outcome.poll_after
            )
        url = _video_url(outcome.output)
        if url is None:
            return RemoteVideoStatus(
                "failed", error=InvalidRequest("Replicate's prediction names no video.")
            )
        return RemoteVideoStatus("succeeded", video=GeneratedVideo(url=url))

    def cancel(self, job_id: str) -> None:
        job = decode_job(job_id, ("id",))
        self._predictions.cancel(str(job["id"]))
