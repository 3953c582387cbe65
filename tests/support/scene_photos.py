"""Tuning photos the studio set lacks: products in busy lifestyle scenes and white products on
white sweeps, with the product's true coverage (issue 12).

Every photo is a pure function of its index (a seeded RNG). A busy scene is what e-commerce
and lifestyle shots put behind a product: a wooden tabletop with grain, marble, a tiled wall,
linen, concrete, brick, foliage, a bokeh of lights, patterned wallpaper, a kitchen counter with
other objects; the backdrop in focus or defocused, the surface sharp near the product and
softening away from it, props at the frame's edge. The product (bottles, boxes, jars, bags,
shoes, mugs and totes with see-through holes, pairs with a gap between them) is placed off
centre, large or small, with a contact shadow and a cast shadow; the capture adds a color cast,
vignetting, low light, sensor noise and JPEG damage. White-sweep photos put a white or
near-white product on a white or light-grey sweep with soft shadows. The product's coverage is
rendered at 4x and area-downsampled; the true mask is "coverage >= 0.5".
"""

from __future__ import annotations

import io
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from tests.support.color_truth import accepted_colors
from tests.support.product_photos import (
    BRANDS,
    HOLED,
    PRODUCTS,
    FloatImage,
    ProductKind,
    ProductPhoto,
    _holed_shape,
    _polygon_mask,
    _product_color,
    _product_shape,
)

Scene = Literal[
    "wood",
    "marble",
    "tiles",
    "linen",
    "concrete",
    "brick",
    "foliage",
    "bokeh",
    "wallpaper",
    "counter",
    "sweep",
]
BUSY_SCENES: tuple[Scene, ...] = (
    "wood",
    "marble",
    "tiles",
    "linen",
    "concrete",
    "brick",
    "foliage",
    "bokeh",
    "wallpaper",
    "counter",
)
SHAPES = (*PRODUCTS, *HOLED, "pair")

_SUPERSAMPLE = 4


def _smooth_noise(rng: np.random.Generator, s: int, cells: int) -> FloatImage:
    grid = rng.normal(0, 1, (cells + 1, cells + 1)).astype(np.float32)
    return np.asarray(cv2.resize(grid, (s, s), interpolation=cv2.INTER_CUBIC), np.float32)


def _fbm(rng: np.random.Generator, s: int, base_cells: int = 3, octaves: int = 5) -> FloatImage:
    total = np.zeros((s, s), np.float32)
    amplitude = 1.0
    for octave in range(octaves):
        cells = min(s // 2, base_cells * 2**octave)
        total += amplitude * _smooth_noise(rng, s, cells)
        amplitude *= 0.5
    return total / 1.6


def _hsv(h: float, s: float, v: float) -> npt.NDArray[np.float32]:
    pixel = np.array([[[h % 180, np.clip(s, 0, 255), np.clip(v, 0, 255)]]], np.uint8)
    return cv2.cvtColor(pixel, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32) / 255.0


def _wood(rng: np.random.Generator, s: int) -> FloatImage:
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) / s
    vertical = rng.uniform() < 0.3
    across, along = (xx, yy) if vertical else (yy, xx)
    tones = [(0.74, 0.58, 0.40), (0.42, 0.28, 0.17), (0.62, 0.60, 0.56), (0.83, 0.70, 0.52)]
    base = np.array(tones[rng.integers(len(tones))], np.float32) * rng.uniform(0.9, 1.08)
    warp = _fbm(rng, s, 2, 4)
    rings = np.sin(2 * np.pi * (across * rng.uniform(25, 70) + 0.8 * warp + 0.1 * along))
    streaks = _smooth_noise(rng, s, 40) * 0.3
    plank_w = rng.uniform(0.14, 0.35)
    plank = np.floor((across + rng.uniform()) / plank_w)
    tint = (np.sin(plank * 12.9898) * 43758.5453) % 1.0  # a tint per plank
    seam = np.abs(((across + rng.uniform()) / plank_w) % 1.0 - 0.0) < 0.012
    value = 0.86 + 0.09 * rings + 0.05 * streaks + 0.14 * (tint - 0.5)
    value = value * np.where(seam, 0.55, 1.0)
    return base * value[..., None]


def _marble(rng: np.random.Generator, s: int) -> FloatImage:
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) / s
    tones = [(0.93, 0.92, 0.9), (0.85, 0.85, 0.86), (0.16, 0.16, 0.17), (0.35, 0.45, 0.4)]
    base = np.array(tones[rng.integers(len(tones))], np.float32)
    vein_color = np.array([0.45, 0.45, 0.47], np.float32) if base.mean() > 0.5 else np.full(3, 0.8)
    angle = rng.uniform(0, np.pi)
    t = np.cos(angle) * xx + np.sin(angle) * yy
    turbulence = _fbm(rng, s, 3, 6)
    vein = np.abs(np.sin(2 * np.pi * (t * rng.uniform(2, 5) + 1.2 * turbulence)))
    vein = np.exp(-vein / rng.uniform(0.04, 0.12)).astype(np.float32)
    cloud = 1.0 + 0.04 * _fbm(rng, s, 4, 4)
    img = base * cloud[..., None]
    return img * (1 - 0.7 * vein[..., None]) + vein_color * 0.7 * vein[..., None]


def _tiles(rng: np.random.Generator, s: int) -> FloatImage:
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32)
    tile_h = s * rng.uniform(0.06, 0.16)
    tile_w = tile_h * (2.0 if rng.uniform() < 0.5 else 1.0)  # subway or square
    row = np.floor(yy / tile_h)
    shift = np.where(row % 2 == 1, 0.5 * tile_w, 0.0) if tile_w > tile_h else 0.0
    col = np.floor((xx + shift) / tile_w)
    hue = rng.uniform(0, 180)
    base = _hsv(hue, rng.uniform(0, 140), rng.uniform(120, 245))
    jitter = ((np.sin(row * 12.9898 + col * 78.233) * 43758.5453) % 1.0 - 0.5).astype(np.float32)
    grout_px = max(1.0, s * rng.uniform(0.004, 0.01))
    gy = np.minimum(yy % tile_h, tile_h - yy % tile_h)
    gx = np.minimum((xx + shift) % tile_w, tile_w - (xx + shift) % tile_w)
    grout = (gy < grout_px / 2) | (gx < grout_px / 2)
    grout_color = np.full(3, rng.choice([0.25, 0.85]), np.float32)
    sheen = 1.0 + 0.06 * np.sin((yy % tile_h) / tile_h * np.pi)
    img = base * (1.0 + 0.12 * jitter)[..., None] * sheen[..., None]
    return np.where(grout[..., None], grout_color, img)


def _linen(rng: np.random.Generator, s: int) -> FloatImage:
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32)
    base = _hsv(rng.uniform(5, 40), rng.uniform(15, 80), rng.uniform(150, 225))
    if rng.uniform() < 0.3:
        base = _hsv(rng.uniform(0, 180), rng.uniform(40, 120), rng.uniform(90, 200))
    period = rng.uniform(2.5, 5.0) * s / 512
    weave = 0.5 * np.sin(2 * np.pi * xx / period) * np.sin(2 * np.pi * yy / period)
    fibres = cv2.GaussianBlur(
        rng.normal(0, 1, (s, s)).astype(np.float32), (0, 0), sigmaX=6, sigmaY=0.6
    )
    folds = _fbm(rng, s, 2, 3)
    value = 1.0 + 0.05 * weave + 0.12 * fibres + 0.12 * folds
    return base * value[..., None]


def _concrete(rng: np.random.Generator, s: int) -> FloatImage:
    base = np.full(3, rng.uniform(0.45, 0.75), np.float32) + rng.normal(0, 0.02, 3).astype(
        np.float32
    )
    speckle = cv2.GaussianBlur(rng.normal(0, 1, (s, s)).astype(np.float32), (0, 0), 0.7)
    pits = (rng.uniform(0, 1, (s, s)) < 0.004).astype(np.float32)
    pits = np.asarray(cv2.GaussianBlur(pits, (0, 0), 1.0) * 4, np.float32)
    value = 1.0 + 0.1 * _fbm(rng, s, 3, 6) + 0.06 * speckle - 0.3 * pits
    return base * value[..., None]


def _brick(rng: np.random.Generator, s: int) -> FloatImage:
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32)
    brick_h = s * rng.uniform(0.05, 0.09)
    brick_w = brick_h * rng.uniform(2.2, 3.0)
    row = np.floor(yy / brick_h)
    shift = np.where(row % 2 == 1, 0.5 * brick_w, 0.0)
    col = np.floor((xx + shift) / brick_w)
    jitter = ((np.sin(row * 12.9898 + col * 78.233) * 43758.5453) % 1.0 - 0.5).astype(np.float32)
    painted = rng.uniform() < 0.35
    base = np.full(3, 0.9, np.float32) if painted else _hsv(rng.uniform(2, 14), 150, 150)
    mortar = max(1.5, s * 0.008)
    gy = np.minimum(yy % brick_h, brick_h - yy % brick_h)
    gx = np.minimum((xx + shift) % brick_w, brick_w - (xx + shift) % brick_w)
    joint = (gy < mortar / 2) | (gx < mortar / 2)
    grain = (
        1.0 + 0.08 * _fbm(rng, s, 8, 4) + (0.05 if painted else 0.25) * jitter[..., None][..., 0]
    )
    img = base * grain[..., None]
    return np.where(joint[..., None], np.float32(0.8 if not painted else 0.75) * np.ones(3), img)


def _foliage(rng: np.random.Generator, s: int) -> FloatImage:
    img = np.zeros((s, s, 3), np.float32) + _hsv(rng.uniform(40, 70), 150, 60)
    canvas = (img * 255).astype(np.uint8)
    for _ in range(int(rng.integers(90, 180))):
        green = _hsv(rng.uniform(30, 80), rng.uniform(90, 230), rng.uniform(50, 220))
        center = (int(rng.uniform(-0.05, 1.05) * s), int(rng.uniform(-0.05, 1.05) * s))
        axes = (int(s * rng.uniform(0.03, 0.09)), int(s * rng.uniform(0.012, 0.03)))
        angle = float(rng.uniform(0, 180))
        color = tuple(int(c * 255) for c in green)
        cv2.ellipse(canvas, center, axes, angle, 0, 360, color, -1, cv2.LINE_AA)
        rib = tuple(min(255, int(c * 255 * 1.25)) for c in green)
        cv2.ellipse(canvas, center, (axes[0], 1), angle, 0, 360, rib, 1, cv2.LINE_AA)
    return canvas.astype(np.float32) / 255.0


def _bokeh(rng: np.random.Generator, s: int) -> FloatImage:
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) / s
    dark = _hsv(rng.uniform(0, 180), rng.uniform(40, 200), rng.uniform(25, 110))
    light = _hsv(rng.uniform(0, 180), rng.uniform(20, 160), rng.uniform(90, 200))
    t = np.clip(yy + 0.3 * _smooth_noise(rng, s, 2), 0, 1)
    img = dark * (1 - t[..., None]) + light * t[..., None]
    spots = np.zeros((s, s, 3), np.float32)
    warm = rng.uniform(0, 180)
    for _ in range(int(rng.integers(15, 45))):
        color = _hsv(warm + rng.normal(0, 15), rng.uniform(30, 200), 255)
        radius = s * rng.uniform(0.02, 0.08)
        cx, cy = rng.uniform(0, 1) * s, rng.uniform(0, 1) * s
        disc = ((xx * s - cx) ** 2 + (yy * s - cy) ** 2 < radius**2).astype(np.float32)
        spots += disc[..., None] * color * rng.uniform(0.2, 0.6)
    spots = np.asarray(cv2.GaussianBlur(spots, (0, 0), s * 0.004), np.float32)
    return img + spots


def _wallpaper(rng: np.random.Generator, s: int) -> FloatImage:
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) / s
    ground = _hsv(rng.uniform(0, 180), rng.uniform(20, 120), rng.uniform(150, 240))
    ink = _hsv(rng.uniform(0, 180), rng.uniform(60, 200), rng.uniform(60, 200))
    style = rng.integers(3)
    period = rng.uniform(0.05, 0.14)
    if style == 0:  # stripes
        motif = (np.sin(2 * np.pi * xx / period) > 0.3).astype(np.float32)
    elif style == 1:  # dots on a half-drop grid
        row = np.floor(yy / period)
        fx = (xx / period + 0.5 * (row % 2)) % 1.0 - 0.5
        fy = (yy / period) % 1.0 - 0.5
        motif = (fx * fx + fy * fy < 0.09).astype(np.float32)
    else:  # a diamond lattice with a motif in each cell
        u, v = (xx + yy) / period, (xx - yy) / period
        lattice = (np.abs(u % 1.0 - 0.5) < 0.06) | (np.abs(v % 1.0 - 0.5) < 0.06)
        flower = np.abs(np.sin(3 * np.arctan2(v % 1.0 - 0.5, u % 1.0 - 0.5)))
        r = np.hypot(u % 1.0 - 0.5, v % 1.0 - 0.5)
        motif = (lattice | (r < 0.12 + 0.1 * flower) & (r > 0.05)).astype(np.float32)
    motif = cv2.GaussianBlur(motif, (0, 0), 0.6)
    return ground * (1 - motif[..., None]) + ink * motif[..., None]


def _clutter(rng: np.random.Generator, s: int, backdrop: FloatImage) -> FloatImage:
    """Other kitchen or shelf objects on ``backdrop``: jars, bowls, plants, boards."""
    canvas = (np.clip(backdrop, 0, 1) * 255).astype(np.uint8).copy()
    for _ in range(int(rng.integers(4, 9))):
        color = tuple(int(c * 255) for c in _product_color(rng, rng.uniform() < 0.3))
        x = int(rng.uniform(-0.1, 1.1) * s)
        w, h = int(s * rng.uniform(0.08, 0.25)), int(s * rng.uniform(0.1, 0.5))
        base_y = int(s * rng.uniform(0.55, 1.0))
        if rng.uniform() < 0.5:
            cv2.rectangle(canvas, (x - w // 2, base_y - h), (x + w // 2, base_y), color, -1)
        else:
            cv2.ellipse(canvas, (x, base_y - h // 2), (w // 2, h // 2), 0, 0, 360, color, -1)
    return canvas.astype(np.float32) / 255.0


_TEXTURES = {
    "wood": _wood,
    "marble": _marble,
    "tiles": _tiles,
    "linen": _linen,
    "concrete": _concrete,
    "brick": _brick,
    "foliage": _foliage,
    "bokeh": _bokeh,
    "wallpaper": _wallpaper,
}
_SURFACES = ("wood", "marble", "linen", "concrete")


def _busy_scene(scene: Scene, s: int, rng: np.random.Generator) -> tuple[FloatImage, float | None]:
    """The scene without the product, and the horizon row where a table meets the wall (None
    for a flat lay or a backdrop that fills the frame)."""
    if scene == "counter":
        wall = _TEXTURES[str(rng.choice(["tiles", "brick", "wallpaper"]))](rng, s)
        backdrop = _clutter(rng, s, wall)
        backdrop = np.asarray(
            cv2.GaussianBlur(backdrop, (0, 0), s * rng.uniform(0.006, 0.02)), np.float32
        )
        surface = _TEXTURES[str(rng.choice(["wood", "marble"]))](rng, s)
        horizon = s * rng.uniform(0.45, 0.7)
    elif scene in ("foliage", "bokeh", "wallpaper", "brick", "tiles") and rng.uniform() < 0.6:
        backdrop = _TEXTURES[scene](rng, s)
        blur = rng.choice([0.0, 0.0, 0.004, 0.012, 0.025]) * s
        if scene == "bokeh":
            blur = max(blur, 0.006 * s)
        if blur:
            backdrop = np.asarray(cv2.GaussianBlur(backdrop, (0, 0), float(blur)), np.float32)
        surface = _TEXTURES[str(rng.choice(_SURFACES))](rng, s)
        horizon = s * rng.uniform(0.5, 0.8)
    elif scene in _SURFACES or scene in ("tiles", "brick"):
        # A flat lay, or the product standing on a surface that fills the frame.
        return _TEXTURES[scene](rng, s), None
    else:
        defocused = cv2.GaussianBlur(_TEXTURES[scene](rng, s), (0, 0), s * 0.003 + 0.5)
        return np.asarray(defocused, np.float32), None
    # The surface recedes: darker and softer towards the horizon.
    yy = np.arange(s, dtype=np.float32)[:, None, None]
    depth = np.clip((yy - horizon) / (s - horizon + 1), 0, 1)
    soft = cv2.GaussianBlur(surface, (0, 0), s * 0.01)
    surface = surface * depth + soft * (1 - depth)
    surface = surface * (0.85 + 0.15 * depth)
    edge = np.clip((yy - horizon) / (0.004 * s + 0.5) + 0.5, 0, 1)
    return backdrop * (1 - edge) + surface * edge, horizon


def _sweep(rng: np.random.Generator, s: int) -> FloatImage:
    """A white or light-grey paper sweep: bright, with a soft fall-off and a vignette."""
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) / s
    level = rng.uniform(0.88, 1.0)
    tint = 1.0 + rng.normal(0, 0.008, 3).astype(np.float32)
    fall = 1.0 - rng.uniform(0.0, 0.08) * np.clip(yy - rng.uniform(0.3, 0.7), 0, 1) * 2
    vignette = 1.0 - rng.uniform(0.0, 0.12) * ((xx - 0.5) ** 2 + (yy - 0.5) ** 2) * 2
    return np.clip(level * tint * (fall * vignette)[..., None], 0, 1)


def _shape_coverage(
    kind: str, big: int, rng: np.random.Generator
) -> tuple[FloatImage, tuple[float, float, float, float] | None]:
    """The product's coverage on a ``big`` canvas (centred, canonical size) and its label band."""
    if kind in HOLED:
        coverage, _ = _holed_shape(kind, big)
        return coverage, None
    if kind == "pair":
        # Two bottles side by side: the gap between them is background.
        left, band = _product_shape("bottle", float(big), rng)
        right, _ = _product_shape("bottle", float(big), rng)
        lower = np.array([0.0, big * 0.13])
        right = [p * 0.85 + lower for p in right]  # the smaller one stands beside
        left_edge = max(float(p[:, 0].max()) for p in left)
        right_edge = min(float(p[:, 0].min()) for p in right)
        gap = big * rng.uniform(0.03, 0.08)
        offset = left_edge + gap - right_edge
        left_shift = np.array([big * 0.15, 0.0])
        right_shift = np.array([offset - big * 0.15, 0.0])
        polys = [p - left_shift for p in left] + [p + right_shift for p in right]
        band = (band[0] - big * 0.15, band[1], band[2] - big * 0.15, band[3])
        return _polygon_mask((big, big), polys), band
    polys, band = _product_shape(kind, float(big), rng)  # type: ignore[arg-type]
    return _polygon_mask((big, big), polys), band


def _placement(
    coverage_big: FloatImage, size: int, rng: np.random.Generator, busy: bool
) -> npt.NDArray[np.float32]:
    """An affine map from the canonical canvas to the photo (at 1x): scale and offset."""
    ys, xs = np.nonzero(coverage_big > 0.5)
    big = coverage_big.shape[0]
    x0, x1, y0, y1 = xs.min() / big, xs.max() / big, ys.min() / big, ys.max() / big
    extent = max(x1 - x0, y1 - y0)
    target = rng.uniform(0.3, 0.9) if busy else rng.uniform(0.35, 0.85)
    scale = target / extent
    width, height = (x1 - x0) * scale, (y1 - y0) * scale
    margin = 0.04
    left = rng.uniform(margin, max(margin, 1 - margin - width))
    top = rng.uniform(margin, max(margin, 1 - margin - height))
    if rng.uniform() < (0.3 if busy else 0.6):  # centred, as most packshots are
        left, top = (1 - width) / 2, (1 - height) / 2
    tx, ty = (left - x0 * scale) * size, (top - y0 * scale) * size
    return np.array([[scale, 0, tx], [0, scale, ty]], np.float32)


def _appearance(
    kind: str,
    size: int,
    band: tuple[float, float, float, float] | None,
    color: npt.NDArray[np.float32],
    coverage: FloatImage,
    rng: np.random.Generator,
    index: int,
    white: bool,
) -> tuple[FloatImage, str]:
    """The product's colors on the canonical canvas (at 1x) and the brand printed on it."""
    xx = np.linspace(0.0, 1.0, size, dtype=np.float32)
    _, cols = np.nonzero(coverage > 0)
    lo, hi = cols.min() / size, (cols.max() + 1) / size
    across = np.clip((xx - lo) / max(hi - lo, 1e-3), 0, 1)
    light = rng.uniform(-0.3, 0.3)
    shade_lo = 0.82 if white else rng.uniform(0.55, 0.8)
    shading = shade_lo + (1.04 - shade_lo) * (1.0 - 0.5 * (2 * across - 1.0 - light) ** 2)
    fg = np.broadcast_to(color * shading[None, :, None], (size, size, 3)).copy()
    if rng.uniform() < 0.4 and not white:  # a glossy highlight down the body
        glint = np.exp(-(((across - 0.5 - light * 0.5) / 0.04) ** 2))
        fg = fg + 0.35 * glint[None, :, None]
    if kind in ("bag", "tote") and rng.uniform() < 0.6:  # canvas or kraft fibres
        fg = fg * (1.0 + 0.06 * rng.normal(0, 1, (size, size, 1)).astype(np.float32))
    label_text = ""
    if band is not None and rng.uniform() < 0.8:
        label_text = BRANDS[index % len(BRANDS)]
        bx0, by0, bx1, by1 = (v / _SUPERSAMPLE for v in band)
        picture = Image.new("RGB", (size, size))
        draw = ImageDraw.Draw(picture)
        paper = _product_color(rng, rng.uniform() < 0.5)
        ink = (20, 20, 20) if paper.mean() > 0.5 else (245, 245, 245)
        draw.rectangle((bx0, by0, bx1, by1), fill=tuple(int(c * 255) for c in paper))
        font = ImageFont.load_default(size=max(8, int((by1 - by0) * 0.45)))
        draw.text(((bx0 + bx1) / 2, (by0 + by1) / 2), label_text, fill=ink, font=font, anchor="mm")
        inside = np.zeros((size, size), np.float32)
        inside[int(by0) : int(np.ceil(by1)), int(bx0) : int(np.ceil(bx1))] = 1.0
        inside *= coverage >= 0.999
        printed = np.asarray(picture, np.float32) / 255.0 * shading[None, :, None]
        fg = fg * (1 - inside[..., None]) + printed * inside[..., None]
    return np.clip(fg, 0, 1).astype(np.float32), label_text


def make_scene_photo(index: int, size: int = 512) -> ProductPhoto:
    """Scene photo number ``index``: three in four are busy scenes, the fourth a white product
    on a white sweep."""
    rng = np.random.default_rng(15485863 * index + 101)
    busy = index % 4 != 3
    scene: Scene = BUSY_SCENES[(index - (index + 1) // 4) % len(BUSY_SCENES)] if busy else "sweep"
    kind = SHAPES[int(rng.integers(len(SHAPES)))]
    white = not busy or rng.uniform() < 0.15
    big = size * _SUPERSAMPLE

    if busy:
        bg, horizon = _busy_scene(scene, size, rng)
    else:
        bg, horizon = _sweep(rng, size), None
    bg = np.clip(bg, 0, 1).astype(np.float32)

    canonical_big, band = _shape_coverage(kind, big, rng)
    place = _placement(canonical_big, size, rng, busy)
    if horizon is not None:
        # The product stands on the table, not on the wall behind it.
        rows = np.nonzero(canonical_big.any(axis=1))[0]
        base = place[1, 1] * rows.max() / _SUPERSAMPLE + place[1, 2]
        lowest = size * 0.97
        wanted = float(np.clip(base, horizon + 0.04 * size, lowest))
        place[1, 2] += wanted - base
    place_big = place.copy()
    place_big[:, 2] *= _SUPERSAMPLE
    coverage_big = cv2.warpAffine(canonical_big, place_big, (big, big), flags=cv2.INTER_LINEAR)
    coverage = np.asarray(cv2.resize(coverage_big, (size, size), interpolation=cv2.INTER_AREA))
    mask = coverage >= 0.5
    canonical = np.asarray(
        cv2.resize(canonical_big, (size, size), interpolation=cv2.INTER_AREA), np.float32
    )

    # Shadows: a tight contact shadow under the product's base and a soft cast shadow, both
    # darkening whatever is behind (so the truth never includes them).
    rows = np.nonzero(mask.any(axis=1))[0]
    cols = np.nonzero(mask.any(axis=0))[0]
    base_y = float(rows.max())
    contact = np.zeros((size, size), np.float32)
    cx = float(cols.mean())
    half = (cols.max() - cols.min()) / 2
    cv2.ellipse(
        contact,
        (int(cx), int(base_y)),
        (max(1, int(half * 0.95)), max(1, int(size * 0.012))),
        0,
        0,
        360,
        1.0,
        -1,
    )
    contact = np.asarray(cv2.GaussianBlur(contact, (0, 0), size * 0.008), np.float32)
    shear = rng.uniform(-0.6, 0.6)
    dx, dy = rng.uniform(-0.06, 0.06) * size, rng.uniform(0.0, 0.03) * size
    warp = np.array([[1, shear, dx - shear * base_y], [0, rng.uniform(0.3, 1.0), 0]], np.float32)
    warp[1, 2] = base_y * (1 - warp[1, 1]) + dy
    cast = cv2.warpAffine(coverage, warp, (size, size))
    cast = cv2.GaussianBlur(cast, (0, 0), rng.uniform(0.01, 0.035) * size)
    strength = rng.uniform(0.15, 0.4)
    darkening = np.clip(strength * cast + rng.uniform(0.2, 0.5) * contact, 0, 0.85)
    bg = (bg * (1.0 - darkening)[..., None]).astype(np.float32)
    shadow = (darkening > 0.06) & ~mask

    color = _product_color(rng, white)
    fg_canonical, label_text = _appearance(kind, size, band, color, canonical, rng, index, white)
    fg = cv2.warpAffine(fg_canonical, place, (size, size), borderMode=cv2.BORDER_REPLICATE)
    rim = coverage - cv2.erode(coverage, np.ones((3, 3), np.uint8))
    fg = fg * (1.0 - (0.04 if white else 0.08) * rim)[..., None]
    img = fg * coverage[..., None] + bg * (1 - coverage[..., None])

    # The capture: illumination fall-off, a color cast, low light, noise, JPEG.
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    vignette = 1.0 - rng.uniform(0.0, 0.25) * ((xx - 0.5) ** 2 + (yy - 0.5) ** 2) * 2
    cast_rgb = 1.0 + rng.normal(0, 0.03, 3).astype(np.float32)
    exposure = rng.uniform(0.35, 0.6) if busy and rng.uniform() < 0.2 else 1.0
    img = img * vignette[..., None] * cast_rgb * exposure
    noise_sigma = float(rng.choice([0.0, 2.0, 4.0, 6.0 if exposure < 1 else 3.0]))
    if noise_sigma:
        img = img + rng.normal(0, noise_sigma / 255.0, img.shape)
    out = np.clip(np.round(img * 255), 0, 255).astype(np.uint8)
    jpeg_quality: int | None = None
    if rng.uniform() < 0.8:
        jpeg_quality = int(rng.integers(55, 90))
        buffer = io.BytesIO()
        Image.fromarray(out).save(buffer, format="JPEG", quality=jpeg_quality)
        out = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"), np.uint8).copy()

    product: ProductKind = {"mug": "jar", "tote": "bag", "pair": "bottle"}.get(kind, kind)  # type: ignore[assignment]
    return ProductPhoto(
        index=index,
        image=out,
        mask=mask,
        shadow=shadow,
        label_text=label_text,
        background="busy" if busy else "white",
        product=product,
        white_product=white,
        jpeg_quality=jpeg_quality,
        noise_sigma=noise_sigma,
        colors=accepted_colors(color),
    )


def scene_set(n: int = 32, size: int = 512) -> list[ProductPhoto]:
    """The first ``n`` scene photos: every busy scene, and white products on white sweeps."""
    return [make_scene_photo(i, size) for i in range(n)]
