"""Style specimens: each style's layout with a simply drawn product on a studio backdrop and
sample copy in the style's shape, for the style list (``GET /api/v1/ads/styles``) and docs."""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from krev.engines.base import RGBImage
from krev.engines.providers import AdCopy
from krev.engines.studio.ads.compose import AdRenderRequest, compose_ad
from krev.engines.studio.ads.geometry import scene_box
from krev.engines.studio.ads.palette import ad_palette
from krev.engines.studio.ads.shapes import Circle, Fill, RoundRect, Shadow, draw_shapes
from krev.engines.studio.ads.styles import AdStyle

__all__ = ["SPECIMEN_COPY", "specimen_scene", "style_thumbnail"]

# Sample copy in each copy shape: no figures, prices or claims, as the copywriter's own rules.
SPECIMEN_COPY: dict[str, AdCopy] = {
    "direct": AdCopy(
        "",
        "New everyday essential",
        "Made for the way you move",
        "Light, sturdy and ready for wherever the day takes you.",
        "Shop now",
    ),
    "quiet": AdCopy(
        "",
        "The collection",
        "Quietly considered",
        "Fine materials, finished with care.",
        "Learn more",
    ),
    "offer": AdCopy(
        "",
        "This week only",
        "The offer is on",
        "Our favourite, at its best price of the season.",
        "Get offer",
    ),
    "quote": AdCopy(
        "",
        "What people say",
        "A customer",
        "It has become part of my morning. I would not go without it now.",
        "Shop now",
    ),
    "benefits": AdCopy(
        "",
        "Why it works",
        "Everything you need",
        "Fits every bag. Keeps drinks cold. Easy to clean.",
        "Shop now",
    ),
    "contrast": AdCopy(
        "",
        "Ours vs the usual",
        "Made to last, not to replace",
        "Unlike the usual throwaway kind, it is built to be repaired.",
        "Learn more",
    ),
}
_PRODUCT = "#e4572e"
_RENDER_SIDE = 540


def specimen_scene(
    width: int, height: int, color: str = _PRODUCT
) -> tuple[RGBImage, tuple[int, int, int, int]]:
    """A studio backdrop (wall, floor line, soft light) with a bottle drawn in ``color``, and the
    bottle's (x, y, w, h)."""
    rows = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    wall, floor = np.array([236, 233, 228], np.float32), np.array([214, 209, 202], np.float32)
    horizon = 0.68
    ramp = np.where(rows < horizon, wall - rows * 14, floor - (rows - horizon) * 30)
    scene = np.broadcast_to(ramp, (height, width, 3)).astype(np.uint8).copy()
    bottle_h = round(height * 0.58)
    bottle_w = max(4, min(round(bottle_h * 0.38), round(width * 0.5)))
    x = (width - bottle_w) // 2
    y = round(height * 0.8) - bottle_h
    neck_w, neck_h = max(2, bottle_w * 4 // 10), bottle_h // 6
    body_top = y + neck_h
    draw_shapes(
        scene,
        [
            Shadow(
                (x, y + bottle_h - bottle_h // 14, bottle_w, bottle_h // 10),
                bottle_w / 2,
                max(1.0, bottle_w * 0.12),
                0.35,
            ),
            RoundRect(
                (x + (bottle_w - neck_w) // 2, y, neck_w, neck_h + bottle_w // 6),
                neck_w / 5,
                "#2b2b2b",
            ),
            RoundRect((x, body_top, bottle_w, bottle_h - neck_h), bottle_w / 5, color),
            Fill(
                (
                    x + bottle_w // 8,
                    body_top + (bottle_h - neck_h) // 3,
                    bottle_w * 3 // 4,
                    (bottle_h - neck_h) // 4,
                ),
                "#f6f3ee",
            ),
            Circle(
                (x + bottle_w * 0.28, body_top + bottle_h * 0.12),
                max(1.0, bottle_w * 0.05),
                "#ffffff",
            ),
        ],
    )
    # A soft highlight down the bottle's left side: light from the left.
    band = scene[body_top : y + bottle_h, x + bottle_w // 6 : x + bottle_w // 4].astype(np.float32)
    scene[body_top : y + bottle_h, x + bottle_w // 6 : x + bottle_w // 4] = np.clip(
        band * 0.7 + 255 * 0.3, 0, 255
    ).astype(np.uint8)
    return scene, (x, y, bottle_w, bottle_h)


@lru_cache(maxsize=32)
def _thumbnail(style: AdStyle, side: int) -> bytes:
    width = height = _RENDER_SIDE
    _, _, sw, sh = scene_box(style, width, height, 1)
    scene, box = specimen_scene(sw, sh)
    copy = SPECIMEN_COPY[style.copy_shape]
    request = AdRenderRequest(
        width,
        height,
        style,
        AdCopy(style.name, copy.hook, copy.headline, copy.body_copy, copy.cta),
        scene,
        [box],
        ad_palette(style, [_PRODUCT], None, None),
    )
    image = compose_ad(request)
    small = cv2.resize(image, (side, side), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(small).tobytes()


def style_thumbnail(style: AdStyle, side: int = 256) -> RGBImage:
    """A ``side`` x ``side`` specimen of ``style``."""
    raw = _thumbnail(style, side)
    return np.frombuffer(raw, np.uint8).reshape(side, side, 3).copy()
