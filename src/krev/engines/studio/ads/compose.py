"""The ad itself: the product scene placed in the style's layout, the drawn parts, and the copy
set in the style's typography, each text's ink chosen against the pixels actually under it
(the worst pixel) and a panel laid under it where none reaches WCAG AA.

``render_ad`` also returns the ad without its text and where each text went, which the tests
and the contact sheet use to check the layout; ``compose_ad`` is the image alone."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from krev.engines.base import RGBImage
from krev.engines.providers import AdCopy
from krev.engines.studio.ads.families import FAMILIES, Context, TextSpec
from krev.engines.studio.ads.geometry import Rect, family_frame
from krev.engines.studio.ads.palette import AdPalette
from krev.engines.studio.ads.shapes import RoundRect, draw_shapes
from krev.engines.studio.ads.styles import AdStyle
from krev.engines.studio.text.contrast import (
    AA_LARGE,
    AA_NORMAL,
    hex_to_rgb,
    pick_text_color,
    rgb_to_hex,
)
from krev.engines.studio.text.draw import line_origins, paint_text

__all__ = ["AdRenderRequest", "RenderedAd", "SetText", "compose_ad", "render_ad"]

# WCAG's large text (24 CSS px, or 18.66 px bold) once the ad shows about 390 CSS px wide in a
# feed: that many of the ad's own pixels per unit of its width.
_LARGE_REGULAR = 0.061
_LARGE_BOLD = 0.048


@dataclass(frozen=True)
class AdRenderRequest:
    width: int
    height: int
    style: AdStyle
    copy: AdCopy
    scene: RGBImage
    """The product scene, exactly ``scene_box``'s (w, h)."""
    product_boxes: list[tuple[int, int, int, int]]
    """Each product's (x, y, w, h) inside the scene."""
    palette: AdPalette
    density: float = 0.5
    variant: int = 0


@dataclass(frozen=True)
class SetText:
    """One text as set: its ink's rectangle, color and the worst contrast measured against the
    pixels under it (the ad without text)."""

    name: str
    rect: Rect
    color: str
    contrast: float
    minimum: float
    size: int
    lines: tuple[str, ...]
    truncated: bool


@dataclass(frozen=True)
class RenderedAd:
    image: RGBImage
    background: RGBImage
    """The same ad without its text (panels and buttons included)."""
    scene_rect: Rect
    product_rects: list[Rect]
    texts: list[SetText] = field(default_factory=list)


def _ink_rect(spec: TextSpec) -> Rect:
    placed = spec.placed
    x, y, w, _ = placed.text_box
    origins = line_origins(placed.block, x, y, w, placed.align)
    left = min(ox - placed.block.left for ox, _ in origins)
    right = max(
        ox - placed.block.left + lw
        for (ox, _), lw in zip(origins, placed.block.line_widths, strict=True)
    )
    return left, y, right - left, placed.block.height


def _minimum(spec: TextSpec, width: int) -> float:
    if spec.ornament:
        return AA_LARGE
    if spec.placed.piece.name != "headline":
        return AA_NORMAL  # body, benefit lines, hooks, labels: 4.5:1 whatever their size
    style = spec.placed.piece.style
    size = spec.placed.block.size
    large = size >= _LARGE_REGULAR * width or (
        style.weight == "bold" and size >= _LARGE_BOLD * width
    )
    return AA_LARGE if large else AA_NORMAL


def _clear_of(rect: Rect, products: list[Rect]) -> bool:
    x, y, w, h = rect
    return all(
        x + w <= px or px + pw <= x or y + h <= py or py + ph <= y for px, py, pw, ph in products
    )


def _scrim(
    spec: TextSpec, rect: Rect, pad: int, products: list[Rect], size: tuple[int, int]
) -> RoundRect | None:
    """A panel under the text, as padded as products and the canvas allow."""
    width, height = size
    for p in (pad, pad // 2, 0):
        x, y, w, h = rect
        box = (max(0, x - p), max(0, y - p), 0, 0)
        box = (box[0], box[1], min(width, x + w + p) - box[0], min(height, y + h + p) - box[1])
        if _clear_of(box, products):
            return RoundRect(box, p, spec.scrim)
    return None


def render_ad(request: AdRenderRequest) -> RenderedAd:
    width, height, style = request.width, request.height, request.style
    frame = family_frame(style, width, height, len(request.product_boxes), request.density)
    sx, sy, sw, sh = frame.scene
    if request.scene.shape[:2] != (sh, sw):
        raise ValueError(
            f"the scene is {request.scene.shape[1]}x{request.scene.shape[0]}; "
            f"the {style.id} layout needs {sw}x{sh} at {width}x{height}"
        )
    products = [(sx + x, sy + y, w, h) for x, y, w, h in request.product_boxes]
    ctx = Context(
        width,
        height,
        style,
        request.copy,
        request.palette,
        frame,
        products,
        min(1.0, max(0.0, request.density)),
        request.variant,
    )
    design = FAMILIES.get(style.family, FAMILIES["hero_band"])(ctx)
    canvas = np.empty((height, width, 3), np.uint8)
    canvas[...] = np.asarray(hex_to_rgb(request.palette.background), np.uint8)
    draw_shapes(canvas, design.ground)
    canvas[sy : sy + sh, sx : sx + sw] = request.scene
    draw_shapes(canvas, design.shapes)
    chosen: list[tuple[TextSpec, Rect, tuple[int, int, int], float, float]] = []
    for spec in design.texts:
        rect = _ink_rect(spec)
        x, y, w, h = rect
        minimum = _minimum(spec, width)
        inks = [hex_to_rgb(c) for c in spec.inks]
        color, ratio = pick_text_color(canvas[y : y + h, x : x + w], inks, minimum)
        if ratio < minimum:
            panel = _scrim(spec, rect, ctx.px(16), products, (width, height))
            if panel is not None:
                draw_shapes(canvas, [panel])
                color, ratio = pick_text_color(canvas[y : y + h, x : x + w], inks, minimum)
        chosen.append((spec, rect, color, ratio, minimum))
    background = canvas.copy()
    texts = []
    for spec, rect, color, ratio, minimum in chosen:
        placed = spec.placed
        tx, ty, tw, _ = placed.text_box
        paint_text(canvas, placed.block, tx, ty, tw, color, placed.align)
        texts.append(
            SetText(
                placed.piece.name,
                rect,
                rgb_to_hex(color),
                round(ratio, 2),
                minimum,
                placed.block.size,
                placed.block.lines,
                placed.block.truncated,
            )
        )
    return RenderedAd(canvas, background, frame.scene, products, texts)


def compose_ad(request: AdRenderRequest) -> RGBImage:
    """The finished ad, ``request.height`` x ``request.width`` RGB."""
    return render_ad(request).image
