"""Seedance on fal's queue API (``krev.engines.fal_queue``): a prompt alone goes to a
text-to-video model (``fal-ai/bytedance/seedance/v1/pro/text-to-video``), a prompt with a first
frame to an image-to-video model (``.../image-to-video``, the frame as a JPEG data URI in
``image_url``). Either answers ``{"video": {"url": …}, "seed": …}``.

Inputs, as fal's Seedance 1.0 schemas declare them: ``prompt``, ``aspect_ratio`` (21:9, 16:9,
4:3, 1:1, 3:4, 9:16), ``resolution`` (480p, 720p, 1080p), ``duration`` as a string ("2" …
"12"), ``seed``. Any model sharing those schemas (Seedance Lite, Pro Fast) works by changing
its id; an empty id turns that mode off. The job id carries the model and the request id, so a
worker that restarts polls the same request without submitting again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from krev.engines.fal_queue import FalQueue
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
from krev.engines.video import (
    GeneratedVideo,
    RemoteVideoStatus,
    VideoGenerationRequest,
    VideoModelCapabilities,
)

__all__ = [
    "FAL_SEEDANCE_ASPECT_RATIOS",
    "FAL_SEEDANCE_I2V",
    "FAL_SEEDANCE_T2V",
    "FalVideoGenerator",
    "fal_video_capabilities",
]

FAL_SEEDANCE_T2V = "fal-ai/bytedance/seedance/v1/pro/text-to-video"
FAL_SEEDANCE_I2V = "fal-ai/bytedance/seedance/v1/pro/image-to-video"
FAL_SEEDANCE_ASPECT_RATIOS = ("21:9", "16:9", "4:3", "1:1", "3:4", "9:16")


def fal_video_capabilities(
    t2v_model: str, i2v_model: str, durations: Sequence[int] = SEEDANCE_DURATIONS
) -> VideoModelCapabilities:
    """What the configured models can do, without building anything."""
    return VideoModelCapabilities(
        text_to_video=bool(t2v_model.strip("/")),
        image_to_video=bool(i2v_model.strip("/")),
        native_audio=False,  # Seedance 1.0 renders no sound
        durations=tuple(sorted(set(durations))),
    )


class FalVideoGenerator:
    """``RemoteVideoGenerator`` over fal's queue."""

    id = "fal"

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = "https://queue.fal.run",
        t2v_model: str = FAL_SEEDANCE_T2V,
        i2v_model: str = FAL_SEEDANCE_I2V,
        durations: Sequence[int] = SEEDANCE_DURATIONS,
        max_resolution: str = "1080p",
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.t2v_model = t2v_model.strip("/")
        self.i2v_model = i2v_model.strip("/")
        self.max_resolution = max_resolution
        self.capabilities = fal_video_capabilities(self.t2v_model, self.i2v_model, durations)
        api = HostedAPI("fal", f"Key {api_key}", api_key, timeout=timeout, transport=transport)
        self._queue = FalQueue(api, self.base_url, output="the video")

    def __repr__(self) -> str:
        return (
            f"FalVideoGenerator(base_url={self.base_url!r}, t2v_model={self.t2v_model!r}, "
            f"i2v_model={self.i2v_model!r})"
        )

    def request_input(self, request: VideoGenerationRequest) -> tuple[str, dict[str, Any]]:
        """(model, its input) for ``request``."""
        duration = rendered_duration(request.duration, self.capabilities.durations)
        arguments: dict[str, Any] = {
            "prompt": request.prompt,
            "aspect_ratio": nearest_aspect_ratio(
                request.width, request.height, FAL_SEEDANCE_ASPECT_RATIOS
            ),
            "resolution": resolution_for(request.width, request.height, self.max_resolution),
            "duration": str(duration),
            "seed": model_seed(request.seed),
        }
        if request.first_frame is None:
            if not self.t2v_model:
                raise InvalidRequest("fal has no text-to-video model configured.")
            return self.t2v_model, arguments
        if not self.i2v_model:
            raise InvalidRequest("fal has no image-to-video model configured.")
        arguments["image_url"] = first_frame_data_uri(request.first_frame)
        return self.i2v_model, arguments

    def submit(self, request: VideoGenerationRequest) -> str:
        model, arguments = self.request_input(request)
        request_id = self._queue.submit(model, arguments)
        return encode_job(model=model, request_id=request_id)

    def poll(self, job_id: str) -> RemoteVideoStatus:
        job = decode_job(job_id, ("model", "request_id"))
        outcome = self._queue.poll(str(job["model"]), str(job["request_id"]))
        if outcome.state != "completed":
            return RemoteVideoStatus(
                outcome.state, error=outcome.error, poll_after=outcome.poll_after
            )
        video = outcome.result.get("video") if outcome.result is not None else None
        url = video.get("url") if isinstance(video, dict) else None
        if not isinstance(url, str) or not url:
            return RemoteVideoStatus("failed", error=InvalidRequest("fal's result names no video."))
        return RemoteVideoStatus("succeeded", video=GeneratedVideo(url=url))

    def cancel(self, job_id: str) -> None:
        job = decode_job(job_id, ("model", "request_id"))
        self._queue.cancel(str(job["model"]), str(job["request_id"]))
