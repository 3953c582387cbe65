"""Drawing a fitted block: each line shaped by raqm at its baseline, aligned in a box."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

from krev.engines.studio.text.fit import FittedText

__all__ = ["Align", "draw_text", "line_origins", "paint_text", "text_mask"]

Align = Literal["left", "center", "right"]


def line_origins(
    block: FittedText, x: int, y: int, width: int, align: Align = "left"
) -> list[tuple[int, int]]:
    """Each line's (left, baseline) when ``block`` is set in the box starting at (x, y) and
    ``width`` wide."""
    origins = []
    for index, line_width in enumerate(block.line_widths):
        if align == "center":
            dx = (width - line_width) // 2
        elif align == "right":
            dx = width - line_width
        else:
            dx = 0
        origins.append((x + max(0, dx) + block.left, y + block.top + index * block.pitch))
    return origins


def draw_text(
    draw: ImageDraw.ImageDraw,
    block: FittedText,
    x: int,
    y: int,
    width: int,
    fill: tuple[int, int, int] | int,
    align: Align = "left",
) -> None:
    """Draw ``block`` with its top-left at (x, y), lines aligned within ``width``."""
    font = block.font
    features = list(block.features) if block.features else None
    for line, origin in zip(block.lines, line_origins(block, x, y, width, align), strict=True):
        draw.text(origin, line, font=font, fill=fill, anchor="ls", features=features)


def text_mask(block: FittedText, width: int, align: Align = "left") -> npt.NDArray[np.uint8]:
    """The block's coverage (0-255), ``block.height`` x ``width``, lines aligned in ``width``."""
    mask = Image.new("L", (max(1, width), max(1, block.height)), 0)
    draw_text(ImageDraw.Draw(mask), block, 0, 0, width, 255, align)
    return np.asarray(mask)


def paint_text(
    canvas: npt.NDArray[Any],
    block: FittedText,
    x: int,
    y: int,
    width: int,
    fill: tuple[int, int, int],
    align: Align = "left",
) -> None:
    """Draw ``block`` onto an RGB array in place (only its own pixels are touched, no
    whole-image conversion: captions on video frames and ads alike)."""
    if block.empty:
        return
    mask = text_mask(block, width, align)
    h, w = mask.shape
    region = canvas[y : y + h, x : x + w]
    mask = mask[: region.shape[0], : region.shape[1]]
    covered = mask > 0
    alpha = mask[covered].astype(np.float32)[:, None] / 255.0
    pixels = region[covered].astype(np.float32)
    pixels += (np.asarray(fill, np.float32) - pixels) * alpha
    region[covered] = np.clip(pixels + 0.5, 0, 255).astype(np.uint8)
