"""Drawing one frame from prepared layers and a pose, with 8-bit four-channel OpenCV calls
only: the set in one warp (the wall's similarity above the wall line, the floor's homography
below), each card warped into its own box and laid on with a multiply and an add, then the
light and exposure. Transitions blend two drawn frames (a crossfade, or a soft-edged wipe).
Frames stay RGBA (the fourth channel meaningless) until ``rgb`` at the very end."""

from __future__ import annotations

import math
import threading

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

__all__ = ["Compositor", "Scratch", "crossfade", "lay_over", "rgb", "wipe", "wipe_cover"]

U8 = npt.NDArray[np.uint8]
FloatBox = tuple[float, float, float, float]

# The light sweep: a diagonal band that brightens the products by this share of their headroom
# at its centre, this wide (a share of the product's diagonal extent). Narrow, like a sheen on
# glass: a product under it still scores about 0.9 fidelity (0.99 otherwise).
_GLINT = 0.16
_GLINT_WIDTH = 0.05
# The same band over a set without products: wider, gentler.
_WASH = 0.16
_WASH_WIDTH = 0.12
_SLANT = 0.45  # how far the band leans (columns per row)
_WIPE_EDGE = 0.08  # a wipe's soft edge, a share of the width


def _translate(dx: float, dy: float) -> Matrix:
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])


def _band_lut(position: float, strength: float, width: float) -> U8:
    """A 256-entry table: brightness of the band at each quantised diagonal coordinate."""
    q = np.arange(256, dtype=np.float32) / 255.0
    centre = -0.25 + 1.5 * position
    band = np.exp(-(((q - centre) / width) ** 2)) * strength * 255.0
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


class Scratch(threading.local):
    """Working buffers reused from frame to frame (a fresh array per frame and per card costs
    more in page faults than the blending itself), one set per thread."""

    def __init__(self) -> None:
        self._buffers: dict[str, U8] = {}

    def get(self, name: str, height: int, width: int, channels: int = 4) -> U8:
        """A (height, width[, channels]) uint8 view of the buffer ``name``, contents undefined
        (valid until the same name is asked for again on this thread)."""
        buffer = self._buffers.get(name)
        if buffer is None or buffer.shape[0] < height or buffer.shape[1] < width:
            rows = max(height, buffer.shape[0] if buffer is not None else 0)
            cols = max(width, buffer.shape[1] if buffer is not None else 0)
            shape = (rows, cols, channels) if channels > 1 else (rows, cols)
            buffer = self._buffers[name] = np.empty(shape, np.uint8)
        return buffer[:height, :width]


class Compositor:
    """Frames of one size. Holds small per-card tables (the band's diagonal) and, per thread,
    its working buffers."""

    def __init__(self, size: tuple[int, int]) -> None:
        self.size = size
        self._diagonals: dict[tuple[int, int], U8] = {}
        self.scratch = Scratch()

    def _diagonal(self, width: int, height: int) -> U8:
        key = (width, height)
        table = self._diagonals.get(key)
        if table is None:
            table = self._diagonals[key] = _diagonal(width, height)
        return table

    def draw(
        self,
        layers: Layers,
        pose: Pose,
        sweep: float | None = None,
        into: str = "frame",
        columns: tuple[int, int] | None = None,
    ) -> U8:
        """The frame at ``pose`` (RGBA), drawn into this thread's buffer ``into``: valid until
        the next draw into it. ``sweep`` (0..1) is where a light sweep's band is; ``columns``
        (first, end) draws only that part of the frame (what a wipe shows of a shot)."""
        width, height = self.size
        x0, x1 = columns if columns is not None else (0, width)
        out = self.scratch.get(into, height, x1 - x0)
        shift = _translate(-x0, 0.0)
        self._set(layers, pose, out, shift)
        products = [card for card in layers.cards if card.product is not None]
        for card in layers.cards:
            if card.product is None:
                self._card(out, layers, card, pose, None, shift)
        # A reveal brings the set up from dark around products already lit: their own
        # pixels never dim (the pipeline checks them on any frame).
        if pose.exposure < 0.999:
            cv2.convertScaleAbs(out, dst=out, alpha=max(0.0, pose.exposure))
        for card in products:
            self._card(out, layers, card, pose, sweep, shift)
        if sweep is not None and not products:
            self._wash(out, sweep, x0)
        return out

    def subject_boxes(self, layers: Layers, pose: Pose) -> list[tuple[int | None, FloatBox]]:
        """Each subject card's (product index or None, frame box) at ``pose``."""
        boxes = []
        for card in layers.subjects:
            assert card.box is not None
            matrix = card_matrix(pose, card.depth, layers.pivot, self.size)
            boxes.append((card.product, transform_box(matrix, card.box)))
        return boxes

    def _set(self, layers: Layers, pose: Pose, out: U8, shift: Matrix) -> None:
        height, width = out.shape[:2]
        ground, pivot, plate = layers.ground, layers.pivot, layers.plate
        wall = shift @ card_matrix(pose, ground.wall, pivot, self.size)
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
        floor = _translate(0.0, -start) @ shift @ floor_matrix(pose, ground, pivot, self.size)
        cv2.warpPerspective(
            plate, floor, (width, height - start), dst=out[start:], flags=flags, borderMode=border
        )

    def _card(
        self,
        out: U8,
        layers: Layers,
        card: Card,
        pose: Pose,
        glint: float | None,
        shift: Matrix,
    ) -> None:
        height, width = out.shape[:2]
        cw, ch = card.size
        placed = card_matrix(pose, card.depth, layers.pivot, self.size)
        matrix = shift @ placed @ _translate(card.x, card.y)
        bx, by, bw, bh = transform_box(matrix, (0.0, 0.0, float(cw), float(ch)))
        x0, y0 = max(0, math.floor(bx)), max(0, math.floor(by))
        x1, y1 = min(width, math.ceil(bx + bw) + 1), min(height, math.ceil(by + bh) + 1)
        if x1 <= x0 or y1 <= y0:
            return
        local = (_translate(-x0, -y0) @ matrix)[:2]
        pixels: U8 = card.pixels
        if glint is not None and card.headroom is not None:
            band = self.scratch.get("band", ch, cw)
            cv2.LUT(self._diagonal(cw, ch), _band_lut(glint, _GLINT, _GLINT_WIDTH), dst=band)
            cv2.multiply(card.headroom, band, dst=band, scale=1.0 / 255.0)
            lit = self.scratch.get("lit", ch, cw)
            cv2.add(pixels, band, dst=lit)
            pixels = lit
        warped = self.scratch.get("card", y1 - y0, x1 - x0)
        cv2.warpAffine(
            pixels,
            local,
            (x1 - x0, y1 - y0),
            dst=warped,
            flags=cv2.INTER_LINEAR,
            borderValue=(0, 0, 0, 0),
        )
        lay_over(out[y0:y1, x0:x1], warped, self.scratch)

    def _wash(self, out: U8, sweep: float, left: int) -> None:
        """The light sweep over a set with no product: the band brightens the whole frame."""
        height, width = out.shape[:2]
        band = self.scratch.get("band", height, width)
        diagonal = self._diagonal(*self.size)[:, left : left + width]
        cv2.LUT(diagonal, _band_lut(sweep, _WASH, _WASH_WIDTH), dst=band)
        headroom = cv2.bitwise_not(out, dst=self.scratch.get("lit", height, width))
        cv2.multiply(headroom, band, dst=band, scale=1.0 / 255.0)
        cv2.add(out, band, dst=out)


def lay_over(region: U8, pixels: U8, scratch: Scratch) -> None:
    """Premultiplied RGBA ``pixels`` over ``region`` (same size), in place:
    region - region * alpha + pixels."""
    h, w = pixels.shape[:2]
    alpha = cv2.extractChannel(pixels, 3, dst=scratch.get("alpha", h, w, 1))
    spread = cv2.cvtColor(alpha, cv2.COLOR_GRAY2RGBA, dst=scratch.get("spread", h, w))
    cv2.multiply(region, spread, dst=spread, scale=1.0 / 255.0)
    cv2.subtract(region, spread, dst=region)
    cv2.add(region, pixels, dst=region)


def rgb(frame: U8) -> U8:
    """The finished frame as (h, w, 3) RGB."""
    return np.asarray(cv2.cvtColor(frame, cv2.COLOR_RGBA2RGB), np.uint8)


def crossfade(a: U8, b: U8, weight: float) -> U8:
    """``b`` over ``a`` at ``weight`` (0: a, 1: b), into ``a``."""
    cv2.addWeighted(a, 1.0 - weight, b, weight, 0.0, dst=a)
    return a


def wipe_cover(width: int, weight: float) -> int:
    """How many columns, from the side it comes in from, a wipe at ``weight`` shows of the
    incoming shot (its soft edge included)."""
    edge = max(2, round(width * _WIPE_EDGE))
    front = round(weight * (width + edge)) - edge
    return max(0, min(width, front + edge))


def wipe(a: U8, b: U8, weight: float, reverse: bool) -> U8:
    """``b`` sweeping in over ``a`` from the left (from the right when ``reverse``) behind a
    soft edge, into ``a``. ``b`` may hold only the ``wipe_cover`` columns on that side."""
    target = a
    height, width = a.shape[:2]
    edge = max(2, round(width * _WIPE_EDGE))
    front = round(weight * (width + edge)) - edge  # b covers [0, front), then the soft edge
    if reverse:
        a, b = a[:, ::-1], b[:, ::-1]
    solid = max(0, min(width, front, b.shape[1]))
    if solid:
        a[:, :solid] = b[:, :solid]
    lo, hi = max(0, front), min(width, front + edge, b.shape[1])
    if hi > lo:
        ramp = 1.0 - (np.arange(lo, hi, dtype=np.float32) - front + 0.5) / edge
        weights = np.ascontiguousarray(np.broadcast_to(ramp[None, :], (height, hi - lo)))
        strip_b = np.ascontiguousarray(b[:, lo:hi])
        strip_a = np.ascontiguousarray(a[:, lo:hi])
        blended = cv2.blendLinear(strip_b, strip_a, weights, np.ascontiguousarray(1.0 - weights))
        a[:, lo:hi] = blended
    return target
