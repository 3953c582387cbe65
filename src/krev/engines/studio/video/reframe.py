"""A creator edit is composed for 9:16; in a wider frame it is reframed centre-safe: the whole
9:16 picture (captions and product included, nothing cropped) in the middle, over a blurred,
darkened enlargement of itself that fills the rest. The blur is made from a tiny copy, so it
costs a resize, not a full-frame filter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from krev.engines.studio.video.compositor import Scratch

__all__ = ["Reframe", "tall_size"]

U8 = npt.NDArray[np.uint8]

_TALL = 9 / 16
_SHRINK = 12  # the background is made from a copy this many times smaller
_DIM = 0.55


def tall_size(width: int, height: int) -> tuple[int, int]:
    """The 9:16 (or taller) frame a creator edit is composed in for a width x height video:
    the video's own when it is already that tall, else as tall as it (even sizes)."""
    if width / height <= _TALL + 1e-6:
        return width, height
    inner = max(16, round(height * _TALL / 2) * 2)
    return inner, height


@dataclass(frozen=True)
class Reframe:
    inner: tuple[int, int]
    outer: tuple[int, int]

    @property
    def offset(self) -> tuple[int, int]:
        return (self.outer[0] - self.inner[0]) // 2, (self.outer[1] - self.inner[1]) // 2

    def apply(self, picture: U8, scratch: Scratch) -> U8:
        """The tall ``picture`` in the middle of the wider frame (a working buffer of
        ``scratch``)."""
        iw, ih = self.inner
        width, height = self.outer
        small: Any = cv2.resize(
            picture, (max(4, iw // _SHRINK), max(4, ih // _SHRINK)), interpolation=cv2.INTER_AREA
        )
        small = cv2.GaussianBlur(small, (0, 0), 1.2)
        # The part of the small copy that, enlarged, covers the whole frame.
        sh, sw = small.shape[:2]
        scale = max(width / sw, height / sh)
        cw, ch = width / scale, height / scale
        x0, y0 = (sw - cw) / 2, (sh - ch) / 2
        matrix = np.array([[scale, 0.0, -x0 * scale], [0.0, scale, -y0 * scale]])
        out = scratch.get("outer", height, width, picture.shape[2])
        cv2.warpAffine(
            small,
            matrix,
            (width, height),
            dst=out,
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REFLECT,
        )
        cv2.convertScaleAbs(out, dst=out, alpha=_DIM)
        ox, oy = self.offset
        out[oy : oy + ih, ox : ox + iw] = picture
        return np.asarray(out, np.uint8)
