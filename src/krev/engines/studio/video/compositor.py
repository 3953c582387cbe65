"""Drawing one frame from prepared layers and a pose, with 8-bit four-channel OpenCV calls
only: the set in one warp (the wall's similarity above the wall line, the floor's homography
below), each card warped into its own box and laid on with a multiply and an add, then the
light and exposure. Transitions blend two drawn frames (a crossfade, or a soft-edged wipe).
Frames stay RGBA (the fourth channel meaningless) until ``rgb`` at the very end."""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

from krev.engines.studio.video.camera import (
    Matrix,
    Pose,
    card_matrix,
    floor_matrix,
    horizon_row,
    transform_box,
)
from krev.engines.studio.video.layers import Card, Layers

__all__ = ["Compositor", "crossfade", "lay_over", "rgb", "wipe"]

U8 = npt.NDArray[np.uint8]
FloatBox = tuple[float, float, float, float]

# The light sweep: a soft diagonal band that brightens the products by this share of their
# headroom at its centre, this wide (a share of the product's diagonal extent).
_GLINT = 0.16
_GLINT_WIDTH = 0.1
_WASH = 0.16  # the same band over a set without products, gentler
_SLANT = 0.45  # how far the band leans (columns per row)


def _translate(dx: float, dy: float) -> Matrix:
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])


def _band_lut(position: float, strength: float) -> U8:
    """A 256-entry table: brightness of the band at each quantised diagonal coordinate."""
    q = np.arange(256, dtype=np.float32) / 255.0
    centre = -0.25 + 1.5 * position
    band = np.exp(-(((q - centre) / _GLINT_WIDTH) ** 2)) * strength * 255.0
    out: U8 = np.clip(band + 0.5, 0, 255).astype(np.uint8).reshape(256, 1)
    return out


def _diagonal(width: int, height: int) -> U8:
    """Each pixel's position along the band's travel, quantised to 0..255, 4 channels."""
    x = np.arange(width, dtype=np.float32)[None, :]
    y = np.arange(height, dtype=np.float32)[:, None]
    d = x + _SLANT * y
    d = (d - d.min()) / max(1.0, float(d.max() - d.min())) * 255.0
    q = np.clip(d + 0.5, 0, 255).astype(np.uint8)
    out: U8 = np.ascontiguousarray(cv2.cvtColor(q, cv2.COLOR_GRAY2RGBA))
    return out


class Compositor:
    """Frames of one size. Holds only small per-card tables between frames (the band's
    diagonal); every frame is a new array the caller may keep."""

    def __init__(self, size: tuple[int, int]) -> None:
        self.size = size
        self._diagonals: dict[tuple[int, int], U8] = {}

    def _diagonal(self, width: int, height: int) -> U8:
        key = (width, height)
        table = self._diagonals.get(key)
        if table is None:
            table = self._diagonals[key] = _diagonal(width, height)
        return table

    def draw(self, layers: Layers, pose: Pose, sweep: float | None = None) -> U8:
        """The frame at ``pose``; ``sweep`` (0..1) is where a light sweep's band is."""
        width, height = self.size
        out = np.empty((height, width, 4), np.uint8)
        self._set(layers, pose, out)
        products = [card for card in layers.cards if card.product is not None]
        for card in layers.cards:
            if card.product is None:
                self._card(out, layers, card, pose, None)
        # A reveal brings the set up from dark around products already lit: their own
        # pixels never dim (the pipeline checks them on any frame).
        if pose.exposure < 0.999:
            cv2.convertScaleAbs(out, dst=out, alpha=max(0.0, pose.exposure))
        for card in products:
            self._card(out, layers, card, pose, sweep)
        if sweep is not None and not products:
            self._wash(out, sweep)
        return out

    def subject_boxes(self, layers: Layers, pose: Pose) -> list[tuple[int | None, FloatBox]]:
        """Each subject card's (product index or None, frame box) at ``pose``."""
        boxes = []
        for card in layers.subjects:
            assert card.box is not None
            matrix = card_matrix(pose, card.depth, layers.pivot, self.size)
            boxes.append((card.product, transform_box(matrix, card.box)))
        return boxes

    def _set(self, layers: Layers, pose: Pose, out: U8) -> None:
        width, height = self.size
        ground, pivot, plate = layers.ground, layers.pivot, layers.plate
        wall = card_matrix(pose, ground.wall, pivot, self.size)
        line = horizon_row(pose, ground, pivot, self.size)
        flags, border = cv2.INTER_LINEAR, cv2.BORDER_REFLECT
        if line is None or line >= height:
            cv2.warpAffine(
                plate, wall[:2], (width, height), dst=out, flags=flags, borderMode=border
            )
            return
        start = max(0, math.floor(line))
        if start > 0:
            top = min(height, math.ceil(line) + 1)
            cv2.warpAffine(
                plate, wall[:2], (width, top), dst=out[:top], flags=flags, borderMode=border
            )
        floor = _translate(0.0, -start) @ floor_matrix(pose, ground, pivot, self.size)
        cv2.warpPerspective(
            plate, floor, (width, height - start), dst=out[start:], flags=flags, borderMode=border
        )

    def _card(self, out: U8, layers: Layers, card: Card, pose: Pose, glint: float | None) -> None:
        width, height = self.size
        cw, ch = card.size
        matrix = card_matrix(pose, card.depth, layers.pivot, self.size) @ _translate(card.x, card.y)
        bx, by, bw, bh = transform_box(matrix, (0.0, 0.0, float(cw), float(ch)))
        x0, y0 = max(0, math.floor(bx)), max(0, math.floor(by))
        x1, y1 = min(width, math.ceil(bx + bw) + 1), min(height, math.ceil(by + bh) + 1)
        if x1 <= x0 or y1 <= y0:
            return
        local = (_translate(-x0, -y0) @ matrix)[:2]
        pixels: U8 = card.pixels
        if glint is not None and card.headroom is not None:
            band = cv2.LUT(self._diagonal(cw, ch), _band_lut(glint, _GLINT))
            light = cv2.multiply(card.headroom, band, scale=1.0 / 255.0)
            pixels = np.asarray(cv2.add(pixels, light), np.uint8)
        warped = cv2.warpAffine(
            pixels, local, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0, 0)
        )
        lay_over(out[y0:y1, x0:x1], np.asarray(warped, np.uint8))

    def _wash(self, out: U8, sweep: float) -> None:
        """The light sweep over a set with no product: the band brightens the whole frame."""
        width, height = self.size
        band = cv2.LUT(self._diagonal(width, height), _band_lut(sweep, _WASH))
        headroom = cv2.bitwise_not(out)
        cv2.add(out, cv2.multiply(headroom, band, scale=1.0 / 255.0), dst=out)


def lay_over(region: U8, pixels: U8) -> None:
    """Premultiplied RGBA ``pixels`` over ``region`` (same size), in place."""
    clear = cv2.bitwise_not(cv2.extractChannel(pixels, 3))
    cv2.multiply(region, cv2.cvtColor(clear, cv2.COLOR_GRAY2RGBA), dst=region, scale=1.0 / 255.0)
    cv2.add(region, pixels, dst=region)


def rgb(frame: U8) -> U8:
    """The finished frame as (h, w, 3) RGB."""
    return np.asarray(cv2.cvtColor(frame, cv2.COLOR_RGBA2RGB), np.uint8)


def crossfade(a: U8, b: U8, weight: float) -> U8:
    """``b`` over ``a`` at ``weight`` (0: a, 1: b), into ``a``."""
    cv2.addWeighted(a, 1.0 - weight, b, weight, 0.0, dst=a)
    return a


def wipe(a: U8, b: U8, weight: float, reverse: bool) -> U8:
    """``b`` sweeping in over ``a`` from the left (from the right when ``reverse``) behind a
    soft edge, into ``a``."""
    target = a
    height, width = a.shape[:2]
    edge = max(2, round(width * 0.08))
    front = round(weight * (width + edge)) - edge  # b covers [0, front), then the soft edge
    if reverse:
        a, b = a[:, ::-1], b[:, ::-1]
    solid = max(0, min(width, front))
    if solid:
        a[:, :solid] = b[:, :solid]
    lo, hi = max(0, front), min(width, front + edge)
    if hi > lo:
        ramp = 1.0 - (np.arange(lo, hi, dtype=np.float32) - front + 0.5) / edge
        weights = np.broadcast_to(ramp[None, :], (height, hi - lo))
        strip_b = np.ascontiguousarray(b[:, lo:hi])
        strip_a = np.ascontiguousarray(a[:, lo:hi])
        w_b = np.ascontiguousarray(weights, dtype=np.float32)
        blended = cv2.blendLinear(strip_b, strip_a, w_b, np.ascontiguousarray(1.0 - w_b))
        a[:, lo:hi] = blended
    return target
