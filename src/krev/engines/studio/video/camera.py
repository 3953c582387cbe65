"""The camera: where it stands for a frame (a ``Pose``), and what that does to each layer.

Layers are flat: the wall and every cutout (product, prop, the foreground of a photo) face the
camera, the floor is a plane seen at an angle. A camera that moves sideways (truck), forward
(dolly) or zooms maps each one by a transform it can be drawn with in one warp, no depth model:

- a card at inverse depth ``w`` (products are 1, the wall about half) moves by ``truck * w``
  and grows by ``1 / (1 - dolly * w)`` about the pivot: a similarity (scale and translation,
  so a product is never distorted, only moved and scaled);
- the floor's inverse depth grows linearly with the image row below the wall line (it is a
  plane), which makes its transform a homography that meets the wall's at the line and the
  products' where they stand: shadows and reflections on it travel with the products.

Then the zoom and the view (the canvas point at the frame's centre) place it all in the frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "Ground",
    "Pose",
    "card_matrix",
    "covers",
    "ease",
    "floor_matrix",
    "horizon_row",
    "lerp_pose",
    "smoothstep",
]

Matrix = npt.NDArray[np.float64]
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Ground:
    """How far things are, as inverse depth (products 1): the wall's, and the floor's as a
    linear function of the canvas row below the wall line (``line`` None: one flat plane at
    ``wall``, a top-down set or a photo's background)."""

    wall: float
    line: float | None = None
    slope: float = 0.0

    def at(self, row: float) -> float:
        """The inverse depth of whatever stands on the floor at ``row``."""
        if self.line is None or row <= self.line:
            return self.wall
        return self.wall + (row - self.line) * self.slope


@dataclass(frozen=True)
class Pose:
    zoom: float
    """Canvas pixels to frame pixels."""
    view: tuple[float, float]
    """The canvas point (at the products' depth) shown at the frame's centre."""
    truck: tuple[float, float] = (0.0, 0.0)
    """The camera's sideways offset, in canvas pixels at the products' depth."""
    dolly: float = 0.0
    """How far the camera moved in: the products look ``1 / (1 - dolly)`` larger."""
    exposure: float = 1.0
    """Brightness gain of the whole frame (a reveal starts dark)."""

    def shifted(self, dx: float, dy: float) -> Pose:
        """The same pose with the frame moved by (dx, dy) frame pixels (handheld shake)."""
        return replace(self, view=(self.view[0] - dx / self.zoom, self.view[1] - dy / self.zoom))


def ease(t: float) -> float:
    """Ease in and out (a sine): camera moves start and stop without a jolt."""
    t = min(1.0, max(0.0, t))
    return 0.5 - 0.5 * math.cos(math.pi * t)


def smoothstep(t: float) -> float:
    t = min(1.0, max(0.0, t))
    return t * t * (3.0 - 2.0 * t)


def lerp_pose(a: Pose, b: Pose, t: float) -> Pose:
    def mix(x: float, y: float) -> float:
        return x + (y - x) * t

    return Pose(
        zoom=a.zoom * (b.zoom / a.zoom) ** t,  # zoom feels even on a log scale
        view=(mix(a.view[0], b.view[0]), mix(a.view[1], b.view[1])),
        truck=(mix(a.truck[0], b.truck[0]), mix(a.truck[1], b.truck[1])),
        dolly=mix(a.dolly, b.dolly),
        exposure=mix(a.exposure, b.exposure),
    )


def _frame_affine(pose: Pose, size: tuple[int, int]) -> Matrix:
    width, height = size
    z = pose.zoom
    return np.array(
        [
            [z, 0.0, width / 2 - z * pose.view[0]],
            [0.0, z, height / 2 - z * pose.view[1]],
            [0.0, 0.0, 1.0],
        ]
    )


def card_matrix(
    pose: Pose, depth: float, pivot: tuple[float, float], size: tuple[int, int]
) -> Matrix:
    """3x3 canvas -> frame transform of a flat card at inverse depth ``depth``: a similarity."""
    s = 1.0 / (1.0 - pose.dolly * depth)
    cx, cy = pivot
    tx, ty = pose.truck
    card = np.array(
        [
            [s, 0.0, cx - s * (cx + tx * depth)],
            [0.0, s, cy - s * (cy + ty * depth)],
            [0.0, 0.0, 1.0],
        ]
    )
    out: Matrix = _frame_affine(pose, size) @ card
    return out


def floor_matrix(
    pose: Pose, ground: Ground, pivot: tuple[float, float], size: tuple[int, int]
) -> Matrix:
    """3x3 canvas -> frame homography of the floor (inverse depth ``a + b * row``)."""
    if ground.line is None:
        return card_matrix(pose, ground.wall, pivot, size)
    b = ground.slope
    a = ground.wall - ground.line * b
    d = pose.dolly
    cx, cy = pivot
    tx, ty = pose.truck
    # x' = cx + (x - cx - tx * w) / (1 - d * w) with w = a + b * y, written as a homography.
    floor = np.array(
        [
            [1.0, -b * (cx * d + tx), -a * (cx * d + tx)],
            [0.0, 1.0 - b * (cy * d + ty), -a * (cy * d + ty)],
            [0.0, -d * b, 1.0 - d * a],
        ]
    )
    out: Matrix = _frame_affine(pose, size) @ floor
    return out


def horizon_row(
    pose: Pose, ground: Ground, pivot: tuple[float, float], size: tuple[int, int]
) -> float | None:
    """The frame row the wall line lands on (None for a single plane)."""
    if ground.line is None:
        return None
    matrix = card_matrix(pose, ground.wall, pivot, size)
    return float(matrix[1, 1] * ground.line + matrix[1, 2])


def _apply(matrix: Matrix, points: npt.NDArray[Any]) -> npt.NDArray[Any]:
    homogeneous = np.c_[points, np.ones(len(points))] @ matrix.T
    out: npt.NDArray[Any] = homogeneous[:, :2] / homogeneous[:, 2:3]
    return out


def transform_box(matrix: Matrix, box: Box) -> Box:
    """The axis-aligned frame box of a canvas box under ``matrix``."""
    x, y, w, h = box
    corners = np.array([[x, y], [x + w, y], [x, y + h], [x + w, y + h]], np.float64)
    mapped = _apply(matrix, corners)
    x0, y0 = mapped.min(axis=0)
    x1, y1 = mapped.max(axis=0)
    return float(x0), float(y0), float(x1 - x0), float(y1 - y0)


def covers(
    pose: Pose,
    ground: Ground,
    pivot: tuple[float, float],
    size: tuple[int, int],
    canvas: tuple[int, int],
) -> bool:
    """Whether the set fills the whole frame at ``pose`` (no edge of the canvas shows)."""
    width, height = size
    cw, ch = canvas
    line = horizon_row(pose, ground, pivot, size)
    bands: list[tuple[Matrix, float, float]] = []
    wall = card_matrix(pose, ground.wall, pivot, size)
    if line is None:
        bands.append((wall, 0.0, float(height)))
    else:
        if line > 0:
            bands.append((wall, 0.0, min(float(height), line)))
        if line < height:
            bands.append((floor_matrix(pose, ground, pivot, size), max(0.0, line), float(height)))
    for matrix, top, bottom in bands:
        corners = np.array([[0, top], [width, top], [0, bottom], [width, bottom]], np.float64)
        back = _apply(np.asarray(np.linalg.inv(matrix), np.float64), corners)
        if back.min() < -0.5 or (back[:, 0] > cw + 0.5).any() or (back[:, 1] > ch + 0.5).any():
            return False
    return True
