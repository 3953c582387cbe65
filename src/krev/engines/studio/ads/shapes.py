"""The ad's drawn parts (bands, panels, cards, buttons, rules, check marks, shadows), as data
so a layout can be checked before it is drawn, and drawn anti-aliased with OpenCV."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from krev.engines.base import RGBImage
from krev.engines.studio.text.contrast import hex_to_rgb

__all__ = [
    "Circle",
    "Fill",
    "Ghost",
    "Line",
    "Polygon",
    "RoundRect",
    "Shadow",
    "Shape",
    "Tick",
    "draw_shapes",
    "rounded_outline",
]

Rect = tuple[int, int, int, int]
_SHIFT = 4  # OpenCV sub-pixel bits: vertices on a 1/16 pixel grid
_ONE = 1 << _SHIFT


@dataclass(frozen=True)
class Fill:
    rect: Rect
    color: str


@dataclass(frozen=True)
class Polygon:
    points: tuple[tuple[float, float], ...]
    color: str


@dataclass(frozen=True)
class RoundRect:
    rect: Rect
    radius: float
    color: str
    outline: int = 0
    """A ring this many pixels wide instead of a filled shape."""
    opacity: float = 1.0


@dataclass(frozen=True)
class Shadow:
    """The soft shadow of a shape drawn next over ``rect`` (which hides the shadow's middle)."""

    rect: Rect
    radius: float
    blur: float
    opacity: float
    offset: int = 0


@dataclass(frozen=True)
class Line:
    start: tuple[float, float]
    end: tuple[float, float]
    width: int
    color: str


@dataclass(frozen=True)
class Circle:
    center: tuple[float, float]
    radius: float
    color: str


@dataclass(frozen=True)
class Tick:
    """A check mark inside a circle of ``radius`` around ``center``."""

    center: tuple[float, float]
    radius: float
    color: str


@dataclass(frozen=True)
class Ghost:
    """A soft, featureless silhouette (the ordinary alternative in a comparison)."""

    rect: Rect
    color: str
    opacity: float


Shape = Fill | Polygon | RoundRect | Shadow | Line | Circle | Tick | Ghost


def rounded_outline(rect: Rect, radius: float, steps: int = 10) -> np.ndarray:
    """The outline of a rounded rectangle as float (N, 2) points."""
    x, y, w, h = rect
    r = max(0.0, min(radius, w / 2, h / 2))
    if r < 0.5:
        return np.array([(x, y), (x + w, y), (x + w, y + h), (x, y + h)], np.float64)
    points = []
    corners = (
        (x + w - r, y + r, -90),
        (x + w - r, y + h - r, 0),
        (x + r, y + h - r, 90),
        (x + r, y + r, 180),
    )
    for cx, cy, start in corners:
        for i in range(steps + 1):
            a = math.radians(start + 90 * i / steps)
            points.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return np.array(points, np.float64)


def _fixed(points: np.ndarray) -> np.ndarray:
    return np.round(points * _ONE).astype(np.int32).reshape(-1, 1, 2)


def _color(value: str) -> tuple[int, int, int]:
    return hex_to_rgb(value)


def _blend_mask(
    image: RGBImage, mask: np.ndarray, color: tuple[int, int, int], x0: int, y0: int
) -> None:
    h, w = mask.shape
    region = image[y0 : y0 + h, x0 : x0 + w]
    covered = mask > 0.002
    a = mask[covered][:, None]
    pixels = region[covered].astype(np.float32)
    pixels += (np.asarray(color, np.float32) - pixels) * a
    region[covered] = np.clip(pixels + 0.5, 0, 255).astype(np.uint8)


def _local_mask(
    points: np.ndarray, height: int, width: int, pad: int, hole: np.ndarray | None = None
) -> tuple[np.ndarray, int, int]:
    """Coverage (0..1) of the polygon ``points`` less ``hole``, over their padded bounds."""
    x0 = max(0, math.floor(points[:, 0].min()) - pad)
    y0 = max(0, math.floor(points[:, 1].min()) - pad)
    x1 = min(width, math.ceil(points[:, 0].max()) + pad + 1)
    y1 = min(height, math.ceil(points[:, 1].max()) + pad + 1)
    mask = np.zeros((max(1, y1 - y0), max(1, x1 - x0)), np.uint8)
    cv2.fillPoly(mask, [_fixed(points - (x0, y0))], 255, cv2.LINE_AA, _SHIFT)
    if hole is not None:
        cv2.fillPoly(mask, [_fixed(hole - (x0, y0))], 0, cv2.LINE_AA, _SHIFT)
    return mask.astype(np.float32) / 255.0, x0, y0


def _draw(image: RGBImage, shape: Shape) -> None:
    height, width = image.shape[:2]
    if isinstance(shape, Fill):
        x, y, w, h = shape.rect
        image[max(0, y) : y + h, max(0, x) : x + w] = np.asarray(_color(shape.color), np.uint8)
    elif isinstance(shape, Polygon):
        cv2.fillPoly(
            image, [_fixed(np.array(shape.points))], _color(shape.color), cv2.LINE_AA, _SHIFT
        )
    elif isinstance(shape, RoundRect):
        outer = rounded_outline(shape.rect, shape.radius)
        if not shape.outline and shape.opacity >= 1.0:
            cv2.fillPoly(image, [_fixed(outer)], _color(shape.color), cv2.LINE_AA, _SHIFT)
            return
        hole = None
        if shape.outline:
            x, y, w, h = shape.rect
            t = shape.outline
            hole = rounded_outline((x + t, y + t, w - 2 * t, h - 2 * t), shape.radius - t)
        mask, x0, y0 = _local_mask(outer, height, width, 1, hole)
        _blend_mask(image, mask * shape.opacity, _color(shape.color), x0, y0)
    elif isinstance(shape, Shadow):
        x, y, w, h = shape.rect
        pad = int(shape.blur * 3) + 1
        outline = rounded_outline((x, y + shape.offset, w, h), shape.radius)
        mask, x0, y0 = _local_mask(outline, height, width, pad)
        mask = _soften(mask, shape.blur) * shape.opacity
        # The shape drawn over it covers the middle: leave those pixels alone.
        inset = math.ceil(shape.radius)
        top, bottom = max(0, y + inset - y0), max(0, y + h - inset - y0)
        mask[top:bottom, max(0, x + inset - x0) : max(0, x + w - inset - x0)] = 0
        _blend_mask(image, mask, (0, 0, 0), x0, y0)
    elif isinstance(shape, Line):
        cv2.line(
            image,
            _point(shape.start),
            _point(shape.end),
            _color(shape.color),
            shape.width,
            cv2.LINE_AA,
            _SHIFT,
        )
    elif isinstance(shape, Circle):
        cv2.circle(
            image,
            _point(shape.center),
            round(shape.radius * _ONE),
            _color(shape.color),
            -1,
            cv2.LINE_AA,
            _SHIFT,
        )
    elif isinstance(shape, Tick):
        cx, cy = shape.center
        r = shape.radius
        points = np.array(
            [
                (cx - 0.45 * r, cy + 0.02 * r),
                (cx - 0.12 * r, cy + 0.34 * r),
                (cx + 0.48 * r, cy - 0.3 * r),
            ]
        )
        cv2.polylines(
            image,
            [_fixed(points)],
            False,
            _color(shape.color),
            max(1, round(r * 0.22)),
            cv2.LINE_AA,
            _SHIFT,
        )
    elif isinstance(shape, Ghost):
        x, y, w, h = shape.rect
        blur = max(1.0, min(w, h) * 0.04)
        outline = rounded_outline((x, y, w, h), min(w, h) * 0.22)
        mask, x0, y0 = _local_mask(outline, height, width, int(blur * 3) + 1)
        mask = _soften(mask, blur)
        _blend_mask(image, mask * shape.opacity, _color(shape.color), x0, y0)


def _soften(mask: np.ndarray, blur: float) -> np.ndarray:
    """A Gaussian blur of ``mask``, done at a quarter of the size when the blur is wide (a
    shadow has no detail to lose)."""
    if blur < 6:
        return np.asarray(cv2.GaussianBlur(mask, (0, 0), blur))
    h, w = mask.shape
    small = cv2.resize(mask, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), blur / 4)
    return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR))


def _point(p: tuple[float, float]) -> tuple[int, int]:
    return round(p[0] * _ONE), round(p[1] * _ONE)


def draw_shapes(image: RGBImage, shapes: list[Shape]) -> None:
    """Draw ``shapes`` in order onto ``image`` (uint8 RGB, modified in place)."""
    for shape in shapes:
        _draw(image, shape)
