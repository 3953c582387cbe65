"""Scene light: a smooth multiplicative light field (key direction, falloff, hotspot or spot
pool, window patch, vignette, color temperature) plus an additive glow for neon and low sun,
computed at 1/8 resolution and resized (light is smooth), and the shadow parameters that go
with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ["LIGHTINGS", "Light", "light_fields", "scene_light"]

# float32 arrays; typed loosely because OpenCV's stubs do not carry dtypes through.
FloatArray = npt.NDArray[Any]

LIGHTINGS = (
    "studio",
    "soft_window",
    "golden_hour",
    "sunlight",
    "spotlight",
    "neon",
    "high_key",
    "low_key",
    "dramatic",
)


@dataclass(frozen=True)
class Light:
    kind: str
    azimuth: float  # degrees; where the key comes from: -90 left, 0 front/above, 90 right
    temperature: tuple[float, float, float]  # per-channel white-balance gains
    ramp: float  # brightness difference across the frame toward the key side
    hotspot: float  # extra light pooled behind/around the subject
    ambient: float  # light level away from the key (spotlight/low-key are low)
    vignette: float
    shadow_length: float  # cast shadow length relative to the product's height
    shadow_softness: float  # blur relative to the product's height
    shadow_opacity: float
    exposure: float = 1.0

    @property
    def side(self) -> float:
        """-1 (key from the left) .. 1 (from the right)."""
        return math.sin(math.radians(self.azimuth))

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "azimuth": round(self.azimuth, 1),
            "temperature": [round(v, 3) for v in self.temperature],
        }


_KINDS: dict[str, dict[str, object]] = {
    "studio": dict(
        temperature=(1.0, 1.0, 1.0),
        ramp=0.1,
        hotspot=0.12,
        ambient=1.0,
        vignette=0.12,
        shadow_length=0.4,
        shadow_softness=0.05,
        shadow_opacity=0.42,
    ),
    "soft_window": dict(
        temperature=(1.0, 0.99, 0.97),
        ramp=0.22,
        hotspot=0.06,
        ambient=1.0,
        vignette=0.18,
        shadow_length=0.5,
        shadow_softness=0.06,
        shadow_opacity=0.36,
    ),
    "golden_hour": dict(
        temperature=(1.1, 0.95, 0.78),
        ramp=0.35,
        hotspot=0.1,
        ambient=0.95,
        vignette=0.22,
        shadow_length=0.9,
        shadow_softness=0.035,
        shadow_opacity=0.42,
    ),
    "sunlight": dict(
        temperature=(1.04, 1.0, 0.93),
        ramp=0.18,
        hotspot=0.05,
        ambient=1.02,
        vignette=0.1,
        shadow_length=0.6,
        shadow_softness=0.015,
        shadow_opacity=0.45,
    ),
    "spotlight": dict(
        temperature=(1.04, 0.99, 0.92),
        ramp=0.05,
        hotspot=1.9,
        ambient=0.42,
        vignette=0.45,
        shadow_length=0.3,
        shadow_softness=0.03,
        shadow_opacity=0.5,
    ),
    "neon": dict(
        temperature=(0.96, 0.94, 1.06),
        ramp=0.0,
        hotspot=0.25,
        ambient=0.55,
        vignette=0.35,
        shadow_length=0.3,
        shadow_softness=0.05,
        shadow_opacity=0.45,
    ),
    "high_key": dict(
        temperature=(1.0, 1.0, 1.0),
        ramp=0.04,
        hotspot=0.05,
        ambient=1.0,
        vignette=0.04,
        shadow_length=0.25,
        shadow_softness=0.07,
        shadow_opacity=0.2,
        exposure=1.06,
    ),
    "low_key": dict(
        temperature=(1.0, 0.98, 0.96),
        ramp=0.4,
        hotspot=0.35,
        ambient=0.6,
        vignette=0.5,
        shadow_length=0.5,
        shadow_softness=0.04,
        shadow_opacity=0.5,
    ),
    "dramatic": dict(
        temperature=(0.97, 0.99, 1.04),
        ramp=0.5,
        hotspot=0.2,
        ambient=0.85,
        vignette=0.4,
        shadow_length=0.75,
        shadow_softness=0.025,
        shadow_opacity=0.5,
    ),
}


def scene_light(kind: str | None, azimuth: float) -> Light:
    params = _KINDS.get(kind or "studio", _KINDS["studio"])
    return Light(kind=kind if kind in _KINDS else "studio", azimuth=azimuth, **params)  # type: ignore[arg-type]


def light_fields(
    light: Light, width: int, height: int, focus: tuple[float, float], horizon: float | None
) -> tuple[FloatArray, FloatArray | None]:
    """The multiplicative light (H, W, 3) and an additive glow (or None), full resolution.

    ``focus`` is where the subject stands (fractions of width/height); ``horizon`` the wall/floor
    line as a fraction of height (None for top-down shots).
    """
    sw, sh = max(8, width // 8), max(8, height // 8)
    u = (np.arange(sw, dtype=np.float32)[None, :] + 0.5) / sw
    v = (np.arange(sh, dtype=np.float32)[:, None] + 0.5) / sh
    aspect = width / height
    side = light.side
    fx, fy = focus

    field: FloatArray = np.full((sh, sw), light.ambient, np.float32)
    field = field + np.float32(light.ramp) * (u - 0.5) * 2.0 * side + 0 * v
    if light.kind == "spotlight":
        pool = np.exp(-(((u - fx) * aspect / 0.3) ** 2 + ((v - fy) / 0.2) ** 2))
        glow_y = (horizon if horizon is not None else fy) - 0.22
        wall = np.exp(-(((u - fx) * aspect / 0.32) ** 2 + ((v - glow_y) / 0.35) ** 2))
        field = field + np.float32(light.hotspot) * np.maximum(pool, wall * 0.8)
    else:
        spot_y = (horizon - 0.25) if horizon is not None else 0.45
        hot = np.exp(-(((u - 0.5 - 0.2 * side) * aspect / 0.55) ** 2 + ((v - spot_y) / 0.55) ** 2))
        field = field + np.float32(light.hotspot) * hot
    if light.kind == "soft_window" and horizon is not None:
        # A soft patch of window light thrown on the wall, away from the window's side.
        patch: FloatArray = np.zeros((sh, sw), np.float32)
        cx = 0.5 - 0.28 * side
        for pane in (-1, 1):
            x0 = cx + pane * 0.09 - 0.07
            pts = np.array(
                [
                    [x0, 0.05],
                    [x0 + 0.14, 0.05],
                    [x0 + 0.14 - 0.12 * side, horizon],
                    [x0 - 0.12 * side, horizon],
                ]
            ) * [sw, sh]
            cv2.fillPoly(patch, [np.round(pts).astype(np.int32)], 1.0, cv2.LINE_AA)
        patch = cv2.GaussianBlur(patch, (0, 0), max(1.0, sw * 0.025))
        field = field + 0.12 * patch
    # An elliptical vignette that follows the frame: 0 at the centre, 1 in the corners.
    radius = ((u - 0.5) ** 2 + (v - 0.5) ** 2) * 2.0
    field = field * (1.0 - np.float32(light.vignette) * radius**1.5)
    field = field * np.float32(light.exposure)
    rgb = field[..., None] * np.array(light.temperature, np.float32)

    glow: FloatArray | None = None
    if light.kind == "neon":
        left = np.exp(-((u / 0.32) ** 2)) * np.exp(-(((v - 0.35) / 0.6) ** 2))
        right = np.exp(-(((1 - u) / 0.32) ** 2)) * np.exp(-(((v - 0.35) / 0.6) ** 2))
        magenta = np.array([0.85, 0.1, 0.65], np.float32)
        cyan = np.array([0.05, 0.65, 0.85], np.float32)
        if side > 0:
            magenta, cyan = cyan, magenta
        glow = (left[..., None] * magenta + right[..., None] * cyan) * np.float32(0.42)
    elif light.kind == "golden_hour":
        sun_x = 0.5 + 0.65 * side
        sun = np.exp(-((((u - sun_x) * aspect) / 0.45) ** 2 + ((v - 0.1) / 0.5) ** 2))
        glow = sun[..., None] * np.array([0.28, 0.15, 0.02], np.float32)
    full = cv2.resize(rgb.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    full_glow = None
    if glow is not None:
        full_glow = cv2.resize(
            glow.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR
        )
    return full, full_glow
