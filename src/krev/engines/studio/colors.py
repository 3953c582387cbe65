"""A product's dominant colors: k-means over its own pixels in CIE Lab, named from a published
merchant palette (``MERCHANT_PALETTE``: CSS names where one fits, a few merchant words such as
"kraft" and "cream" otherwise), never from a background's pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np
import numpy.typing as npt
import webcolors

from krev.engines.base import AlphaMask, ColorAnalysis, NamedColor, RGBImage

__all__ = [
    "MERCHANT_PALETTE",
    "StudioColorAnalyzer",
    "delta_e2000",
    "hex_to_lab",
    "is_palette_color",
    "palette_hex",
    "product_color_name",
]

FloatArray = npt.NDArray[np.float32]

# The names ``colors`` may hold, each with the shades that count as it. The first hex is the
# name's swatch (``palette_hex``; the CSS value for CSS names); the others are where shops use
# the name for shades the swatch alone is far from: CSS "navy" is a saturated #000080 while a
# navy bag is a dull #1f2a44, and kraft paper is a muted orange-brown that no CSS name fits.
# The nearest shade (CIEDE2000 in CIE Lab) names a color. docs/catalog.md shows this table.
MERCHANT_PALETTE: dict[str, tuple[str, ...]] = {
    # Neutrals are anchored every few lightness steps so a charcoal is never "brown".
    "black": ("#000000", "#141414", "#262626"),
    "gray": ("#808080", "#404040", "#5a5a5a", "#696969", "#999999"),
    "silver": ("#c0c0c0", "#b4b4b8"),
    # A white product in studio light measures well below #ffffff where it turns from the light:
    # a neutral surface this light is called white, never silver.
    "white": ("#ffffff", "#f5f5f5", "#e6e6e6", "#dcdcdc"),
    "ivory": ("#fffff0", "#f8f4e3"),
    "cream": ("#fffdd0", "#f3e9c6", "#efe3c2"),
    "beige": ("#f5f5dc", "#e8dcc8", "#d9c8a9"),
    "tan": ("#d2b48c", "#c8a878", "#c19a6b"),
    "kraft": ("#b5895b", "#a67b5b", "#9c7a54", "#c8a165", "#8f6b45"),
    "brown": ("#8b4513", "#3d2b1f", "#5c4033", "#a0522d", "#996515"),  # CSS #a52a2a: a brick red
    "gold": ("#d4af37", "#b8860b", "#daa520", "#ffd700"),
    "yellow": ("#ffff00", "#ffe135", "#f2d43c"),
    "orange": ("#ffa500", "#f57c00", "#ff8c00"),
    "coral": ("#ff7f50", "#f08070"),
    "red": ("#ff0000", "#b22222", "#c62828", "#dc143c"),
    "maroon": ("#800000", "#5c1a1b", "#6d1f2b"),
    "pink": ("#ffc0cb", "#e75480", "#f4a6b7", "#ff69b4", "#bc8f8f"),
    "fuchsia": ("#ff00ff", "#c2185b", "#d1207f"),
    "lavender": ("#e6e6fa", "#c8b8e0", "#b5a7d5"),
    "purple": ("#800080", "#4b0082", "#6a0dad", "#9370db"),
    "navy": ("#000080", "#191970", "#1f2a44", "#23395d"),
    "blue": ("#0000ff", "#1e90ff", "#4169e1", "#4682b4"),
    "lightblue": ("#add8e6", "#87ceeb"),
    "teal": ("#008080", "#0f7c7c"),
    "turquoise": ("#40e0d0",),
    "mint": ("#98ff98", "#aaf0d1", "#b6e5c9"),
    "green": ("#008000", "#006400", "#355e3b", "#228b22", "#2e8b57", "#32cd32", "#90ee90"),
    "olive": ("#808000", "#556b2f", "#6b8e23"),
}

# Colored clusters of one hue (within _SHADE_HUE_DEGREES) and this close are light and shade of
# one surface; see _same_material.
_SHADE_DELTA_E = 30.0
_SHADE_HUE_DEGREES = 12.0
_SHADE_MIN_CHROMA = 8.0

# The backdrop just outside the cut (a ring from _RING_INNER to _RING_OUTER of the photo's larger
# side away from it) is taken for a white or grey studio sweep when its median is this light and
# this nearly neutral; a colored sweep is more chromatic than any cast the tuning photos carry.
_RING_INNER = 0.02
_RING_OUTER = 0.08
_SWEEP_MIN_L = 75.0
_SWEEP_MAX_CHROMA = 12.0
_RING_MIN_PIXELS = 50
# A cluster is named at this percentile of its own luminance, so the shaded side of a curved
# product does not darken its name (olive read as gray); the hex stays the measured median.
_LIT_PERCENTILE = 60.0
_LUMINANCE = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)  # Rec. 709, linear RGB


@dataclass(frozen=True)
class _Palette:
    names: tuple[str, ...]
    lab: FloatArray  # (n, 3)


def _hex_to_rgb(value: str) -> tuple[int, int, int]:
    rgb = webcolors.hex_to_rgb(value)
    return (rgb.red, rgb.green, rgb.blue)


def _rgb_to_lab(rgb: npt.NDArray[np.uint8]) -> FloatArray:
    """CIE Lab (L 0..100) of (n, 3) RGB pixels, via float input so cv2 does not quantise."""
    pixels = (rgb.astype(np.float32) / 255.0).reshape(-1, 1, 3)
    lab: FloatArray = cv2.cvtColor(pixels, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)
    return lab


@cache
def _merchant_palette() -> _Palette:
    entries = [(name, value) for name, values in MERCHANT_PALETTE.items() for value in values]
    rgb = np.array([_hex_to_rgb(value) for _, value in entries], dtype=np.uint8)
    return _Palette(names=tuple(name for name, _ in entries), lab=_rgb_to_lab(rgb))


def delta_e2000(reference: FloatArray, sample: FloatArray) -> FloatArray:
    """CIEDE2000 distance from each Lab reference (n, 3) to one Lab sample (3,).

    Unlike Euclidean Lab (or CIE94, whose tolerance grows with the reference's chroma alone),
    CIEDE2000 weighs chroma by the pair's mean and corrects the blue and near-neutral regions,
    so a muted kraft brown is not pulled to a saturated gold swatch, and a dull navy is still
    nearer "navy" than "black". Sharma, Wu & Dalal (2005), with kL = kC = kH = 1.
    """
    ref = reference.astype(np.float64)
    l1, a1, b1 = ref[:, 0], ref[:, 1], ref[:, 2]
    l2, a2, b2 = (float(v) for v in sample)
    c_bar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2.0
    g = 0.5 * (1.0 - np.sqrt(c_bar**7 / (c_bar**7 + 25.0**7)))
    a1p, a2p = (1.0 + g) * a1, (1.0 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360.0
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360.0
    d_lp = l2 - l1
    d_cp = c2p - c1p
    dh = h2p - h1p
    dh = np.where(dh > 180.0, dh - 360.0, np.where(dh < -180.0, dh + 360.0, dh))
    dh = np.where(c1p * c2p == 0.0, 0.0, dh)
    d_hp = 2.0 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2.0))
    l_bar = (l1 + l2) / 2.0
    c_bar_p = (c1p + c2p) / 2.0
    h_sum = h1p + h2p
    h_bar = np.where(
        c1p * c2p == 0.0,
        h_sum,
        np.where(
            np.abs(h1p - h2p) <= 180.0,
            h_sum / 2.0,
            np.where(h_sum < 360.0, (h_sum + 360.0) / 2.0, (h_sum - 360.0) / 2.0),
        ),
    )
    t = (
        1.0
        - 0.17 * np.cos(np.radians(h_bar - 30.0))
        + 0.24 * np.cos(np.radians(2.0 * h_bar))
        + 0.32 * np.cos(np.radians(3.0 * h_bar + 6.0))
        - 0.20 * np.cos(np.radians(4.0 * h_bar - 63.0))
    )
    s_l = 1.0 + 0.015 * (l_bar - 50.0) ** 2 / np.sqrt(20.0 + (l_bar - 50.0) ** 2)
    s_c = 1.0 + 0.045 * c_bar_p
    s_h = 1.0 + 0.015 * c_bar_p * t
    d_theta = 30.0 * np.exp(-(((h_bar - 275.0) / 25.0) ** 2))
    r_c = 2.0 * np.sqrt(c_bar_p**7 / (c_bar_p**7 + 25.0**7))
    r_t = -np.sin(np.radians(2.0 * d_theta)) * r_c
    distance = np.sqrt(
        (d_lp / s_l) ** 2
        + (d_cp / s_c) ** 2
        + (d_hp / s_h) ** 2
        + r_t * (d_cp / s_c) * (d_hp / s_h)
    )
    result: FloatArray = np.asarray(distance, dtype=np.float32)
    return result


def hex_to_lab(value: str) -> FloatArray:
    """CIE Lab of a "#rrggbb" color."""
    lab: FloatArray = _rgb_to_lab(np.array([_hex_to_rgb(value)], dtype=np.uint8))[0]
    return lab


def _name_lab(lab: FloatArray) -> str:
    palette = _merchant_palette()
    return palette.names[int(np.argmin(delta_e2000(palette.lab, lab)))]


def product_color_name(rgb: tuple[int, int, int]) -> str:
    """The palette name (e.g. "navy", "kraft") for an RGB color."""
    return _name_lab(_rgb_to_lab(np.array([rgb], dtype=np.uint8))[0])


def palette_hex(name: str) -> str | None:
    """The swatch of a palette name ("#d2b48c" for "tan"), or None for a name not in it."""
    shades = MERCHANT_PALETTE.get(name.strip().lower())
    return shades[0] if shades else None


def is_palette_color(name: str) -> bool:
    return palette_hex(name) is not None


class StudioColorAnalyzer:
    """Dominant colors of a product photo's foreground; pure and deterministic."""

    def __init__(
        self,
        *,
        max_clusters: int = 5,
        max_samples: int = 20_000,
        min_share: float = 0.05,
        merge_delta_e: float = 12.0,
        edge_band: float = 0.5,
        edge_floor: float = 0.1,
    ) -> None:
        self.max_clusters = max_clusters
        self.max_samples = max_samples
        self.min_share = min_share
        self.merge_delta_e = merge_delta_e
        self.edge_band = edge_band
        self.edge_floor = edge_floor

    def analyze(self, image: RGBImage, alpha: AlphaMask | None) -> ColorAnalysis:
        """The product's colors, most prominent first (the product's core counting more than
        the band along the cut's edge, see _depth_weights); shares are of the product's pixels."""
        rgb, weights = self._product_pixels(image, alpha)
        if len(rgb) == 0:
            return ColorAnalysis()
        linear = _to_linear(rgb)
        lab = _rgb_to_lab(rgb)
        gains = None if alpha is None else _sweep_white_balance(image, alpha, lab)
        if gains is not None:
            # Named as the product looks under neutral light; the hex stays what was measured.
            linear = linear * gains
            lab = _rgb_to_lab(_from_linear(linear))
        labels = self._cluster(lab)
        luminance = linear @ _LUMINANCE

        # Clusters that earn the same name are one color to a shopper: sum them.
        by_name: dict[str, npt.NDArray[np.bool_]] = {}
        for label in np.unique(labels):
            members = labels == label
            name = _name_lab(_lit_color(linear[members], luminance[members]))
            by_name[name] = by_name[name] | members if name in by_name else members

        # Ranked by the depth-weighted share, so a band of scene that a partly wrong cut takes
        # in along its edge does not outrank the product's core; the share reported is of the
        # product's pixels.
        ranked = []
        total = float(weights.sum())
        for name, members in by_name.items():
            share = float(members.sum()) / len(rgb)
            if share >= self.min_share:  # specks and highlights are not the product's colors
                color = NamedColor(name=name, hex=_hex(rgb[members]), share=round(share, 4))
                ranked.append((float(weights[members].sum()) / total, color))
        ranked.sort(key=lambda item: (-item[0], -item[1].share, item[1].name))
        colors = [color for _, color in ranked]
        return ColorAnalysis(colors=colors)

    def _product_pixels(
        self, image: RGBImage, alpha: AlphaMask | None
    ) -> tuple[npt.NDArray[np.uint8], FloatArray]:
        """The sampled product pixels and the weight each counts with."""
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"expected an RGB image of shape (h, w, 3), got {image.shape}")
        pixels = image.reshape(-1, 3)
        if alpha is None:
            indices = np.arange(len(pixels))
            depth_weights = None
        else:
            if alpha.shape != image.shape[:2]:
                raise ValueError(f"alpha {alpha.shape} does not match image {image.shape[:2]}")
            inside = alpha > 0.5
            indices = np.flatnonzero(inside.reshape(-1))
            depth_weights = self._depth_weights(inside)
        if len(indices) > self.max_samples:
            # An even stride over the product keeps the sample deterministic and spread out.
            picks = np.linspace(0, len(indices) - 1, self.max_samples).astype(np.intp)
            indices = indices[picks]
        if depth_weights is None:
            return pixels[indices], np.ones(len(indices), np.float32)
        return pixels[indices], depth_weights.reshape(-1)[indices]

    def _depth_weights(self, inside: npt.NDArray[np.bool_]) -> FloatArray:
        """A weight per pixel of the cut that grows from its edge to its core.

        A cut that is partly wrong takes in the scene along its edge, so a pixel deep inside
        the cut is more surely the product's than one in the band along its outline; the band
        is a share of the cut's own depth (its thickest point), so a thin strap or a cap is
        not all band. Edge pixels still count (edge_floor): a correct cut's rim is product.
        """
        depth = cv2.distanceTransform(inside.astype(np.uint8), cv2.DIST_L2, 3)
        band = max(1.0, self.edge_band * float(depth.max()))
        weights: FloatArray = np.clip(depth / band, self.edge_floor, 1.0).astype(np.float32)
        return weights

    def _cluster(self, lab: FloatArray) -> npt.NDArray[np.intp]:
        """A cluster label per pixel: k-means seeded from the histogram's densest cells."""
        seeds = self._seeds(lab)
        labels = _assign(lab, seeds)
        if len(seeds) > 1:
            criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
            _, best, _ = cv2.kmeans(
                lab,
                len(seeds),
                labels.astype(np.int32).reshape(-1, 1),
                criteria,
                1,
                cv2.KMEANS_USE_INITIAL_LABELS,
            )
            labels = best.reshape(-1).astype(np.intp)
        return self._merge_close(lab, labels)

    def _seeds(self, lab: FloatArray) -> FloatArray:
        # Seeding from dense histogram cells (not k-means++'s random or farthest points) makes
        # the result deterministic and keeps a few specular highlights from taking a centre.
        cells = np.floor(lab / np.array([8.0, 10.0, 10.0], dtype=np.float32)).astype(np.int64)
        keys = (cells[:, 0] * 64 + cells[:, 1] + 32) * 64 + cells[:, 2] + 32
        _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        inverse = inverse.reshape(-1)
        sums = np.stack([np.bincount(inverse, weights=lab[:, i]) for i in range(3)], axis=1)
        means = (sums / counts[:, None]).astype(np.float32)
        order = np.argsort(-counts, kind="stable")
        min_count = max(1, int(0.02 * len(lab)))
        seeds: list[FloatArray] = []
        for cell in order:
            if seeds and counts[cell] < min_count:
                break
            centre = means[cell]
            if all(np.linalg.norm(centre - seed) >= self.merge_delta_e for seed in seeds):
                seeds.append(centre)
                if len(seeds) == self.max_clusters:
                    break
        return np.array(seeds, dtype=np.float32)

    def _merge_close(self, lab: FloatArray, labels: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
        """Fold clusters whose centres are within merge_delta_e (ΔE76) into the larger one."""
        while True:
            present = np.unique(labels)
            if len(present) < 2:
                return labels
            centres = np.array([lab[labels == label].mean(axis=0) for label in present])
            sizes = np.array([(labels == label).sum() for label in present])
            gaps = np.linalg.norm(centres[:, None, :] - centres[None, :, :], axis=2)
            mergeable = (gaps < self.merge_delta_e) | _same_material(centres, gaps)
            np.fill_diagonal(mergeable, False)
            if not mergeable.any():
                return labels
            gaps = np.where(mergeable, gaps, np.inf)
            i, j = np.unravel_index(int(np.argmin(gaps)), gaps.shape)
            keep, drop = (i, j) if sizes[i] >= sizes[j] else (j, i)
            labels = np.where(labels == present[drop], present[keep], labels)


def _same_material(centres: FloatArray, gaps: FloatArray) -> npt.NDArray[np.bool_]:
    """Pairs of colored clusters that are one surface in light and shade.

    Shading a curved product changes lightness and chroma but barely its hue, so two colored
    centres of one hue within _SHADE_DELTA_E are a single color, not "red" and "maroon".
    Neutrals never merge this way: a black bottle with a white label is two colors.
    """
    chroma = np.hypot(centres[:, 1], centres[:, 2])
    hue = np.degrees(np.arctan2(centres[:, 2], centres[:, 1]))
    hue_gap = np.abs((hue[:, None] - hue[None, :] + 180.0) % 360.0 - 180.0)
    colored = chroma >= _SHADE_MIN_CHROMA
    same: npt.NDArray[np.bool_] = (
        colored[:, None]
        & colored[None, :]
        & (hue_gap <= _SHADE_HUE_DEGREES)
        & (gaps <= _SHADE_DELTA_E)
    )
    return same


def _to_linear(rgb: npt.NDArray[np.uint8]) -> FloatArray:
    c = rgb.astype(np.float32) / 255.0
    linear: FloatArray = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return linear.astype(np.float32)


def _from_linear(linear: FloatArray) -> npt.NDArray[np.uint8]:
    c = np.clip(linear, 0.0, 1.0)
    encoded = np.where(c <= 0.0031308, c * 12.92, 1.055 * c ** (1 / 2.4) - 0.055)
    rgb: npt.NDArray[np.uint8] = np.round(encoded * 255.0).astype(np.uint8)
    return rgb


def _lit_color(linear: FloatArray, luminance: FloatArray) -> FloatArray:
    """The Lab a cluster is named by: its mean chromaticity (linear RGB) at the luminance of
    its better-lit pixels (_LIT_PERCENTILE), since shading scales a surface's light, not its
    chromaticity."""
    mean = linear.mean(axis=0)
    scale = float(np.percentile(luminance, _LIT_PERCENTILE)) / max(float(luminance.mean()), 1e-6)
    lit = mean * scale
    lit = lit / max(1.0, float(lit.max()))  # never brighter than the sensor can record
    lab: FloatArray = _rgb_to_lab(_from_linear(lit[None, :]))[0]
    return lab


def _sweep_white_balance(
    image: RGBImage, alpha: AlphaMask, product_lab: FloatArray
) -> FloatArray | None:
    """Per-channel gains (von Kries, linear RGB) that make a white or grey sweep neutral, or
    None where the backdrop is no such sweep or the product does not share its cast.

    A studio sweep is white, so a tint on it is the light's: a slight blue cast makes a white
    product "lavender". The ring just outside the cut is the sweep; it must be light and nearly
    neutral (a colored sweep is a color, not a cast). A light tinted backdrop behind a neutral
    product is told from a cast by the product: a cast tints the product the same way, so the
    gains apply only when the product's median a/b leans the ring's way by at least half of it.
    """
    outside = (alpha <= 0.5).astype(np.uint8)
    distance = cv2.distanceTransform(outside, cv2.DIST_L2, 3)
    side = float(max(alpha.shape))
    ring = (distance > _RING_INNER * side) & (distance <= _RING_OUTER * side)
    pixels = image[ring]
    if len(pixels) < _RING_MIN_PIXELS:
        return None
    step = max(1, len(pixels) // 20_000)  # an even stride keeps it cheap and deterministic
    pixels = pixels[::step]
    lightness, a, b = np.median(_rgb_to_lab(pixels), axis=0)
    cast = np.array([a, b], dtype=np.float64)
    if lightness < _SWEEP_MIN_L or float(np.hypot(a, b)) > _SWEEP_MAX_CHROMA:
        return None
    tint = np.median(product_lab[:, 1:], axis=0).astype(np.float64)
    if float(tint @ cast) <= float(cast @ cast) / 2.0:
        return None
    white = np.median(_to_linear(pixels), axis=0)
    gains: FloatArray = (float(white.mean()) / np.maximum(white, 1e-4)).astype(np.float32)
    return gains


def _assign(lab: FloatArray, centres: FloatArray) -> npt.NDArray[np.intp]:
    distances = ((lab[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    labels: npt.NDArray[np.intp] = np.argmin(distances, axis=1)
    return labels


def _hex(rgb: npt.NDArray[np.uint8]) -> str:
    # The median, not the mean: the few highlight pixels k-means hands a cluster would tint it.
    centre = np.median(rgb, axis=0).round().astype(int)
    return "#{:02x}{:02x}{:02x}".format(*centre)
