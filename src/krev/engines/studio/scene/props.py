"""Simple set dressing drawn with OpenCV: podiums (shaded cylinders), spheres, pebbles,
geometric blocks, potted plants and leaves, flowers, a fabric drape and water ripples. Props
are drawn into the free space beside the products and never over them; nothing is drawn where a
product would be when there is no product.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from krev.engines.studio.scene.layout import Placement, Podium

__all__ = ["PropContext", "draw_podium", "draw_props"]

# float32 arrays; typed loosely because OpenCV's stubs do not carry dtypes through.
FloatArray = npt.NDArray[Any]
Color = npt.NDArray[Any]  # a (3,) float32 RGB in [0, 1]
_SS = 4  # supersampling of masks (cv2 fractional coordinates, shift=2)


@dataclass(frozen=True)
class PropContext:
    width: int
    height: int
    horizon: float | None  # fraction of height; None for top-down
    side: float  # -1 key light from the left .. 1 from the right
    rng_seed: int


def _mask(shape: tuple[int, int]) -> npt.NDArray[np.uint8]:
    return np.zeros(shape, np.uint8)


def _pt(x: float, y: float) -> tuple[int, int]:
    return round(x * _SS), round(y * _SS)


def _paint(
    canvas: FloatArray, mask: npt.NDArray[np.uint8], color: FloatArray, x0: int, y0: int
) -> None:
    """Blend a (h, w, 3) color layer through an 8-bit mask at (x0, y0), clipped to the canvas."""
    h, w = mask.shape
    height, width = canvas.shape[:2]
    cx0, cy0 = max(0, x0), max(0, y0)
    cx1, cy1 = min(width, x0 + w), min(height, y0 + h)
    if cx1 <= cx0 or cy1 <= cy0:
        return
    a = mask[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0].astype(np.float32)[..., None] / 255.0
    c = color[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
    region = canvas[cy0:cy1, cx0:cx1]
    region += (c - region) * a


def _soft_shadow(
    canvas: FloatArray, cx: float, cy: float, rx: float, ry: float, strength: float, dx: float = 0.0
) -> None:
    pad = int(rx * 0.6 + ry * 2 + abs(dx)) + 4
    x0, y0 = int(cx - rx - pad), int(cy - ry - pad)
    w, h = int(2 * (rx + pad)), int(2 * (ry + pad))
    m: FloatArray = np.zeros((h, w), np.float32)
    cv2.ellipse(
        m, _pt(cx - x0 + dx, cy - y0), _pt(rx, ry), 0, 0, 360, strength, -1, cv2.LINE_AA, shift=2
    )
    m = np.asarray(cv2.GaussianBlur(m, (0, 0), max(1.0, ry * 0.6)), np.float32)
    height, width = canvas.shape[:2]
    cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(width, x0 + w), min(height, y0 + h)
    if cx1 > cx0 and cy1 > cy0:
        canvas[cy0:cy1, cx0:cx1] *= 1.0 - m[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0, None]


def _cylinder_shade(w: int, side: float) -> FloatArray:
    nx = np.linspace(-1.0, 1.0, max(w, 2), dtype=np.float32)
    nz = np.sqrt(np.clip(1 - nx * nx, 0, 1))
    out: FloatArray = 0.62 + 0.3 * np.clip(nx * side * 0.7 + nz * 0.75, 0, 1.2) + 0 * nx
    return out


def draw_podium(canvas: FloatArray, podium: Podium, color: Color, side: float) -> None:
    """A cylinder standing on the floor; its top ellipse is where a product stands."""
    r = podium.radius
    ry = r * 0.16
    _soft_shadow(canvas, podium.cx, podium.bottom, r * 1.05, ry * 1.1, 0.35, -side * r * 0.25)
    x0, y0 = int(podium.cx - r) - 2, int(podium.top - ry) - 2
    w, h = int(2 * r) + 4, int(podium.bottom - podium.top + 2 * ry) + 4
    body, top = _mask((h, w)), _mask((h, w))
    cx = podium.cx - x0
    cv2.rectangle(
        body,
        _pt(cx - r, podium.top - y0),
        _pt(cx + r, podium.bottom - y0),
        255,
        -1,
        cv2.LINE_AA,
        shift=2,
    )
    cv2.ellipse(
        body, _pt(cx, podium.bottom - y0), _pt(r, ry), 0, 0, 180, 255, -1, cv2.LINE_AA, shift=2
    )
    cv2.ellipse(top, _pt(cx, podium.top - y0), _pt(r, ry), 0, 0, 360, 255, -1, cv2.LINE_AA, shift=2)
    columns = np.clip((np.arange(w, dtype=np.float32) - (cx - r)) / (2 * r), 0.0, 1.0)
    shade = np.interp(columns, np.linspace(0, 1, 64), _cylinder_shade(64, side)).astype(np.float32)[
        None, :
    ]
    rows = np.linspace(1.0, 0.9, h, dtype=np.float32)[:, None]
    layer = color * (shade * rows)[..., None]
    _paint(canvas, body, layer, x0, y0)
    top_layer = np.broadcast_to(np.minimum(color * 1.1, 1.0), (h, w, 3)).astype(np.float32)
    _paint(canvas, top, top_layer, x0, y0)


def _ball(
    canvas: FloatArray,
    cx: float,
    cy: float,
    rx: float,
    ry: float,
    color: Color,
    side: float,
    gloss: float = 0.25,
) -> None:
    x0, y0 = int(cx - rx) - 2, int(cy - ry) - 2
    w, h = int(2 * rx) + 5, int(2 * ry) + 5
    mask = _mask((h, w))
    cv2.ellipse(mask, _pt(cx - x0, cy - y0), _pt(rx, ry), 0, 0, 360, 255, -1, cv2.LINE_AA, shift=2)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    nx = (xx - (cx - x0)) / rx
    ny = (yy - (cy - y0)) / ry
    nz = np.sqrt(np.clip(1 - nx * nx - ny * ny, 0, 1))
    lx, ly, lz = side * 0.6, -0.55, 0.6
    norm = math.sqrt(lx * lx + ly * ly + lz * lz)
    lambert = np.clip((nx * lx + ny * ly + nz * lz) / norm, 0, 1)
    spec = np.clip((nx * lx + ny * ly + nz * lz) / norm, 0, 1) ** 24 * gloss
    layer = color * (0.45 + 0.6 * lambert)[..., None] + spec[..., None]
    _paint(canvas, mask, np.clip(layer, 0, 1).astype(np.float32), x0, y0)


def _block(
    canvas: FloatArray, x: float, base: float, size: float, color: Color, side: float
) -> None:
    depth = size * 0.28
    dx = -depth if side > 0 else depth
    front = np.array([[x, base - size], [x + size, base - size], [x + size, base], [x, base]])
    top = np.array(
        [
            front[0],
            front[1],
            front[1] + [dx * 0.6, -depth * 0.5],
            front[0] + [dx * 0.6, -depth * 0.5],
        ]
    )
    flank_x = x if dx < 0 else x + size
    flank = np.array(
        [
            [flank_x, base - size],
            [flank_x + dx * 0.6, base - size - depth * 0.5],
            [flank_x + dx * 0.6, base - depth * 0.5],
            [flank_x, base],
        ]
    )
    _soft_shadow(canvas, x + size / 2, base, size * 0.62, size * 0.08, 0.4, -side * size * 0.2)
    x0, y0 = (
        int(min(front[:, 0].min(), top[:, 0].min(), flank[:, 0].min())) - 2,
        int(base - size - depth) - 2,
    )
    w, h = int(size + depth) + 6, int(size + depth) + 6
    for poly, tone in ((flank, 0.72), (front, 0.9), (top, 1.08)):
        mask = _mask((h, w))
        pts = np.round((poly - [x0, y0]) * _SS).astype(np.int32)
        cv2.fillPoly(mask, [pts], 255, cv2.LINE_AA, shift=2)
        layer = np.broadcast_to(np.clip(color * tone, 0, 1), (h, w, 3)).astype(np.float32)
        _paint(canvas, mask, layer, x0, y0)


def _leaf_poly(cx: float, cy: float, length: float, angle: float) -> npt.NDArray[np.float64]:
    t = np.linspace(0, 1, 14)
    half = np.sin(np.pi * t) * length * 0.22
    xs = np.concatenate([t, t[::-1]]) * length
    ys = np.concatenate([half, -half[::-1]])
    ca, sa = math.cos(angle), math.sin(angle)
    return np.stack([cx + xs * ca - ys * sa, cy + xs * sa + ys * ca], 1)


def _plant(
    canvas: FloatArray,
    cx: float,
    base: float,
    size: float,
    rng: np.random.Generator,
    pot_color: Color | None,
    side: float,
) -> None:
    green = np.array([0.24, 0.42, 0.22], np.float32)
    top_y = base
    if pot_color is not None:
        pot_w, pot_h = size * 0.36, size * 0.3
        _soft_shadow(canvas, cx, base, pot_w * 0.6, pot_w * 0.1, 0.4, -side * pot_w * 0.3)
        podium = Podium(cx, base - pot_h, base, pot_w / 2, 0)
        draw_podium(canvas, podium, pot_color, side)
        top_y = base - pot_h
    x0, y0 = int(cx - size), int(top_y - size * 1.2)
    w, h = int(2 * size), int(size * 1.2) + 2
    # All leaves go into one mask and one tone map, painted once (later leaves on top).
    mask = _mask((h, w))
    tones = np.zeros((h, w), np.float32)
    for i in range(11):
        angle = -math.pi / 2 + rng.uniform(-1.1, 1.1)
        length = size * rng.uniform(0.45, 0.8)
        stem_end = (cx + math.cos(angle) * length * 0.5, top_y + math.sin(angle) * length * 0.5)
        tone = 0.75 + 0.5 * (i / 10) * rng.uniform(0.7, 1.0)
        stem = (_pt(cx - x0, top_y - y0), _pt(stem_end[0] - x0, stem_end[1] - y0))
        thickness = max(1, int(size * 0.012)) * _SS
        leaf = _leaf_poly(
            stem_end[0] - x0, stem_end[1] - y0, length * 0.6, angle + rng.uniform(-0.4, 0.4)
        )
        pts = [np.round(leaf * _SS).astype(np.int32)]
        for target, value in ((mask, 255), (tones, tone)):
            cv2.line(target, *stem, value, thickness, cv2.LINE_AA, shift=2)
            cv2.fillPoly(
                target, pts, value, cv2.LINE_8 if target is tones else cv2.LINE_AA, shift=2
            )
    layer = np.clip(green * tones[..., None], 0, 1).astype(np.float32)
    _paint(canvas, mask, layer, x0, y0)


def _flowers(
    canvas: FloatArray,
    cx: float,
    cy: float,
    size: float,
    color: Color,
    rng: np.random.Generator,
    side: float,
) -> None:
    for _ in range(5):
        fx, fy = cx + rng.uniform(-1, 1) * size, cy + rng.uniform(-0.5, 0.5) * size
        r = size * rng.uniform(0.18, 0.28)
        for k in range(6):
            a = k * math.pi / 3 + rng.uniform(0, 0.3)
            _ball(
                canvas,
                fx + math.cos(a) * r * 0.7,
                fy + math.sin(a) * r * 0.7,
                r * 0.55,
                r * 0.55,
                color,
                side,
                gloss=0.05,
            )
        _ball(
            canvas, fx, fy, r * 0.35, r * 0.35, np.array([0.93, 0.78, 0.3], np.float32), side, 0.05
        )


def _drape(canvas: FloatArray, ctx: PropContext, color: Color, rng: np.random.Generator) -> None:
    w, h = ctx.width, ctx.height
    start = h * (0.78 if ctx.horizon is not None else 0.7)
    xs = np.linspace(0, w, 64)
    edge = (
        start
        + h * 0.05 * np.sin(xs / w * 2 * math.pi * 1.5 + rng.uniform(0, 6))
        - xs / w * h * 0.12
    )
    poly = np.concatenate([np.stack([xs, edge], 1), [[w, h], [0, h]]])
    mask = _mask((h, w))
    cv2.fillPoly(mask, [np.round(poly * _SS).astype(np.int32)], 255, cv2.LINE_AA, shift=2)
    xx = np.arange(w, dtype=np.float32)[None, :] / w
    yy = np.arange(h, dtype=np.float32)[:, None] / h
    folds = 0.82 + 0.18 * np.sin((xx * 3.0 + yy * 1.5) * 2 * math.pi + np.sin(xx * 5.0) * 1.2)
    layer = (color * folds[..., None]).astype(np.float32)
    shadow = cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (0, 0), h * 0.01)
    canvas *= 1.0 - 0.25 * np.roll(shadow, -int(h * 0.01), axis=0)[..., None]
    _paint(canvas, mask, layer, 0, 0)


def _ripples(canvas: FloatArray, ctx: PropContext, places: list[Placement]) -> None:
    centres: list[tuple[float, float, float]] = [
        (
            p.x + p.width / 2,
            p.base if ctx.horizon is not None else p.y + p.height / 2,
            max(p.width, p.height),
        )
        for p in places
    ] or [(ctx.width / 2, ctx.height * 0.7, float(ctx.width) * 0.3)]
    squash = 0.28 if ctx.horizon is not None else 1.0
    layer: FloatArray = np.zeros(canvas.shape[:2], np.float32)
    for cx, cy, size in centres:
        for k in range(1, 5):
            r = size * (0.45 + 0.28 * k)
            cv2.ellipse(
                layer,
                _pt(cx, cy),
                _pt(r, r * squash),
                0,
                0,
                360,
                0.5 / k,
                max(1, int(size * 0.01)) * _SS // 2,
                cv2.LINE_AA,
                shift=2,
            )
    layer = np.asarray(cv2.GaussianBlur(layer, (0, 0), 1.5), np.float32)
    canvas += layer[..., None] * np.float32(0.35)


def _pebbles(
    canvas: FloatArray,
    x: float,
    base: float,
    size: float,
    rng: np.random.Generator,
    side: float,
    top_down: bool,
) -> None:
    """A loose cluster of pebbles of different sizes and grays, none overlapping much."""
    placed: list[tuple[float, float, float]] = []
    for _ in range(12):
        if len(placed) == 4:
            break
        r = size * rng.uniform(0.12, 0.26)
        px = x + rng.uniform(-0.6, 0.6) * size
        py = base + rng.uniform(-0.25, 0.15) * size * (1.0 if top_down else 0.4)
        if any(math.hypot(px - qx, (py - qy) * 1.6) < (r + qr) * 0.95 for qx, qy, qr in placed):
            continue
        placed.append((px, py, r))
    # Far pebbles first, so nearer ones overlap them.
    for px, py, r in sorted(placed, key=lambda p: p[1]):
        ry = r * rng.uniform(0.5, 0.62) if not top_down else r * rng.uniform(0.7, 0.9)
        stone = np.array([0.56, 0.54, 0.51], np.float32) * rng.uniform(0.7, 1.15)
        _soft_shadow(canvas, px, py, r, ry * 0.35, 0.4, -side * r * 0.3)
        lift = ry * 0.75 if not top_down else 0.0
        _ball(canvas, px, py - lift, r, ry, np.clip(stone, 0, 1), side, gloss=0.08)


def _free_slots(
    ctx: PropContext,
    places: list[Placement],
    count: int,
) -> list[tuple[float, float, float]]:
    """(x, base, size) spots for props beside the products, nearest the frame edges."""
    w, h = ctx.width, ctx.height
    if places:
        left = min(p.x for p in places)
        right = max(p.x + p.width for p in places)
        ref = max(p.height for p in places)
    else:
        left, right, ref = round(w * 0.42), round(w * 0.58), round(h * 0.35)  # no product
    floor_top = h * (ctx.horizon if ctx.horizon is not None else 0.0)
    slots: list[tuple[float, float, float]] = []
    gaps = [(0.0, left), (right, float(w))]
    gaps.sort(key=lambda g: g[0] - g[1])  # widest first
    for i in range(count):
        g0, g1 = gaps[i % 2]
        room = g1 - g0
        size = min(ref * 0.55, room * 0.7, h * 0.3)
        if size < h * 0.04:
            continue
        x = (g0 + g1) / 2 + (room * 0.12 if i >= 2 else 0) * (1 if g0 > 0 else -1)
        depth = 0.55 if i < 2 else 0.3
        base = (
            floor_top + (h - floor_top) * depth
            if ctx.horizon is not None
            else h * (0.25 + 0.5 * ((i * 0.37) % 1))
        )
        slots.append((x, base, size * (1.0 if i < 2 else 0.7)))
    return slots


def draw_props(
    canvas: FloatArray,
    ctx: PropContext,
    props: list[str],
    places: list[Placement],
    colors: tuple[Color, ...],
) -> list[str]:
    """Draw the requested props (except podiums, drawn with the layout) and say which."""
    rng = np.random.default_rng(ctx.rng_seed)
    drawn: list[str] = []
    wanted = [p for p in props if p != "podium"]
    if "fabric_drape" in wanted:
        _drape(canvas, ctx, colors[0] if colors else np.array([0.9, 0.88, 0.85], np.float32), rng)
        drawn.append("fabric_drape")
    if "ripples" in wanted:
        _ripples(canvas, ctx, places)
        drawn.append("ripples")
    standing = [p for p in wanted if p in ("plants", "flowers", "stones", "blocks", "sphere")]
    slots = _free_slots(ctx, places, 2 * len(standing))
    for n, (x, base, size) in enumerate(slots):
        kind = standing[n % len(standing)]
        color = colors[n % len(colors)] if colors else np.array([0.8, 0.8, 0.8], np.float32)
        top_down = ctx.horizon is None
        if kind == "plants":
            if top_down:
                # A sprig seen from above: leaves radiating from one point.
                x0, y0 = int(x - size), int(base - size)
                roi = (int(2 * size) + 2, int(2 * size) + 2)
                for k in range(7):
                    leaf_len = size * rng.uniform(0.5, 0.9)
                    angle = rng.uniform(0, 2 * math.pi)
                    mask = _mask(roi)
                    poly = _leaf_poly(x - x0, base - y0, leaf_len, angle)
                    cv2.fillPoly(
                        mask, [np.round(poly * _SS).astype(np.int32)], 255, cv2.LINE_AA, shift=2
                    )
                    green = np.array([0.22, 0.4, 0.2], np.float32) * (0.8 + 0.06 * k)
                    _paint(
                        canvas, mask, np.broadcast_to(green, (*roi, 3)).astype(np.float32), x0, y0
                    )
            else:
                _plant(canvas, x, base, size * 1.3, rng, color, ctx.side)
        elif kind == "flowers":
            _flowers(
                canvas,
                x,
                base - (0 if top_down else size * 0.2),
                size * 0.5,
                np.array([0.96, 0.8, 0.84], np.float32),
                rng,
                ctx.side,
            )
        elif kind == "stones":
            _pebbles(canvas, x, base, size, rng, ctx.side, top_down)
        elif kind == "blocks":
            _block(canvas, x - size * 0.4, base, size * 0.8, color, ctx.side)
        else:  # sphere
            r = size * 0.35
            _soft_shadow(canvas, x, base, r * 0.9, r * 0.18, 0.45, -ctx.side * r * 0.3)
            _ball(canvas, x, base - (r if not top_down else 0), r, r, color, ctx.side)
        drawn.append(kind)
    return list(dict.fromkeys(drawn))
