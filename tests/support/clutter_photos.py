"""A third, separately built set of busy product photos, for checking that segmentation tuned on
``scene_photos`` generalises (issue 12). Built without looking at the held-out set.

Everything here is constructed differently from ``scene_photos``: the products are shaded
solids (a cylinder's light falls off across it, a box shows two faces, a pouch bulges), the
scene is a room, a shelf, a bathroom counter, a bed, the outdoors, or a hand holding the
product; other objects stand behind, beside and sometimes in front of the product; light comes
through a window in bright slanted patches that fall across the product too, lamps glare, rooms
are dim; products are large, small, or cut off by the frame's edge; some take the colors of
what is around them. The truth is the product's visible coverage (what stands in front of it is
not product).
"""

from __future__ import annotations

import io
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from tests.support.color_truth import accepted_colors
from tests.support.product_photos import ProductKind, ProductPhoto

FloatImage = npt.NDArray[np.float32]
Room = Literal["room", "shelf", "bathroom", "bed", "outdoor", "hand"]
ROOMS: tuple[Room, ...] = ("room", "shelf", "bathroom", "bed", "outdoor", "hand")
Solid = Literal["bottle", "box", "pouch", "tube", "jar", "can", "sneaker", "handbag"]
SOLIDS: tuple[Solid, ...] = ("bottle", "box", "pouch", "tube", "jar", "can", "sneaker", "handbag")
_SS = 2  # coverage is drawn at twice the size and area-downsampled


def _hsv_rgb(h: float, s: float, v: float) -> npt.NDArray[np.float32]:
    pixel = np.array([[[int(h * 179) % 180, int(s * 255), int(v * 255)]]], np.uint8)
    return np.asarray(cv2.cvtColor(pixel, cv2.COLOR_HSV2RGB)[0, 0], np.float32) / 255.0


def _noise(rng: np.random.Generator, h: int, w: int, cells: int) -> FloatImage:
    grid = rng.normal(0, 1, (cells + 1, cells + 1)).astype(np.float32)
    return np.asarray(cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC), np.float32)


def _plaster(rng: np.random.Generator, s: int) -> FloatImage:
    base = _hsv_rgb(rng.uniform(0, 1), rng.uniform(0.05, 0.45), rng.uniform(0.45, 0.92))
    grain = 0.05 * _noise(rng, s, s, 6) + 0.03 * _noise(rng, s, s, 40)
    return base * (1 + grain)[..., None]


def _planks(rng: np.random.Generator, s: int, vertical: bool) -> FloatImage:
    base = _hsv_rgb(rng.uniform(0.04, 0.11), rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.8))
    width = int(s * rng.uniform(0.06, 0.14))
    coord = np.arange(s)[None, :] if vertical else np.arange(s)[:, None]
    seam = (coord % width < 2).astype(np.float32)
    stripes = 0.08 * np.sin(np.arange(s) / rng.uniform(2, 6))
    grain = (stripes[:, None] if vertical else stripes[None, :]) + 0.05 * _noise(rng, s, s, 12)
    per_plank = rng.uniform(-0.12, 0.12, s // width + 2)[coord // width]
    return base * np.clip(1 + grain + per_plank - 0.4 * seam, 0.2, 1.6)[..., None]


def _tiles(rng: np.random.Generator, s: int) -> FloatImage:
    base = _hsv_rgb(rng.uniform(0, 1), rng.uniform(0.0, 0.5), rng.uniform(0.6, 0.95))
    grout = _hsv_rgb(0, 0, rng.uniform(0.4, 0.9))
    step = int(s * rng.uniform(0.05, 0.12))
    yy, xx = np.mgrid[0:s, 0:s]
    lines = ((yy % step) < 3) | ((xx % step) < 3)
    img = np.broadcast_to(base, (s, s, 3)).copy() * (1 + 0.03 * _noise(rng, s, s, 20))[..., None]
    img[lines] = grout
    return img


def _fabric(rng: np.random.Generator, s: int) -> FloatImage:
    base = _hsv_rgb(rng.uniform(0, 1), rng.uniform(0.05, 0.6), rng.uniform(0.4, 0.95))
    folds = 0.18 * np.sin(_noise(rng, s, s, 3) * 4 + np.arange(s)[None, :] / (s * 0.05))
    weave = 0.04 * np.sin(np.arange(s) * 2.1)[:, None] * np.sin(np.arange(s) * 1.7)[None, :]
    return base * (1 + folds + weave)[..., None]


def _outdoor(rng: np.random.Generator, s: int) -> tuple[FloatImage, int]:
    horizon = int(s * rng.uniform(0.35, 0.6))
    yy = np.arange(s, dtype=np.float32)[:, None, None] / s
    sky = _hsv_rgb(rng.uniform(0.55, 0.62), rng.uniform(0.2, 0.6), 0.95) * (0.8 + 0.3 * yy)
    ground = _hsv_rgb(rng.uniform(0.18, 0.33), rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.6))
    texture = 1 + 0.25 * _noise(rng, s, s, 60) + 0.1 * _noise(rng, s, s, 8)
    img = np.where(yy < horizon / s, np.broadcast_to(sky, (s, s, 3)), ground * texture[..., None])
    trees = np.zeros((s, s), np.uint8)
    for _ in range(int(rng.integers(3, 9))):
        cx, r = int(rng.uniform(0, s)), int(s * rng.uniform(0.04, 0.12))
        cv2.circle(trees, (cx, horizon - r // 2), r, 255, -1)
    leaf = _hsv_rgb(rng.uniform(0.22, 0.35), 0.6, rng.uniform(0.2, 0.45))
    t = (trees > 0)[..., None]
    img = np.where(t, leaf * (1 + 0.3 * _noise(rng, s, s, 30))[..., None], img)
    return np.asarray(img, np.float32), horizon


def _shaded_object(
    canvas: FloatImage, rng: np.random.Generator, x: int, base: int, w: int, h: int
) -> None:
    """Another object in the scene: a shaded cylinder, box, sphere or leafy plant."""
    s = canvas.shape[0]
    color = _hsv_rgb(rng.uniform(0, 1), rng.uniform(0, 0.8), rng.uniform(0.2, 0.95))
    mask = np.zeros((s, s), np.uint8)
    kind = rng.integers(4)
    if kind == 0:
        cv2.rectangle(mask, (x - w // 2, base - h), (x + w // 2, base), 255, -1)
        cv2.ellipse(mask, (x, base), (w // 2, max(1, w // 8)), 0, 0, 360, 255, -1)
    elif kind == 1:
        cv2.rectangle(mask, (x - w // 2, base - h), (x + w // 2, base), 255, -1)
    elif kind == 2:
        cv2.circle(mask, (x, base - w // 2), max(2, w // 2), 255, -1)
    else:
        for _ in range(int(rng.integers(5, 12))):
            angle = rng.uniform(-70, 70)
            cv2.ellipse(
                mask, (x, base - h // 2), (max(2, w // 5), max(3, h // 2)), angle, 0, 360, 255, -1
            )
        color = _hsv_rgb(rng.uniform(0.22, 0.38), rng.uniform(0.4, 0.8), rng.uniform(0.25, 0.6))
    xx = np.arange(s, dtype=np.float32)[None, :]
    across = np.clip((xx - (x - w / 2)) / max(w, 1), 0, 1)
    shade = 0.6 + 0.5 * np.clip(np.sin(np.pi * across), 0, 1) ** 0.7
    inside = mask > 0
    painted = color * shade[..., None]
    canvas[inside] = np.broadcast_to(painted, canvas.shape)[inside]


def _scene(room: Room, s: int, rng: np.random.Generator) -> tuple[FloatImage, int]:
    """The scene without the product, and the row where the product stands."""
    if room == "outdoor":
        img, horizon = _outdoor(rng, s)
        return img, int(rng.uniform(max(horizon + 0.1 * s, 0.6 * s), 0.97 * s))
    if room == "bed":
        return np.asarray(_fabric(rng, s), np.float32), int(rng.uniform(0.65, 0.95) * s)
    wall = {
        "room": lambda: _plaster(rng, s) if rng.uniform() < 0.6 else _planks(rng, s, True),
        "shelf": lambda: _planks(rng, s, False),
        "bathroom": lambda: _tiles(rng, s),
        "hand": lambda: _plaster(rng, s),
    }[room]()
    horizon = int(s * rng.uniform(0.4, 0.7))
    top = _planks(rng, s, False) if rng.uniform() < 0.5 else _plaster(rng, s) * 0.9
    img = np.asarray(wall, np.float32).copy()
    # Objects on the wall's side of the table (a shelf has rows of them).
    rows = [horizon] if room != "shelf" else [int(s * 0.3), horizon]
    for row in rows:
        for _ in range(int(rng.integers(2, 7))):
            w, h = int(s * rng.uniform(0.06, 0.2)), int(s * rng.uniform(0.08, 0.35))
            _shaded_object(img, rng, int(rng.uniform(0, s)), row, w, h)
        if room == "shelf":
            img[row : row + max(2, s // 60)] *= 0.55
    yy = np.arange(s)[:, None, None]
    depth = np.clip((yy - horizon) / max(s - horizon, 1), 0, 1).astype(np.float32)
    table = np.asarray(top, np.float32) * (0.75 + 0.3 * depth)
    img = np.where(yy >= horizon, table, img)
    if rng.uniform() < 0.7:  # the wall is out of focus
        blurred = cv2.GaussianBlur(img, (0, 0), s * rng.uniform(0.004, 0.015))
        img = np.where(yy >= horizon, img, blurred)
    return np.asarray(img, np.float32), int(rng.uniform(horizon + 0.08 * s, 0.98 * s))


def _solid(
    kind: Solid, h: int, w: int, rng: np.random.Generator
) -> tuple[FloatImage, FloatImage, tuple[int, int, int, int] | None]:
    """The product's coverage and its shading (1.0 = lit face) on an (h, w) canvas, drawn at
    twice the size; and where a label goes."""
    tall, wide = h * _SS, w * _SS
    cov = np.zeros((tall, wide), np.uint8)
    shade: npt.NDArray[Any] = np.ones((tall, wide), np.float32)
    xx = np.arange(wide, dtype=np.float32)[None, :] / wide
    cyl = 0.55 + 0.55 * np.clip(np.sin(np.pi * np.clip(xx * 1.02, 0, 1)), 0, 1) ** 0.6
    label: tuple[int, int, int, int] | None = None
    if kind in ("bottle", "jar", "can", "tube"):
        neck = {"bottle": 0.32, "jar": 0.7, "can": 0.9, "tube": 0.18}[kind]
        shoulder = {"bottle": 0.35, "jar": 0.12, "can": 0.04, "tube": 0.1}[kind]
        body_top = int(tall * shoulder)
        cv2.rectangle(cov, (0, body_top), (wide - 1, tall - 1), 255, -1)
        nw = int(wide * neck / 2)
        cv2.rectangle(cov, (wide // 2 - nw, 0), (wide // 2 + nw, body_top), 255, -1)
        if kind == "tube":  # crimped end at the top, round cap at the bottom
            pts = np.array(
                [[0, body_top], [wide - 1, body_top], [wide // 2 + nw, 0], [wide // 2 - nw, 0]]
            )
            cv2.fillPoly(cov, [pts.astype(np.int32)], 255)
        cv2.ellipse(
            cov, (wide // 2, body_top), (wide // 2, max(2, tall // 30)), 0, 180, 360, 255, -1
        )
        shade = np.broadcast_to(cyl, (tall, wide)).copy()
        label = (0, int(tall * (shoulder + 0.15)), w, int(tall * (shoulder + 0.45)) // _SS * _SS)
    elif kind == "box":
        front = int(wide * rng.uniform(0.55, 0.75))
        depth_px = int(tall * 0.08)
        pts_front = np.array([[0, depth_px], [front, depth_px], [front, tall - 1], [0, tall - 1]])
        pts_side = np.array(
            [[front, depth_px], [wide - 1, 0], [wide - 1, tall - depth_px], [front, tall - 1]]
        )
        pts_top = np.array([[0, depth_px], [wide - front, 0], [wide - 1, 0], [front, depth_px]])
        for pts, light in ((pts_front, 1.0), (pts_side, 0.68), (pts_top, 1.15)):
            face = np.zeros((tall, wide), np.uint8)
            cv2.fillPoly(face, [pts.astype(np.int32)], 255)
            cov |= face
            shade[face > 0] = light
        label = (0, int(tall * 0.3), front // _SS * _SS, int(tall * 0.6))
    elif kind == "pouch":
        pts = np.array(
            [[wide * 0.08, tall * 0.1], [wide * 0.92, tall * 0.1], [wide, tall], [0, tall]]
        )
        cv2.fillPoly(cov, [pts.astype(np.int32)], 255)
        cv2.rectangle(cov, (int(wide * 0.08), 0), (int(wide * 0.92), int(tall * 0.12)), 255, -1)
        shade = np.broadcast_to(cyl, (tall, wide)).copy() * 0.95
        label = (int(w * 0.15), int(tall * 0.35), int(w * 0.85), int(tall * 0.6))
    elif kind == "sneaker":
        sole = np.array([[0, tall * 0.78], [wide, tall * 0.72], [wide, tall], [0, tall]])
        upper = np.array(
            [
                [wide * 0.05, tall * 0.78],
                [wide * 0.25, tall * 0.25],
                [wide * 0.55, tall * 0.1],
                [wide * 0.7, tall * 0.45],
                [wide * 0.98, tall * 0.6],
                [wide, tall * 0.74],
            ]
        )
        cv2.fillPoly(cov, [upper.astype(np.int32)], 255)
        sole_mask = np.zeros((tall, wide), np.uint8)
        cv2.fillPoly(sole_mask, [sole.astype(np.int32)], 255)
        cov |= sole_mask
        shade = 0.75 + 0.35 * (1 - np.arange(tall, dtype=np.float32)[:, None] / tall) + 0 * xx
        shade[sole_mask > 0] = 1.35
    else:  # a handbag: the hole inside the handle is background
        body_top = int(tall * 0.4)
        pts = np.array([[wide * 0.05, body_top], [wide * 0.95, body_top], [wide, tall], [0, tall]])
        cv2.fillPoly(cov, [pts.astype(np.int32)], 255)
        cv2.ellipse(
            cov,
            (wide // 2, body_top),
            (int(wide * 0.3), int(tall * 0.36)),
            0,
            180,
            360,
            255,
            max(3, wide // 18),
        )
        shade = np.broadcast_to(cyl, (tall, wide)).copy()
    coverage = cv2.resize(cov.astype(np.float32) / 255, (w, h), interpolation=cv2.INTER_AREA)
    shading = cv2.resize(shade, (w, h), interpolation=cv2.INTER_AREA)
    if label is not None:
        label = (label[0], label[1] // _SS, label[2], label[3] // _SS)
    return np.asarray(coverage, np.float32), np.asarray(shading, np.float32), label


_WORDS = ("SOLA", "Fjord", "MERIDIAN", "Ostra", "KIN", "Bramble", "Tidal", "OKU")


def make_clutter_photo(index: int, size: int = 512) -> ProductPhoto:
    """Clutter photo number ``index``: a pure function of it."""
    rng = np.random.default_rng(7919 * index + 2026)
    s = size
    room = ROOMS[index % len(ROOMS)]
    kind = SOLIDS[int(rng.integers(len(SOLIDS)))]
    scene, floor = _scene(room, s, rng)

    # The product's size and place: sometimes large, sometimes cut off by the frame.
    aspect = {
        "bottle": 0.38,
        "box": 0.75,
        "pouch": 0.7,
        "tube": 0.3,
        "jar": 0.8,
        "can": 0.55,
        "sneaker": 2.2,
        "handbag": 1.1,
    }[kind] * rng.uniform(0.85, 1.15)
    height = int(s * rng.uniform(0.22, 0.8))
    width = min(int(height * aspect), int(s * 0.9))
    height = max(12, min(height, int(width / aspect) + 1))
    cx = int(rng.uniform(0.2, 0.8) * s)
    crop = rng.uniform()
    if crop < 0.15:
        cx = int(rng.choice([-0.25, 1.25]) * width / 2 + (0 if cx < s / 2 else s))
        cx = int(np.clip(cx, -width // 3, s + width // 3))
    bottom = floor if crop >= 0.3 or crop < 0.15 else int(s + height * rng.uniform(0.1, 0.35))
    if room == "hand":
        bottom = int(rng.uniform(0.55, 0.85) * s)
    coverage_local, shading, label = _solid(kind, height, width, rng)
    coverage = np.zeros((s, s), np.float32)
    shade_full = np.ones((s, s), np.float32)
    x0, y0 = cx - width // 2, bottom - height
    ys, xs = slice(max(0, y0), min(s, y0 + height)), slice(max(0, x0), min(s, x0 + width))
    ly = slice(ys.start - y0, ys.stop - y0)
    lx = slice(xs.start - x0, xs.stop - x0)
    coverage[ys, xs] = coverage_local[ly, lx]
    shade_full[ys, xs] = shading[ly, lx]

    camouflage = rng.uniform() < 0.2
    if camouflage:  # the product in the colors around it (beige on oak, green in the grass)
        region = scene[max(0, y0) : max(1, bottom), max(0, x0 - width) : x0 + 2 * width]
        color = np.clip(region.reshape(-1, 3).mean(axis=0) * rng.uniform(0.8, 1.25), 0, 1)
    else:
        color = _hsv_rgb(rng.uniform(0, 1), rng.uniform(0, 0.9), rng.uniform(0.15, 0.97))
    color = np.asarray(color, np.float32)

    # Cast shadow on the floor (to one side), before the product goes in.
    shadow = cv2.GaussianBlur(coverage, (0, 0), s * 0.01)
    offset = np.array([[1, rng.uniform(-0.8, 0.8), 0], [0, rng.uniform(0.15, 0.5), 0]], np.float32)
    offset[0, 2] = -offset[0, 1] * bottom
    offset[1, 2] = bottom * (1 - offset[1, 1])
    cast = cv2.warpAffine(shadow, offset, (s, s))
    scene = scene * (1 - rng.uniform(0.2, 0.5) * cast)[..., None]
    scene_before = scene.copy()

    product = color * shade_full[..., None]
    if label is not None and rng.uniform() < 0.7:
        picture = Image.fromarray(np.clip(product * 255, 0, 255).astype(np.uint8))
        draw = ImageDraw.Draw(picture)
        lx0, ly0, lx1, ly1 = label[0] + x0, label[1] + y0, label[2] + x0, label[3] + y0
        paper = tuple(int(v) for v in _hsv_rgb(rng.uniform(0, 1), rng.uniform(0, 0.3), 0.92) * 255)
        draw.rectangle((lx0, ly0, lx1, ly1), fill=paper)
        font = ImageFont.truetype("DejaVuSans-Bold.ttf", max(8, int((ly1 - ly0) * 0.35)))
        draw.text(
            ((lx0 + lx1) / 2, (ly0 + ly1) / 2),
            str(rng.choice(_WORDS)),
            fill=(25, 25, 25),
            font=font,
            anchor="mm",
        )
        product = np.asarray(picture, np.float32) / 255 * shade_full[..., None] ** 0.5
    if rng.uniform() < 0.5:  # a glossy product mirrors a little of the room
        product = product * 0.88 + 0.12 * cv2.GaussianBlur(scene_before, (0, 0), s * 0.02)
    image = product * coverage[..., None] + scene * (1 - coverage[..., None])
    visible = coverage.copy()

    if room == "hand":  # a hand holds it: fingers across the front are not product
        hand = np.zeros((s, s), np.uint8)
        skin = _hsv_rgb(rng.uniform(0.02, 0.08), rng.uniform(0.25, 0.6), rng.uniform(0.35, 0.9))
        fy = bottom - int(height * rng.uniform(0.2, 0.5))
        for i in range(4):
            y = fy + i * max(3, height // 14)
            cv2.ellipse(
                hand, (x0 + width // 3, y), (width // 2, max(2, height // 30)), 0, 0, 360, 255, -1
            )
        cv2.rectangle(hand, (x0 - width, fy), (x0 + width // 6, s), 255, -1)
        hm = cv2.GaussianBlur(hand.astype(np.float32) / 255, (0, 0), 1.0)
        image = (
            image * (1 - hm[..., None])
            + skin[None, None] * (0.8 + 0.2 * hm)[..., None] * hm[..., None]
        )
        visible = visible * (1 - hm)
    elif rng.uniform() < 0.15:  # a sprig or a cup in front of it
        front = np.zeros((s, s, 3), np.float32)
        _shaded_object(
            front,
            rng,
            x0 + int(rng.uniform(0, width)),
            min(s, bottom + s // 20),
            int(width * rng.uniform(0.2, 0.5)),
            int(height * rng.uniform(0.2, 0.6)),
        )
        fm = (front.sum(axis=-1) > 0).astype(np.float32)
        image = image * (1 - fm[..., None]) + front * fm[..., None]
        visible = visible * (1 - fm)

    # Light: a window's slanted patches over everything, lamp glare, a dim room, a color cast.
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32) / s
    if rng.uniform() < 0.3:
        slope, period = rng.uniform(-1.2, 1.2), rng.uniform(0.2, 0.45)
        patches = np.mod(xx + slope * yy + rng.uniform(0, 1), period) < period * 0.55
        soft = cv2.GaussianBlur(patches.astype(np.float32), (0, 0), s * 0.006)
        image = image * (0.7 + rng.uniform(0.35, 0.7) * soft)[..., None]
    if rng.uniform() < 0.25:
        gx, gy, gr = rng.uniform(0, 1), rng.uniform(0, 0.6), rng.uniform(0.05, 0.2)
        glare = np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (gr**2))
        image = image + rng.uniform(0.3, 0.8) * glare[..., None]
    gradient = 1 + rng.uniform(-0.25, 0.25) * (xx - 0.5) + rng.uniform(-0.2, 0.2) * (yy - 0.5)
    cast_rgb = 1 + rng.normal(0, 0.05, 3).astype(np.float32)
    exposure = rng.uniform(0.3, 0.55) if rng.uniform() < 0.2 else rng.uniform(0.9, 1.1)
    image = image * gradient[..., None] * cast_rgb * exposure
    sigma = rng.uniform(1, 4) + (6 if exposure < 0.6 else 0)
    image = image + rng.normal(0, sigma / 255, image.shape)
    out = np.clip(np.round(image * 255), 0, 255).astype(np.uint8)
    quality: int | None = None
    if rng.uniform() < 0.7:
        quality = int(rng.integers(50, 92))
        buffer = io.BytesIO()
        Image.fromarray(out).save(buffer, format="JPEG", quality=quality)
        out = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"), np.uint8).copy()

    product_kind: ProductKind = {  # type: ignore[assignment]
        "tube": "bottle",
        "can": "jar",
        "sneaker": "shoe",
        "handbag": "bag",
        "pouch": "bag",
    }.get(kind, kind)
    return ProductPhoto(
        index=index,
        image=out,
        mask=visible >= 0.5,
        shadow=(cast > 0.1) & (coverage < 0.5),
        label_text="",
        background="busy",
        product=product_kind,
        white_product=False,
        jpeg_quality=quality,
        noise_sigma=float(sigma),
        colors=frozenset() if camouflage else accepted_colors(color),
    )


def clutter_set(n: int = 48, size: int = 512) -> list[ProductPhoto]:
    return [make_clutter_photo(i, size) for i in range(n)]
