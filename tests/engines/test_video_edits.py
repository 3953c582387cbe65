"""The creator edit (ugc) and the animated photo (image_to_video): quick cuts and captions in
9:16, the centre-safe reframing into other shapes, the photo's foreground moving over its
background."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from krev.engines.studio.scene import FIDELITY_THRESHOLD, product_fidelity
from krev.engines.studio.video import StudioVideoEngine, StudioVideoPlan
from krev.engines.video import FPS, VideoCopy, VideoRequest
from tests.support.videos import cutout, photo

ENGINE = StudioVideoEngine()
CAPTIONS = ["I was not sure at first", "then my skin changed in a week", "try it"]


def edit(
    width: int,
    height: int,
    duration: int = 8,
    seed: int = 1,
    captions: list[str] | None = None,
    copy: VideoCopy | None = None,
    product: bool = True,
    source: np.ndarray | None = None,
) -> StudioVideoPlan:
    return ENGINE.plan(
        VideoRequest(
            workflow="ugc",
            prompt="on a wooden table",
            width=width,
            height=height,
            duration=duration,
            products=[cutout(3)] if product else [],
            source_image=source,
            captions=CAPTIONS if captions is None else captions,
            copy=copy or VideoCopy(cta="Shop now", brand="AURA"),
            seed=seed,
        )
    )


def animated(width: int, height: int, image: np.ndarray, seed: int = 1) -> StudioVideoPlan:
    return ENGINE.plan(
        VideoRequest(
            workflow="image_to_video",
            prompt="",
            width=width,
            height=height,
            duration=6,
            source_image=image,
            copy=VideoCopy(hook="New in", cta="Shop now"),
            seed=seed,
        )
    )


def test_a_creator_edit_cuts_quickly_and_stays_handheld() -> None:
    plan = edit(180, 320, duration=10)
    lengths = [(s.end - s.start) / FPS for s in plan.shots]
    assert len(plan.shots) >= 5
    assert all(1.0 <= seconds <= 2.0 for seconds in lengths), lengths
    assert all(s.transition == "cut" for s in plan.shots[1:])
    frames = list(plan.frames())
    assert len(frames) == 10 * FPS
    for shot in plan.shots:
        # Never still: the hand moves frame to frame.
        steps = [
            np.abs(frames[i].astype(int) - frames[i + 1].astype(int)).mean()
            for i in range(shot.start, shot.end - 1, 5)
        ]
        assert min(steps) > 0.02, (shot.move, steps)
    # Cuts: the picture jumps between shots.
    for _before, after in zip(plan.shots, plan.shots[1:], strict=False):
        jump = np.abs(frames[after.start].astype(int) - frames[after.start - 1].astype(int))
        assert jump.mean() > 2.0


def test_captions_follow_each_other_across_the_video_and_the_call_to_action_ends_it() -> None:
    plan = edit(180, 320, duration=9)
    roles = [(o.role, o.text) for o in plan.overlays]
    assert roles == [*[("caption", c) for c in CAPTIONS], ("cta", "Shop now")]
    spans = [(o.start, o.end) for o in plan.overlays]
    assert spans[0][0] == 0 and spans[-1][1] == 9 * FPS
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start == end
    # Longer lines stay longer.
    assert spans[1][1] - spans[1][0] > spans[2][1] - spans[2][0]


def test_captions_timed_by_the_voice_are_shown_at_those_times() -> None:
    script = ["Wait for it", "my skin changed in a week", "Shop now"]
    times = [(0.4, 1.6), (1.9, 4.2), (4.5, 5.3)]
    plan = ENGINE.plan(
        VideoRequest(
            workflow="ugc",
            prompt="on a wooden table",
            width=180,
            height=320,
            duration=8,
            products=[cutout(3)],
            captions=script,
            caption_times=times,
            copy=VideoCopy(hook="Wait for it", cta="Shop now", brand="AURA"),
            seed=3,
        )
    )
    shown = [(o.role, o.text, o.start, o.end) for o in plan.overlays]
    assert shown == [
        ("hook", "Wait for it", 10, 38),
        ("caption", "my skin changed in a week", 46, 101),
        ("caption", "Shop now", 108, 127),
        ("cta", "Shop now", 156, 192),  # the end card: its last 1.5 s
    ]
    # Between the lines (a pause in the voice), nothing is written.
    assert np.array_equal(plan.frame(42), plan.picture(42))
    assert not np.array_equal(plan.frame(70), plan.picture(70))


def test_tall_edit_text_avoids_the_bottom_band_and_the_products() -> None:
    plan = edit(270, 480, duration=8, copy=VideoCopy(hook="Wait for it", cta="Shop now"))
    assert plan.overlays[0].role == "hook"
    for overlay in plan.overlays:
        for index in range(overlay.start, overlay.end, 6):
            frame = plan.frame(index)
            changed = np.abs(frame.astype(int) - plan.picture(index).astype(int)).max(axis=2)
            ys, xs = np.nonzero(changed > 8)
            if ys.size == 0:
                continue
            assert ys.max() < 480 * 0.8, (overlay.role, index)
            assert ys.min() >= 480 * 0.06 - 1
            assert xs.min() >= 270 * 0.06 - 1 and xs.max() <= 270 * 0.94
            ((x, y, w, h),) = plan.product_boxes(index)
            on_product = changed[y : y + h, x : x + w] > 8
            assert on_product.mean() < 0.02, (overlay.role, index)
            score = product_fidelity(frame, (x, y, w, h), plan.request.products[0].rgba)
            assert score >= FIDELITY_THRESHOLD


@pytest.mark.parametrize(("width", "height"), [(480, 270), (360, 360), (480, 360), (270, 360)])
def test_other_shapes_show_the_whole_tall_edit_in_the_middle(width: int, height: int) -> None:
    plan = edit(width, height, duration=6)
    inner_w = plan.size[0]
    assert plan.size[1] == height and inner_w < width
    assert plan.scene["composed"] == {"width": inner_w, "height": height, "reframed": "centre"}
    left = (width - inner_w) // 2
    for overlay in plan.overlays:
        index = (overlay.start + overlay.end) // 2
        frame = plan.frame(index)
        assert frame.shape == (height, width, 3)
        picture = plan.picture(index)
        column = frame[:, left : left + inner_w]
        changed = np.abs(column.astype(int) - picture.astype(int)).max(axis=2) > 8
        ys, xs = np.nonzero(changed)
        assert ys.size > 50, overlay.role  # the caption is there, in the 9:16 column
        # ... and whole: well inside the column, not cut by the frame's edges.
        assert xs.min() >= inner_w * 0.06 - 1 and xs.max() <= inner_w * 0.94
        assert ys.min() >= height * 0.06 - 1 and ys.max() < height * 0.8
    # The product is inside the column too, where its box says.
    for index in (10, 70, 130):
        ((x, y, w, h),) = plan.product_boxes(index)
        assert left <= x and x + w <= left + inner_w
        frame = plan.frame(index)
        assert product_fidelity(frame, (x, y, w, h), plan.request.products[0].rgba) >= 0.6
    # Around the column: the blurred, dimmed edit, not black bars.
    side = plan.frame(70)[:, : max(1, left - 2)]
    assert side.mean() > 15
    assert side.std() < plan.frame(70)[:, left : left + inner_w].std() + 1


def test_an_edit_of_a_photo_without_a_product() -> None:
    plan = edit(180, 320, duration=5, product=False, source=photo(6, 320))
    assert plan.product_boxes(30) == []
    frames = list(plan.frames())
    assert len(frames) == 5 * FPS
    assert np.abs(frames[3].astype(int) - frames[40].astype(int)).mean() > 1.0


def test_a_photo_of_the_frame_shape_moves_its_foreground_over_its_background() -> None:
    plan = animated(320, 320, photo(6, 400))
    source = plan.scene["scene"]["source"]  # type: ignore[index]
    assert source["fit"] == "cover"
    assert source["foreground"] is True
    assert plan.scene["layers"][:2] == ["background", "foreground"]  # type: ignore[index]
    frames = list(plan.frames())
    assert len(frames) == 6 * FPS
    for shot in plan.shots:
        change = np.abs(frames[shot.start].astype(int) - frames[shot.end - 1].astype(int))
        assert change.mean() > 1.0, shot.move


def test_a_photo_of_another_shape_is_shown_whole() -> None:
    image = photo(6, 300)
    plan = animated(480, 270, image)
    source = plan.scene["scene"]["source"]  # type: ignore[index]
    assert source["fit"] == "contain"
    layers = plan.layers[0]
    (card,) = layers.subjects
    assert card.box is not None
    # The photo is in the frame, whole, on every frame's pose.
    for index in range(0, 6 * FPS, 12):
        pose = plan.timeline.at(index).dominant.pose(index)
        from krev.engines.studio.video.compositor import Compositor

        ((_, (x, y, w, h)),) = Compositor(plan.size).subject_boxes(layers, pose)
        assert x >= 0 and y >= 0 and x + w <= 480 and y + h <= 270
        assert w / h == pytest.approx(1.0, rel=0.03)


def test_a_photo_too_small_or_missing_is_refused() -> None:
    with pytest.raises(ValueError, match="16 pixels"):
        animated(320, 180, np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match="source image"):
        ENGINE.plan(
            VideoRequest(workflow="image_to_video", prompt="", width=320, height=180, duration=4)
        )
