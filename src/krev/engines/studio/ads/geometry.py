"""Where things go on an ad: Meta's placement sizes, the area text may use (Meta's safe zones
on 9:16: the top 14%, bottom 35% and sides 6% are covered by the app's own interface), and per
layout family the scene's rectangle and the copy's regions.

The scene's rectangle depends only on the style, the size and the product count, so the
pipeline can render the scene at exactly that size before the copy is laid out.

On 9:16 the safe zones shape every family the same way: the zones keep text out, not pictures,
so the scene runs down through the bottom 35% to the frame's edge and the copy takes the whole
middle band above it (from the top zone's border down to the scene), where it can be set at
sizes a phone reader reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from krev.engines.studio.ads.styles import AdStyle

__all__ = [
    "AD_SIZES",
    "STORY_SAFE",
    "CanvasShape",
    "Frame",
    "Rect",
    "canvas_shape",
    "family_frame",
    "scene_box",
    "text_area",
]

Rect = tuple[int, int, int, int]
CanvasShape = Literal["square", "portrait", "story"]

AD_SIZES: dict[str, tuple[int, int]] = {
    "1:1": (1080, 1080),
    "4:5": (1080, 1350),
    "9:16": (1080, 1920),
}
# Meta's safe zones for Stories and Reels, as fractions: (top, bottom, sides).
STORY_SAFE = (0.14, 0.35, 0.06)
# Copy keeps this share of the short side away from every edge (and from safe-zone borders).
_EDGE = 0.045
_STORY_PAD = 0.012


def canvas_shape(width: int, height: int) -> CanvasShape:
    ratio = height / max(width, 1)
    if ratio >= 1.5:
        return "story"
    return "portrait" if ratio >= 1.12 else "square"


def text_area(width: int, height: int) -> Rect:
    """The rectangle all text stays inside."""
    if canvas_shape(width, height) == "story":
        top, bottom, sides = STORY_SAFE
        pad = round(_STORY_PAD * width)
        x0, y0 = round(sides * width) + pad, round(top * height) + pad
        x1, y1 = width - x0, round((1 - bottom) * height) - pad
        return x0, y0, x1 - x0, y1 - y0
    edge = round(_EDGE * min(width, height))
    return edge, edge, width - 2 * edge, height - 2 * edge


def _clip(rect: Rect, area: Rect) -> Rect:
    x0, y0 = max(rect[0], area[0]), max(rect[1], area[1])
    x1 = min(rect[0] + rect[2], area[0] + area[2])
    y1 = min(rect[1] + rect[3], area[1] + area[3])
    return x0, y0, max(0, x1 - x0), max(0, y1 - y0)


def _box(width: int, height: int, x: float, y: float, w: float, h: float) -> Rect:
    x0, y0 = round(x * width), round(y * height)
    return x0, y0, round((x + w) * width) - x0, round((y + h) * height) - y0


@dataclass(frozen=True)
class Frame:
    """A family's geometry on one canvas: the scene and named copy regions (inside
    ``text_area``), ``margin`` the breathing room the density asks for."""

    shape: CanvasShape
    scene: Rect
    regions: dict[str, Rect]
    margin: int


# Scene rectangles as fractions (x, y, w, h) per family and canvas shape.
_SCENES: dict[str, dict[CanvasShape, tuple[float, float, float, float]]] = {
    "hero_band": {
        "square": (0, 0, 1, 0.56),
        "portrait": (0, 0, 1, 0.58),
        "story": (0, 0.5, 1, 0.5),
    },
    "gallery": {
        "square": (0.09, 0.065, 0.82, 0.52),
        "portrait": (0.08, 0.055, 0.84, 0.56),
        "story": (0.07, 0.52, 0.86, 0.43),
    },
    "offer_panel": {
        "square": (0.46, 0, 0.54, 1),
        "portrait": (0.46, 0, 0.54, 1),
        "story": (0, 0.5, 1, 0.5),
    },
    "quote_card": {
        "square": (0, 0.55, 1, 0.45),
        "portrait": (0, 0.53, 1, 0.47),
        "story": (0, 0.52, 1, 0.48),
    },
    "checklist": {
        "square": (0, 0.28, 0.5, 0.72),
        "portrait": (0, 0.26, 0.5, 0.74),
        "story": (0, 0.54, 1, 0.46),
    },
    "split": {
        "square": (0.06, 0.25, 0.42, 0.47),
        "portrait": (0.06, 0.22, 0.42, 0.47),
        "story": (0.06, 0.53, 0.42, 0.41),
    },
}
# Side-by-side families give the scene more width when it holds three or four products (on
# feed sizes: on 9:16 their scene is the frame's full width already).
_WIDE_SCENE = {"offer_panel": (0.38, 0.62), "checklist": (0.0, 0.56)}


def scene_box(style: AdStyle, width: int, height: int, product_count: int = 1) -> Rect:
    """(x, y, w, h) of the product scene on a ``width`` x ``height`` ad of ``style``."""
    shape = canvas_shape(width, height)
    x, y, w, h = _SCENES.get(style.family, _SCENES["hero_band"])[shape]
    if product_count >= 3 and style.family in _WIDE_SCENE and shape != "story":
        x, w = _WIDE_SCENE[style.family]
    return _box(width, height, x, y, w, h)


def _story_regions(
    family: str, scene: Rect, area: Rect, margin: int, width: int
) -> dict[str, Rect]:
    """9:16: the copy in the middle band, from the top safe zone's border down to the scene."""
    sx, sy, sw, sh = scene
    # The gap between the copy and the scene below it, as each family's drawn parts need.
    gap = {
        "hero_band": round(margin * 0.8),  # the accent rule sits at the scene's top edge
        "gallery": round(0.045 * width),  # the print's hairline frame
        "offer_panel": round(0.05 * width),  # the panel's slanted edge
        "quote_card": round(0.03 * width),  # the card's shadow
    }.get(family, round(0.04 * width))
    top = area[1]
    band = (margin, top, width - 2 * margin, sy - gap - top)
    if family == "gallery":
        inset = round(0.08 * width)
        return {"copy": (inset, top, width - 2 * inset, sy - gap - top)}
    if family == "split":
        ghost_gap = round(0.04 * width)
        ghost = (sx + sw + ghost_gap, sy, width - (sx + sw + ghost_gap) - sx, sh)
        return {"copy": band, "ghost": ghost}
    return {"copy": band}


def family_frame(
    style: AdStyle, width: int, height: int, product_count: int, density: float
) -> Frame:
    shape = canvas_shape(width, height)
    scene = scene_box(style, width, height, product_count)
    sx, sy, sw, sh = scene
    area = text_area(width, height)
    # Airy inspirations (density 0) widen the margins by a quarter, dense ones narrow them.
    margin = round(0.06 * width * (1.25 - 0.5 * min(1.0, max(0.0, density))))
    family = style.family
    regions: dict[str, Rect]
    if shape == "story":
        regions = _story_regions(family, scene, area, margin, width)
    elif family == "gallery":
        top = sy + sh + round(0.045 * height)
        inset = round(0.1 * width)
        regions = {"copy": (inset, top, width - 2 * inset, height - margin - top)}
    elif family == "offer_panel":
        right = sx - round(0.05 * width)
        regions = {"copy": (margin, margin, right - margin, height - 2 * margin)}
    elif family == "quote_card":
        regions = {"copy": (margin, margin, width - 2 * margin, sy - margin * 3 // 5 - margin)}
    elif family == "checklist":
        regions = {
            "header": (margin, margin, width - 2 * margin, sy - round(0.025 * height) - margin),
            "list": (
                sx + sw + round(0.045 * width),
                sy + round(0.02 * height),
                width - margin - (sx + sw + round(0.045 * width)),
                height - margin - sy - round(0.02 * height),
            ),
        }
    elif family == "split":
        gap = round(0.04 * width)
        regions = {
            "header": (margin, margin, width - 2 * margin, sy - round(0.02 * height) - margin),
            "ghost": (sx + sw + gap, sy, width - (sx + sw + gap) - sx, sh),
            "copy": (
                margin,
                sy + sh + round(0.03 * height),
                width - 2 * margin,
                height - margin - (sy + sh + round(0.03 * height)),
            ),
        }
    else:  # hero_band
        top = sy + sh + round(margin * 0.8)
        regions = {"copy": (margin, top, width - 2 * margin, height - round(margin * 0.8) - top)}
    clipped = {
        name: rect if name == "ghost" else _clip(rect, area) for name, rect in regions.items()
    }
    return Frame(shape, scene, clipped, margin)
