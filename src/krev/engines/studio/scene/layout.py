"""Where the products stand: a layout solver for 1..N cutouts, the frame's aspect ratio and the
camera. Eye-level shots stand products on the floor below the wall line (a hero in front, the
others in a staggered row with gaps, so boxes never overlap); podium sets give each product a
podium; top-down shots lay products out on a grid. Scale is uniform per product (no warping).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Placement", "Podium", "solve_layout"]


@dataclass(frozen=True)
class Placement:
    index: int  # into the request's products
    x: int
    y: int
    width: int
    height: int
    depth: int  # draw order: lower first (further back)

    @property
    def base(self) -> int:
        """The row the product stands on (its box's bottom)."""
        return self.y + self.height

    @property
    def box(self) -> tuple[int, int, int, int]:
        return (self.x, self.y, self.width, self.height)


@dataclass(frozen=True)
class Podium:
    cx: float
    top: float  # the top ellipse's centre row (where the product stands)
    bottom: float  # where the podium meets the floor
    radius: float  # half width
    depth: int


@dataclass(frozen=True)
class LayoutStyle:
    camera: str  # eye_level | low_angle | close_up | top_down
    horizon: float | None  # wall/floor line, fraction of height
    podiums: bool
    shift: float  # horizontal offset of the arrangement, fraction of width
    scale: float  # overall size factor (variants)


def _fit(aspect: float, max_w: float, max_h: float) -> tuple[float, float]:
    """The largest (w, h) with w / h == aspect inside max_w x max_h."""
    h = min(max_h, max_w / aspect)
    return h * aspect, h


def _row_order(n: int) -> list[int]:
    """Slots left to right for products 0..n-1: the hero (0) in the middle, others around it."""
    slots: list[int] = [0]
    for i in range(1, n):
        if i % 2:
            slots.append(i)
        else:
            slots.insert(0, i)
    return slots


def _eye_level(
    aspects: list[float],
    width: int,
    height: int,
    style: LayoutStyle,
) -> tuple[list[Placement], list[Podium]]:
    horizon = style.horizon if style.horizon is not None else 0.58
    floor_h = 1.0 - horizon
    n = len(aspects)
    close = style.camera == "close_up"
    low = style.camera == "low_angle"
    base_frac = horizon + floor_h * (0.55 if not close else 0.72)
    if style.podiums:
        base_frac = horizon + floor_h * 0.05
    hero_h = height * (0.5 if not close else 0.64) * style.scale
    if low:
        hero_h *= 1.1
    if style.podiums:
        hero_h = height * 0.36 * style.scale
    # Never taller than the space above the base, keeping a margin at the top.
    hero_h = min(hero_h, height * (base_frac - 0.07))
    max_w_frac = 0.62 if n == 1 else 0.9
    gap = width * (0.035 if not style.podiums else 0.05)

    # Equal visual weight: products get similar areas (the hero a little more), so a wide
    # shoe does not dwarf a slim bottle. The hero's area is what a square product of hero_h
    # would cover.
    areas = [
        hero_h * hero_h * (0.62 if aspects[0] < 1 else 1.0) * (1.0 if i == 0 else 0.7)
        for i in range(n)
    ]
    heights = [min(math.sqrt(area / a), hero_h) for area, a in zip(areas, aspects, strict=True)]
    widths = [h * a for h, a in zip(heights, aspects, strict=True)]
    if n == 1:
        w, h = _fit(aspects[0], width * max_w_frac, heights[0])
        widths, heights = [w], [h]
    else:
        total = sum(widths) + gap * (n - 1)
        factor = min(1.0, width * max_w_frac / total)
        widths = [w * factor for w in widths]
        heights = [h * factor for h in heights]
        gap *= max(factor, 0.6)
    if style.podiums:
        # A podium is wider than its product, and the row must still fit.
        radii = [max(w * 0.68, width * 0.1) for w in widths]
        span = sum(2 * r for r in radii) + gap * (n - 1)
        if span > width * 0.94:
            factor = width * 0.94 / span
            widths = [w * factor for w in widths]
            heights = [h * factor for h in heights]
            radii = [r * factor for r in radii]
        slot_widths = [2 * r for r in radii]
    else:
        slot_widths = widths

    order = _row_order(n)
    total = sum(slot_widths[i] for i in order) + gap * (n - 1)
    left = (width - total) / 2 + style.shift * width
    left = min(max(left, width * 0.03), width * 0.97 - total)
    placements: list[Placement] = []
    podiums: list[Podium] = []
    cursor = left
    base_row = height * base_frac
    for slot, i in enumerate(order):
        cx = cursor + slot_widths[i] / 2
        cursor += slot_widths[i] + gap
        w, h = widths[i], heights[i]
        distance = abs(slot - order.index(0))
        # Products beside the hero stand a little further back (higher in the frame).
        base = base_row - (height * 0.035 * min(distance, 2) if n > 1 else 0.0)
        if style.podiums:
            podium_h = height * (0.26 - 0.05 * min(distance, 2))
            floor_row = height * (horizon + floor_h * (0.62 - 0.06 * min(distance, 2)))
            top = floor_row - podium_h
            base = top
            podiums.append(Podium(cx, top, floor_row, slot_widths[i] / 2, depth=-distance))
        x = round(cx - w / 2)
        y = round(base - h)
        y = max(y, round(height * 0.03))
        placements.append(
            Placement(i, x, y, max(1, round(w)), max(1, round(base - y)), depth=-distance)
        )
    return placements, podiums


def _top_down(
    aspects: list[float],
    width: int,
    height: int,
    style: LayoutStyle,
) -> list[Placement]:
    n = len(aspects)
    cols = max(1, math.ceil(math.sqrt(n * width / height)))
    rows = math.ceil(n / cols)
    cols = math.ceil(n / rows)
    area_w, area_h = width * 0.86, height * 0.86
    cell_w, cell_h = area_w / cols, area_h / rows
    fill = 0.62 if n == 1 else 0.76
    fill *= style.scale
    placements: list[Placement] = []
    for i, aspect in enumerate(aspects):
        r, c = divmod(i, cols)
        in_row = min(cols, n - r * cols)
        row_left = (width - in_row * cell_w) / 2
        cx = row_left + (c + 0.5) * cell_w + style.shift * width * 0.5
        cy = (height - rows * cell_h) / 2 + (r + 0.5) * cell_h
        # Stagger alternate cells a little so the lay looks arranged, not gridded.
        cy += cell_h * 0.05 * (1 if (r + c) % 2 else -1) * (n > 1)
        # Similar areas across products (see _eye_level), within the cell.
        side = min(cell_w, cell_h) * fill * 0.85
        w, h = _fit(
            aspect,
            min(cell_w * fill, side * math.sqrt(aspect)),
            min(cell_h * fill, side / math.sqrt(aspect)),
        )
        x = min(max(round(cx - w / 2), 0), width - round(w))
        y = min(max(round(cy - h / 2), 0), height - round(h))
        placements.append(Placement(i, x, y, max(1, round(w)), max(1, round(h)), depth=0))
    return placements


def solve_layout(
    aspects: list[float],
    width: int,
    height: int,
    style: LayoutStyle,
) -> tuple[list[Placement], list[Podium]]:
    """Boxes for products with these width/height ``aspects``, in drawing order."""
    if not aspects:
        if style.podiums and style.camera != "top_down":
            # The podium the prompt asked for, empty: nothing is invented to stand on it.
            horizon = style.horizon if style.horizon is not None else 0.58
            floor_row = height * (horizon + (1 - horizon) * 0.62)
            radius = min(width * 0.17, height * 0.2)
            cx = width / 2 + style.shift * width
            return [], [Podium(cx, floor_row - height * 0.24, floor_row, radius, 0)]
        return [], []
    if style.camera == "top_down":
        return _top_down(aspects, width, height, style), []
    placements, podiums = _eye_level(aspects, width, height, style)
    placements.sort(key=lambda p: p.depth)
    podiums.sort(key=lambda p: p.depth)
    return placements, podiums
