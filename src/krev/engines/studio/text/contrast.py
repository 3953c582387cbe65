"""WCAG 2 contrast: relative luminance, contrast ratios, and text colors chosen against the
actual pixels under the text, taking the worst pixel, not the average one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "AA_LARGE",
    "AA_NORMAL",
    "RGB",
    "contrast_ratio",
    "hex_to_rgb",
    "luminance_range",
    "pick_text_color",
    "relative_luminance",
    "rgb_to_hex",
    "scrim_opacity",
    "worst_contrast",
]

AA_NORMAL = 4.5
"""WCAG AA for body text."""
AA_LARGE = 3.0
"""WCAG AA for large text (18 pt, or 14 pt bold, and up)."""

RGB = tuple[int, int, int]
_WEIGHTS = np.array([0.2126, 0.7152, 0.0722])
_CHANNEL = np.arange(256) / 255.0
# Each 8-bit channel value's linear light, times its luminance weight: a pixel's luminance is
# three table look-ups and two additions.
_WEIGHTED = np.stack(
    [
        np.where(_CHANNEL <= 0.04045, _CHANNEL / 12.92, ((_CHANNEL + 0.055) / 1.055) ** 2.4) * w
        for w in _WEIGHTS
    ]
).astype(np.float32)


def hex_to_rgb(value: str) -> RGB:
    text = value.strip().lstrip("#")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    if len(text) != 6:
        raise ValueError(f"not a hex color: {value!r}")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def rgb_to_hex(rgb: Sequence[float] | npt.NDArray[Any]) -> str:
    return "#" + "".join(f"{round(min(255, max(0, float(c)))):02x}" for c in rgb[:3])


def relative_luminance(rgb: Sequence[float] | npt.NDArray[Any]) -> Any:
    """WCAG relative luminance of sRGB values 0-255 (a color, or an array of them, last axis
    the channels)."""
    c = np.asarray(rgb, dtype=np.float64)[..., :3] / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    result = linear @ _WEIGHTS
    return float(result) if np.ndim(result) == 0 else result


def _ratio(a: Any, b: Any) -> Any:
    return (np.maximum(a, b) + 0.05) / (np.minimum(a, b) + 0.05)


def contrast_ratio(a: Sequence[float] | str, b: Sequence[float] | str) -> float:
    la = relative_luminance(hex_to_rgb(a) if isinstance(a, str) else a)
    lb = relative_luminance(hex_to_rgb(b) if isinstance(b, str) else b)
    return float(_ratio(la, lb))


def luminance_range(pixels: npt.NDArray[Any]) -> tuple[float, float]:
    """The darkest and lightest relative luminance among ``pixels`` (uint8, last axis RGB)."""
    flat = np.asarray(pixels, dtype=np.uint8).reshape(-1, 3)
    lum = _WEIGHTED[0][flat[:, 0]] + _WEIGHTED[1][flat[:, 1]] + _WEIGHTED[2][flat[:, 2]]
    return float(lum.min()), float(lum.max())


def _worst(color: Sequence[float], bounds: tuple[float, float]) -> float:
    text = relative_luminance(color)
    lo, hi = bounds
    if lo <= text <= hi:
        return 1.0
    nearest = hi if text > hi else lo
    return float(_ratio(text, nearest))


def worst_contrast(color: Sequence[float], pixels: npt.NDArray[Any]) -> float:
    """The lowest contrast between ``color`` and any of ``pixels`` (uint8, last axis RGB)."""
    if pixels.size == 0:
        return float("inf")
    return _worst(color, luminance_range(pixels))


def pick_text_color(
    pixels: npt.NDArray[Any], candidates: Sequence[RGB], minimum: float = AA_NORMAL
) -> tuple[RGB, float]:
    """The first candidate whose worst contrast over ``pixels`` reaches ``minimum``; else the
    one with the best worst contrast."""
    best: tuple[RGB, float] | None = None
    bounds = luminance_range(pixels) if pixels.size else (0.0, 0.0)
    for color in candidates:
        ratio = _worst(color, bounds) if pixels.size else float("inf")
        if ratio >= minimum:
            return color, ratio
        if best is None or ratio > best[1]:
            best = (color, ratio)
    if best is None:
        raise ValueError("no candidate colors")
    return best


def scrim_opacity(
    pixels: npt.NDArray[Any],
    text: RGB,
    scrim: RGB,
    minimum: float = AA_NORMAL,
    steps: int = 20,
) -> float | None:
    """The least opacity of a ``scrim`` color laid over ``pixels`` at which ``text`` reaches
    ``minimum`` against every pixel; ``None`` when even an opaque scrim does not."""
    base = pixels.reshape(-1, 3).astype(np.float64)
    tint = np.asarray(scrim, dtype=np.float64)
    for step in range(steps + 1):
        alpha = step / steps
        blended = np.round(base * (1 - alpha) + tint * alpha).astype(np.uint8)
        if worst_contrast(text, blended) >= minimum:
            return alpha
    return None
