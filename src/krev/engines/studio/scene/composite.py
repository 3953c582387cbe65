"""Putting cutouts into a scene: trimming and uniform high-quality scaling (premultiplied, so
edges carry no dark fringe), contact and cast shadows from the alpha, reflections on glossy
floors, and the final straight-alpha "over". The product's pixels are only scaled and given a
uniform gain of a few percent (harmonisation); nothing is warped.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from krev.engines.base import RGBAImage
from krev.engines.studio.scene.layout import Placement

__all__ = [
    "ScaledCutout",
    "cast_shadow",
    "composite_product",
    "reflect_product",
    "scaled_cutout",
    "trim_box",
]

# float32 arrays; typed loosely because OpenCV's stubs do not carry dtypes through.
FloatArray = npt.NDArray[Any]

# Alpha below this is the cutout's empty margin (segmenters leave faint noise there).
_TRIM_ALPHA = 8
# Cutouts larger than this (long side) are reduced once before any placement.
_MAX_SOURCE_SIDE = 1600


@dataclass(frozen=True)
class ScaledCutout:
    premultiplied: FloatArray  # (h, w, 3) color * alpha, 0..1
    alpha: FloatArray  # (h, w)


def trim_box(rgba: RGBAImage) -> tuple[int, int, int, int]:
    """x, y, width, height of the cutout's visible part."""
    alpha = rgba[..., 3]
    rows = np.flatnonzero(alpha.max(axis=1) > _TRIM_ALPHA)
    cols = np.flatnonzero(alpha.max(axis=0) > _TRIM_ALPHA)
    if rows.size == 0 or cols.size == 0:
        return 0, 0, rgba.shape[1], rgba.shape[0]
    return int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)


def resize_quality(image: FloatArray, width: int, height: int) -> FloatArray:
    """Uniform resize: area averaging when shrinking, Lanczos when enlarging."""
    h, w = image.shape[:2]
    shrinking = width <= w and height <= h
    method = cv2.INTER_AREA if shrinking else cv2.INTER_LANCZOS4
    out: FloatArray = cv2.resize(image, (width, height), interpolation=method)
    return out


class _CutoutCache:
    """Scaled cutouts by (content digest, size); variants and repeated renders reuse them.
    A lock guards the dict; the arrays it hands out are read-only."""

    def __init__(self, capacity: int = 24, sources: int = 4) -> None:
        self._items: OrderedDict[tuple[bytes, int, int], ScaledCutout] = OrderedDict()
        self._digests: OrderedDict[int, tuple[object, bytes]] = OrderedDict()
        self._sources: OrderedDict[bytes, FloatArray] = OrderedDict()
        self._lock = threading.Lock()
        self._capacity = capacity
        self._source_capacity = sources

    def digest(self, rgba: RGBAImage) -> bytes:
        # Keyed by identity first (cheap) and verified by holding the array itself, so a
        # recycled id() can never return another image's digest.
        key = id(rgba)
        with self._lock:
            hit = self._digests.get(key)
            if hit is not None and hit[0] is rgba:
                return hit[1]
        value = hashlib.blake2b(np.ascontiguousarray(rgba).data, digest_size=16)
        value.update(repr(rgba.shape).encode())
        digest = value.digest()
        with self._lock:
            self._digests[key] = (rgba, digest)
            while len(self._digests) > self._capacity:
                self._digests.popitem(last=False)
        return digest

    def get(self, rgba: RGBAImage, width: int, height: int) -> ScaledCutout:
        digest = self.digest(rgba)
        key = (digest, width, height)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
            source = self._sources.get(digest)
        if source is None:
            # Trimming and edge cleaning happen once per cutout, whatever sizes follow.
            source = _prepare(rgba)
            with self._lock:
                self._sources[digest] = source
                while len(self._sources) > self._source_capacity:
                    self._sources.popitem(last=False)
        scaled = _scale(source, width, height)
        with self._lock:
            self._items[key] = scaled
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
        return scaled


def _decontaminate(color: FloatArray, alpha: FloatArray) -> FloatArray:
    """Edge pixels with the product's own nearby color instead of the old background's.

    A cutout's soft edge still carries the studio backdrop it was shot on (a white rim on a
    dark bottle); laid over a new scene that shows as a halo. Only pixels that are not solid
    (alpha < 0.98) change, so the product's own pixels stay exactly as they were.
    """
    solid = (alpha >= 0.98).astype(np.float32)
    if solid.sum() < 16:
        return color
    sigma = max(1.5, max(alpha.shape) / 300)
    weight = cv2.GaussianBlur(solid, (0, 0), sigma)
    spread = cv2.GaussianBlur(color * solid[..., None], (0, 0), sigma)
    fill = spread / np.maximum(weight, 1e-4)[..., None]
    use = ((weight > 0.02) & (solid < 1.0))[..., None]
    out: FloatArray = np.where(use, fill, color).astype(np.float32)
    return out


def _prepare(rgba: RGBAImage) -> FloatArray:
    """The trimmed cutout, edge-cleaned and premultiplied: (h, w, 4) float32, read-only."""
    x, y, w, h = trim_box(rgba)
    crop: FloatArray = rgba[y : y + h, x : x + w].astype(np.float32) / np.float32(255.0)
    if max(w, h) > _MAX_SOURCE_SIDE:
        # Scenes render at standard size (HD is upscaled after), so a huge cutout is reduced
        # once here rather than on every placement.
        scale = _MAX_SOURCE_SIDE / max(w, h)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    alpha = crop[..., 3:4]
    color = _decontaminate(crop[..., :3], alpha[..., 0])
    # Scale color premultiplied by alpha: transparent pixels carry no color into the edges.
    premul = np.ascontiguousarray(np.concatenate([color * alpha, alpha], axis=2))
    premul.flags.writeable = False
    return premul


def _scale(premul: FloatArray, width: int, height: int) -> ScaledCutout:
    scaled = resize_quality(premul, width, height)
    a = np.clip(scaled[..., 3], 0.0, 1.0)
    color = np.clip(scaled[..., :3], 0.0, a[..., None])  # Lanczos overshoot stays in gamut
    color.flags.writeable = False
    a.flags.writeable = False
    return ScaledCutout(np.ascontiguousarray(color), np.ascontiguousarray(a))


_CACHE = _CutoutCache()


def scaled_cutout(rgba: RGBAImage, width: int, height: int) -> ScaledCutout:
    return _CACHE.get(rgba, width, height)


def soft_blur(image: FloatArray, sigma: float) -> FloatArray:
    """A Gaussian blur; wide ones run on a reduced copy (the result is smooth anyway)."""
    if sigma <= 3.0:
        out: FloatArray = cv2.GaussianBlur(image, (0, 0), max(sigma, 0.3))
        return out
    factor = sigma / 2.0
    h, w = image.shape[:2]
    small_size = (max(2, round(w / factor)), max(2, round(h / factor)))
    small = cv2.resize(image, small_size, interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), 2.0)
    out = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    return out


def _clip_roi(
    x0: int,
    y0: int,
    x1: int,
    y1: int,
    width: int,
    height: int,
) -> tuple[int, int, int, int]:
    return max(0, x0), max(0, y0), min(width, x1), min(height, y1)


def cast_shadow(
    shadow: FloatArray,
    alpha: FloatArray,
    place: Placement,
    top_down: bool,
    side: float,
    length: float,
    softness: float,
    opacity: float,
) -> None:
    """Add the product's contact and cast shadows into the (H, W) shadow-strength map."""
    height, width = shadow.shape
    w, h = place.width, place.height
    size = max(w, h)
    if top_down:
        blur = max(1.0, size * 0.03 * (softness / 0.05))
        pad = int(blur * 3 + size * 0.08)
        x0, y0, x1, y1 = _clip_roi(
            place.x - pad, place.y - pad, place.x + w + pad, place.y + h + pad, width, height
        )
        if x1 <= x0 or y1 <= y0:
            return
        local = np.zeros((y1 - y0, x1 - x0), np.float32)
        dx, dy = -side * size * 0.05, size * 0.045
        shift = np.array([[1, 0, place.x - x0 + dx], [0, 1, place.y - y0 + dy]], np.float32)
        drop = cv2.warpAffine(alpha, shift, (x1 - x0, y1 - y0))
        drop = soft_blur(drop, blur)
        shift[0, 2], shift[1, 2] = place.x - x0, place.y - y0
        contact = cv2.GaussianBlur(
            cv2.warpAffine(alpha, shift, (x1 - x0, y1 - y0)), (0, 0), max(1.0, size * 0.006)
        )
        local = np.maximum(drop * opacity * 0.9, contact * 0.35)
    else:
        base = float(place.base)
        reach = h * length
        blur = max(1.0, h * softness)
        pad = int(blur * 3)
        shear = -side * 0.9
        x0, y0, x1, y1 = _clip_roi(
            int(place.x - pad - max(0.0, -shear) * reach),
            int(base - reach - pad),
            int(place.x + w + pad + max(0.0, shear) * reach),
            int(base + h * 0.08 + pad),
            width,
            height,
        )
        if x1 <= x0 or y1 <= y0:
            return
        # The silhouette laid down behind the product: flipped about its base, squashed to the
        # shadow's length and sheared away from the light.
        # Source (x, y) -> (x + shear*k*(h - y), base - k*(h - y)): the top of the silhouette
        # lands furthest back.
        k = length
        matrix = np.array(
            [[1.0, -shear * k, place.x - x0 + shear * k * h], [0.0, k, base - y0 - k * h]],
            np.float32,
        )
        cast = cv2.warpAffine(alpha, matrix, (x1 - x0, y1 - y0))
        # Sharper near the contact, softer far from it.
        near = soft_blur(cast, blur * 0.35)
        far = soft_blur(cast, blur * 1.6)
        rows = np.arange(y0, y1, dtype=np.float32)[:, None]
        t = np.clip((base - rows) / max(reach, 1.0), 0.0, 1.0)
        cast_map = (near * (1 - t) + far * t) * (1.0 - 0.6 * t) * opacity
        # Contact: a thin dark ellipse under the footprint plus a wider soft occlusion.
        foot = alpha[max(0, h - max(2, h // 25)) :, :].max(axis=0)
        cols = np.flatnonzero(foot > 0.3)
        contact = np.zeros_like(cast_map)
        if cols.size:
            fx0, fx1 = place.x + cols[0] - x0, place.x + cols[-1] - x0
            cx, cy = (fx0 + fx1) / 2, base - y0
            rx = max(2.0, (fx1 - fx0) / 2)
            cv2.ellipse(
                contact,
                (round(cx * 4), round(cy * 4)),
                (round(rx * 1.02 * 4), round(max(1.5, h * 0.018) * 4)),
                0,
                0,
                360,
                0.75,
                -1,
                cv2.LINE_AA,
                shift=2,
            )
            contact = cv2.GaussianBlur(contact, (0, 0), max(1.0, h * 0.008))
            soft = np.zeros_like(cast_map)
            cv2.ellipse(
                soft,
                (round(cx * 4), round(cy * 4)),
                (round(rx * 1.25 * 4), round(max(2.0, h * 0.05) * 4)),
                0,
                0,
                360,
                0.35,
                -1,
                cv2.LINE_AA,
                shift=2,
            )
            soft = soft_blur(soft, max(1.5, h * 0.025))
            contact = np.maximum(contact, soft)
        local = np.maximum(cast_map, contact)
    region = shadow[y0:y1, x0:x1]
    np.maximum(region, local, out=region)


def reflect_product(
    canvas: FloatArray, cutout: ScaledCutout, place: Placement, strength: float
) -> None:
    """A faded mirror image below the product on a glossy floor."""
    height, width = canvas.shape[:2]
    h = place.height
    reach = max(2, int(h * 0.4))
    top = place.base
    bottom = min(height, top + reach)
    if bottom <= top:
        return
    rows = bottom - top
    flipped_alpha = cutout.alpha[::-1][:rows]
    flipped_color = cutout.premultiplied[::-1][:rows]
    fade = np.linspace(strength, 0.0, rows, dtype=np.float32)[:, None] ** 1.0
    x0, x1 = max(0, place.x), min(width, place.x + place.width)
    if x1 <= x0:
        return
    sx0, sx1 = x0 - place.x, x1 - place.x
    a = flipped_alpha[:, sx0:sx1] * fade
    c = flipped_color[:, sx0:sx1] * fade[..., None]
    region = canvas[top:bottom, x0:x1]
    region *= 1.0 - a[..., None]
    region += c


def composite_product(
    canvas: FloatArray, cutout: ScaledCutout, place: Placement, gain: FloatArray
) -> None:
    """Straight-alpha "over" of the product at its box, its color times a uniform ``gain``."""
    height, width = canvas.shape[:2]
    x0, y0 = max(0, place.x), max(0, place.y)
    x1, y1 = min(width, place.x + place.width), min(height, place.y + place.height)
    if x1 <= x0 or y1 <= y0:
        return
    sx0, sy0 = x0 - place.x, y0 - place.y
    a = cutout.alpha[sy0 : sy0 + y1 - y0, sx0 : sx0 + x1 - x0]
    c = cutout.premultiplied[sy0 : sy0 + y1 - y0, sx0 : sx0 + x1 - x0]
    region = canvas[y0:y1, x0:x1]
    region *= 1.0 - a[..., None]
    region += c * gain
