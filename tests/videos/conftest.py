"""Fixtures for video generation: the real app with worker threads, loopback fetches allowed
only through the allowlist, and helpers that speak HTTP to it and decode the MP4 it answers
with (PyAV, frame by frame)."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import av
import numpy as np
import numpy.typing as npt
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from krev.platform.config import Settings
from tests.conftest import Account
from tests.generations.stack import JOB_PLANS

VIDEOS = "/api/v1/videos"
VIDEO_KEYS = {"generation_id", "video_url", "duration", "credits_used"}
SIZES = {
    "16:9": (1920, 1080),
    "9:16": (1080, 1920),
    "1:1": (1080, 1080),
    "4:3": (1440, 1080),
    "3:4": (1080, 1440),
}


@pytest.fixture
def settings(request: pytest.FixtureRequest, make_settings: Callable[..., Settings]) -> Settings:
    # A generous wait window: parallel test processes share two cores, and these tests read
    # the synchronous answer. A test may add settings of its own (indirect parametrization).
    values: dict[str, Any] = {
        "plans": JOB_PLANS,
        "embedded_workers": 2,
        "sync_wait_seconds": 120.0,
        "video_sync_wait_seconds": 300.0,
        "fetch_allowlist": ["127.0.0.1"],
    }
    return make_settings(**{**values, **getattr(request, "param", {})})


def post_video(client: TestClient, account: Account, body: Any, **headers: str) -> Any:
    return client.post(VIDEOS, json=body, headers={**account.headers, **headers})


def generated_video(client: TestClient, account: Account, body: dict[str, Any]) -> dict[str, Any]:
    """POST /api/v1/videos and the 200 answer's data: exactly the reference's four fields."""
    response = post_video(client, account, body)
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["success"] is True
    data: dict[str, Any] = payload["data"]
    assert set(data) == VIDEO_KEYS
    return data


@dataclass
class DecodedVideo:
    width: int
    height: int
    codec: str
    pixel_format: str
    fps: float
    frames: list[npt.NDArray[np.uint8]]
    """The frames ``keep`` selected, decoded to RGB."""
    frame_count: int
    """How many frames the stream holds."""
    duration: float
    """The container's duration, seconds."""
    audio_codec: str | None
    audio_seconds: float
    audio_peak: float
    faststart: bool
    """Whether the moov atom comes before the media data (playback starts while loading)."""


def decode_mp4(data: bytes, keep: Callable[[int], bool] = lambda _index: True) -> DecodedVideo:
    """Every frame of an MP4 (those ``keep`` selects kept as RGB arrays) and its audio."""
    frames: list[npt.NDArray[np.uint8]] = []
    count = 0
    with av.open(io.BytesIO(data), mode="r") as container:
        video = container.streams.video[0]
        codec = video.codec_context.name
        pixel_format = str(video.codec_context.pix_fmt)
        fps = float(video.average_rate or 0)
        width, height = video.codec_context.width, video.codec_context.height
        duration = float(container.duration or 0) / av.time_base
        for frame in container.decode(video=0):
            if keep(count):
                frames.append(np.asarray(frame.to_ndarray(format="rgb24"), np.uint8))
            count += 1
    audio_codec, audio_seconds, peak = None, 0.0, 0.0
    with av.open(io.BytesIO(data), mode="r") as container:
        if container.streams.audio:
            stream = container.streams.audio[0]
            audio_codec = stream.codec_context.name
            samples = 0
            for chunk in container.decode(audio=0):
                array = chunk.to_ndarray()
                samples += chunk.samples
                peak = max(peak, float(np.abs(array).max()) if array.size else 0.0)
            audio_seconds = samples / float(stream.codec_context.sample_rate)
    moov, mdat = data.find(b"moov"), data.find(b"mdat")
    return DecodedVideo(
        width,
        height,
        codec,
        pixel_format,
        fps,
        frames,
        count,
        duration,
        audio_codec,
        audio_seconds,
        peak,
        0 <= moov < mdat,
    )


def download_video(client: TestClient, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "video/mp4"
    return response.content


def download_poster(client: TestClient, url: str) -> npt.NDArray[np.uint8]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.format == "WEBP"
        return np.asarray(image.convert("RGB"), dtype=np.uint8)
