"""A video's layers, prepared once per video and only warped and blended per frame.

From a studio scene (``from_scene``): the set plate (wall and floor, lit, with the products'
shadows and reflections in it), each podium and prop as its own card standing where it stands,
and each product's cutout as a card at its depth. From a photo (``from_photo``): its foreground
(the classical segmenter's cut) as a card in front of the background, whose hole is filled.

Everything is 8-bit with four channels: OpenCV's warps run twice as fast on four channels as
on three. The plate's fourth channel is unused; a card's is its alpha, its color premultiplied,
so laying one over a frame is a warp of its own box, then a multiply and an add.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from krev.engines.base import RGBImage
from krev.engines.studio.scene.composer import SceneLayers
from krev.engines.studio.segment import ClassicalSegmenter
from krev.engines.studio.text import contrast_ratio, relative_luminance
from krev.engines.studio.video.camera import Ground

__all__ = ["Card", "Layers", "from_photo", "from_scene"]

U8 = npt.NDArray[np.uint8]
FloatArray = npt.NDArray[Any]
Box = tuple[int, int, int, int]

# How far the wall is (inverse depth, products 1): a studio wall just behind, the sky far off.
_WALL_DEPTH = {"sky": 0.3, "outdoor": 0.35}
_DEFAULT_WALL_DEPTH = 0.5
# Top-down sets: the products lie on the surface, a little above it.
_TOP_DOWN_FLOOR = 0.9
_TOP_DOWN_PROP = 0.95
# A photo's background behind its foreground.
_PHOTO_BACKGROUND = 0.55
# Dressing pieces this close (fraction of the canvas' short side) are one prop (a plant's leaves),
# found on a grid of cells this large.
_PROP_GROUPING = 0.012
_GROUPING_CELL = 4
# A piece of dressing larger than this share of the canvas stays in the plate (a drape).
_PROP_MAX_SHARE = 0.3
# A button color must stand this far from the backdrop (WCAG ratio) to be used.
_BUTTON_CONTRAST = 2.2
# Below this, the floor between the wall line and the products is too short to slope.
_MIN_FLOOR_SPAN = 0.05


@dataclass(frozen=True)
class Card:
    """A flat cutout at one depth: (h, w, 4) premultiplied RGBA at (x, y) of the canvas."""

    pixels: U8
    x: int
    y: int
    depth: float
    product: int | None = None
    """The request's product index, for product cards."""
    box: Box | None = None
    """The subject's own box in the canvas (products, a photo shown whole)."""
    headroom: U8 | None = None
    """How much brighter each pixel can get (alpha * 255 - color, alpha channel 0): a light
    sweep's room."""

    @property
    def size(self) -> tuple[int, int]:
        return self.pixels.shape[1], self.pixels.shape[0]


@dataclass
class Layers:
    plate: U8
    """(H, W, 4): everything that does not move on its own (the fourth channel unused)."""
    ground: Ground
    cards: list[Card]
    """Back to front."""
    frame: Box
    """The composed frame inside the canvas (the still's composition)."""
    pivot: tuple[float, float]
    """What the camera looks at: the products' centre, or the scene's focus."""
    subject: Box | None
    """The products' union (canvas), None without products."""
    names: list[str]
    scene: dict[str, object] = field(default_factory=dict)
    accent: tuple[int, int, int] = (255, 255, 255)
    """A color of the set, for buttons and stickers."""

    @property
    def canvas(self) -> tuple[int, int]:
        return self.plate.shape[1], self.plate.shape[0]

    @property
    def products(self) -> list[Card]:
        return [card for card in self.cards if card.product is not None]

    @property
    def subjects(self) -> list[Card]:
        """The cards that must stay whole in the frame and clear of text: the products, or
        a photo shown whole."""
        return [card for card in self.cards if card.box is not None]


def _u8(image: FloatArray) -> U8:
    out: U8 = np.asarray(cv2.convertScaleAbs(image, alpha=255.0), np.uint8)
    return out


def _rgba(rgb: U8, alpha: U8 | None = None) -> U8:
    """Four channels from RGB (alpha 255 unless given)."""
    out = np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2RGBA), np.uint8)
    if alpha is not None:
        out[..., 3] = alpha
    return out


def _card(rgb: U8, alpha: FloatArray, x: int, y: int, depth: float, **extra: Any) -> Card:
    """A card from straight color and float alpha in [0, 1]."""
    a = np.clip(alpha, 0.0, 1.0).astype(np.float32)
    color = _u8(rgb.astype(np.float32) * (a[..., None] / 255.0))
    return Card(_rgba(color, _u8(a)), x, y, depth, **extra)


def _ground(layers: SceneLayers, contact: float, backdrop: str) -> Ground:
    canvas_h = layers.plate.shape[0]
    if layers.horizon is None:
        return Ground(_TOP_DOWN_FLOOR)
    wall = _WALL_DEPTH.get(backdrop, _DEFAULT_WALL_DEPTH)
    line = layers.horizon * canvas_h
    span = max(contact - line, _MIN_FLOOR_SPAN * canvas_h)
    return Ground(wall, line, (1.0 - wall) / span)


def _contact_rows(layers: SceneLayers) -> dict[int, float]:
    """Where each product meets the floor: its base, or the foot of the podium it stands on."""
    rows = {}
    for place in layers.placements:
        row = float(place.base)
        centre = place.x + place.width / 2
        for podium in layers.podiums:
            if abs(podium.cx - centre) <= podium.radius and abs(podium.top - place.base) < 4:
                row = podium.bottom
        rows[place.index] = row
    return rows


def _pooled(mask: npt.NDArray[np.bool_], cell: int) -> U8:
    """Whether any pixel of each ``cell`` x ``cell`` block is set (uint8 0/1)."""
    h, w = mask.shape
    padded = np.zeros((-(-h // cell) * cell, -(-w // cell) * cell), np.uint8)
    padded[:h, :w] = mask
    out: U8 = padded.reshape(padded.shape[0] // cell, cell, -1, cell).max(axis=(1, 3))
    return out


def _dressing_cards(
    layers: SceneLayers, lit: U8, plate: U8, ground: Ground, product_depths: dict[int, float]
) -> list[Card]:
    """Podiums and props, each a card where it stands. Their shadows on the set stay in
    ``plate`` (updated in place): they lie on the floor and move with it; so do pieces too
    large to move on their own (a drape)."""
    if layers.dressing is None:
        return []
    body = layers.dressing
    if layers.shading is not None:
        # A prop's anti-aliased rim can pass for shade; what touches the prop moves with it.
        near = cv2.dilate((body & ~layers.shading).astype(np.uint8), np.ones((5, 5), np.uint8))
        shade = layers.shading & (near == 0)
        plate[shade] = lit[shade]
        body = body & ~shade
    ch, cw = body.shape
    # Pieces close together are one prop (a plant's leaves): grouped on a coarse grid.
    small = _pooled(body, _GROUPING_CELL)
    reach = max(1, round(min(cw, ch) * _PROP_GROUPING / _GROUPING_CELL))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1,) * 2)
    grouped = cv2.dilate(small, kernel)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(grouped, connectivity=8)
    # One pixel more than what changed: bilinear warps blend card edges with unchanged set.
    own = cv2.dilate(body.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    cell = _GROUPING_CELL
    cards: list[tuple[float, Card]] = []
    for label in range(1, count):
        sx, sy, sw, sh, _ = (int(v) for v in stats[label])
        x, y = sx * cell, sy * cell
        x1, y1 = min(cw, (sx + sw) * cell), min(ch, (sy + sh) * cell)
        region = np.repeat(np.repeat(labels[sy : sy + sh, sx : sx + sw] == label, cell, 0), cell, 1)
        piece = region[: y1 - y, : x1 - x] & own[y:y1, x:x1]
        rows = np.flatnonzero(piece.any(axis=1))
        cols = np.flatnonzero(piece.any(axis=0))
        if rows.size == 0:
            continue
        # Tight to what it covers.
        x, y = x + int(cols[0]), y + int(rows[0])
        piece = piece[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
        h, w = piece.shape
        if w * h > _PROP_MAX_SHARE * cw * ch:
            plate[y : y + h, x : x + w][piece] = lit[y : y + h, x : x + w][piece]
            continue
        bottom = y + h
        depth = ground.at(bottom) if layers.horizon is not None else _TOP_DOWN_PROP
        # A podium carries its product: it moves with it.
        for place in layers.placements:
            inside = place.x < x + w and x < place.x + place.width
            if inside and y <= place.base + 4 <= bottom and layers.podiums:
                depth = product_depths[place.index]
        pixels = lit[y : y + h, x : x + w].copy()
        pixels[~piece] = 0
        pixels[..., 3] = np.where(piece, 255, 0).astype(np.uint8)
        cards.append((depth, Card(pixels, x, y, depth)))
    cards.sort(key=lambda item: item[0])
    return [card for _, card in cards]


def _accent(layers: SceneLayers) -> tuple[int, int, int]:
    """The call to action's button: a color of the set that stands out from its backdrop,
    else near-black on a light set and white on a dark one."""
    palette = layers.palette

    def rgb(color: FloatArray) -> tuple[int, int, int]:
        c = np.clip(np.asarray(color, np.float32) * 255.0 + 0.5, 0, 255).astype(int)
        return int(c[0]), int(c[1]), int(c[2])

    backdrop = rgb(palette.backdrop)
    for color in (palette.accent, *palette.props):
        candidate = rgb(color)
        spread = max(candidate) - min(candidate)
        if spread >= 60 and contrast_ratio(candidate, backdrop) >= _BUTTON_CONTRAST:
            return candidate
    return (17, 17, 17) if relative_luminance(backdrop) > 0.3 else (255, 255, 255)


def from_scene(layers: SceneLayers) -> Layers:
    """The video layers of a studio scene rendered with ``split=True``."""
    render = layers.scene.get("render")
    backdrop = str(render.get("backdrop")) if isinstance(render, dict) else "wall"
    lit = _rgba(_u8(layers.plate))
    plate = _rgba(_u8(layers.bare)) if layers.bare is not None else lit
    contacts = _contact_rows(layers)
    hero = next((p for p in layers.placements if p.index == 0), None)
    fx, fy, fw, fh = layers.frame
    if hero is not None:
        ground = _ground(layers, contacts[0], backdrop)
    else:
        ground = _ground(layers, fy + fh * 0.8, backdrop)
    depths = {
        index: (ground.at(row) if layers.horizon is not None else 1.0)
        for index, row in contacts.items()
    }
    if hero is not None and layers.horizon is not None:
        # The hero defines depth 1 exactly; a rounding of its contact row must not move it.
        depths[0] = 1.0
    cards = _dressing_cards(layers, lit, plate, ground, depths)
    names = ["set", "floor"] if layers.horizon is not None else ["surface"]
    if cards:
        names.append("props")
    products: list[Card] = []
    for place, cutout, gain in zip(layers.placements, layers.cutouts, layers.gains, strict=True):
        color = _u8(cutout.premultiplied * gain)
        alpha = _u8(cutout.alpha)
        headroom = _rgba(
            _u8(np.clip(cutout.alpha[..., None] - cutout.premultiplied * gain, 0.0, 1.0))
        )
        headroom[..., 3] = 0
        products.append(
            Card(
                _rgba(color, alpha),
                place.x,
                place.y,
                depths[place.index],
                product=place.index,
                box=place.box,
                headroom=headroom,
            )
        )
    subject: Box | None = None
    if layers.placements:
        x0 = min(p.x for p in layers.placements)
        y0 = min(p.y for p in layers.placements)
        x1 = max(p.x + p.width for p in layers.placements)
        y1 = max(p.y + p.height for p in layers.placements)
        subject = (x0, y0, x1 - x0, y1 - y0)
        pivot = ((x0 + x1) / 2, (y0 + y1) / 2)
        names.append("products")
    else:
        horizon = layers.horizon if layers.horizon is not None else 0.35
        pivot = (fx + fw / 2, min(fy + fh * 0.8, horizon * layers.plate.shape[0] + fh * 0.15))
    names.append("light")
    # Products in drawing order (back to front) after the dressing.
    return Layers(
        plate=plate,
        ground=ground,
        cards=[*cards, *products],
        frame=layers.frame,
        pivot=pivot,
        subject=subject,
        names=names,
        scene=layers.scene,
        accent=_accent(layers),
    )


# --- a photo -------------------------------------------------------------------------------

# The segmenter runs on a copy this large (long side); its alpha is enlarged after.
_SEGMENT_SIDE = 512
# A cut is used when the segmenter is this sure and the foreground is a plausible share.
_MIN_CONFIDENCE = 0.3
_FOREGROUND_SHARE = (0.02, 0.65)
# The hole behind the foreground is filled on a copy this large.
_FILL_SIDE = 480
# A foreground covering more than this share of a picture's edge runs off it.
_EDGE_SHARE = 0.01
# A photo this much wider or taller than the frame is shown whole (contained), not cropped.
_ASPECT_SLACK = 1.25
_CONTAIN = 0.86  # of the composed frame
_SHADOW = 0.45
_BACKDROP_DIM = 0.7


def _cover(image: RGBImage, width: int, height: int) -> U8:
    """``image`` scaled to cover width x height and centre-cropped."""
    h, w = image.shape[:2]
    scale = max(width / w, height / h)
    size = (max(width, round(w * scale)), max(height, round(h * scale)))
    method = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    resized = cv2.resize(image, size, interpolation=method)
    x0, y0 = (size[0] - width) // 2, (size[1] - height) // 2
    out: U8 = np.ascontiguousarray(resized[y0 : y0 + height, x0 : x0 + width])
    return out


def _small(image: Any, side: int, interpolation: int = cv2.INTER_AREA) -> Any:
    h, w = image.shape[:2]
    scale = min(1.0, side / max(h, w))
    return cv2.resize(
        image, (max(2, round(w * scale)), max(2, round(h * scale))), interpolation=interpolation
    )


def _fill_behind(image: U8, alpha: FloatArray) -> U8:
    """The photo with what its foreground covered painted in from around it (inpainted on a
    small copy, softened: it is only glimpsed at the foreground's edge as it moves)."""
    h, w = image.shape[:2]
    small = _small(image, _FILL_SIDE)
    sh, sw = small.shape[:2]
    hole = (_small(alpha, _FILL_SIDE, cv2.INTER_LINEAR) > 0.05).astype(np.uint8) * 255
    reach = max(2, round(max(sh, sw) * 0.02))
    hole = cv2.dilate(hole, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1,) * 2))
    filled = cv2.inpaint(small, hole, max(3, reach), cv2.INPAINT_TELEA)
    filled = cv2.GaussianBlur(filled, (0, 0), max(1.0, reach * 0.75))
    fill = cv2.resize(filled, (w, h), interpolation=cv2.INTER_LINEAR)
    soft = cv2.GaussianBlur(hole, (0, 0), max(1.0, reach * 0.5))
    weight = cv2.resize(soft, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255.0
    out = image.astype(np.float32) + (fill.astype(np.float32) - image) * weight[..., None]
    result: U8 = np.clip(out + 0.5, 0, 255).astype(np.uint8)
    return result


def _touches_edge(alpha: FloatArray) -> bool:
    """Whether the foreground runs off the picture: moved, its cut edge would show."""
    edges = (alpha[0], alpha[-1], alpha[:, 0], alpha[:, -1])
    return any(float((edge > 0.5).mean()) > _EDGE_SHARE for edge in edges)


def _contained(
    image: RGBImage, canvas: tuple[int, int], frame: Box, scene: dict[str, object]
) -> Layers:
    """A photo whose shape is far from the frame's: all of it, as a card with a soft shadow,
    over a blurred, dimmed enlargement of itself (nothing of it is cropped)."""
    cw, ch = canvas
    fx, fy, fw, fh = frame
    backdrop: Any = _cover(image, max(8, cw // 8), max(8, ch // 8))
    backdrop = cv2.GaussianBlur(backdrop, (0, 0), 2.0)
    backdrop = cv2.resize(backdrop, (cw, ch), interpolation=cv2.INTER_LINEAR)
    backdrop = cv2.convertScaleAbs(backdrop, alpha=_BACKDROP_DIM)
    h, w = image.shape[:2]
    scale = min(fw * _CONTAIN / w, fh * _CONTAIN / h)
    pw, ph = max(2, round(w * scale)), max(2, round(h * scale))
    method = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    picture = cv2.resize(image, (pw, ph), interpolation=method)
    pad = max(2, round(min(pw, ph) * 0.05))
    shadow = np.zeros((ph + 2 * pad, pw + 2 * pad), np.float32)
    shadow[pad + pad // 3 : pad + ph + pad // 3, pad : pad + pw] = _SHADOW
    shadow = cv2.GaussianBlur(shadow, (0, 0), pad / 2.5)
    rgb = np.zeros((ph + 2 * pad, pw + 2 * pad, 3), np.uint8)
    rgb[pad : pad + ph, pad : pad + pw] = picture
    alpha = shadow.copy()
    alpha[pad : pad + ph, pad : pad + pw] = 1.0
    x = fx + (fw - pw) // 2 - pad
    y = fy + (fh - ph) // 2 - pad
    card = _card(rgb, alpha, x, y, 1.0, box=(x + pad, y + pad, pw, ph))
    return Layers(
        plate=_rgba(backdrop),
        ground=Ground(_PHOTO_BACKGROUND),
        cards=[card],
        frame=frame,
        pivot=(x + pw / 2 + pad, y + ph / 2 + pad),
        subject=(x + pad, y + pad, pw, ph),
        names=["backdrop", "image"],
        scene=scene,
    )


def from_photo(image: RGBImage, canvas: tuple[int, int], frame: Box) -> Layers:
    """A photo as layers: its foreground as a card over the filled background when the
    segmenter finds one it is sure of (and it lies inside the picture), else the photo alone,
    which still zooms and pans. A photo much wider or taller than the frame is shown whole,
    over a blurred enlargement of itself."""
    cw, ch = canvas
    fx, fy, fw, fh = frame
    scene: dict[str, object] = {
        "source": {"width": int(image.shape[1]), "height": int(image.shape[0])}
    }
    shape = (image.shape[1] / image.shape[0]) / (fw / fh)
    if not 1 / _ASPECT_SLACK <= shape <= _ASPECT_SLACK:
        scene["source"] = {**scene["source"], "fit": "contain"}  # type: ignore[dict-item]
        return _contained(image, canvas, frame, scene)
    photo = _cover(image, cw, ch)
    cut = ClassicalSegmenter().segment(_small(photo, _SEGMENT_SIDE))
    alpha = cv2.resize(cut.alpha, (cw, ch), interpolation=cv2.INTER_LINEAR)
    share = float(alpha.mean())
    low, high = _FOREGROUND_SHARE
    split = cut.confidence >= _MIN_CONFIDENCE and low <= share <= high and not _touches_edge(alpha)
    scene["source"] = {
        "width": int(image.shape[1]),
        "height": int(image.shape[0]),
        "fit": "cover",
        "foreground": split,
        "segmentation": {"method": cut.method, "confidence": round(float(cut.confidence), 3)},
    }
    if not split:
        return Layers(
            plate=_rgba(photo),
            ground=Ground(1.0),
            cards=[],
            frame=frame,
            pivot=(fx + fw / 2, fy + fh / 2),
            subject=None,
            names=["image"],
            scene=scene,
        )
    rows = np.flatnonzero(alpha.max(axis=1) > 0.02)
    cols = np.flatnonzero(alpha.max(axis=0) > 0.02)
    x0, x1, y0, y1 = int(cols[0]), int(cols[-1]) + 1, int(rows[0]), int(rows[-1]) + 1
    # The foreground is the photo's subject: the camera keeps it whole, the words keep off it.
    box = (x0, y0, x1 - x0, y1 - y0)
    card = _card(photo[y0:y1, x0:x1], alpha[y0:y1, x0:x1], x0, y0, 1.0, box=box)
    # Look between the foreground and the frame's centre: it stays the subject of the moves.
    pivot = ((x0 + x1) / 2 * 0.6 + (fx + fw / 2) * 0.4, (y0 + y1) / 2 * 0.6 + (fy + fh / 2) * 0.4)
    return Layers(
        plate=_rgba(_fill_behind(photo, alpha)),
        ground=Ground(_PHOTO_BACKGROUND),
        cards=[card],
        frame=frame,
        pivot=pivot,
        subject=box,
        names=["background", "foreground"],
        scene=scene,
    )
