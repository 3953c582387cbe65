"""Product analysis quality and speed on the two evaluation sets (issues 3 and 12).

The tuning set (``tests.support.product_photos.evaluation_set`` and the busy scenes and white
sweeps of ``tests.support.scene_photos.scene_set``): each photo gets the full studio
analysis (segment, colors, OCR analyzer on the segmenter's own alpha), timed, and scored
against the generator's truth; plain OpenCV GrabCut runs on the same photos for comparison.
The held-out set (``tests.support.heldout_photos``, never tuned on): the same analysis on each
photo's working image (long side at most 1024), scored against its labels; see
bench/evaluation.py. ``python -m bench.analysis`` runs both and prints the side-by-side table.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np
from tests.support import heldout_photos, label_photos
from tests.support.clutter_photos import make_clutter_photo
from tests.support.fake_openai import FakeOpenAI
from tests.support.product_photos import ProductPhoto, evaluation_set
from tests.support.scene_photos import scene_set

from bench.evaluation import PhotoScore, SetScores, boundary_f, heldout_commit, same_text
from krev.engines.base import ColorAnalysis, ProductMetadata, RGBImage
from krev.engines.openai_vision import OpenAIVisionAnalyzer
from krev.engines.studio.analyze import StudioProductAnalyzer
from krev.engines.studio.colors import StudioColorAnalyzer
from krev.engines.studio.segment import ClassicalSegmenter, iou

HELDOUT_SIDE = 1024  # the held-out photos' working side: 800 px photos stay as they are
ROOT = Path(__file__).resolve().parent.parent

CLUTTER_PHOTOS = 96
CLUTTER_TUNED = 48  # photos 0-47 were looked at while tuning; 48-95 only in aggregate


def run_clutter(count: int = CLUTTER_PHOTOS, size: int = 1024) -> SetScores:
    """The clutter set (tests/support/clutter_photos.py): busy scenes built differently from
    the tuning set's, products cut off by the frame, held, or among other objects; cutout and
    top color only (its products carry no label truth)."""
    scores = SetScores(
        "clutter set",
        f"tests/support/clutter_photos.py, photos 0-{count - 1} at {size}² (busy scenes only; "
        f"photos 0-{CLUTTER_TUNED - 1} were looked at one by one while tuning, the rest only "
        "in aggregate)",
    )
    studio = _Studio()
    for index in range(count):
        photo = make_clutter_photo(index, size)
        started = time.perf_counter()
        alpha = studio.segmenter.segment(photo.image).alpha
        found = studio.colors.analyze(photo.image, alpha)
        shared = time.perf_counter() - started
        top = found.colors[0].name if found.colors else None
        scores.photos.append(
            PhotoScore(
                background="busy, tuned photos" if index < CLUTTER_TUNED else "busy, other photos",
                white_on_white=False,
                side=(size, size),
                iou=iou(alpha, photo.mask),
                boundary_f=boundary_f(alpha > 0.5, photo.mask),
                seconds=math.nan,
                color=top in photo.colors if photo.colors else None,
                segment_colors_seconds=shared,
            )
        )
    return scores


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
    scores: SetScores | None = None  # the same photos scored as bench.evaluation scores
    heldout: SetScores | None = None  # the held-out set, when it was run
    clutter: SetScores | None = None  # the clutter set, when it was run

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


class _Studio:
    """The studio analysis as an upload gets it, plus the vision-LLM step when given one."""

    def __init__(self, llm: OpenAIVisionAnalyzer | None = None) -> None:
        self.segmenter = ClassicalSegmenter()
        self.colors = StudioColorAnalyzer()
        self.analyzer = StudioProductAnalyzer()
        self.llm = llm

    def load(self) -> float:
        started = time.perf_counter()
        self.analyzer._engine()  # the OCR models load here, once per analyzer
        return time.perf_counter() - started

    def analyse(self, image: RGBImage) -> tuple[np.ndarray, ColorAnalysis, ProductMetadata, float]:
        """Alpha, colors, metadata, and the seconds the cutout and colors took."""
        started = time.perf_counter()
        alpha = self.segmenter.segment(image).alpha
        found = self.colors.analyze(image, alpha)
        shared = time.perf_counter() - started
        return alpha, found, self.analyzer.analyze(image, alpha, found), shared

    def llm_seconds(self, image: RGBImage, alpha: np.ndarray, found: ColorAnalysis) -> float | None:
        if self.llm is None:
            return None
        started = time.perf_counter()
        self.llm.analyze(image, alpha, found)
        return time.perf_counter() - started


@contextmanager
def fake_llm() -> Iterator[OpenAIVisionAnalyzer]:
    """A vision-LLM analyzer pointed at a fake OpenAI-compatible server answering at once."""
    with FakeOpenAI() as server:
        server.answer(
            {
                "brandName": "Fake",
                "productName": "Overhead",
                "productType": "serum",
                "category": "skincare",
                "materials": ["glass"],
            }
        )
        yield OpenAIVisionAnalyzer(server.base_url, "fake-vision", api_key=server.api_key)


SCENE_PHOTOS = 32  # busy scenes and white sweeps from tests/support/scene_photos.py


def run(
    n: int = 40,
    size: int = 1024,
    llm: OpenAIVisionAnalyzer | None = None,
    scenes: int = SCENE_PHOTOS,
    labels: int = label_photos.PHOTOS,
) -> AnalysisResults:
    photos = evaluation_set(n, size) + scene_set(scenes, size)
    studio = _Studio(llm)
    colors = studio.colors
    model_load_s = studio.load()
    studio.analyse(photos[0].image)  # warm-up: first-inference allocations are not counted

    seconds: list[float] = []
    ours: list[float] = []
    theirs: list[float] = []
    by_kind: dict[str, list[tuple[float, float]]] = defaultdict(list)
    labelled = brand_correct = colored = color_correct = 0
    scores = SetScores(
        "tuning set",
        f"tests/support/product_photos.py, photos 0-{n - 1}, and "
        f"tests/support/scene_photos.py, photos 0-{scenes - 1} (busy scenes, white sweeps), "
        f"at {size}²; tests/support/label_photos.py, photos 0-{labels - 1} at their own sizes "
        "(800-1600), each told its account's other labels",
    )
    for photo in photos:
        started = time.perf_counter()
        alpha, found, metadata, shared = studio.analyse(photo.image)
        seconds.append(time.perf_counter() - started)
        top = found.colors[0].name if found.colors else None
        brand = metadata.brand_name

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
        scores.photos.append(
            PhotoScore(
                background=photo.background,
                white_on_white=photo.white_product and photo.background != "colored",
                side=(size, size),
                iou=score,
                boundary_f=boundary_f(alpha > 0.5, photo.mask),
                seconds=seconds[-1],
                brand=same_text(brand, photo.label_text) if photo.label_text else None,
                brand_cased=None,  # the tuning set's truth is case-insensitive
                product_type=metadata.product_type == photo.product,
                # The body's accepted palette names (tests/support/color_truth.py).
                color=top in photo.colors if photo.colors else None,
                llm_seconds=studio.llm_seconds(photo.image, alpha, found),
                segment_colors_seconds=shared,
            )
        )

    if labels:
        # The labelled products, as an account's uploads are analysed (in order): each told the
        # label lines read on the same account's earlier products.
        scores.photos.extend(run_labels(labels, studio=studio).with_catalog)

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
            for kind in by_kind
        },
        labelled=labelled,
        brand_correct=brand_correct,
        colored=colored,
        color_correct=color_correct,
        model_load_s=model_load_s,
        seconds=seconds,
        scores=scores,
    )


@dataclass
class LabelResults:
    """The labelled-products tuning set (tests/support/label_photos.py): each photo read once,
    scored alone and again told its account's other products' label lines."""

    alone: list[PhotoScore]
    with_catalog: list[PhotoScore]


def run_labels(
    count: int = label_photos.PHOTOS,
    size: int | None = None,
    studio: _Studio | None = None,
    start: int = 0,
) -> LabelResults:
    """The labelled-products tuning set, analysed as uploads are (segment, colors, read), then
    described again with the label lines the analysis read on the same account's other photos,
    as an account's later uploads are."""
    if missing := label_photos.missing_fonts():
        raise RuntimeError(f"the tuning set's fonts are missing (make setup-fonts): {missing}")
    if studio is None:
        studio = _Studio()
        studio.load()
    read = []
    alone: list[PhotoScore] = []
    for photo in label_photos.tuning_set(count, size, start):
        started = time.perf_counter()
        alpha = studio.segmenter.segment(photo.image).alpha
        found = studio.colors.analyze(photo.image, alpha)
        shared = time.perf_counter() - started
        lines, crop_height = studio.analyzer.read_label(photo.image, alpha)
        metadata = studio.analyzer.describe(lines, crop_height, photo.image, alpha, found)
        elapsed = time.perf_counter() - started
        read.append((photo, alpha, found, lines, crop_height, metadata.text))
        alone.append(_label_score(photo, alpha, found, metadata, elapsed, shared))
    with_catalog: list[PhotoScore] = []
    for position, ((photo, alpha, found, lines, crop_height, _), first) in enumerate(
        zip(read, alone, strict=True)
    ):
        # As the account uploaded its catalog in this order: each product is told the label
        # lines of the same account's products uploaded before it, never of later ones.
        catalog = [texts for other, *_, texts in read[:position] if other.account == photo.account]
        metadata = studio.analyzer.describe(
            lines, crop_height, photo.image, alpha, found, catalog_labels=catalog
        )
        # Timed once, in the first pass: reading the label is what takes the time.
        seconds, shared = first.seconds, first.segment_colors_seconds or 0.0
        score = _label_score(photo, alpha, found, metadata, seconds, shared)
        with_catalog.append(
            replace(score, brand_alone=first.brand, product_name_alone=first.product_name)
        )
    return LabelResults(alone, with_catalog)


def _label_score(
    photo: label_photos.LabelPhoto,
    alpha: np.ndarray,
    found: ColorAnalysis,
    metadata: ProductMetadata,
    seconds: float,
    shared: float,
) -> PhotoScore:
    top = found.colors[0].name if found.colors else None
    return PhotoScore(
        background=photo.background,
        white_on_white=False,
        side=(photo.image.shape[0], photo.image.shape[1]),
        iou=iou(alpha, photo.mask),
        boundary_f=boundary_f(alpha > 0.5, photo.mask),
        seconds=seconds,
        brand=same_text(metadata.brand_name, photo.brand_name),
        brand_cased=same_text(metadata.brand_name, photo.brand_name, cased=True),
        product_name=same_text(metadata.product_name, photo.product_name),
        product_type=metadata.product_type == photo.product_type,
        category=metadata.category == photo.category,
        color=top in photo.colors,
        segment_colors_seconds=shared,
    )


def working(
    photo: heldout_photos.HeldOutPhoto, side: int = HELDOUT_SIDE
) -> tuple[RGBImage, np.ndarray]:
    """The photo and its true mask at the working size (long side at most ``side``)."""
    h, w = photo.image.shape[:2]
    scale = side / max(h, w)
    if scale >= 1:
        return photo.image, photo.mask
    size = (round(w * scale), round(h * scale))
    image = cv2.resize(photo.image, size, interpolation=cv2.INTER_AREA)
    alpha = cv2.resize(photo.alpha, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(image), alpha >= 0.5


def run_heldout(
    llm: OpenAIVisionAnalyzer | None = None, count: int = heldout_photos.PHOTOS
) -> SetScores:
    """The held-out set, scored; only reported on, never tuned against."""
    missing = heldout_photos.missing_fonts()
    if missing:
        raise RuntimeError(f"the held-out set's fonts are missing (make setup-fonts): {missing}")
    commit, changed = heldout_commit(ROOT)
    scores = SetScores(
        "held-out set",
        f"tests/support/heldout_photos.py as committed in {commit or 'an unknown commit'}, "
        f"seed {heldout_photos.SEED}, {count} photos taken at 800-3000 px, analysed at a long "
        f"side of at most {HELDOUT_SIDE}",
        changed=changed,
    )
    studio = _Studio(llm)
    studio.load()
    warm = heldout_photos.make_photo(0)
    studio.analyse(working(warm)[0])
    # The held-out set is one shop's catalog, uploaded in index order: each product is told the
    # label lines read on the products uploaded before it (as the catalog's analysis job is told
    # its account's other products'), and is also scored read alone.
    earlier: list[list[str]] = []
    for index in range(count):
        photo = heldout_photos.make_photo(index)
        image, mask = working(photo)
        product = photo.product
        started = time.perf_counter()
        alpha = studio.segmenter.segment(image).alpha
        found = studio.colors.analyze(image, alpha)
        shared = time.perf_counter() - started
        lines, crop_height = studio.analyzer.read_label(image, alpha)
        metadata = studio.analyzer.describe(
            lines, crop_height, image, alpha, found, catalog_labels=list(earlier)
        )
        elapsed = time.perf_counter() - started
        alone = studio.analyzer.describe(lines, crop_height, image, alpha, found)
        earlier.append(list(metadata.text))
        top = found.colors[0].name if found.colors else None
        scores.photos.append(
            PhotoScore(
                background=photo.background,
                white_on_white=photo.white_on_white,
                side=(image.shape[0], image.shape[1]),
                iou=iou(alpha, mask),
                boundary_f=boundary_f(alpha > 0.5, mask),
                seconds=elapsed,
                brand=same_text(metadata.brand_name, product.brand_name),
                brand_cased=same_text(metadata.brand_name, product.brand_name, cased=True),
                product_name=same_text(metadata.product_name, product.product_name),
                brand_alone=same_text(alone.brand_name, product.brand_name),
                product_name_alone=same_text(alone.product_name, product.product_name),
                product_type=metadata.product_type == product.product_type,
                category=metadata.category == product.category,
                color=top in product.colors,
                llm_seconds=studio.llm_seconds(image, alpha, found),
                segment_colors_seconds=shared,
            )
        )
    return scores


def main() -> int:
    """Both sets, side by side, printed (bench/RESULTS.md is left as it is)."""
    from bench.evaluation import section, targets

    with fake_llm() as llm:
        tuning = run(llm=llm)
        held = run_heldout(llm)
    assert tuning.scores is not None
    print("\n".join([*section(tuning.scores, held, None, ""), "", *targets(held, None)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
