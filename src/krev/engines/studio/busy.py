"""Background removal for a product in a busy scene: a wooden table, marble, tiles, foliage, a
kitchen counter, a bokeh of lights (issue 12).

A studio sweep is smooth, so a surface fitted to the border predicts it (segment.py); a busy
scene is not, and that model sees foreground everywhere. Here the border gives a *color* model
instead: the colors the scene shows along the frame, clustered. A pixel far from every one of
them is foreground evidence, unless the border reaches it without crossing an edge stronger
than the scene's own texture (a table whose shade drifts with depth, where the border shows only
its nearest part); so is a sharp outline where the border's own texture is soft (a product in
focus before a defocused backdrop). Of the candidate regions, the product is the one
that is large, near the middle and clear of the frame (props are cut by it). GrabCut, seeded
from that region (the border itself sure scene), settles the outline with its own color
models and edge smoothness.

The color cut fails where the product shares the scene's colors (a green box before a green
wall) or takes in a scene patch the border never shows. What sharp outlines enclose (segment.py)
is a second candidate; the cut kept, of the color cut, that one, their intersection and their
union, is the one whose outline best follows sharp outlines and parts colors, with the color
cut trusted unless another is clearly better.
"""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import numpy.typing as npt

from krev.engines.studio.raster import (
    BoolArray,
    FloatArray,
    U8Array,
    disk,
    f32,
    gradient_magnitude,
    u8,
)

__all__ = ["busy_scene_mask", "is_busy"]


# The border's 90th-percentile residual from the smooth studio model, in Lab units, above which
# the border is a scene rather than a backdrop. Studio sweeps, gradients and paper textures stay
# under ~3.5 on the tuning set; the busy scenes where the studio model fails are above ~7.
_BUSY_RESIDUAL = 6.0
_COLOR_DISTANCE = 3.0  # foreground evidence: fewer than 1 in 10^3 border pixels share the color


def is_busy(lab: FloatArray, background_lab: FloatArray, border: BoolArray) -> bool:
    """Whether the smooth studio background model fails to explain the border."""
    residual = np.linalg.norm(lab[border] - background_lab[border], axis=-1)
    return float(np.quantile(residual, 0.9)) > _BUSY_RESIDUAL


_BIN = 5.0  # Lab units per histogram bin


def _bins(lab: FloatArray) -> tuple[npt.NDArray[np.intp], ...]:
    light = np.clip(lab[..., 0] / _BIN, 0, 100 / _BIN).astype(np.intp)
    a = np.clip((lab[..., 1] + 128) / _BIN, 0, 255 / _BIN).astype(np.intp)
    b = np.clip((lab[..., 2] + 128) / _BIN, 0, 255 / _BIN).astype(np.intp)
    return light, a, b


def _unlike_border(lab: FloatArray, border: BoolArray) -> FloatArray:
    """How rare each pixel's color is along the border: the share of border pixels within
    about a bin of it, as -log10 (0: common there; 3 and more: almost never seen there)."""
    shape = (int(100 / _BIN) + 1, int(255 / _BIN) + 1, int(255 / _BIN) + 1)
    light, a, b = _bins(lab)
    counts = np.zeros(shape, np.float32)
    np.add.at(counts, (light[border], a[border], b[border]), 1.0)
    # Neighbouring bins count too: JPEG, noise and shading move a color by a few units.
    for axis in range(3):
        counts = counts + np.roll(counts, 1, axis=axis) + np.roll(counts, -1, axis=axis)
    share = counts / float(np.count_nonzero(border))
    return f32(-np.log10(share[light, a, b] + 1e-5))


_CHUNKS = 12  # stretches per side of the frame
_FOREIGN = 1.5
_MAX_FOREIGN_SHARE = 0.6


IntArray = npt.NDArray[np.intp]


def _histogram(light: IntArray, a: IntArray, b: IntArray) -> FloatArray:
    counts = np.zeros((int(100 / _BIN) + 1, int(255 / _BIN) + 1, int(255 / _BIN) + 1), np.float32)
    np.add.at(counts, (light.ravel(), a.ravel(), b.ravel()), 1.0)
    return counts


def _spread(counts: FloatArray) -> FloatArray:
    """Neighbouring bins count too: JPEG, noise and shading move a color by a few units."""
    for axis in range(3):
        counts = counts + np.roll(counts, 1, axis=axis) + np.roll(counts, -1, axis=axis)
    return counts


def _rarity(
    counts: FloatArray,
    total: float,
    keys: tuple[IntArray, IntArray, IntArray],
    along: int,
    lo: int,
    hi: int,
) -> float:
    """How rare, as a median -log10 share of ``counts`` (already spread), the colors of
    ``keys[lo:hi]`` are."""
    share = counts[tuple(np.take(k, range(lo, hi), axis=along) for k in keys)]
    return float(np.median(-np.log10(share / max(total, 1.0) + 1e-5)))


def _runs(flags: list[bool]) -> list[tuple[int, int]]:
    """The [start, stop) index ranges of consecutive True flags."""
    runs: list[tuple[int, int]] = []
    for index, flag in enumerate(flags):
        if flag and runs and runs[-1][1] == index:
            runs[-1] = (runs[-1][0], index + 1)
        elif flag:
            runs.append((index, index + 1))
    return runs


def scene_border(lab: FloatArray, border: BoolArray, band: int) -> BoolArray:
    """The border less the stretches where the product reaches the frame (a close-up cut off
    at the bottom, a bag's strap leaving the side). A run of stretches is the product's when
    its colors are rare (fewer than 1 in 10^_FOREIGN pixels) both on the frame's other sides
    and on the rest of its own side: a prop or a leaf cut by the top edge has its like
    elsewhere along that edge. At most ``_MAX_FOREIGN_SHARE`` of a side is taken out: a side
    that differs all along is scene."""
    h, w = border.shape
    light, a, b = _bins(lab)
    sides = {
        "top": (slice(0, band), slice(0, w)),
        "bottom": (slice(h - band, h), slice(0, w)),
        "left": (slice(0, h), slice(0, band)),
        "right": (slice(0, h), slice(w - band, w)),
    }
    side_counts = {
        name: _histogram(light[ys, xs], a[ys, xs], b[ys, xs]) for name, (ys, xs) in sides.items()
    }
    kept = border.copy()
    for name, (ys, xs) in sides.items():
        if name == "top":  # a product is shown whole at its top; what the top cuts is scene
            continue
        bins = (light[ys, xs], a[ys, xs], b[ys, xs])
        along = 1 if name in ("top", "bottom") else 0
        edges = np.linspace(0, bins[0].shape[along], _CHUNKS + 1).astype(int)
        stretches = list(itertools.pairwise(edges))

        others = np.sum([c for n, c in side_counts.items() if n != name], axis=0)
        others_spread = _spread(others)
        others_total = float(sum(bins[0].size for n in sides if n != name))
        foreign = [
            _rarity(others_spread, others_total, bins, along, lo, hi) > _FOREIGN
            for lo, hi in stretches
        ]
        if sum(foreign) > _MAX_FOREIGN_SHARE * _CHUNKS:
            continue
        for first, stop in _runs(foreign):
            lo, hi = stretches[first][0], stretches[stop - 1][1]
            inside = _histogram(*(np.take(k, range(lo, hi), axis=along) for k in bins))
            rest = others + side_counts[name] - inside
            rest_total = others_total + bins[0].size - inside.sum()
            if _rarity(_spread(rest), rest_total, bins, along, lo, hi) <= _FOREIGN:
                continue
            if along:
                kept[ys, lo:hi] = False
            else:
                kept[lo:hi, xs] = False
    # Never leave less than half of the border.
    if np.count_nonzero(kept) < 0.5 * np.count_nonzero(border):
        return border
    return kept


def _shadow_like(lab: FloatArray, border: BoolArray) -> BoolArray:
    """Pixels whose chroma the border shows, only darker: a border color in shadow."""
    a = np.clip((lab[..., 1] + 128) / _BIN, 0, 255 / _BIN).astype(np.intp)
    b = np.clip((lab[..., 2] + 128) / _BIN, 0, 255 / _BIN).astype(np.intp)
    counts = np.zeros((int(255 / _BIN) + 1,) * 2, np.float32)
    np.add.at(counts, (a[border], b[border]), 1.0)
    for axis in range(2):
        counts = counts + np.roll(counts, 1, axis=axis) + np.roll(counts, -1, axis=axis)
    common = counts[a, b] / float(np.count_nonzero(border)) > 0.01
    darker = lab[..., 0] < float(np.quantile(lab[..., 0][border], 0.5))
    return np.asarray(common & darker, dtype=np.bool_)


def _fill_small_holes(mask: U8Array, max_area: float) -> U8Array:
    holes = u8(np.where(mask > 0, 0, 255))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(holes, connectivity=4)
    h, w = mask.shape
    filled = mask.copy()
    for label in range(1, count):
        x, y, bw, bh, area = stats[label]
        touches = x == 0 or y == 0 or x + bw == w or y + bh == h
        if not touches and area <= max_area:
            filled[labels == label] = 255
    return filled


# How much a region's base, low in the frame, counts: a product stands in front, on the table,
# while what stands behind it (on a shelf, against the wall) stops higher up.
_FLOOR_WEIGHT = 0.5


def _pick_product(candidate: U8Array, sharp: FloatArray, frame: BoolArray) -> U8Array:
    """The candidate region(s) that look like the product: large, central, clear of the
    ``frame`` (the border strips where props are cut), in focus, and standing low in it (in
    front, on the table)."""
    h, w = candidate.shape
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(candidate, connectivity=8)
    if count <= 1:
        return candidate
    scores = np.zeros(count, np.float64)
    focus = np.zeros(count, np.float64)
    bases = np.zeros(count, np.float64)
    for label in range(1, count):
        area = float(stats[label, cv2.CC_STAT_AREA])
        if area < 0.002 * h * w:
            continue
        region = labels == label
        on_border = float(np.count_nonzero(region & frame)) / area
        cx, cy = centroids[label]
        off_centre = np.hypot(cx / w - 0.5, cy / h - 0.5)
        outline = region & (cv2.erode(u8(region) * 255, disk(1)) == 0)
        focus[label] = float(np.median(sharp[outline])) if outline.any() else 0.0
        bases[label] = float(stats[label, cv2.CC_STAT_TOP] + stats[label, cv2.CC_STAT_HEIGHT]) / h
        scores[label] = (
            area
            * max(0.05, 1.0 - 4.0 * on_border)
            * (1.0 - off_centre)
            * (0.2 + focus[label])
            * (_FLOOR_WEIGHT + bases[label])
        )
    best = int(np.argmax(scores))
    if scores[best] <= 0:
        return np.zeros_like(candidate)
    # Regions nearly as good are kept with it (a pair of products) when they are about as
    # sharp or stand on the same floor line; a softer region higher up is the scene behind.
    keep = np.flatnonzero(
        (scores >= 0.25 * scores[best])
        & ((focus >= _PAIR_FOCUS * focus[best]) | (np.abs(bases - bases[best]) < _SAME_FLOOR))
    )
    return u8(np.where(np.isin(labels, np.union1d(keep, [best])), 255, 0))


_PAIR_FOCUS = 0.3  # of the best region's outline sharpness
_SAME_FLOOR = 0.04  # of the frame's height between two regions' lowest rows


_GRABCUT_PIXELS = 300 * 300  # GrabCut's cost grows with the pixels it labels


def _grabcut(work: npt.NDArray[np.uint8], gc: U8Array) -> U8Array | None:
    """GrabCut from the labels ``gc`` on the box they leave undecided (and a margin of sure
    background), at most ``_GRABCUT_PIXELS`` large; the mask (0/255) at ``work``'s size."""
    h, w = gc.shape
    rows = np.flatnonzero((gc != cv2.GC_BGD).any(axis=1))
    cols = np.flatnonzero((gc != cv2.GC_BGD).any(axis=0))
    margin = max(4, round(0.03 * min(h, w)))
    y0, y1 = max(0, rows[0] - margin), min(h, rows[-1] + 1 + margin)
    x0, x1 = max(0, cols[0] - margin), min(w, cols[-1] + 1 + margin)
    crop, labels = work[y0:y1, x0:x1], gc[y0:y1, x0:x1]
    scale = min(1.0, float(np.sqrt(_GRABCUT_PIXELS / labels.size)))
    if scale < 1.0:
        size = (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale)))
        crop = u8(cv2.resize(crop, size, interpolation=cv2.INTER_AREA))
        labels = u8(cv2.resize(labels, size, interpolation=cv2.INTER_NEAREST))
    if not (labels == cv2.GC_FGD).any() or not np.isin(labels, (cv2.GC_BGD, cv2.GC_PR_BGD)).any():
        return None
    cv2.setRNGSeed(12)  # GrabCut seeds its color models with k-means: the same photo, the same cut
    bgr = np.ascontiguousarray(crop[..., ::-1])
    bgd = np.zeros((1, 65), np.float64)
    fgd = np.zeros((1, 65), np.float64)
    try:
        cv2.grabCut(bgr, labels, None, bgd, fgd, 4, cv2.GC_INIT_WITH_MASK)  # type: ignore[call-overload]
    except cv2.error:
        return None
    inside = np.where((labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD), 1.0, 0.0)
    if scale < 1.0:
        inside = f32(
            cv2.resize(
                inside.astype(np.float32), (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR
            )
        )
    mask = np.zeros((h, w), np.uint8)
    mask[y0:y1, x0:x1] = np.where(inside > 0.5, 255, 0)
    return mask


_SHARED_COLOR = 2.0  # at least 1 in 100 border pixels has the color: the scene shows it too


def _separability(distance: FloatArray, mask: U8Array, unit: int) -> float:
    """How clearly the cut's outline parts product from scene, in [0, 0.85]: the share of the
    product's rim whose colors the scene shows too (a green jar in foliage), and the share of
    the scene just outside the cut whose colors the scene's border never shows (a part of the
    product, or a prop, left outside), each lower it. A busy scene never earns the full
    confidence of a clean sweep."""
    if not mask.any():
        return 0.0
    rim = (mask > 0) & (u8(cv2.erode(mask, disk(3 * unit))) == 0)
    near = u8(cv2.dilate(mask, disk(5 * unit))) > 0
    beyond = near & (u8(cv2.dilate(mask, disk(2 * unit))) == 0)  # past the blended edge
    shared = float(np.mean(distance[rim] < _SHARED_COLOR)) if rim.any() else 1.0
    stray = float(np.mean(distance[beyond] > _COLOR_DISTANCE)) if beyond.any() else 0.0
    return 0.85 * (1.0 - shared) * (1.0 - stray)


_KEEP_WEIGHT = 0.5  # how much a candidate cut is worth per share of the color cut it keeps


def _follows_outlines(mask: U8Array, near_step: BoolArray) -> float:
    """The share of the cut's outline that runs along a sharp outline."""
    outline = (mask > 0) & (u8(cv2.erode(mask, disk(1))) == 0)
    return float(np.mean(near_step[outline])) if outline.any() else 0.0


def _choose_cut(
    color_cut: U8Array,
    enclosed: U8Array,
    outlines: U8Array,
    distance: FloatArray,
    border: BoolArray,
    unit: int,
) -> U8Array:
    """Of the color cut, what sharp outlines enclose, and their intersection and union, the
    cut whose outline best follows sharp outlines and parts colors: a scene patch the color
    cut took in has a soft or texture-made edge, and a product the color cut missed (white on
    a pale wall) has a sharp outline all round."""
    h, w = color_cut.shape
    near_step = u8(cv2.dilate(outlines, disk(unit + 1))) > 0
    candidates = [color_cut]
    area = np.count_nonzero(enclosed)
    if 0.002 * h * w <= area <= 0.8 * h * w and np.mean(border[enclosed > 0]) < 0.05:
        reach = u8(cv2.dilate(enclosed, disk(2 * unit)))
        candidates += [enclosed, color_cut & reach, color_cut | enclosed]
    best, best_quality = color_cut, -1.0
    color_area = float(max(1, int(np.count_nonzero(color_cut))))
    for cut in candidates:
        cut = u8(cv2.morphologyEx(cut, cv2.MORPH_OPEN, disk(unit)))
        if np.count_nonzero(cut) < 0.002 * h * w:
            continue
        # The color cut is trusted unless another cut is clearly better: a cut that follows
        # outlines but leaves most of the color evidence out is often a part of the product
        # (its top, closed by the table's edge; its label).
        kept = np.count_nonzero(cut & color_cut) / color_area
        quality = (
            _follows_outlines(cut, near_step)
            + _separability(distance, cut, unit)
            + _KEEP_WEIGHT * kept
        )
        if quality > best_quality:
            best, best_quality = cut, quality
    return best


# An edge the scene's texture rarely reaches: weaker edges (grain, a tile's drift in shade, a
# surface darkening with depth) are crossed, a product's outline is not (chosen on the debug
# scene photos: 0.6 and 0.9 both lower their busy mean IoU).
_SMOOTH_QUANTILE = 0.75


def _reached_smoothly(
    fine: FloatArray, distance: FloatArray, border: BoolArray, unit: int
) -> BoolArray:
    """Pixels the scene's border reaches without crossing an edge stronger than its own
    texture: a table whose color drifts with depth is scene though the border shows only its
    nearest part; a product's outline is a barrier (thickened, so that a gap in it where the
    product's color nears the scene's does not let the whole product count as scene)."""
    level = float(np.quantile(fine[border], _SMOOTH_QUANTILE))
    barrier = u8(cv2.dilate(u8(np.where(fine > level, 255, 0)), disk(2 * unit))) > 0
    passable = u8(np.where(~barrier, 255, 0))
    _, labels = cv2.connectedComponents(passable, connectivity=4)
    seeds = border & (passable > 0) & (distance < _SHARED_COLOR)
    reached = np.isin(labels, np.unique(labels[seeds])) & (labels > 0)
    return np.asarray(reached, dtype=np.bool_)


def busy_scene_mask(
    work: npt.NDArray[np.uint8],
    lab: FloatArray,
    unit: int,
    distinct: U8Array,
    outlines: U8Array,
    enclosed: U8Array,
) -> tuple[U8Array, float]:
    """The product's mask (0/255) in ``work``, an RGB photo whose background is a busy scene,
    and the confidence in it; ``lab`` is its lightly blurred Lab image, ``distinct`` (0/255)
    what differs clearly from a smooth background fitted to the border (a smooth defocused
    scene is told apart that way)."""
    h, w = lab.shape[:2]
    band = max(3, round(0.04 * min(h, w)))
    border = np.zeros((h, w), bool)
    border[:band] = border[-band:] = True
    border[:, :band] = border[:, -band:] = True
    # Props are cut by the frame's top and sides; a product may be cut by its bottom (a
    # close-up), so only those count against a region.
    frame = border
    cut_by_frame = frame.copy()
    cut_by_frame[-band:] = False
    border = scene_border(lab, frame, band)

    distance = _unlike_border(lab, border)

    # Outlines sharper than anything on the border: a product in focus before a soft scene.
    fine = gradient_magnitude(lab)
    step = fine - gradient_magnitude(f32(cv2.GaussianBlur(lab, (0, 0), 2.8)))
    level = float(np.quantile(step[border], 0.98)) * 1.2 + 1.0
    sharp = np.clip(step / level, 0.0, 2.0)

    shadow = _shadow_like(lab, border)
    colored = u8(np.where((distance > _COLOR_DISTANCE) & ~shadow, 255, 0)) | distinct
    # Color evidence the border reaches smoothly is the scene's own drift, not a product; what
    # sharp outlines enclose stays (rays close an outline's gaps, a flood does not).
    colored[_reached_smoothly(fine, distance, border, unit) & (enclosed == 0)] = 0
    colored = u8(cv2.morphologyEx(colored, cv2.MORPH_OPEN, disk(unit)))
    candidate = u8(cv2.morphologyEx(colored, cv2.MORPH_CLOSE, disk(2 * unit)))
    candidate = _fill_small_holes(candidate, 0.02 * h * w)
    product = _pick_product(candidate, sharp, cut_by_frame)
    if np.count_nonzero(product) < 0.002 * h * w:
        return product, 0.0

    reach = max(3, round(0.08 * min(h, w)))
    near = u8(cv2.dilate(product, disk(reach))) > 0
    gc = np.full((h, w), cv2.GC_BGD, np.uint8)
    gc[near] = cv2.GC_PR_BGD
    # The border is where the scene's colors were learned: scene, unless the product reaches it.
    gc[border & (product == 0)] = cv2.GC_BGD
    gc[product > 0] = cv2.GC_PR_FGD
    core = (u8(cv2.erode(colored & product, disk(3 * unit))) > 0) & ~shadow
    gc[core] = cv2.GC_FGD
    if not (gc == cv2.GC_FGD).any():
        gc[u8(cv2.erode(product, disk(3 * unit))) > 0] = cv2.GC_FGD
    mask = _grabcut(work, gc)
    if mask is None:
        return product, _separability(distance, product, unit)
    mask = u8(cv2.morphologyEx(mask, cv2.MORPH_OPEN, disk(unit)))
    _, labels = cv2.connectedComponents(mask, connectivity=8)
    keep = np.unique(labels[(product > 0) & (mask > 0)])
    mask = u8(np.where(np.isin(labels, keep[keep > 0]), 255, 0))
    mask = _fill_small_holes(mask, 0.003 * h * w)
    mask = _choose_cut(mask, enclosed, outlines, distance, border, unit)
    return mask, _separability(distance, mask, unit)
