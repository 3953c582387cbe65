"""What the hosted video adapters (fal, Replicate) share: the Seedance-class inputs a request
becomes (an aspect ratio from the model's list, a resolution, a duration it renders) and the
first frame as a data URI.

Seedance 1.0 (ByteDance) on both services takes the same inputs: ``aspect_ratio`` from a fixed
list, ``resolution`` 480p/720p/1080p, ``duration`` 2-12 whole seconds (older deployments: 5
or 10; the durations are configuration), 24 fps, a ``seed``, and for image-to-video the first
frame as an image URL, where a ``data:`` URI is accepted. The model renders its own size for
the ratio and resolution; the pipeline's normaliser (``krev.engines.studio.video.normalize``)
makes Krev's MP4 of it: exact size, frame count and sound.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Iterable

import numpy as np
from PIL import Image

from krev.engines.base import RGBImage
from krev.engines.providers import InvalidRequest

__all__ = [
    "RESOLUTIONS",
    "SEEDANCE_DURATIONS",
    "first_frame_data_uri",
    "model_seed",
    "nearest_aspect_ratio",
    "rendered_duration",
    "resolution_for",
]

SEEDANCE_DURATIONS: tuple[int, ...] = tuple(range(2, 13))
# The short side of each resolution Seedance renders.
RESOLUTIONS: dict[str, int] = {"480p": 480, "720p": 720, "1080p": 1080}

# Replicate recommends data URIs only for files under 1 MB; fal takes larger, but a frame of a
# few hundred kilobytes keeps every submit small. Base64 grows the bytes by a third.
_MAX_DATA_URI_BYTES = 1_000_000
_JPEG_QUALITIES = (95, 90, 85, 80)
_MIN_SIDE = 300  # Seedance refuses first frames with a side under 300 pixels


def model_seed(seed: int) -> int:
    """Krev's seed (32 bits from the generation id) within the signed 32-bit range ByteDance's
    API takes (-1 means random there, so it is never sent)."""
    return seed % 2**31


def nearest_aspect_ratio(width: int, height: int, ratios: Iterable[str]) -> str:
    """The ratio of ``ratios`` ("16:9", …) closest to ``width`` x ``height`` (by the log of the
    ratio, so 2:1 and 1:2 are as far from 1:1)."""
    wanted = math.log(width / height)

    def distance(ratio: str) -> float:
        across, _, down = ratio.partition(":")
        return abs(math.log(float(across) / float(down)) - wanted)

    offered = [ratio for ratio in ratios if ratio != "auto"]
    if not offered:
        raise ValueError("no aspect ratio to choose from")
    return min(offered, key=distance)


def rendered_duration(duration: int, offered: Iterable[int]) -> int:
    """The duration to ask the model for: ``duration`` when it renders it, else the nearest
    longer one (the normaliser cuts it), else its longest (the normaliser holds the last
    frame)."""
    durations = sorted(set(offered))
    if not durations:
        return duration
    if duration in durations:
        return duration
    longer = [offered_one for offered_one in durations if offered_one > duration]
    return longer[0] if longer else durations[-1]


def resolution_for(width: int, height: int, highest: str = "1080p") -> str:
    """The lowest resolution whose short side covers the output's, up to ``highest`` (the
    operator's cap: a 1080p clip costs about twice a 720p one)."""
    if highest not in RESOLUTIONS:
        raise ValueError(f"resolution {highest!r} is not one of {', '.join(RESOLUTIONS)}")
    cap = RESOLUTIONS[highest]
    short = min(width, height)
    for name, side in sorted(RESOLUTIONS.items(), key=lambda item: item[1]):
        if side >= short or side >= cap:
            return name
    return highest


def _jpeg(picture: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    # 4:4:4: a product's thin coloured edges survive the first frame better than with 4:2:0.
    picture.save(buffer, format="JPEG", quality=quality, subsampling=0)
    return buffer.getvalue()


def first_frame_data_uri(image: RGBImage, max_bytes: int = _MAX_DATA_URI_BYTES) -> str:
    """``image`` ((h, w, 3) uint8 RGB) as a ``data:image/jpeg;base64,`` URI of at most
    ``max_bytes`` characters: the best JPEG quality that fits, then smaller pictures."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise InvalidRequest(f"the first frame must be (h, w, 3) uint8, not {image.shape}")
    picture = Image.fromarray(np.ascontiguousarray(image), "RGB")
    if min(picture.size) < _MIN_SIDE:
        scale = _MIN_SIDE / min(picture.size)
        picture = picture.resize(
            (math.ceil(picture.width * scale), math.ceil(picture.height * scale)),
            Image.Resampling.LANCZOS,
        )
    budget = (max_bytes - len("data:image/jpeg;base64,")) * 3 // 4
    while True:
        for quality in _JPEG_QUALITIES:
            data = _jpeg(picture, quality)
            if len(data) <= budget:
                return "data:image/jpeg;base64," + base64.b64encode(data).decode()
        if min(picture.size) * 0.8 < _MIN_SIDE:
            raise InvalidRequest("the first frame does not fit in a data URI")
        picture = picture.resize(
            (round(picture.width * 0.8), round(picture.height * 0.8)), Image.Resampling.LANCZOS
        )
