"""Words on screen: the hook, the benefit, the call to action on the end card (with the brand),
and a creator edit's captions, set with the shared text layout (``engines.studio.text``).

Placement happens when the video is planned (where the products will be is known then): each
text goes in the band of the safe zone, above or below the products, that they leave freest.
The safe zone keeps off the frame's outer 6% and, in a 9:16 frame, off the bottom 20% where
Reels and TikTok lay their own buttons and captions. Colors are chosen once the first frames
can be drawn: the text's ink against the worst pixel under it over its whole time on screen,
and a scrim (or, for the call to action, a button) wherever no ink reaches WCAG AA.

Each text is then one premultiplied 8-bit card at a fixed place in the frame; per frame it is
blended on its own box, faded in and out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

from krev.engines.studio.ads.shapes import rounded_outline
from krev.engines.studio.text import (
    AA_LARGE,
    AA_NORMAL,
    FittedText,
    TextStyle,
    fit_text,
    line_origins,
    pick_text_color,
    relative_luminance,
    scrim_opacity,
    text_mask,
)
from krev.engines.studio.video.compositor import Scratch, lay_over

__all__ = [
    "Overlay",
    "OverlayCard",
    "Role",
    "blend_card",
    "place_band",
    "render_overlay",
    "safe_zone",
]

U8 = npt.NDArray[np.uint8]
Box = tuple[int, int, int, int]
Role = Literal["hook", "benefit", "cta", "brand", "caption"]
RGB = tuple[int, int, int]

# The frame's outer share kept clear, and the bottom share of a tall (9:16) frame.
SAFE_MARGIN = 0.06
TALL_BOTTOM = 0.20
_WHITE: RGB = (255, 255, 255)
_INK: RGB = (17, 17, 17)
_SHIFT = 4


@dataclass(frozen=True)
class Overlay:
    """A text planned: what, when, and the band of the frame it is set in."""

    role: Role
    text: str
    start: int
    end: int
    band: Box
    anchor: Literal["top", "bottom", "middle"]
    fade: int = 6
    brand: str = ""
    """For the call to action: the brand set small above it."""
    scale: float = 1.0
    """Type size relative to the role's own (a creator's call to action is set larger)."""
    boxed: bool = False
    """White on its own dark panel whatever is under it (a creator's captions)."""

    def opacity(self, frame: int) -> float:
        if frame < self.start or frame >= self.end:
            return 0.0
        fade = max(1, min(self.fade, (self.end - self.start) // 3))
        rise = (frame - self.start + 1) / fade
        fall = (self.end - frame) / fade
        t = min(1.0, rise, fall)
        return t * t * (3.0 - 2.0 * t)

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "role": self.role,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "band": list(self.band),
        }
        if self.brand:
            out["brand"] = self.brand
        return out


@dataclass(frozen=True)
class OverlayCard:
    """A text drawn: (h, w, 4) premultiplied RGBA at (x, y) of the frame."""

    overlay: Overlay
    pixels: U8
    x: int
    y: int
    ink: Box
    """Where the letters are (frame coordinates)."""
    text_color: RGB
    contrast: float
    scrim: float
    """The scrim's opacity (0: none; 1 for a button)."""
    size: int
    lines: tuple[str, ...]


def safe_zone(width: int, height: int) -> Box:
    """The frame less its outer 6%, and less the bottom 20% in a tall frame."""
    mx, my = round(width * SAFE_MARGIN), round(height * SAFE_MARGIN)
    bottom = height - my
    if height >= width * 1.6:
        bottom = min(bottom, round(height * (1.0 - TALL_BOTTOM)))
    return mx, my, width - 2 * mx, bottom - my


def _free_rectangles(free: npt.NDArray[np.bool_]) -> list[tuple[int, int, int, int]]:
    """Every maximal all-free rectangle of a grid, (column, row, columns, rows): for each
    row as the bottom, the rectangles the histogram of free cells above it makes."""
    rows, cols = free.shape
    heights = np.zeros(cols, np.int64)
    found: set[tuple[int, int, int, int]] = set()
    for row in range(rows):
        heights = np.where(free[row], heights + 1, 0)
        stack: list[int] = []
        for col in range(cols + 1):
            h = int(heights[col]) if col < cols else 0
            while stack and int(heights[stack[-1]]) >= h:
                top = int(heights[stack.pop()])
                if top == 0:
                    continue
                left = stack[-1] + 1 if stack else 0
                found.add((left, row - top + 1, col - left, top))
            stack.append(col)
    return sorted(found)


def place_band(
    width: int, height: int, boxes: Sequence[tuple[float, float, float, float]], prefer: str
) -> tuple[Box, Literal["top", "bottom", "middle"]]:
    """Where a text goes: the best rectangle of the safe zone that ``boxes`` (the products
    over the text's time, with a gap) leave free: wide and tall enough for a few lines,
    no taller than a text needs, on the ``prefer`` side ("top" or "bottom") when that is about
    as good. When nothing is free enough, the band at the preferred edge (under a scrim)."""
    sx, sy, sw, sh = safe_zone(width, height)
    gap = height * 0.025
    cell = max(2, min(width, height) // 48)
    cols, rows = max(1, sw // cell), max(1, sh // cell)
    cw, rh = sw / cols, sh / rows
    free = np.ones((rows, cols), np.bool_)
    for x, y, w, h in boxes:
        c0 = max(0, int((x - gap - sx) // cw))
        c1 = min(cols, int(np.ceil((x + w + gap - sx) / cw)))
        r0 = max(0, int((y - gap - sy) // rh))
        r1 = min(rows, int(np.ceil((y + h + gap - sy) / rh)))
        if c1 > c0 and r1 > r0:
            free[r0:r1, c0:c1] = False
    cap = sh * (0.34 if height > width else 0.3)
    least_w, least_h = sw * 0.34, sh * 0.12
    best: tuple[float, Box, Literal["top", "bottom", "middle"]] | None = None
    for c, r, n_cols, n_rows in _free_rectangles(free):
        w, h = n_cols * cw, n_rows * rh
        if w < least_w or h < least_h:
            continue
        x0, y0 = sx + c * cw, sy + r * rh
        touches_top, touches_bottom = r == 0, r + n_rows == rows
        use_h = min(h, cap)
        # A text needs height only up to its cap, and width most: score what it can use.
        score = min(w, sw) * use_h * (1.0 + 0.6 * (w / sw))
        if (prefer == "top" and touches_top) or (prefer == "bottom" and touches_bottom):
            score *= 1.25
        if h > cap:
            # Taller than needed: the part at the preferred side (or its top).
            keep_bottom = prefer == "bottom" and touches_bottom
            y0 = y0 + h - use_h if keep_bottom else y0
            anchor: Literal["top", "bottom", "middle"] = "bottom" if keep_bottom else "top"
        else:
            anchor = "top" if touches_top else "bottom" if touches_bottom else "middle"
        rect = (round(x0), round(y0), round(w), round(use_h))
        if best is None or score > best[0]:
            best = (score, rect, anchor)
    if best is not None:
        return best[1], best[2]
    band_h = round(sh * 0.18)
    if prefer == "bottom":
        return (sx, sy + sh - band_h, sw, band_h), "bottom"
    return (sx, sy, sw, band_h), "top"


# --- drawing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Type:
    style: TextStyle
    max_size: float  # of the frame's short side
    min_size: float
    max_lines: int


_TYPES: dict[Role, _Type] = {
    "hook": _Type(TextStyle("sans", "bold", 1.08), 0.085, 0.034, 3),
    "benefit": _Type(TextStyle("sans", "bold", 1.1), 0.064, 0.03, 3),
    "cta": _Type(TextStyle("sans", "bold", 1.05), 0.068, 0.032, 2),
    "brand": _Type(TextStyle("sans", "bold", 1.0, uppercase=True), 0.04, 0.026, 1),
    "caption": _Type(TextStyle("sans", "bold", 1.08), 0.1, 0.05, 3),
}


def _rounded_mask(width: int, height: int, radius: float) -> npt.NDArray[np.float32]:
    mask = np.zeros((height, width), np.uint8)
    points = rounded_outline((0, 0, width, height), radius)
    fixed = np.round(points * (1 << _SHIFT)).astype(np.int32).reshape(-1, 1, 2)
    cv2.fillPoly(mask, [fixed], 255, cv2.LINE_AA, _SHIFT)
    out: npt.NDArray[np.float32] = mask.astype(np.float32) / 255.0
    return out


def _large(role: Role, size: int, short: int) -> bool:
    # WCAG's large text: bold from 14 pt; on a phone-width frame about 4.8% of its width.
    return role != "brand" and size >= 0.045 * short


def _pixels(samples: Sequence[U8], box: Box) -> U8:
    x, y, w, h = box
    parts = [s[max(0, y) : y + h, max(0, x) : x + w].reshape(-1, 3) for s in samples]
    out: U8 = np.concatenate(parts) if parts else np.zeros((0, 3), np.uint8)
    return out


@dataclass
class _Piece:
    block: FittedText
    x: int
    y: int
    width: int


class _Painter:
    """A card's RGBA, built up in float, premultiplied at the end."""

    def __init__(self, width: int, height: int) -> None:
        self.rgb = np.zeros((height, width, 3), np.float32)
        self.alpha = np.zeros((height, width), np.float32)

    def lay(
        self, mask: npt.NDArray[np.float32], color: RGB, opacity: float, x: int, y: int
    ) -> None:
        h, w = mask.shape
        a = mask * opacity
        region_a = self.alpha[y : y + h, x : x + w]
        region_c = self.rgb[y : y + h, x : x + w]
        a = a[: region_a.shape[0], : region_a.shape[1]]
        # Straight-alpha "over".
        out_a = a + region_a * (1.0 - a)
        tint = np.asarray(color, np.float32)
        mixed = tint * a[..., None] + region_c * (region_a * (1.0 - a))[..., None]
        region_c[...] = np.where(
            out_a[..., None] > 0, mixed / np.maximum(out_a, 1e-6)[..., None], 0
        )
        region_a[...] = out_a

    def card(self) -> U8:
        """Premultiplied RGBA."""
        premul = np.dstack([self.rgb * self.alpha[..., None], self.alpha * 255.0])
        out: U8 = np.clip(premul + 0.5, 0, 255).astype(np.uint8)
        return out


def _fit(
    role: Role, text: str, width: int, height: int, short: int, scale: float = 1.0
) -> FittedText:
    kind = _TYPES[role]
    lo = max(8, round(kind.min_size * short * scale))
    hi = max(lo, round(kind.max_size * short * scale))
    return fit_text(text, kind.style, width, height, lo, hi, kind.max_lines)


def _ink_box(block: FittedText, x: int, y: int, width: int) -> Box:
    origins = line_origins(block, x, y, width, "center")
    left = min(ox - block.left for ox, _ in origins)
    right = max(
        ox - block.left + lw for (ox, _), lw in zip(origins, block.line_widths, strict=True)
    )
    return left, y, right - left, block.height


def render_overlay(
    overlay: Overlay,
    frame: tuple[int, int],
    samples: Sequence[U8],
    accent: RGB,
) -> OverlayCard | None:
    """The overlay drawn over the frames it will be shown on (``samples``, without text):
    ink chosen against the worst pixel under it, a scrim or button where AA needs one."""
    width, height = frame
    short = min(width, height)
    bx, by, bw, bh = overlay.band
    brand: FittedText | None = None
    brand_h = 0
    if overlay.role == "cta" and overlay.brand:
        brand = _fit(
            "brand", overlay.brand, round(bw * 0.8), round(bh * 0.25), short, overlay.scale
        )
        brand_h = brand.height + round(short * 0.02) if not brand.empty else 0
    button = overlay.role == "cta"
    pad_x = round(short * (0.045 if button else 0.03))
    pad_y = round(short * (0.025 if button else 0.02))
    text_w = bw - 2 * pad_x
    text_h = bh - 2 * pad_y - brand_h
    if text_w < 8 or text_h < 8:
        return None
    block = _fit(overlay.role, overlay.text, text_w, text_h, short, overlay.scale)
    if block.empty and (brand is None or brand.empty):
        return None

    # Where the block sits in its band.
    block_h = (block.height if not block.empty else 0) + brand_h
    if overlay.anchor == "top":
        top = by + pad_y
    elif overlay.anchor == "bottom":
        top = by + bh - pad_y - block_h
    else:
        top = by + (bh - block_h) // 2
    pieces: list[tuple[str, _Piece]] = []
    if brand is not None and not brand.empty:
        pieces.append(("brand", _Piece(brand, bx + pad_x, top, text_w)))
    if not block.empty:
        pieces.append((overlay.role, _Piece(block, bx + pad_x, top + brand_h, text_w)))
    main = pieces[-1][1]
    ink = _ink_box(main.block, main.x, main.y, main.width)

    minimum = AA_LARGE if _large(overlay.role, main.block.size, short) else AA_NORMAL
    under = _pixels(samples, ink)
    if button:
        # The call to action on a button of the set's accent color: its ink against the
        # button alone, the button's own edge against the frame whatever it is.
        fill = np.asarray([accent], np.uint8)
        text_color, ratio = pick_text_color(fill, [_WHITE, _INK], minimum)
        scrim_color, opacity = accent, 1.0
    else:
        text_color, ratio = pick_text_color(under, [_WHITE, _INK], minimum)
        scrim_color = (0, 0, 0) if relative_luminance(text_color) > 0.5 else (255, 255, 255)
        opacity = 0.0
        if ratio < minimum:
            needed = scrim_opacity(under, text_color, scrim_color, minimum)
            opacity = 0.92 if needed is None else min(0.92, max(0.4, needed + 0.08))
            blended = np.round(
                under.astype(np.float32) * (1 - opacity) + np.float32(scrim_color[0]) * opacity
            ).astype(np.uint8)
            _, ratio = pick_text_color(blended, [text_color], minimum)
    if overlay.boxed and not button:
        # Creator captions sit on their own dark panel whatever is under them.
        text_color, scrim_color = _WHITE, (0, 0, 0)
        opacity = max(opacity, 0.72)
        ratio = min(21.0, _contrast_on(under, text_color, scrim_color, opacity))

    # The panel: around the letters (padded), or the button.
    ix, iy, iw, ih = ink
    panel = (ix - pad_x, iy - pad_y, iw + 2 * pad_x, ih + 2 * pad_y)
    inks = [_ink_box(p.block, p.x, p.y, p.width) for _, p in pieces]
    area_x0 = min(panel[0], *(b[0] for b in inks))
    area_y0 = min(panel[1], *(b[1] for b in inks))
    area_x1 = max(panel[0] + panel[2], *(b[0] + b[2] for b in inks))
    area_y1 = max(panel[1] + panel[3], *(b[1] + b[3] for b in inks))
    x0, y0 = max(0, area_x0), max(0, area_y0)
    x1, y1 = min(width, area_x1), min(height, area_y1)
    painter = _Painter(x1 - x0, y1 - y0)
    if opacity > 0:
        radius = panel[3] / 2 if button else short * 0.018
        mask = _rounded_mask(panel[2], panel[3], radius)
        painter.lay(mask, scrim_color, opacity, panel[0] - x0, panel[1] - y0)
    for (role, piece), (bx0, by0, bw0, _) in zip(pieces, inks, strict=True):
        coverage = text_mask(piece.block, piece.width, "center").astype(np.float32) / 255.0
        # Only the letters' columns: the card is as small as what it shows.
        coverage = coverage[:, max(0, bx0 - piece.x) : bx0 - piece.x + bw0]
        left = max(bx0, piece.x)
        ink_color = text_color
        if role == "brand":
            ink_color, _ = pick_text_color(
                _pixels(samples, (bx0, by0, bw0, piece.block.height)), [_WHITE, _INK], AA_NORMAL
            )
        painter.lay(coverage, ink_color, 1.0, left - x0, piece.y - y0)
    return OverlayCard(
        overlay=overlay,
        pixels=painter.card(),
        x=x0,
        y=y0,
        ink=ink,
        text_color=text_color,
        contrast=round(float(ratio), 2),
        scrim=round(opacity, 3),
        size=main.block.size,
        lines=main.block.lines,
    )


def _contrast_on(under: U8, text: RGB, scrim: RGB, opacity: float) -> float:
    if under.size == 0:
        return 21.0
    blended = np.round(
        under.astype(np.float32) * (1 - opacity) + np.asarray(scrim, np.float32) * opacity
    ).astype(np.uint8)
    _, ratio = pick_text_color(blended, [text], 0.0)
    return ratio


def blend_card(frame: U8, card: OverlayCard, opacity: float, scratch: Scratch) -> None:
    """Lay ``card`` over the (RGBA) ``frame``, faded to ``opacity``, in place."""
    if opacity <= 0.0:
        return
    height, width = frame.shape[:2]
    x, y = card.x, card.y
    h, w = card.pixels.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(width, x + w), min(height, y + h)
    if x1 <= x0 or y1 <= y0:
        return
    pixels = card.pixels[y0 - y : y1 - y, x0 - x : x1 - x]
    region = frame[y0:y1, x0:x1]
    if opacity >= 0.999:
        lay_over(region, pixels, scratch)
        return
    over = scratch.get("over", y1 - y0, x1 - x0)
    over[...] = region
    lay_over(over, pixels, scratch)
    cv2.addWeighted(region, 1.0 - opacity, over, opacity, 0.0, dst=region)
