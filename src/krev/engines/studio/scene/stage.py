"""The set without products: a backdrop (wall, seamless sweep, gradient or outdoor greenery)
and a floor surface in perspective below the wall line, or a full-frame surface for top-down
shots. Backdrops are soft and computed at quarter resolution; floors are procedural textures
mapped onto the ground plane with a homography.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from krev.engines.studio.scene.palette import Palette, mix
from krev.engines.studio.scene.textures import colorize, fbm, surface_pattern

__all__ = ["StageSpec", "render_stage"]

# float32 arrays; typed loosely because OpenCV's stubs do not carry dtypes through.
FloatArray = npt.NDArray[Any]

# Near floor edge / far floor edge width: how strongly the ground plane converges.
_CONVERGENCE = 2.2
# Camera tilt at the near edge (vertical foreshortening of the floor there).
_TILT = 0.5


@dataclass(frozen=True)
class StageSpec:
    width: int
    height: int
    surface: str
    backdrop: str  # wall | sweep | gradient | outdoor | sky | none
    horizon: float | None  # wall/floor line as a fraction of height; None: top-down
    seed: int
    flip: bool  # mirror the texture (variants)
    shift: float  # texture offset along the wall line (variants), fraction of width


def _smoothstep(edge0: float, edge1: float, x: FloatArray) -> FloatArray:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    out: FloatArray = t * t * (3 - 2 * t)
    return out


def _backdrop(spec: StageSpec, palette: Palette, rows: int) -> FloatArray:
    """The wall (rows x width), built at quarter size and enlarged: it is soft by nature."""
    qw, qh = max(8, spec.width // 4), max(4, rows // 4)
    v = (np.arange(qh, dtype=np.float32)[:, None] + 0.5) / qh
    u = (np.arange(qw, dtype=np.float32)[None, :] + 0.5) / qw
    if spec.backdrop == "gradient":
        t = np.clip(0.25 * u + 0.75 * v, 0, 1)[..., None]
        wall = palette.backdrop + (palette.backdrop_low - palette.backdrop) * t
    elif spec.backdrop == "sky":
        # Open sky over water or sand: deeper blue overhead, a warm haze at the horizon.
        zenith = mix(np.array([0.45, 0.66, 0.9], np.float32), palette.backdrop, 0.25)
        haze = np.array([0.96, 0.93, 0.86], np.float32)
        t = (v**0.7)[..., None] + 0 * u[..., None]
        wall = zenith + (haze - zenith) * t
    elif spec.backdrop == "outdoor":
        sky = mix(palette.backdrop, np.array([0.78, 0.86, 0.95], np.float32), 0.55)
        wall = sky + (palette.backdrop_low - sky) * v[..., None] * 0.6 + 0 * u[..., None]
        rng = np.random.default_rng(spec.seed + 11)
        foliage: FloatArray = np.zeros((qh, qw), np.float32)
        tone: FloatArray = np.zeros((qh, qw), np.float32)
        long_side = max(qw, qh)
        for _ in range(int(160 * qw * qh / long_side**2) + 40):
            cx, cy = rng.uniform(0, qw), rng.uniform(0.25, 1.1) * qh
            r = rng.uniform(0.025, 0.07) * long_side
            cv2.circle(foliage, (int(cx), int(cy)), int(r), 1.0, -1, cv2.LINE_AA)
            cv2.circle(tone, (int(cx), int(cy)), int(r), float(rng.uniform(0, 1)), -1, cv2.LINE_AA)
        foliage = cv2.GaussianBlur(foliage, (0, 0), long_side * 0.012)
        tone = cv2.GaussianBlur(tone, (0, 0), long_side * 0.012)
        green_dark = np.array([0.2, 0.32, 0.16], np.float32)
        green_light = np.array([0.5, 0.62, 0.3], np.float32)
        leaves = green_dark + (green_light - green_dark) * tone[..., None]
        wall = wall + (leaves - wall) * (foliage[..., None] * 0.85)
        # Out-of-focus highlights between the leaves.
        bokeh: FloatArray = np.zeros((qh, qw), np.float32)
        for _ in range(24):
            cx, cy = rng.uniform(0, qw), rng.uniform(0.1, 0.9) * qh
            cv2.circle(
                bokeh,
                (int(cx), int(cy)),
                int(qw * rng.uniform(0.01, 0.025)),
                float(rng.uniform(0.3, 0.8)),
                -1,
                cv2.LINE_AA,
            )
        bokeh = cv2.GaussianBlur(bokeh, (0, 0), 1.2)
        wall = wall + bokeh[..., None] * np.array([1.0, 0.95, 0.8], np.float32) * 0.35
    else:
        t = v[..., None] ** 1.5
        wall = palette.backdrop + (palette.backdrop_low - palette.backdrop) * t + 0 * u[..., None]
        plaster = fbm(spec.seed + 5, qw, qh, 6.0, 4)
        wall = wall * (0.975 + 0.05 * plaster)[..., None]
    wall = wall.astype(np.float32)
    return cv2.resize(wall, (spec.width, rows), interpolation=cv2.INTER_LINEAR)


def _floor_homography(spec: StageSpec, floor_rows: int) -> tuple[npt.NDArray[np.float64], int, int]:
    """The texture size and the homography from texture to the floor band."""
    w = spec.width
    far_span = 1.2 * w
    near_span = far_span * _CONVERGENCE
    tex_w = int(w * 1.4)
    magnification = near_span / tex_w
    camera_height = floor_rows / (magnification * (1 - 1 / _CONVERGENCE))
    tex_h = int(min(tex_w * 1.5, (_CONVERGENCE - 1) * camera_height / _TILT))
    cx = w / 2 + spec.shift * w
    src = np.array([[0, 0], [tex_w, 0], [tex_w, tex_h], [0, tex_h]], np.float32)
    dst = np.array(
        [
            [cx - far_span / 2, 0],
            [cx + far_span / 2, 0],
            [cx + near_span / 2, floor_rows],
            [cx - near_span / 2, floor_rows],
        ],
        np.float32,
    )
    if spec.flip:
        dst = dst[[1, 0, 3, 2]]
    matrix = np.asarray(cv2.getPerspectiveTransform(src, dst), np.float64)
    return matrix, tex_w, tex_h


def _floor(spec: StageSpec, palette: Palette, floor_rows: int) -> FloatArray:
    matrix, tex_w, tex_h = _floor_homography(spec, floor_rows)
    fields = surface_pattern(spec.surface, tex_w, tex_h, spec.seed)
    nearest = spec.surface == "terrazzo"
    warped = tuple(
        cv2.warpPerspective(
            f,
            matrix,
            (spec.width, floor_rows),
            flags=cv2.INTER_NEAREST if nearest and i == 0 else cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REFLECT,
        )
        for i, f in enumerate(fields)
    )
    floor = colorize(spec.surface, warped, palette.floor, palette.accent)
    # Distance haze: the far floor loses a little contrast toward the wall line.
    rows = np.arange(floor_rows, dtype=np.float32)[:, None, None] / max(floor_rows, 1)
    haze = (1.0 - rows) ** 3 * 0.35
    mean = palette.floor.astype(np.float32)
    return (floor + (mean - floor) * haze).astype(np.float32)


def render_stage(spec: StageSpec, palette: Palette) -> FloatArray:
    """The empty set, (H, W, 3) float32 RGB in [0, 1]."""
    w, h = spec.width, spec.height
    if spec.horizon is None:
        fields = surface_pattern(spec.surface, w, h, spec.seed)
        if spec.flip:
            fields = tuple(np.flip(f, axis=1) for f in fields)
        return colorize(spec.surface, fields, palette.floor, palette.accent).astype(np.float32)

    line = round(h * spec.horizon)
    if spec.surface == "seamless" and spec.backdrop in ("sweep", "gradient", "wall"):
        # A seamless sweep: wall and floor are one sheet curving into each other, no edge.
        canvas = _backdrop(spec, palette, h)
        rows = np.arange(h, dtype=np.float32)[:, None]
        t = _smoothstep(line - 0.2 * h, line + 0.1 * h, rows)[..., None]
        floor_color = (
            palette.floor
            if spec.backdrop != "gradient"
            else mix(palette.backdrop_low, palette.floor, 0.5)
        )
        floor_band = floor_color * (0.97 + 0.05 * (rows / h))[..., None]
        canvas = canvas + (floor_band - canvas) * t
        return canvas.astype(np.float32)

    canvas = np.empty((h, w, 3), np.float32)
    canvas[:line] = _backdrop(spec, palette, line)
    canvas[line:] = _floor(spec, palette, h - line)
    # Where wall meets floor light is occluded: a soft dark band on the wall just above.
    band = max(2, int(h * 0.035))
    top = max(0, line - band)
    ramp = np.linspace(0.0, 1.0, line - top, dtype=np.float32)[:, None, None] ** 2
    canvas[top:line] *= 1.0 - 0.16 * ramp
    edge = max(1, int(h * 0.004))
    canvas[line : line + edge] *= 0.9
    return canvas
