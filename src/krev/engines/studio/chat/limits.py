"""What the public bodies accept, mirrored here because an engine imports no domain
(``krev.images.schemas``, ``krev.videos.schemas``, ``krev.ads.schemas``; a test keeps the two in
step). The planner fits each call to them and says what it changed, so that no call it plans
is refused for a shape or a count the user could not have known about."""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = [
    "AD_ASPECT_RATIOS",
    "IMAGE_ASPECT_RATIOS",
    "IMAGE_COUNTS",
    "MAX_PRODUCTS",
    "MAX_VIDEOS",
    "VIDEO_ASPECT_RATIOS",
    "VIDEO_DEFAULT_SECONDS",
    "VIDEO_MAX_SECONDS",
    "VIDEO_MIN_SECONDS",
    "image_count",
    "nearest_ratio",
]

IMAGE_ASPECT_RATIOS: tuple[str, ...] = ("1:1", "16:9", "9:16", "4:3", "3:4")
VIDEO_ASPECT_RATIOS: tuple[str, ...] = ("1:1", "16:9", "9:16", "4:3", "3:4")
AD_ASPECT_RATIOS: tuple[str, ...] = ("1:1", "4:5", "9:16")
IMAGE_COUNTS: tuple[int, ...] = (1, 2, 4)
"""``image_count`` of images and ads."""
MAX_PRODUCTS = 4
"""``product_ids`` of images and ads."""
VIDEO_MIN_SECONDS = 4
VIDEO_MAX_SECONDS = 15
VIDEO_DEFAULT_SECONDS = 5
MAX_VIDEOS = 4
"""Videos one message may start (each is charged per second)."""


def _value(ratio: str) -> float:
    width, height = ratio.split(":")
    return math.log(int(width) / int(height))


def nearest_ratio(ratio: str, allowed: Sequence[str]) -> str:
    """``ratio`` if allowed, else the allowed shape closest to it (4:5 for images is 3:4)."""
    if ratio in allowed:
        return ratio
    return min(allowed, key=lambda option: (abs(_value(option) - _value(ratio)), option))


def image_count(asked: int) -> int:
    """The allowed ``image_count`` for ``asked`` images: rounded up, at most 4."""
    return next((count for count in IMAGE_COUNTS if count >= asked), IMAGE_COUNTS[-1])
