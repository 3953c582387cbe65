"""Products placed for a generative provider, and put back over what it painted.

A generative model repaints whatever it is given a little (a VAE round trip softens labels, an
edit model shifts colors), so the products' own cutouts go back over its output at the boxes
they were given, with a soft contact shadow so they sit on the generated surface. Pure code.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from krev.engines.base import ProductCutout, RGBImage
from krev.engines.providers import ProductCanvas
from krev.engines.studio.scene.composite import (
    cast_shadow,
    composite_product,
    scaled_cutout,
    trim_box,
)
from krev.engines.studio.scene.layout import LayoutStyle, Placement, solve_layout

__all__ = ["composite_products", "product_canvas"]

FloatArray = npt.NDArray[Any]

# The canvas behind the products: a neutral mid grey, which no edit model mistakes for a scene.
_NEUTRAL = 0.5
# How far the painted region reaches under the product's soft edge: the model blends the
# product into its surface there, and the cutout then covers the seam.
_MASK_GROW_ALPHA = 0.98
_GAIN = np.ones(3, np.float32)


def _placements(products: list[ProductCutout], width: int, height: int) -> list[Placement]:
    aspects = []
    for product in products:
        _, _, tw, th = trim_box(product.rgba)
        aspects.append(tw / max(th, 1))
    placements, _ = solve_layout(
        aspects, width, height, LayoutStyle("eye_level", 0.56, False, 0.0, 1.0)
    )
    return placements


def product_canvas(products: list[ProductCutout], width: int, height: int) -> ProductCanvas:
    """The products laid out on a ``width`` x ``height`` neutral canvas, and a mask that is 1.0
    wherever a provider should paint (everything the products do not cover)."""
    canvas = np.full((height, width, 3), _NEUTRAL, np.float32)
    cover = np.zeros((height, width), np.float32)
    placements = _placements(products, width, height)
    boxes: list[tuple[int, int, int, int]] = [(0, 0, 0, 0)] * len(products)
    for place in placements:
        cutout = scaled_cutout(products[place.index].rgba, place.width, place.height)
        composite_product(canvas, cutout, place, _GAIN)
        _cover(cover, cutout.alpha, place)
        boxes[place.index] = place.box
    mask = (cover < _MASK_GROW_ALPHA).astype(np.float32)
    rgb = np.clip(canvas * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return ProductCanvas(image=rgb, mask=mask, boxes=boxes)


def _cover(cover: FloatArray, alpha: FloatArray, place: Placement) -> None:
    height, width = cover.shape
    x0, y0 = max(0, place.x), max(0, place.y)
    x1, y1 = min(width, place.x + place.width), min(height, place.y + place.height)
    if x1 <= x0 or y1 <= y0:
        return
    a = alpha[y0 - place.y : y1 - place.y, x0 - place.x : x1 - place.x]
    np.maximum(cover[y0:y1, x0:x1], a, out=cover[y0:y1, x0:x1])


def composite_products(
    rgb: RGBImage,
    products: list[ProductCutout],
    boxes: list[tuple[int, int, int, int]],
) -> RGBImage:
    """``rgb`` with each product's cutout over its box and a soft shadow under it."""
    height, width = rgb.shape[:2]
    canvas = rgb.astype(np.float32) / 255.0
    shadow = np.zeros((height, width), np.float32)
    placements = [
        Placement(index, x, y, w, h, depth=y + h)
        for index, (x, y, w, h) in enumerate(boxes)
        if w > 0 and h > 0
    ]
    cutouts = {
        p.index: scaled_cutout(products[p.index].rgba, p.width, p.height) for p in placements
    }
    for place in placements:
        cast_shadow(shadow, cutouts[place.index].alpha, place, False, -0.5, 0.3, 0.05, 0.35)
    canvas *= 1.0 - shadow[..., None]
    for place in sorted(placements, key=lambda p: p.depth):
        composite_product(canvas, cutouts[place.index], place, _GAIN)
    out: RGBImage = np.clip(canvas * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return out
