"""Output sizes: 1080 pixels on the short side, the long side by the aspect ratio."""

from __future__ import annotations

__all__ = ["ASPECT_RATIOS", "video_size"]

ASPECT_RATIOS: dict[str, tuple[int, int]] = {
    "16:9": (1920, 1080),
    "9:16": (1080, 1920),
    "1:1": (1080, 1080),
    "4:3": (1440, 1080),
    "3:4": (1080, 1440),
}


def video_size(aspect_ratio: str) -> tuple[int, int]:
    """(width, height) of a video at ``aspect_ratio`` ("16:9", "9:16", "1:1", "4:3", "3:4")."""
    try:
        return ASPECT_RATIOS[aspect_ratio.strip()]
    except KeyError:
        known = ", ".join(ASPECT_RATIOS)
        raise ValueError(f"unknown aspect ratio {aspect_ratio!r}; one of {known}") from None
