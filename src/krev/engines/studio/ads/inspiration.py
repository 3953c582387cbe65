"""What an inspiration ad says about look: its dominant colors and how densely it is laid out
(the share of its area that is edges: copy, badges and busy scenes are dense; a lone product on
a plain ground is airy)."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from krev.engines.base import RGBImage
from krev.engines.studio.ads.color import oklch
from krev.engines.studio.scene.style import style_hint
from krev.engines.studio.text.contrast import rgb_to_hex

__all__ = ["InspirationCues", "inspiration_cues"]

_COLORS = 5
_EDGE_SIDE = 320
# Edge share of an airy ad (a product on a plain sweep) and of a packed one (copy blocks,
# badges, a busy photo): density runs 0..1 between them.
_AIRY_EDGES = 0.015
_DENSE_EDGES = 0.14
# Dominant colors closer than this (OKLab distance) are one color.
_SAME_COLOR = 0.04


@dataclass(frozen=True)
class InspirationCues:
    colors: list[str] = field(default_factory=list)
    """Dominant colors as ``#rrggbb``, the largest share first."""
    density: float = 0.5
    """How packed the layout is: 0 airy, 1 dense."""


def _distinct(colors: list[str]) -> list[str]:
    kept: list[tuple[str, np.ndarray]] = []
    for value in colors:
        lightness, c, hue = oklch(value)
        point = np.array([lightness, c * np.cos(np.radians(hue)), c * np.sin(np.radians(hue))])
        if all(np.linalg.norm(point - other) >= _SAME_COLOR for _, other in kept):
            kept.append((value, point))
    return [value for value, _ in kept]


def inspiration_cues(image: RGBImage) -> InspirationCues:
    hint = style_hint([image], k=_COLORS)
    colors = _distinct([rgb_to_hex(c * 255) for c in hint.colors]) if hint else []
    h, w = image.shape[:2]
    scale = _EDGE_SIDE / max(h, w, 1)
    small = cv2.resize(
        image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
    )
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    edges = cv2.Canny(gray, 60, 160)
    share = float(np.count_nonzero(edges)) / edges.size
    density = (share - _AIRY_EDGES) / (_DENSE_EDGES - _AIRY_EDGES)
    return InspirationCues(colors=colors, density=round(min(1.0, max(0.0, density)), 3))
