"""A product's dominant colors: k-means over its own pixels in CIE Lab, named with the plain
CSS color names people use for products ("navy", "gold", "beige"), never a background's.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np
import numpy.typing as npt
import webcolors

from krev.engines.base import AlphaMask, ColorAnalysis, NamedColor, RGBImage

__all__ = ["PRODUCT_COLOR_ANCHORS", "StudioColorAnalyzer", "css_color_name", "product_color_name"]

FloatArray = npt.NDArray[np.float32]

# Simple product color names (each a CSS3 name) and the shades that count as them. A name has
# several anchors because the CSS swatch alone is often far from what shops call that color:
# CSS "navy" is a saturated #000080 while a navy bag is a dull #1f2a44, and a gold label is
# nearer goldenrod than CSS "gold". The nearest anchor names the color.
PRODUCT_COLOR_ANCHORS: dict[str, tuple[str, ...]] = {
    # Neutrals are anchored every few lightness steps so a charcoal is never "brown".
    "black": ("#000000", "#141414", "#262626"),
    "gray": ("#404040", "#5a5a5a", "#696969", "#808080", "#999999"),
    "silver": ("#b4b4b8", "#c0c0c0", "#d3d3d3"),
    "white": ("#f5f5f5", "#ffffff"),
    "ivory": ("#f8f4e3", "#fffdd0", "#fffff0"),
    "beige": ("#d9c8a9", "#e8dcc8", "#f5f5dc"),
    "tan": ("#c8a878", "#d2b48c"),
    "brown": ("#3d2b1f", "#5c4033", "#8b4513", "#a0522d"),
    "gold": ("#b8860b", "#c5a253", "#d4af37", "#daa520", "#ffd700"),
    "yellow": ("#ffe135", "#ffff00"),
    "orange": ("#f57c00", "#ff8c00", "#ffa500"),
    "red": ("#b22222", "#c62828", "#dc143c", "#ff0000"),
    "maroon": ("#5c1a1b", "#800000"),
    "pink": ("#e75480", "#f4a6b7", "#ff69b4", "#ffc0cb"),
    "purple": ("#4b0082", "#6a0dad", "#800080", "#9370db"),
    "navy": ("#000080", "#191970", "#1f2a44", "#23395d"),
    "blue": ("#0000ff", "#1e90ff", "#4169e1", "#4682b4"),
    "lightblue": ("#87ceeb", "#add8e6"),
    "teal": ("#008080", "#0f7c7c"),
    "turquoise": ("#40e0d0",),
    "green": ("#006400", "#008000", "#355e3b", "#228b22", "#2e8b57", "#32cd32", "#90ee90"),
    "olive": ("#556b2f", "#6b8e23", "#808000"),
}

# Past this distance from every product anchor a color is named by the nearest of all CSS3
# names instead (an unusual shade is better called "orchid" than forced into "pink").
_FALLBACK_DELTA_E = 25.0


# Colored clusters of one hue (within _SHADE_HUE_DEGREES) and this close are light and shade of
# one surface; see _same_material.
_SHADE_DELTA_E = 30.0
_SHADE_HUE_DEGREES = 12.0
_SHADE_MIN_CHROMA = 8.0


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


def _palette(entries: list[tuple[str, str]]) -> _Palette:
    rgb = np.array([_hex_to_rgb(value) for _, value in entries], dtype=np.uint8)
    return _Palette(names=tuple(name for name, _ in entries), lab=_rgb_to_lab(rgb))


@cache
def _product_palette() -> _Palette:
    return _palette(
        [(name, value) for name, values in PRODUCT_COLOR_ANCHORS.items() for value in values]
    )


@cache
def _css_palette() -> _Palette:
    # "gray"/"grey" and friends share a hex; the sorted order keeps the "a" spelling first.
    names = sorted(webcolors.names("css3"))
    return _palette([(name, webcolors.name_to_hex(name, "css3")) for name in names])


def _delta_e94(reference: FloatArray, sample: FloatArray) -> FloatArray:
    """CIE94 distance from each reference (n, 3) to one Lab sample (3,).

    Unlike plain Euclidean Lab, CIE94 tolerates chroma differences in proportion to the
    reference's chroma, so a vivid anchor covers its muted shades while a neutral anchor stays
    tight: a dull navy is nearer "navy" than "black", a faint cream is not "white".
    """
    d_l = reference[:, 0] - sample[0]
    c_ref = np.hypot(reference[:, 1], reference[:, 2])
    c_sample = float(np.hypot(sample[1], sample[2]))
    d_c = c_ref - c_sample
    d_a = reference[:, 1] - sample[1]
    d_b = reference[:, 2] - sample[2]
    d_h_sq = np.maximum(d_a * d_a + d_b * d_b - d_c * d_c, 0.0)
    s_c = 1.0 + 0.045 * c_ref
    s_h = 1.0 + 0.015 * c_ref
    distance: FloatArray = np.sqrt(d_l * d_l + (d_c / s_c) ** 2 + d_h_sq / (s_h * s_h))
    return distance


def _nearest(palette: _Palette, lab: FloatArray) -> tuple[str, float]:
    distances = _delta_e94(palette.lab, lab)
    index = int(np.argmin(distances))
    return palette.names[index], float(distances[index])


def _name_lab(lab: FloatArray) -> str:
    name, distance = _nearest(_product_palette(), lab)
    if distance > _FALLBACK_DELTA_E:
        return _nearest(_css_palette(), lab)[0]
    return name


def _as_lab(rgb: tuple[int, int, int]) -> FloatArray:
    lab: FloatArray = _rgb_to_lab(np.array([rgb], dtype=np.uint8))[0]
    return lab


def product_color_name(rgb: tuple[int, int, int]) -> str:
    """The simple product color name (a CSS3 name, e.g. "navy") for an RGB color."""
    return _name_lab(_as_lab(rgb))


def css_color_name(rgb: tuple[int, int, int]) -> str:
    """The nearest of all CSS3 color names (e.g. "midnightblue") for an RGB color."""
    return _nearest(_css_palette(), _as_lab(rgb))[0]


class StudioColorAnalyzer:
    """Dominant colors of a product photo's foreground; pure and deterministic."""

    def __init__(
        self,
        *,
        max_clusters: int = 5,
        max_samples: int = 20_000,
        min_share: float = 0.05,
        merge_delta_e: float = 12.0,
    ) -> None:
        self.max_clusters = max_clusters
        self.max_samples = max_samples
        self.min_share = min_share
        self.merge_delta_e = merge_delta_e

    def analyze(self, image: RGBImage, alpha: AlphaMask | None) -> ColorAnalysis:
        """The product's colors, most prominent first; shares are of the product's pixels."""
        rgb = self._product_pixels(image, alpha)
        if len(rgb) == 0:
            return ColorAnalysis()
        lab = _rgb_to_lab(rgb)
        labels = self._cluster(lab)

        # Clusters that earn the same name are one color to a shopper: sum them.
        by_name: dict[str, npt.NDArray[np.bool_]] = {}
        for label in np.unique(labels):
            members = labels == label
            name = _name_lab(lab[members].mean(axis=0))
            by_name[name] = by_name[name] | members if name in by_name else members

        colors = []
        for name, members in by_name.items():
            share = float(members.sum()) / len(rgb)
            if share >= self.min_share:  # specks and highlights are not the product's colors
                colors.append(NamedColor(name=name, hex=_hex(rgb[members]), share=round(share, 4)))
        colors.sort(key=lambda color: (-color.share, color.name))
        return ColorAnalysis(colors=colors)

    def _product_pixels(self, image: RGBImage, alpha: AlphaMask | None) -> npt.NDArray[np.uint8]:
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"expected an RGB image of shape (h, w, 3), got {image.shape}")
        pixels = image.reshape(-1, 3)
        if alpha is None:
            indices = np.arange(len(pixels))
        else:
            if alpha.shape != image.shape[:2]:
                raise ValueError(f"alpha {alpha.shape} does not match image {image.shape[:2]}")
            indices = np.flatnonzero(alpha.reshape(-1) > 0.5)
        if len(indices) > self.max_samples:
            # An even stride over the product keeps the sample deterministic and spread out.
            picks = np.linspace(0, len(indices) - 1, self.max_samples).astype(np.intp)
            indices = indices[picks]
        return pixels[indices]

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


def _assign(lab: FloatArray, centres: FloatArray) -> npt.NDArray[np.intp]:
    distances = ((lab[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    labels: npt.NDArray[np.intp] = np.argmin(distances, axis=1)
    return labels


def _hex(rgb: npt.NDArray[np.uint8]) -> str:
    # The median, not the mean: the few highlight pixels k-means hands a cluster would tint it.
    centre = np.median(rgb, axis=0).round().astype(int)
    return "#{:02x}{:02x}{:02x}".format(*centre)
