"""Product analysis quality and speed on the shared evaluation set (issue 3).

One pass over ``tests.support.product_photos.evaluation_set``: each photo gets the full studio
analysis (segment, colors, OCR analyzer on the segmenter's own alpha), timed, and scored
against the generator's truth; plain OpenCV GrabCut runs on the same photos for comparison.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field

import cv2
import numpy as np
from tests.support.product_photos import BACKGROUNDS, ProductPhoto, evaluation_set

from krev.engines.base import RGBImage
from krev.engines.studio.analyze import StudioProductAnalyzer
from krev.engines.studio.colors import StudioColorAnalyzer
from krev.engines.studio.segment import ClassicalSegmenter, iou

GRABCUT_SIDE = 512  # GrabCut at 1024² takes several seconds a photo here; its mask is upscaled
GRABCUT_ITERATIONS = 5
GRABCUT_MARGIN = 0.02  # the init rectangle leaves this fraction of the side on every edge


@dataclass
class AnalysisResults:
    photos: int
    size: int
    iou: float  # mean, ClassicalSegmenter
    grabcut_iou: float  # mean, plain GrabCut
    iou_by_background: dict[str, tuple[int, float, float]]  # kind -> (photos, ours, GrabCut)
    labelled: int  # photos with label text
    brand_correct: int
    colored: int  # photos whose true-mask analysis names a top color
    color_correct: int
    model_load_s: float  # first OCR engine creation (model loading), not in the timings
    seconds: list[float] = field(default_factory=list)  # one full analysis per photo

    @property
    def brand_accuracy(self) -> float:
        return self.brand_correct / self.labelled if self.labelled else 0.0

    @property
    def color_accuracy(self) -> float:
        return self.color_correct / self.colored if self.colored else 0.0

    @property
    def median_s(self) -> float:
        return statistics.median(self.seconds)

    @property
    def p90_s(self) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


def grabcut_mask(image: RGBImage, side: int = GRABCUT_SIDE) -> np.ndarray:
    """Plain GrabCut from a near-full-frame rectangle, at ``side``², upscaled to the input."""
    h, w = image.shape[:2]
    small = cv2.resize(image, (side, side), interpolation=cv2.INTER_AREA)
    bgr = cv2.cvtColor(small, cv2.COLOR_RGB2BGR)
    margin = max(1, round(side * GRABCUT_MARGIN))
    rect = (margin, margin, side - 2 * margin, side - 2 * margin)
    mask = np.zeros((side, side), np.uint8)
    bg_model = np.zeros((1, 65), np.float64)
    fg_model = np.zeros((1, 65), np.float64)
    cv2.grabCut(bgr, mask, rect, bg_model, fg_model, GRABCUT_ITERATIONS, cv2.GC_INIT_WITH_RECT)
    fg = ((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)).astype(np.float32)
    return np.asarray(cv2.resize(fg, (w, h), interpolation=cv2.INTER_LINEAR), np.float32)


def _top_color(colors: StudioColorAnalyzer, photo: ProductPhoto, alpha: np.ndarray) -> str | None:
    found = colors.analyze(photo.image, alpha).colors
    return found[0].name if found else None


def run(n: int = 40, size: int = 1024) -> AnalysisResults:
    photos = evaluation_set(n, size)
    segmenter, colors, analyzer = (
        ClassicalSegmenter(),
        StudioColorAnalyzer(),
        StudioProductAnalyzer(),
    )

    def analyse(photo: ProductPhoto) -> tuple[np.ndarray, str | None, str | None]:
        alpha = segmenter.segment(photo.image).alpha
        found = colors.analyze(photo.image, alpha)
        metadata = analyzer.analyze(photo.image, alpha, found)
        return alpha, (found.colors[0].name if found.colors else None), metadata.brand_name

    started = time.perf_counter()
    analyzer._engine()  # the OCR models load here, once per analyzer
    model_load_s = time.perf_counter() - started
    analyse(photos[0])  # warm-up: first-inference allocations are not counted either

    seconds: list[float] = []
    ours: list[float] = []
    theirs: list[float] = []
    by_kind: dict[str, list[tuple[float, float]]] = defaultdict(list)
    labelled = brand_correct = colored = color_correct = 0
    for photo in photos:
        started = time.perf_counter()
        alpha, top, brand = analyse(photo)
        seconds.append(time.perf_counter() - started)

        score, baseline = iou(alpha, photo.mask), iou(grabcut_mask(photo.image), photo.mask)
        ours.append(score)
        theirs.append(baseline)
        by_kind[photo.background].append((score, baseline))
        if photo.label_text:
            labelled += 1
            brand_correct += (brand or "").casefold() == photo.label_text.casefold()
        truth = _top_color(colors, photo, photo.mask.astype(np.float32))
        if truth is not None:
            colored += 1
            color_correct += top == truth

    return AnalysisResults(
        photos=len(photos),
        size=size,
        iou=statistics.fmean(ours),
        grabcut_iou=statistics.fmean(theirs),
        iou_by_background={
            kind: (
                len(by_kind[kind]),
                statistics.fmean(s for s, _ in by_kind[kind]),
                statistics.fmean(b for _, b in by_kind[kind]),
            )
            for kind in BACKGROUNDS
            if by_kind[kind]
        },
        labelled=labelled,
        brand_correct=brand_correct,
        colored=colored,
        color_correct=color_correct,
        model_load_s=model_load_s,
        seconds=seconds,
    )
