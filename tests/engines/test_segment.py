"""Background removal quality on the shared rendered evaluation set."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pytest

from krev.engines.studio.segment import ClassicalSegmenter, iou
from tests.support.clutter_photos import make_clutter_photo
from tests.support.product_photos import ProductPhoto, evaluation_set, make_holed_photo
from tests.support.scene_photos import make_scene_photo

SIZE = 384

# Measured on this set at 384 px: ours 0.986 mean IoU (0.970 before the outline enclosure of
# issue 12's second round; issue target 0.95), GrabCut ~0.76; every background kind 0.973 or
# more, white products on light backgrounds 0.949 (0.943 before); its white sweeps 0.988 (0.959
# before, 0.943 before the shadow peel).
MIN_MEAN_IOU = 0.965
MIN_KIND_IOU = 0.93


@dataclass(frozen=True)
class Outcome:
    photo: ProductPhoto
    alpha: np.ndarray
    confidence: float
    iou: float


def _grabcut_baseline(image: np.ndarray) -> np.ndarray:
    """Plain OpenCV GrabCut from a centered rectangle, run at half size to keep the suite fast."""
    h, w = image.shape[:2]
    small = cv2.resize(image, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    mask = np.zeros((sh, sw), np.uint8)
    rect = (sw // 10, sh // 10, sw * 8 // 10, sh * 8 // 10)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    bgr = np.ascontiguousarray(small[..., ::-1])
    cv2.grabCut(bgr, mask, rect, bgd, fgd, 5, cv2.GC_INIT_WITH_RECT)
    fg = ((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)).astype(np.float32)
    return cv2.resize(fg, (w, h), interpolation=cv2.INTER_LINEAR)


@pytest.fixture(scope="module")
def photos() -> list[ProductPhoto]:
    return evaluation_set(40, SIZE)


@pytest.fixture(scope="module")
def outcomes(photos: list[ProductPhoto]) -> list[Outcome]:
    segmenter = ClassicalSegmenter()
    results = []
    for photo in photos:
        result = segmenter.segment(photo.image)
        assert result.method == "studio-classical"
        results.append(
            Outcome(photo, result.alpha, result.confidence, iou(result.alpha, photo.mask))
        )
    return results


def _mean(values: list[float]) -> float:
    return float(np.mean(values))


@pytest.mark.quality
def test_evaluation_set_is_deterministic_and_varied(photos: list[ProductPhoto]) -> None:
    again = evaluation_set(3, SIZE)
    for first, second in zip(photos[:3], again, strict=True):
        assert np.array_equal(first.image, second.image)
        assert np.array_equal(first.mask, second.mask)
    assert {p.background for p in photos} == {"white", "gradient", "colored", "textured"}
    assert {p.product for p in photos} == {"bottle", "box", "jar", "bag", "shoe"}
    assert any(p.white_product and p.background == "white" for p in photos)
    assert all(p.shadow.any() and not (p.shadow & p.mask).any() for p in photos)
    assert sum(bool(p.label_text) for p in photos) >= 30


@pytest.mark.quality
def test_alpha_has_the_image_shape_and_range(outcomes: list[Outcome]) -> None:
    for outcome in outcomes:
        alpha = outcome.alpha
        assert alpha.dtype == np.float32
        assert alpha.shape == outcome.photo.mask.shape
        assert float(alpha.min()) >= 0.0
        assert float(alpha.max()) <= 1.0
        assert 0.0 <= outcome.confidence <= 1.0


@pytest.mark.quality
def test_mean_iou_meets_target_and_beats_grabcut(outcomes: list[Outcome]) -> None:
    ours = _mean([o.iou for o in outcomes])
    baseline = _mean([iou(_grabcut_baseline(o.photo.image), o.photo.mask) for o in outcomes])
    print(f"mean IoU: studio-classical {ours:.3f}, grabcut {baseline:.3f}")
    assert ours >= MIN_MEAN_IOU
    assert ours > baseline + 0.1


@pytest.mark.quality
@pytest.mark.parametrize("background", ["white", "gradient", "colored", "textured"])
def test_every_background_kind_is_handled(outcomes: list[Outcome], background: str) -> None:
    scores = [o.iou for o in outcomes if o.photo.background == background]
    assert _mean(scores) >= MIN_KIND_IOU
    assert min(scores) >= 0.82


@pytest.mark.quality
def test_a_white_sweep_keeps_the_cast_shadow_out(outcomes: list[Outcome]) -> None:
    # The outline evidence used to close around product and shadow together on white.
    scores = [o.iou for o in outcomes if o.photo.background == "white"]
    assert _mean(scores) >= 0.97


@pytest.mark.quality
def test_white_product_on_light_background(outcomes: list[Outcome]) -> None:
    scores = [o.iou for o in outcomes if o.photo.white_product and o.photo.background != "colored"]
    assert len(scores) >= 6
    assert _mean(scores) >= MIN_KIND_IOU


@pytest.mark.quality
def test_cast_shadows_are_left_out(outcomes: list[Outcome]) -> None:
    per_photo = [float(o.alpha[o.photo.shadow].mean()) for o in outcomes]
    assert _mean(per_photo) < 0.2
    # A photo whose shadow is mostly kept would look wrong to any user.
    assert sum(value > 0.5 for value in per_photo) <= 2


@pytest.mark.quality
def test_alpha_is_soft_at_the_outline(outcomes: list[Outcome]) -> None:
    for outcome in outcomes:
        alpha = outcome.alpha
        partial = (alpha > 0.02) & (alpha < 0.98)
        assert partial.any()
        # Soft only at the outline: a thin band, not a haze over the picture.
        assert np.count_nonzero(partial) < 0.1 * alpha.size


@pytest.mark.quality
def test_what_a_handle_or_strap_encloses_is_see_through() -> None:
    # Mugs and totes on every background kind: before the see-through step every hole stayed
    # opaque (mean IoU 0.88 on these 16).
    segmenter = ClassicalSegmenter()
    scores, opened = [], []
    for index in range(16):
        photo = make_holed_photo(index, SIZE)
        alpha = segmenter.segment(photo.image).alpha
        scores.append(iou(alpha, photo.mask))
        product = cv2.dilate(photo.mask.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
        enclosed = _enclosed(photo.mask) & ~product  # the hole, its rim left aside
        opened.append(float((alpha[enclosed] < 0.5).mean()))
    assert _mean(scores) >= MIN_MEAN_IOU, scores
    # Every hole mostly see-through (the rest is the feathered rim a JPEG smears), most wholly.
    assert min(opened) >= 0.8, [round(v, 2) for v in opened]
    assert _mean(opened) >= 0.9


def _enclosed(mask: np.ndarray) -> np.ndarray:
    """The background regions ``mask`` encloses (not connected to the image's border)."""
    background = (~mask).astype(np.uint8)
    count, labels = cv2.connectedComponents(background, connectivity=4)
    border = set(np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])))
    return np.isin(labels, [label for label in range(1, count) if label not in border])


def test_large_input_is_downscaled_and_alpha_upscaled() -> None:
    photo = evaluation_set(1, 1024)[0]
    result = ClassicalSegmenter().segment(photo.image)
    assert result.alpha.shape == (1024, 1024)
    assert iou(result.alpha, photo.mask) >= 0.9


def test_blank_image_has_low_confidence() -> None:
    blank = np.full((200, 300, 3), 245, np.uint8)
    result = ClassicalSegmenter().segment(blank)
    assert result.alpha.shape == (200, 300)
    assert result.confidence < 0.3


@pytest.mark.quality
def test_busy_scenes_and_white_sweeps_are_cut_out() -> None:
    # The first 16 scene photos at 320 px: 12 products in busy scenes (wood, marble, tiles,
    # linen, brick, foliage, bokeh, wallpaper, a kitchen counter) and 4 white products on white
    # sweeps. Measured: busy 0.963, none below 0.85 (0.925 and one at 0.66 before the cut was
    # chosen among the color cut and what sharp outlines enclose; 0.857 with the studio model
    # alone, photos down to 0.30), white sweeps 0.936, none below 0.90 (0.763 and a white mug at
    # 0.35 before the outline enclosure).
    segmenter = ClassicalSegmenter()
    busy: list[float] = []
    white: list[float] = []
    unsure: list[float] = []  # the confidence of the busy scenes cut poorly
    sure: list[float] = []  # and of those cut well
    for index in range(16):
        photo = make_scene_photo(index, 320)
        result = segmenter.segment(photo.image)
        score = iou(result.alpha, photo.mask)
        (busy if photo.background == "busy" else white).append(score)
        if photo.background == "busy" and score < 0.9:
            unsure.append(result.confidence)
        elif photo.background == "busy" and score >= 0.95:
            sure.append(result.confidence)
    assert len(busy) == 12 and len(white) == 4
    assert _mean(busy) >= 0.93, [round(s, 3) for s in busy]
    assert min(busy) >= 0.75, [round(s, 3) for s in busy]
    assert _mean(white) >= 0.88, [round(s, 3) for s in white]
    assert min(white) >= 0.8, [round(s, 3) for s in white]
    # A poor cut in a busy scene says so (measured 0.63 on the one below 0.9; 0.51-0.63 on three
    # before the cut was chosen by its outline; a fixed 0.5 before that, whatever the cut).
    assert unsure and max(unsure) <= 0.7, [round(c, 2) for c in unsure]
    assert float(np.median(sure)) > max(unsure), [round(c, 2) for c in sure]


@pytest.mark.quality
def test_scene_photos_are_deterministic_and_varied() -> None:
    photos = [make_scene_photo(index, 96) for index in range(12)]
    again = make_scene_photo(5, 96)
    assert np.array_equal(photos[5].image, again.image)
    assert np.array_equal(photos[5].mask, again.mask)
    assert {p.background for p in photos} == {"busy", "white"}
    assert all(p.white_product for p in photos if p.background == "white")
    assert all(p.mask.any() and not (p.shadow & p.mask).any() for p in photos)


@pytest.mark.quality
def test_products_cut_off_by_the_frame_in_busy_scenes_stay_product() -> None:
    # The clutter set's tuned photos (0-47) at 320 px whose product the frame cuts at the
    # bottom or a side: 14 of them. A product reaching the frame lent the border's scene model
    # its own colors, so it read as scene: mean IoU 0.423 and a close-up bottle cut by the
    # bottom (photo 22) at 0.03 before the border's stretches the product reaches were left
    # out of the scene model; measured 0.497 and 0.79 with them left out. The set's other
    # failures (a product among props it touches, a hand holding it) are still open.
    segmenter = ClassicalSegmenter()
    scores: dict[int, float] = {}
    for index in range(48):
        photo = make_clutter_photo(index, 320)
        mask = photo.mask
        if mask[-1].any() or mask[:, 0].any() or mask[:, -1].any():
            scores[index] = iou(segmenter.segment(photo.image).alpha, mask)
    assert len(scores) == 14
    assert scores[22] >= 0.7, round(scores[22], 3)
    assert _mean(list(scores.values())) >= 0.47, {i: round(s, 2) for i, s in scores.items()}
