"""Rendered photos of the products issue 12 found misread: a kraft stand-up coffee pouch (typed
"box" and colored "gold"), a ceramic mug and a drinks can. Each is a pure function of its
arguments: the outline drawn at 4x and area-downsampled, a printed label, a little shading and
paper grain, on a white studio background. Not the tuning set, and not the held-out set."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

_SUPERSAMPLE = 4
KRAFT = (181, 137, 91)


@dataclass(frozen=True)
class MerchantPhoto:
    image: npt.NDArray[np.uint8]
    alpha: npt.NDArray[np.float32]


def _mask(size: int, draw: object) -> npt.NDArray[np.float32]:
    big = np.zeros((size * _SUPERSAMPLE, size * _SUPERSAMPLE), np.uint8)
    draw(big, _SUPERSAMPLE * size / 512)  # type: ignore[operator]  # drawn in 512-px units
    small = cv2.resize(big.astype(np.float32) / 255.0, (size, size), interpolation=cv2.INTER_AREA)
    return np.asarray(small, np.float32)


def _pouch_outline(canvas: npt.NDArray[np.uint8], k: float) -> None:
    # Top seal (flat, a little narrower), sides bowing out down to the gusset, rounded base.
    top, bottom, cx = 90 * k, 450 * k, 256 * k
    points = []
    for t in np.linspace(0.0, 1.0, 60):
        half = (120 + 45 * np.sin(np.pi * 0.62 * t)) * k
        points.append((cx + half, top + t * (bottom - top - 30 * k)))
    for a in np.linspace(0, np.pi, 30):  # the rounded gusset
        half = points[-1][0] - cx
        points.append((cx + half * np.cos(a), bottom - 30 * k + 30 * k * np.sin(a)))
    points += [(2 * cx - x, y) for x, y in reversed(points[:60])]
    cv2.fillPoly(canvas, [np.round(np.array(points)).astype(np.int32)], 255)


def _can_outline(canvas: npt.NDArray[np.uint8], k: float) -> None:
    cx, top, bottom, half = 256 * k, 110 * k, 430 * k, 88 * k
    cv2.rectangle(
        canvas, (int(cx - half), int(top + 22 * k)), (int(cx + half), int(bottom - 18 * k)), 255, -1
    )
    neck = half * 0.86
    cv2.ellipse(
        canvas, (int(cx), int(top + 22 * k)), (int(half), int(14 * k)), 0, 180, 360, 255, -1
    )
    cv2.rectangle(canvas, (int(cx - neck), int(top)), (int(cx + neck), int(top + 22 * k)), 255, -1)
    cv2.ellipse(canvas, (int(cx), int(top)), (int(neck), int(10 * k)), 0, 0, 360, 255, -1)
    cv2.ellipse(
        canvas, (int(cx), int(bottom - 18 * k)), (int(half), int(16 * k)), 0, 0, 180, 255, -1
    )
    cv2.ellipse(canvas, (int(cx), int(bottom)), (int(half * 0.9), int(8 * k)), 0, 0, 360, 255, -1)
    cv2.rectangle(
        canvas,
        (int(cx - half * 0.9), int(bottom - 18 * k)),
        (int(cx + half * 0.9), int(bottom)),
        255,
        -1,
    )


def _mug_outline(canvas: npt.NDArray[np.uint8], k: float) -> None:
    cv2.rectangle(canvas, (int(150 * k), int(150 * k)), (int(330 * k), int(400 * k)), 255, -1)
    cv2.ellipse(
        canvas,
        (int(330 * k), int(270 * k)),
        (int(62 * k), int(75 * k)),
        0,
        -90,
        90,
        255,
        int(24 * k),
    )


def _compose(
    alpha: npt.NDArray[np.float32],
    color: tuple[int, int, int],
    lines: list[tuple[str, int, int]],
    *,
    grain: float = 0.0,
    streak: bool = False,
    seed: int = 0,
    label_x: int | None = None,
) -> MerchantPhoto:
    size = alpha.shape[0]
    rng = np.random.default_rng(seed)
    _, xs = np.nonzero(alpha > 0.5)
    x0, x1 = xs.min(), xs.max() + 1
    across = (np.arange(size, dtype=np.float32) - x0) / max(x1 - x0, 1)
    shade = 0.88 + 0.16 * (1.0 - (2 * np.clip(across, 0, 1) - 1.0) ** 2)
    fg = np.array(color, np.float32)[None, None, :] / 255.0 * shade[None, :, None]
    fg = np.broadcast_to(fg, (size, size, 3)).copy()
    if grain:
        noise = cv2.GaussianBlur(rng.normal(0, grain, (size, size)).astype(np.float32), (0, 0), 0.7)
        fg *= (1.0 + noise)[..., None]
    if streak:  # a polished cylinder's highlight: a narrow, near-white vertical band
        centre = x0 + 0.32 * (x1 - x0)
        band = np.exp(-(((np.arange(size) - centre) / (0.025 * (x1 - x0))) ** 2)).astype(np.float32)
        fg = fg + (1.0 - fg) * band[None, :, None]
    label = Image.fromarray(np.clip(fg * 255, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(label)
    unit = size / 512  # lines are given in 512-px units too
    for text, y, font_size in lines:
        draw.text(
            (int((label_x or 0) * unit) or int((x0 + x1) / 2), int(y * unit)),
            text,
            fill=(25, 22, 20),
            font=ImageFont.load_default(size=max(8, round(font_size * unit))),
            anchor="mm",
        )
    fg = np.asarray(label, np.float32) / 255.0
    background = np.full((size, size, 3), 0.97, np.float32)
    image = fg * alpha[..., None] + background * (1 - alpha[..., None])
    out = np.clip(np.round(image * 255), 0, 255).astype(np.uint8)
    return MerchantPhoto(image=out, alpha=(alpha >= 0.5).astype(np.float32))


def kraft_pouch(size: int = 512) -> MerchantPhoto:
    """A kraft stand-up coffee pouch whose label names no product type."""
    lines = [("HILLWOOD", 190, 44), ("Single Origin", 250, 26)]
    return _compose(_mask(size, _pouch_outline), KRAFT, lines, grain=0.04, seed=1)


def ceramic_mug(size: int = 512) -> MerchantPhoto:
    lines = [("Morning Co", 230, 30), ("Classic Mug", 290, 22)]
    return _compose(_mask(size, _mug_outline), (236, 232, 224), lines, seed=2, label_x=240)


def drinks_can(size: int = 512, color: tuple[int, int, int] = (190, 192, 196)) -> MerchantPhoto:
    lines = [("ZEST", 230, 40), ("Sparkling Lime", 290, 22)]
    return _compose(_mask(size, _can_outline), color, lines, streak=True, seed=3)
