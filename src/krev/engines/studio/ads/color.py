"""Color arithmetic for ad palettes in OKLCH (perceptual lightness, chroma, hue), where a
lighter or darker shade of a brand color keeps its hue, and shades that reach a WCAG contrast."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from krev.engines.studio.text.contrast import contrast_ratio, hex_to_rgb, rgb_to_hex

__all__ = [
    "BLACK",
    "WHITE",
    "chroma",
    "from_oklch",
    "legible_on",
    "mix",
    "oklch",
    "readable",
    "shade",
]

WHITE = "#ffffff"
BLACK = "#000000"

_M1 = np.array(
    [
        [0.4122214708, 0.5363325363, 0.0514459929],
        [0.2119034982, 0.6806995451, 0.1073969566],
        [0.0883024619, 0.2817188376, 0.6299787005],
    ]
)
_M2 = np.array(
    [
        [0.2104542553, 0.7936177850, -0.0040720468],
        [1.9779984951, -2.4285922050, 0.4505937099],
        [0.0259040371, 0.7827717662, -0.8086757660],
    ]
)
_M2_INV = np.linalg.inv(_M2)
_M1_INV = np.linalg.inv(_M1)


def _to_linear(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _to_srgb(c: np.ndarray) -> np.ndarray:
    c = np.clip(c, 0.0, None)
    return np.where(c <= 0.0031308, c * 12.92, 1.055 * c ** (1 / 2.4) - 0.055)


@lru_cache(maxsize=4096)
def oklch(value: str) -> tuple[float, float, float]:
    """(L 0..1, C 0..~0.37, h degrees) of a hex color."""
    rgb = np.array(hex_to_rgb(value), dtype=np.float64) / 255.0
    lab = _M2 @ np.cbrt(_M1 @ _to_linear(rgb))
    lightness, a, b = (float(v) for v in lab)
    return lightness, math.hypot(a, b), math.degrees(math.atan2(b, a)) % 360.0


def _linear_from_oklch(lightness: float, c: float, hue: float) -> np.ndarray:
    h = math.radians(hue)
    lab = np.array([lightness, c * math.cos(h), c * math.sin(h)])
    return np.asarray(_M1_INV @ ((_M2_INV @ lab) ** 3))


def _in_gamut(linear: np.ndarray) -> bool:
    return bool(np.all((linear >= -1e-5) & (linear <= 1 + 1e-5)))


@lru_cache(maxsize=4096)
def from_oklch(lightness: float, c: float, hue: float) -> str:
    """The hex color nearest (L, C, h), chroma reduced until it lies inside sRGB."""
    lightness = min(1.0, max(0.0, lightness))
    lo, hi = 0.0, max(0.0, c)
    if not _in_gamut(_linear_from_oklch(lightness, hi, hue)):
        for _ in range(24):
            mid = (lo + hi) / 2
            if _in_gamut(_linear_from_oklch(lightness, mid, hue)):
                lo = mid
            else:
                hi = mid
        hi = lo
    linear = np.clip(_linear_from_oklch(lightness, hi, hue), 0, 1)
    return rgb_to_hex(_to_srgb(linear) * 255)


def chroma(value: str) -> float:
    return oklch(value)[1]


def shade(value: str, lightness: float | None = None, c: float | None = None) -> str:
    """``value`` with its OKLCH lightness and/or chroma replaced, hue kept."""
    base_l, base_c, hue = oklch(value)
    return from_oklch(base_l if lightness is None else lightness, base_c if c is None else c, hue)


@lru_cache(maxsize=4096)
def mix(a: str, b: str, t: float) -> str:
    """``a`` moved ``t`` of the way to ``b`` in OKLab."""
    la, ca, ha = oklch(a)
    lb, cb, hb = oklch(b)
    ax, ay = ca * math.cos(math.radians(ha)), ca * math.sin(math.radians(ha))
    bx, by = cb * math.cos(math.radians(hb)), cb * math.sin(math.radians(hb))
    x, y = ax + (bx - ax) * t, ay + (by - ay) * t
    return from_oklch(la + (lb - la) * t, math.hypot(x, y), math.degrees(math.atan2(y, x)))


def readable(background: str, minimum: float = 4.5) -> str:
    """White or black, whichever reads better on ``background`` (one of them always reaches
    4.58:1)."""
    del minimum
    return (
        WHITE if contrast_ratio(WHITE, background) >= contrast_ratio(BLACK, background) else BLACK
    )


@lru_cache(maxsize=4096)
def legible_on(value: str, background: str, minimum: float = 4.5) -> str:
    """``value`` made lighter or darker (hue kept, the smaller move that works) until it reaches
    ``minimum`` against ``background``; black or white when no shade does."""
    if contrast_ratio(value, background) >= minimum:
        return value
    lightness, c, hue = oklch(value)
    best: tuple[float, str] | None = None
    for target in (0.0, 1.0):
        lo, hi = lightness, target
        if contrast_ratio(from_oklch(hi, c, hue), background) < minimum:
            continue
        for _ in range(20):
            mid = (lo + hi) / 2
            if contrast_ratio(from_oklch(mid, c, hue), background) >= minimum:
                hi = mid
            else:
                lo = mid
        candidate = from_oklch(hi, c, hue)
        # Rounding to 8-bit can land a hair short: step on until it really reaches it.
        step = 0.005 if target > lightness else -0.005
        while contrast_ratio(candidate, background) < minimum and 0.0 <= hi <= 1.0:
            hi += step
            candidate = from_oklch(hi, c, hue)
        move = abs(hi - lightness)
        if contrast_ratio(candidate, background) >= minimum and (best is None or move < best[0]):
            best = (move, candidate)
    return best[1] if best else readable(background)
