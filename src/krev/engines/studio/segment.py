"""Background removal for studio product photos with classical computer vision only.

The approach, in order (heavy steps run on a copy whose long side is at most ``_WORK_SIDE``):

1. **Background model.** Studio backgrounds are smooth, so the image border predicts them: a
   quadratic surface per RGB channel is fitted to a border band with iterative outlier
   rejection (the product may touch the border), then evaluated everywhere. The residuals on the
   border give the noise/texture level every later threshold is measured in.
2. **Difference.** Each pixel is compared with its predicted background in Lab (lightness and
   chroma) and in RGB chromaticity. A cast shadow multiplies the background by a factor k in
   roughly [0.55, 1): it keeps the background's chromaticity and only darkens, so darkening
   counts as foreground evidence only when it is too deep for a shadow or changes the hue.
3. **Outlines.** White-on-white products barely differ in color, but their outlines are sharp
   steps while shadows are soft: the fine gradient less 1.3x the coarse one is positive only at
   a step. Canny thins and links it into chains; short, faint and line-like chains (noise, JPEG
   blocking, marble veins, wood grain) are dropped. An outline breaks in places, so a pixel
   counts as enclosed when rays from it meet an outline in most of 16 directions (a gap only
   dents the region near it); background-colored pixels that reach the outside without
   crossing an outline (the gap between two products) are not.
4. **Cleanup.** Morphological open/close, keep the main connected component(s), fill holes.
5. **Refinement.** GrabCut initialised from the coarse mask (sure foreground = eroded mask,
   probable band around the outline), on the undecided box and a margin of backdrop only;
   rejected when it strays far from the coarse mask.
6. **Shadow peel.** On a bright sweep the outline evidence (3) can close around the product and
   its cast shadow together; shadow-like pixels reached from outside the mask without crossing a
   sharp outline are given back to the background (not when the product is itself
   background-colored, whose body reads as shadow too).
7. **See-through holes.** Filling (4) also filled what a handle or a strap encloses. A region
   inside the mask is opened again when it is the background seen through the product: its
   pixels match the background model closely, it encloses nothing (a label's blank paper
   encloses its text) and is about as smooth as the border, and the product around it is
   clearly not background-colored (so a white product on white keeps its interior).
8. **Soft alpha.** The mask is upscaled to the input size and feathered by about 1 px.

Confidence reflects how separable foreground and background were along the outline: the
color contrast just inside it, or for a white product the share of it that follows a sharp
outline (busy.py has its own measure). A busy scene (the border not smooth) goes to busy.py,
with what the outlines (3) enclose as a candidate cut beside its color cut.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from krev.engines.base import AlphaMask, RGBImage, SegmentationResult
from krev.engines.studio.busy import busy_scene_mask, is_busy
from krev.engines.studio.raster import (
    BoolArray,
    FloatArray,
    U8Array,
    disk,
    f32,
    gradient_magnitude,
    u8,
)

__all__ = ["ClassicalSegmenter", "iou"]

_WORK_SIDE = 512
_GRABCUT_MARGIN = 8  # px of sure background around GrabCut's box, in morphology units
_SHADOW_MIN_K = 0.55  # the darkest a soft studio shadow gets, as a fraction of the background
_SCORE_THRESHOLD = 5.0  # foreground evidence, in units of the background's own noise
_HOLE_SCORE = 2.5  # a see-through hole matches the background this closely


def iou(
    pred_alpha: npt.NDArray[np.floating], true_mask: BoolArray, threshold: float = 0.5
) -> float:
    """Intersection over union of ``pred_alpha > threshold`` with ``true_mask``."""
    pred = pred_alpha > threshold
    union = int(np.count_nonzero(pred | true_mask))
    if union == 0:
        return 1.0
    return int(np.count_nonzero(pred & true_mask)) / union


def _border_band(h: int, w: int) -> BoolArray:
    band = max(3, round(0.03 * min(h, w)))
    border = np.zeros((h, w), bool)
    border[:band] = border[-band:] = True
    border[:, :band] = border[:, -band:] = True
    return border


def _fit_background(rgb: FloatArray, border: BoolArray) -> tuple[FloatArray, BoolArray]:
    """A quadratic surface per channel fitted to the border; also the border inliers."""
    h, w = border.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    xx = xx / w - 0.5
    yy = yy / h - 0.5
    basis = np.stack([np.ones_like(xx), xx, yy, xx * xx, xx * yy, yy * yy], axis=-1)
    samples = rgb[border]
    design = basis[border]
    inliers = np.ones(len(samples), bool)
    coef = np.zeros((6, 3), np.float32)
    for _ in range(4):
        coef, *_ = np.linalg.lstsq(design[inliers], samples[inliers], rcond=None)
        residual = np.linalg.norm(samples - design @ coef, axis=1)
        spread = 1.4826 * float(np.median(residual[inliers])) + 1e-3
        inliers = residual < 3.0 * spread + 0.01
        if inliers.sum() < 0.2 * len(samples):  # the product fills the border; keep what we have
            inliers = residual <= np.quantile(residual, 0.5)
    model = (basis @ coef).astype(np.float32)
    inlier_map = np.zeros_like(border)
    inlier_map[border] = inliers
    return np.clip(model, 0.0, 1.0), inlier_map


def _robust_sigma(values: FloatArray, floor: float) -> float:
    med = float(np.median(values))
    return max(floor, 1.4826 * float(np.median(np.abs(values - med))))


def _fill_holes(mask: U8Array) -> U8Array:
    h, w = mask.shape
    padded = np.zeros((h + 2, w + 2), np.uint8)
    padded[1:-1, 1:-1] = mask
    flood = padded.copy()
    cv2.floodFill(flood, np.zeros((h + 4, w + 4), np.uint8), (0, 0), 255)
    return u8((padded | (255 - flood))[1:-1, 1:-1])


def _main_components(mask: U8Array) -> U8Array:
    """The largest component plus any other that is at least a fifth of its size."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return mask
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.flatnonzero(areas >= 0.2 * areas.max()) + 1
    return np.where(np.isin(labels, keep), 255, 0).astype(np.uint8)


# A step edge's gradient falls ~3x from scale 1 to scale 3; a soft shadow's barely moves. The
# fine gradient less this multiple of the coarse one keeps outlines and drops penumbras (a
# shadow's edge blurred by 2 px or more scores below zero, whatever its contrast).
_SOFT_EDGE_RATIO = 1.3
_STEPNESS = 0.2  # coarse/fine gradient along a chain: ~0.47 for a step, under 0.1 for a line
_CHAIN_STRENGTH = 0.6  # a chain's mean step, in units of the border's level
_ENCLOSED = 0.8  # the share of directions in which an enclosed pixel meets an outline


def _step_edges(
    fine: FloatArray, coarse: FloatArray, lightness: FloatArray, border: BoolArray, unit: int
) -> U8Array:
    """Thin, linked outlines of sharp steps (Canny on the step measure); short or faint chains
    (noise, JPEG blocking) dropped."""
    step = fine - _SOFT_EDGE_RATIO * coarse
    step = np.maximum(step, 0.0)
    # Canny's thinning follows the lightness gradient's direction; its strength is the step.
    gx = cv2.Sobel(lightness, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(lightness, cv2.CV_32F, 0, 1, ksize=3)
    norm = np.sqrt(gx * gx + gy * gy) + 1e-6
    level = float(np.quantile(step[border], 0.98)) * 1.5 + 1.0
    gain = 64.0 / level  # Canny takes int16 derivatives: the level maps to 64
    dx = np.clip(gx / norm * step * gain, -32000, 32000).astype(np.int16)
    dy = np.clip(gy / norm * step * gain, -32000, 32000).astype(np.int16)
    edges = u8(cv2.Canny(dx, dy, 0.3 * 64.0, 64.0, L2gradient=True))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(edges, connectivity=8)
    extent = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])

    def chain_mean(values: FloatArray) -> npt.NDArray[np.float64]:
        total = np.bincount(labels.ravel(), weights=values.ravel(), minlength=count)
        return total / np.maximum(stats[:, cv2.CC_STAT_AREA], 1)

    # A step keeps about half its gradient at the coarse scale; a thin line (a marble vein, wood
    # grain, a printed stroke) loses nearly all of it: such chains are texture, not an outline.
    stepness = chain_mean(coarse) / np.maximum(chain_mean(fine), 1e-6)
    keep = (extent >= 15 * unit) & (chain_mean(step) >= _CHAIN_STRENGTH * level)
    keep &= stepness >= _STEPNESS
    keep[0] = False
    return np.where(keep[labels], 255, 0).astype(np.uint8)


def _enclosure(outlines: U8Array) -> FloatArray:
    """For each pixel, the share of 16 directions in which a ray from it meets an outline."""
    share = np.zeros(outlines.shape, np.float32)
    rows = np.flatnonzero(outlines.any(axis=1))
    cols = np.flatnonzero(outlines.any(axis=0))
    if rows.size == 0:
        return share
    # Outside the outlines' bounding box at least 9 of the 16 rays miss: only the box counts.
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    edges = np.ascontiguousarray(outlines[y0:y1, x0:x1])
    h, w = edges.shape
    side = int(np.ceil(np.hypot(h, w)))
    hits = np.zeros((h, w), np.float32)
    angles = (0.0, 22.5, 45.0, 67.5)
    for angle in angles:
        rotation = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        rotation[:, 2] += [(side - w) / 2, (side - h) / 2]
        turned = cv2.warpAffine(edges, rotation, (side, side), flags=cv2.INTER_NEAREST)
        # A thin line rotated with nearest-neighbour sampling can break; thicken it first.
        solid = cv2.dilate(turned, np.ones((2, 2), np.uint8)) > 0
        count = np.zeros((side, side), np.uint8)
        for axis in (0, 1):
            count += np.maximum.accumulate(solid, axis=axis)
            count += np.flip(np.maximum.accumulate(np.flip(solid, axis), axis=axis), axis)
        back = cv2.invertAffineTransform(rotation)
        hits += f32(cv2.warpAffine(count, back, (w, h), flags=cv2.INTER_NEAREST))
    share[y0:y1, x0:x1] = hits / (4 * len(angles))
    return share


class ClassicalSegmenter:
    """Studio background removal with OpenCV; no model weights, no settings."""

    name = "studio-classical"

    def segment(self, image: RGBImage) -> SegmentationResult:
        h, w = image.shape[:2]
        scale = min(1.0, _WORK_SIDE / max(h, w))
        work = image
        if scale < 1.0:
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            work = u8(cv2.resize(image, size, interpolation=cv2.INTER_AREA))
        mask, confidence = self._coarse_and_refine(work)
        alpha = self._soft_alpha(mask, (h, w))
        return SegmentationResult(alpha=alpha, confidence=confidence, method=self.name)

    def _coarse_and_refine(self, work: RGBImage) -> tuple[U8Array, float]:
        h, w = work.shape[:2]
        unit = max(1, round(min(h, w) / 256))  # morphology radii scale with the working size
        rgb = f32(cv2.GaussianBlur(work.astype(np.float32) / 255.0, (0, 0), 1.0))
        border = _border_band(h, w)
        bg, inliers = _fit_background(rgb, border)

        lab = f32(cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab))
        bg_lab = f32(cv2.cvtColor(bg, cv2.COLOR_RGB2Lab))
        d_light = lab[..., 0] - bg_lab[..., 0]
        d_chroma = np.linalg.norm(lab[..., 1:] - bg_lab[..., 1:], axis=-1)
        total = rgb.sum(axis=-1) + 1e-3
        bg_total = bg.sum(axis=-1) + 1e-3
        k = total / bg_total
        d_hue = np.linalg.norm(rgb / total[..., None] - bg / bg_total[..., None], axis=-1)

        sample = inliers
        sigma_light = _robust_sigma(d_light[sample], 0.6)
        sigma_chroma = max(0.6, float(np.quantile(d_chroma[sample], 0.5)) * 1.2)
        sigma_hue = max(0.005, float(np.quantile(d_hue[sample], 0.5)) * 1.2)

        hue_tolerance = max(3.0 * sigma_hue, 0.02)  # JPEG chroma subsampling smears hue
        shadow_like = (k >= _SHADOW_MIN_K) & (k < 1.0) & (d_hue < hue_tolerance)
        score = np.maximum(d_light / sigma_light, d_hue / sigma_hue)
        score = np.maximum(score, np.where(shadow_like, 0.0, d_chroma / sigma_chroma))
        score = np.maximum(score, np.where(k < _SHADOW_MIN_K, -d_light / sigma_light, 0.0))
        color_mask = np.where(score > _SCORE_THRESHOLD, 255, 0).astype(np.uint8)
        fine = gradient_magnitude(lab)
        coarse_grad = gradient_magnitude(f32(cv2.GaussianBlur(lab, (0, 0), 2.8)))
        outlines = _step_edges(fine, coarse_grad, lab[..., 0], border, unit)
        if is_busy(lab, bg_lab, border):
            return self._busy(work, lab, unit, color_mask, outlines)

        enclosed = self._enclosed(outlines, score, unit)
        coarse = u8(cv2.morphologyEx(color_mask, cv2.MORPH_OPEN, disk(unit)))
        coarse = u8(cv2.morphologyEx(coarse | enclosed, cv2.MORPH_CLOSE, disk(2 * unit)))
        coarse = _fill_holes(coarse)
        # Edge lines that enclose nothing are thin; opening removes them.
        coarse = u8(cv2.morphologyEx(coarse, cv2.MORPH_OPEN, disk(2 * unit)))
        coarse = _fill_holes(_main_components(coarse))
        area = int(np.count_nonzero(coarse))
        if area < 0.002 * h * w:
            return np.full((h, w), 255, np.uint8), 0.0

        refined = self._grabcut(work, coarse, shadow_like & (score < _SCORE_THRESHOLD), unit)
        refined = self._peel_shadow(
            refined, shadow_like & (score < _SCORE_THRESHOLD), score, fine - coarse_grad, unit
        )
        refined = self._see_through(refined, score, fine, sample, unit)
        ring = u8(cv2.dilate(refined, disk(unit))) ^ u8(cv2.erode(refined, disk(unit)))
        inside = (refined > 0) & (ring > 0)
        contrast = float(np.median(score[inside])) if inside.any() else 0.0
        confidence = float(np.clip(contrast / (2 * _SCORE_THRESHOLD), 0.0, 1.0))
        # A white product on white differs little in color, but a cut that follows sharp
        # outlines all round is as trustworthy: the share of the cut's outline on one counts.
        outline = (refined > 0) & (u8(cv2.erode(refined, disk(1))) == 0)
        near_step = u8(cv2.dilate(outlines, disk(unit))) > 0
        if outline.any():
            confidence = max(confidence, float(np.mean(near_step[outline])))
        if np.count_nonzero(refined) > 0.95 * h * w:
            confidence = min(confidence, 0.2)
        return refined, confidence

    @staticmethod
    def _busy(
        work: RGBImage, lab: FloatArray, unit: int, distinct: U8Array, outlines: U8Array
    ) -> tuple[U8Array, float]:
        h, w = lab.shape[:2]
        # What sharp outlines enclose is a second candidate cut beside the color cut: a product
        # that shares the scene's colors (a green jar in foliage) still has its own outline.
        closed = _fill_holes(u8(cv2.morphologyEx(outlines, cv2.MORPH_CLOSE, disk(4 * unit))))
        enclosed = u8(np.where((_enclosure(outlines) >= _ENCLOSED) | (closed > 0), 255, 0))
        enclosed = u8(cv2.morphologyEx(enclosed, cv2.MORPH_OPEN, disk(2 * unit)))
        enclosed = _fill_holes(_main_components(enclosed))
        mask, confidence = busy_scene_mask(work, lab, unit, distinct, outlines, enclosed)
        if np.count_nonzero(mask) < 0.002 * h * w:
            return np.full((h, w), 255, np.uint8), 0.0
        return mask, confidence

    @staticmethod
    def _peel_shadow(
        mask: U8Array, shadow: BoolArray, score: FloatArray, step: FloatArray, unit: int
    ) -> U8Array:
        """``mask`` less the cast shadow it took in: shadow-like pixels reached from outside
        without crossing a sharp outline (the product's own edge is a step, a shadow's is soft).
        Not for a product that is itself background-colored (white on white): its body reads
        as shadow too, and would be peeled with it."""
        inside = mask > 0
        body = u8(cv2.erode(mask, disk(4 * unit))) > 0
        if not body.any() or float(np.median(score[body])) < 2 * _SCORE_THRESHOLD:
            return mask
        edge_level = float(np.quantile(step[inside], 0.9)) * 0.5 if inside.any() else 0.0
        barrier = u8(cv2.dilate(np.where(step > edge_level, 255, 0).astype(np.uint8), disk(unit)))
        passable = np.where(shadow & (barrier == 0), 255, 0).astype(np.uint8)
        count, labels = cv2.connectedComponents(passable, connectivity=4)
        if count <= 1:
            return mask
        outside = u8(cv2.dilate(np.where(inside, 0, 255).astype(np.uint8), disk(unit))) > 0
        reached = np.unique(labels[outside & (passable > 0)])
        peel = np.isin(labels, reached[reached > 0]) & inside
        if not peel.any() or np.count_nonzero(peel) > 0.3 * np.count_nonzero(inside):
            return mask
        peeled = np.where(inside & ~peel, 255, 0).astype(np.uint8)
        peeled = u8(cv2.morphologyEx(peeled, cv2.MORPH_OPEN, disk(unit)))
        return _fill_holes(_main_components(peeled))

    @staticmethod
    def _see_through(
        mask: U8Array, score: FloatArray, grad: FloatArray, sample: BoolArray, unit: int
    ) -> U8Array:
        """``mask`` with the enclosed regions that are background seen through the product
        (a mug's handle, a tote's strap) made background again."""
        h, w = mask.shape
        inside = mask > 0
        candidates = np.where(inside & (score < _HOLE_SCORE), 255, 0).astype(np.uint8)
        candidates = u8(cv2.morphologyEx(candidates, cv2.MORPH_OPEN, disk(unit)))
        count, labels, stats, _ = cv2.connectedComponentsWithStats(candidates, connectivity=8)
        min_area = max(12 * unit * unit, 0.001 * h * w)
        smooth = max(8.0, 2.0 * float(np.quantile(grad[sample], 0.9)))
        opened = mask.copy()
        for label in range(1, count):
            if stats[label, cv2.CC_STAT_AREA] < min_area:
                continue
            region = np.where(labels == label, 255, 0).astype(np.uint8)
            grown = u8(cv2.dilate(region, disk(2 * unit))) > 0
            if (grown & ~inside).any():
                continue  # it reaches the outline: not enclosed, GrabCut's business
            if np.count_nonzero(_fill_holes(region)) > 1.01 * stats[label, cv2.CC_STAT_AREA]:
                continue  # it encloses something (a label's text): not the background
            core = u8(cv2.erode(region, disk(unit))) > 0
            if not core.any() or float(np.mean(grad[core])) > smooth:
                continue  # texture: a printed surface, not the background
            frame = grown & inside & (labels != label)
            if not frame.any() or float(np.median(score[frame])) < 1.2 * _SCORE_THRESHOLD:
                continue  # the product around it is background-colored itself (white on white)
            # The hole's own rim (the backdrop blended with the product, a shadow inside it) is
            # not clearly product either: the hole takes it in, up to where the product starts.
            rim = u8(cv2.dilate(region, disk(unit))) > 0
            opened[(labels == label) | (rim & (score < _SCORE_THRESHOLD))] = 0
        return opened

    @staticmethod
    def _enclosed(outlines: U8Array, score: FloatArray, unit: int) -> U8Array:
        """The region that sharp outlines enclose: the evidence for white-on-white."""
        # A white product's outline is faint and breaks in places, so filling what it closes
        # fails at the first gap. A pixel is inside when most straight lines through it meet an
        # outline on both sides: a gap only dents the region near it.
        closed = _fill_holes(u8(cv2.morphologyEx(outlines, cv2.MORPH_CLOSE, disk(4 * unit))))
        region = (_enclosure(outlines) >= _ENCLOSED) | (closed > 0)
        # The rays also count a narrow gap between two products (or a bay of one) as enclosed.
        # Where the product is clearly not background-colored, background-colored pixels that
        # reach the outside without crossing an outline are that gap; a white label at the
        # product's edge is cut off from the outside by the product's outline, and stays. A
        # white product on white matches the background everywhere, and keeps it all.
        if region.any() and float(np.median(score[region])) >= 2 * _SCORE_THRESHOLD:
            barrier = u8(cv2.dilate(outlines, disk(1))) > 0
            open_bg = np.where((score < _HOLE_SCORE) & ~barrier, 255, 0).astype(np.uint8)
            _, labels = cv2.connectedComponents(open_bg, connectivity=4)
            outside = (open_bg > 0) & ~region
            gap = np.isin(labels, np.unique(labels[outside])) & (labels > 0)
            region &= ~gap
        return np.where(region, 255, 0).astype(np.uint8)

    @staticmethod
    def _grabcut(work: RGBImage, coarse: U8Array, shadow: BoolArray, unit: int) -> U8Array:
        sure_fg = cv2.erode(coarse, disk(4 * unit))
        maybe = cv2.dilate(coarse, disk(4 * unit))
        gc = np.full(coarse.shape, cv2.GC_BGD, np.uint8)
        gc[maybe > 0] = cv2.GC_PR_BGD
        gc[coarse > 0] = cv2.GC_PR_FGD
        gc[(maybe > 0) & (coarse == 0) & shadow] = cv2.GC_BGD
        gc[sure_fg > 0] = cv2.GC_FGD
        if not (gc == cv2.GC_FGD).any() or not (gc == cv2.GC_BGD).any():
            return coarse
        # Only the undecided box and a margin of sure background go to GrabCut: its cost grows
        # with the pixels it labels, and the backdrop near the product is the one it must learn.
        h, w = coarse.shape
        rows = np.flatnonzero((gc != cv2.GC_BGD).any(axis=1))
        cols = np.flatnonzero((gc != cv2.GC_BGD).any(axis=0))
        margin = _GRABCUT_MARGIN * unit
        y0, y1 = max(0, rows[0] - margin), min(h, rows[-1] + 1 + margin)
        x0, x1 = max(0, cols[0] - margin), min(w, cols[-1] + 1 + margin)
        labels = np.ascontiguousarray(gc[y0:y1, x0:x1])
        if not (labels == cv2.GC_BGD).any():
            return coarse
        bgr = np.ascontiguousarray(work[y0:y1, x0:x1, ::-1])
        bgd = np.zeros((1, 65), np.float64)
        fgd = np.zeros((1, 65), np.float64)
        cv2.setRNGSeed(
            12
        )  # GrabCut seeds its color models with k-means: the same photo, the same cut
        try:
            cv2.grabCut(bgr, labels, None, bgd, fgd, 3, cv2.GC_INIT_WITH_MASK)  # type: ignore[call-overload]
        except cv2.error:
            return coarse
        gc[y0:y1, x0:x1] = labels
        refined = np.where((gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD), 255, 0).astype(np.uint8)
        refined = _fill_holes(
            _main_components(u8(cv2.morphologyEx(refined, cv2.MORPH_OPEN, disk(unit))))
        )
        overlap = iou(refined.astype(np.float32), coarse > 0, 127.0)
        return refined if overlap > 0.85 else coarse

    @staticmethod
    def _soft_alpha(mask: U8Array, shape: tuple[int, int]) -> AlphaMask:
        h, w = shape
        alpha = mask.astype(np.float32) / 255.0
        if alpha.shape != (h, w):
            alpha = f32(cv2.resize(alpha, (w, h), interpolation=cv2.INTER_LINEAR))
        feather = max(0.8, 0.6 * max(h, w) / _WORK_SIDE)
        alpha = f32(cv2.GaussianBlur(alpha, (0, 0), feather))
        return np.clip(alpha, 0.0, 1.0).astype(np.float32)
