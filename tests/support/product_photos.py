"""Rendered product photos with known masks and label text, shared by tests and benchmarks.

Every photo is a pure function of its index: a seeded RNG picks the product (bottle, box, jar,
bag, shoe), its colors (white-on-white included), the studio background (white, gradient, colored,
textured), a soft cast shadow beside the product (never part of the mask), and the capture damage
(JPEG re-encoding, sensor noise). Shapes are rendered at 4x and area-downsampled, so edges carry
real anti-aliasing and the true mask is "coverage >= 0.5".
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from tests.support.color_truth import accepted_colors

BackgroundKind = Literal["white", "gradient", "colored", "textured"]
# What a photo's truth names its background: a studio kind, or a busy lifestyle scene
# (tests/support/scene_photos.py).
PhotoBackground = Literal[BackgroundKind, "busy"]
ProductKind = Literal["bottle", "box", "jar", "bag", "shoe"]

BACKGROUNDS: tuple[BackgroundKind, ...] = ("white", "gradient", "colored", "textured")
PRODUCTS: tuple[ProductKind, ...] = ("bottle", "box", "jar", "bag", "shoe")
BRANDS = ("AURA", "NOVA", "Lumen", "KORA", "Verde", "ZEST", "Halo", "ORBIT", "Moss", "PURE")

_SUPERSAMPLE = 4

FloatImage = npt.NDArray[np.float32]


@dataclass(frozen=True)
class ProductPhoto:
    index: int
    image: npt.NDArray[np.uint8]  # RGB, (size, size, 3)
    mask: npt.NDArray[np.bool_]  # the true product region
    shadow: npt.NDArray[np.bool_]  # where the cast shadow visibly darkens the background
    label_text: str  # brand text drawn on the product, or ""
    background: PhotoBackground
    product: ProductKind
    white_product: bool  # a near-white product (the hard white-on-white case when bg is light)
    jpeg_quality: int | None
    noise_sigma: float
    # Palette names a merchant would accept for the product's body color (empty: no color truth).
    colors: frozenset[str] = frozenset()


def _polygon_mask(shape: tuple[int, int], polys: list[npt.NDArray[np.float64]]) -> FloatImage:
    canvas = np.zeros(shape, np.uint8)
    for poly in polys:
        cv2.fillPoly(canvas, [np.round(poly).astype(np.int32)], 255)
    return canvas.astype(np.float32) / 255.0


def _rounded_rect(x0: float, y0: float, x1: float, y1: float, r: float) -> npt.NDArray[np.float64]:
    pts: list[tuple[float, float]] = []
    corners = (
        (x1 - r, y0 + r, -90),
        (x1 - r, y1 - r, 0),
        (x0 + r, y1 - r, 90),
        (x0 + r, y0 + r, 180),
    )
    for cx, cy, start in corners:
        for t in np.linspace(start, start + 90, 12):
            a = np.deg2rad(t)
            pts.append((cx + r * np.cos(a), cy + r * np.sin(a)))
    return np.array(pts)


def _ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 64) -> npt.NDArray[np.float64]:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def _product_shape(
    kind: ProductKind, s: float, rng: np.random.Generator
) -> tuple[list[npt.NDArray[np.float64]], tuple[float, float, float, float]]:
    """Polygons (in supersampled pixels) and the label band (x0, y0, x1, y1)."""
    cx = s * rng.uniform(0.42, 0.58)
    if kind == "bottle":
        w, h = s * rng.uniform(0.2, 0.3), s * rng.uniform(0.5, 0.62)
        top = s * 0.5 - h / 2 + s * 0.08
        body = _rounded_rect(cx - w / 2, top + h * 0.28, cx + w / 2, top + h, w * 0.18)
        shoulder = _ellipse(cx, top + h * 0.3, w / 2, h * 0.1)
        neck = _rounded_rect(cx - w * 0.17, top, cx + w * 0.17, top + h * 0.32, w * 0.05)
        band = (cx - w / 2, top + h * 0.5, cx + w / 2, top + h * 0.75)
        return [body, shoulder, neck], band
    if kind == "box":
        w, h = s * rng.uniform(0.3, 0.45), s * rng.uniform(0.35, 0.55)
        cy = s * 0.5
        angle = np.deg2rad(rng.uniform(-8, 8))
        corners = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        poly = corners @ rot.T + [cx, cy]
        # A visible top face gives the box some depth.
        depth = h * 0.08
        top_face = np.array(
            [poly[0], poly[1], poly[1] + [depth, -depth], poly[0] + [depth, -depth]]
        )
        band = (cx - w * 0.4, cy - h * 0.1, cx + w * 0.4, cy + h * 0.15)
        return [poly, top_face], band
    if kind == "jar":
        w, h = s * rng.uniform(0.32, 0.45), s * rng.uniform(0.3, 0.42)
        cy = s * 0.55
        body = _rounded_rect(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, w * 0.12)
        lid = _rounded_rect(cx - w * 0.45, cy - h / 2 - h * 0.22, cx + w * 0.45, cy - h / 2 + 2, 6)
        band = (cx - w / 2, cy - h * 0.15, cx + w / 2, cy + h * 0.25)
        return [body, lid], band
    if kind == "bag":
        w, h = s * rng.uniform(0.36, 0.48), s * rng.uniform(0.34, 0.45)
        cy = s * 0.56
        poly = np.array(
            [
                [cx - w * 0.4, cy - h / 2],
                [cx + w * 0.4, cy - h / 2],
                [cx + w / 2, cy + h / 2],
                [cx - w / 2, cy + h / 2],
            ]
        )
        # A solid strap block on top (a strap loop would leave a hole the mask must keep).
        strap = _rounded_rect(
            cx - w * 0.22, cy - h / 2 - h * 0.28, cx + w * 0.22, cy - h / 2 + 4, w * 0.1
        )
        band = (cx - w * 0.38, cy - h * 0.05, cx + w * 0.38, cy + h * 0.2)
        return [poly, strap], band
    # shoe: a sole plus an upper and a heel counter
    w, h = s * rng.uniform(0.5, 0.62), s * rng.uniform(0.2, 0.28)
    base = s * 0.62
    x0 = s * 0.5 - w / 2
    sole = _rounded_rect(x0, base - h * 0.2, x0 + w, base, h * 0.09)
    upper = np.array(
        [
            [x0 + w * 0.02, base - h * 0.2],
            [x0 + w * 0.05, base - h * 1.0],
            [x0 + w * 0.35, base - h * 1.05],
            [x0 + w * 0.55, base - h * 0.6],
            [x0 + w * 0.95, base - h * 0.35],
            [x0 + w, base - h * 0.2],
        ]
    )
    toe = _ellipse(x0 + w * 0.82, base - h * 0.28, w * 0.18, h * 0.18)
    band = (x0 + w * 0.1, base - h * 0.75, x0 + w * 0.45, base - h * 0.45)
    return [sole, upper, toe], band


def _background(
    kind: BackgroundKind, s: int, rng: np.random.Generator
) -> tuple[FloatImage, npt.NDArray[np.float32]]:
    """The background in [0, 1] float RGB and its base color."""
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) / s
    if kind == "white":
        base = np.full(3, rng.uniform(0.95, 1.0), np.float32)
        return np.broadcast_to(base, (s, s, 3)).copy(), base
    if kind == "gradient":
        base = np.clip(rng.uniform(0.86, 0.98) + rng.normal(0, 0.015, 3), 0, 1).astype(np.float32)
        angle = rng.uniform(0, 2 * np.pi)
        ramp = np.cos(angle) * (xx - 0.5) + np.sin(angle) * (yy - 0.5)
        radial = (xx - 0.5) ** 2 + (yy - 0.5) ** 2
        shade = 1.0 + rng.uniform(0.08, 0.16) * ramp - rng.uniform(0.0, 0.15) * radial
        return np.clip(base * shade[..., None], 0, 1).astype(np.float32), base
    if kind == "colored":
        hue = rng.uniform(0, 180)
        hsv = np.array([[[hue, rng.uniform(60, 170), rng.uniform(150, 235)]]], np.uint8)
        base = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32) / 255.0
        shade = 1.0 + 0.05 * (yy - 0.5)
        return np.clip(base * shade[..., None], 0, 1).astype(np.float32), base
    # textured: paper grain plus low-frequency mottling
    base = np.clip(rng.uniform(0.84, 0.95) + rng.normal(0, 0.02, 3), 0, 1).astype(np.float32)
    grain = cv2.GaussianBlur(rng.normal(0, 0.025, (s, s)).astype(np.float32), (0, 0), 0.8)
    # Bilinear: the evaluation sets' figures were measured on this mottling.
    mottle = cv2.resize(
        rng.normal(0, 0.03, (8, 8)).astype(np.float32), (s, s), interpolation=cv2.INTER_LINEAR
    )
    img = base * (1.0 + grain + mottle)[..., None]
    return np.clip(img, 0, 1).astype(np.float32), base


def _product_color(rng: np.random.Generator, white: bool) -> npt.NDArray[np.float32]:
    if white:
        return np.clip(rng.uniform(0.9, 0.97) + rng.normal(0, 0.01, 3), 0, 1).astype(np.float32)
    hsv = np.array([[[rng.uniform(0, 180), rng.uniform(90, 255), rng.uniform(40, 220)]]], np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32) / 255.0


def make_photo(index: int, size: int = 512) -> ProductPhoto:
    """The evaluation photo number ``index``, rendered at ``size`` x ``size``."""
    rng = np.random.default_rng(7919 * index + 17)
    background: BackgroundKind = BACKGROUNDS[index % len(BACKGROUNDS)]
    product: ProductKind = PRODUCTS[(index // len(BACKGROUNDS)) % len(PRODUCTS)]
    # Every fifth photo is a near-white product; on white/gradient/textured this is white-on-white.
    white_product = index % 5 == 2
    big = size * _SUPERSAMPLE

    polys, band = _product_shape(product, float(big), rng)
    coverage_big = _polygon_mask((big, big), polys)
    coverage = cv2.resize(coverage_big, (size, size), interpolation=cv2.INTER_AREA)
    mask = coverage >= 0.5

    bg, _ = _background(background, size, rng)

    # Soft cast shadow: the silhouette pushed down-right and heavily blurred, darkening the
    # background multiplicatively (so it keeps the background's chromaticity).
    dx, dy = rng.uniform(0.02, 0.07) * size, rng.uniform(0.01, 0.04) * size
    shift = np.array([[1, 0, dx], [0, 1, dy]], np.float32)
    cast = cv2.warpAffine(coverage, shift, (size, size))
    cast = cv2.GaussianBlur(cast, (0, 0), rng.uniform(0.015, 0.03) * size)
    strength = rng.uniform(0.18, 0.35)
    bg = bg * (1.0 - strength * cast)[..., None]
    shadow = (cast * strength > 0.06) & ~mask

    # The product: base color with cylinder-like horizontal shading and a lit top.
    color = _product_color(rng, white_product)
    _, xs = np.nonzero(coverage > 0)
    x_lo, x_hi = float(xs.min()), float(xs.max()) + 1
    xx = (np.arange(size, dtype=np.float32) - x_lo) / max(x_hi - x_lo, 1.0)
    across = 1.0 - 0.5 * (2 * np.clip(xx, 0, 1) - 1.0 - rng.uniform(-0.3, 0.3)) ** 2
    shade_lo = 0.8 if white_product else rng.uniform(0.6, 0.8)
    shading = shade_lo + (1.05 - shade_lo) * across
    yy = np.linspace(1.02, 0.96, size, dtype=np.float32)[:, None]
    fg = np.clip(color * (shading[None, :] * yy)[..., None], 0, 1)

    # The label band, with the brand printed on it.
    label_text = ""
    has_label = rng.uniform() < 0.85
    if has_label:
        label_text = BRANDS[index % len(BRANDS)]
        band_img = Image.new("RGB", (size, size))
        draw = ImageDraw.Draw(band_img)
        bx0, by0, bx1, by1 = (v / _SUPERSAMPLE for v in band)
        label_rgb = _product_color(rng, rng.uniform() < 0.5)
        ink = (20, 20, 20) if label_rgb.mean() > 0.5 else (245, 245, 245)
        draw.rectangle((bx0, by0, bx1, by1), fill=tuple(int(c * 255) for c in label_rgb))
        font_size = max(8, int((by1 - by0) * 0.45))
        font = ImageFont.load_default(size=font_size)
        draw.text(((bx0 + bx1) / 2, (by0 + by1) / 2), label_text, fill=ink, font=font, anchor="mm")
        band_mask = np.zeros((size, size), np.float32)
        band_mask[int(by0) : int(np.ceil(by1)), int(bx0) : int(np.ceil(bx1))] = 1.0
        band_f = np.asarray(band_img, np.float32) / 255.0 * shading[None, :, None]
        band_mask *= coverage >= 0.999  # the label sits inside the silhouette
        fg = fg * (1 - band_mask[..., None]) + band_f * band_mask[..., None]

    # A faint contact occlusion where the product meets its own outline (real edges are darker).
    rim = coverage - cv2.erode(coverage, np.ones((3, 3), np.uint8))
    fg = fg * (1.0 - 0.06 * rim)[..., None]

    img = fg * coverage[..., None] + bg * (1 - coverage[..., None])

    noise_sigma = float(rng.choice([0.0, 1.5, 3.0, 4.5]))
    if noise_sigma:
        img = img + rng.normal(0, noise_sigma / 255.0, img.shape)
    out = np.clip(np.round(img * 255), 0, 255).astype(np.uint8)

    jpeg_quality: int | None = None
    if rng.uniform() < 0.75:
        jpeg_quality = int(rng.integers(60, 86))
        buf = io.BytesIO()
        Image.fromarray(out).save(buf, format="JPEG", quality=jpeg_quality)
        out = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"), np.uint8).copy()

    return ProductPhoto(
        index=index,
        image=out,
        mask=mask,
        shadow=shadow,
        label_text=label_text,
        background=background,
        product=product,
        white_product=white_product,
        jpeg_quality=jpeg_quality,
        noise_sigma=noise_sigma,
        colors=accepted_colors(color),
    )


def evaluation_set(n: int = 40, size: int = 512) -> list[ProductPhoto]:
    """The first ``n`` evaluation photos: every background kind with every product kind."""
    return [make_photo(i, size) for i in range(n)]


# --- products with holes (a mug's handle, a tote's strap) --------------------------------------

HoledKind = Literal["mug", "tote"]
HOLED: tuple[HoledKind, ...] = ("mug", "tote")


def _holed_shape(kind: HoledKind, s: int) -> tuple[FloatImage, FloatImage]:
    """Coverage of the product and of its hole, at ``s`` x ``s`` (4x supersampled inputs)."""
    body = np.zeros((s, s), np.uint8)
    outer = np.zeros((s, s), np.uint8)
    hole = np.zeros((s, s), np.uint8)
    if kind == "mug":
        x0, x1, y0, y1 = int(0.26 * s), int(0.62 * s), int(0.3 * s), int(0.78 * s)
        cv2.rectangle(body, (x0, y0), (x1, y1), 255, -1)
        center = (x1, (y0 + y1) // 2)
        cv2.ellipse(outer, center, (int(0.15 * s), int(0.16 * s)), 0, 0, 360, 255, -1)
        cv2.ellipse(hole, center, (int(0.09 * s), int(0.1 * s)), 0, 0, 360, 255, -1)
        hole[:, : x1 + 2] = 0  # the hole is what the handle encloses outside the body
    else:
        x0, x1, y0, y1 = int(0.24 * s), int(0.76 * s), int(0.42 * s), int(0.86 * s)
        cv2.rectangle(body, (x0, y0), (x1, y1), 255, -1)
        center = (s // 2, y0)
        cv2.ellipse(outer, center, (int(0.17 * s), int(0.26 * s)), 0, 180, 360, 255, -1)
        cv2.ellipse(hole, center, (int(0.13 * s), int(0.21 * s)), 0, 180, 360, 255, -1)
        hole[y0 - 2 :, :] = 0
    shape = np.maximum(body, outer).astype(np.float32) / 255.0
    cut = hole.astype(np.float32) / 255.0
    return np.clip(shape - cut, 0.0, 1.0), cut


def make_holed_photo(index: int, size: int = 384) -> ProductPhoto:
    """A product with a see-through hole (mug handle, tote strap) on one of the studio
    backgrounds: the hole is background in the true mask."""
    rng = np.random.default_rng(104729 * index + 3)
    background: BackgroundKind = BACKGROUNDS[index % len(BACKGROUNDS)]
    kind = HOLED[(index // len(BACKGROUNDS)) % len(HOLED)]
    big = size * _SUPERSAMPLE
    coverage_big, _ = _holed_shape(kind, big)
    coverage = cv2.resize(coverage_big, (size, size), interpolation=cv2.INTER_AREA)
    mask = coverage >= 0.5
    bg, _ = _background(background, size, rng)
    dx, dy = rng.uniform(0.02, 0.05) * size, rng.uniform(0.01, 0.03) * size
    cast = cv2.warpAffine(coverage, np.array([[1, 0, dx], [0, 1, dy]], np.float32), (size, size))
    cast = cv2.GaussianBlur(cast, (0, 0), rng.uniform(0.015, 0.03) * size)
    strength = rng.uniform(0.15, 0.3)
    bg = bg * (1.0 - strength * cast)[..., None]
    shadow = (cast * strength > 0.06) & ~mask
    color = _product_color(rng, False)
    xx = np.linspace(0.0, 1.0, size, dtype=np.float32)
    shading = 0.75 + 0.3 * (1.0 - (2 * xx - 1.0) ** 2)
    fg = np.clip(color * shading[None, :, None], 0, 1)
    img = fg * coverage[..., None] + bg * (1 - coverage[..., None])
    noise_sigma = float(rng.choice([0.0, 1.5, 3.0]))
    if noise_sigma:
        img = img + rng.normal(0, noise_sigma / 255.0, img.shape)
    out = np.clip(np.round(img * 255), 0, 255).astype(np.uint8)
    jpeg_quality = int(rng.integers(70, 90))
    buf = io.BytesIO()
    Image.fromarray(out).save(buf, format="JPEG", quality=jpeg_quality)
    out = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"), np.uint8).copy()
    return ProductPhoto(
        index=index,
        image=out,
        mask=mask,
        shadow=shadow,
        label_text="",
        background=background,
        product="bag" if kind == "tote" else "jar",
        white_product=False,
        jpeg_quality=jpeg_quality,
        noise_sigma=noise_sigma,
        colors=accepted_colors(color),
    )
