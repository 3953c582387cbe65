"""The studio video engine, product films (reference_to_video, text_to_video): what a viewer
would see in the frames, drawn small (320x180) so the whole video is cheap."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from krev.engines.studio.scene import FIDELITY_THRESHOLD, product_fidelity
from krev.engines.studio.scene.composite import trim_box
from krev.engines.studio.video import StudioVideoEngine, StudioVideoPlan
from krev.engines.video import FPS, VideoCopy, VideoEngine, VideoPlan, VideoRequest
from tests.support.videos import cutout

ENGINE = StudioVideoEngine()
COPY = VideoCopy(hook="Glow all day", benefit="Vitamin C, tested", cta="Shop now", brand="AURA")
PROMPT = "serum bottle on marble with plants, soft window light"


def film(
    duration: int = 8,
    seed: int = 1,
    copy: VideoCopy = COPY,
    count: int = 1,
    width: int = 320,
    height: int = 180,
    workflow: str = "reference_to_video",
    prompt: str = PROMPT,
) -> StudioVideoPlan:
    products = [cutout(i) for i in (3, 6, 16)[:count]]
    return ENGINE.plan(
        VideoRequest(
            workflow=workflow,  # type: ignore[arg-type]
            prompt=prompt,
            width=width,
            height=height,
            duration=duration,
            products=products,
            copy=copy,
            seed=seed,
        )
    )


def digest(frames: list[np.ndarray]) -> str:
    h = hashlib.blake2b(digest_size=16)
    for frame in frames:
        h.update(frame.tobytes())
    return h.hexdigest()


def in_transition(plan: StudioVideoPlan, frame: int) -> bool:
    return plan.timeline.at(frame).incoming is not None


@pytest.mark.parametrize("duration", [4, 5, 7, 10, 15])
def test_shots_fill_exactly_the_video(duration: int) -> None:
    plan = film(duration=duration, seed=duration)
    frames = FPS * duration
    assert plan.shots[0].start == 0
    assert plan.shots[-1].end == frames
    for before, after in zip(plan.shots, plan.shots[1:], strict=False):
        assert before.end == after.start
        assert after.transition in ("crossfade", "wipe", "match_cut")
    assert plan.shots[0].transition is None
    lengths = [(s.end - s.start) / FPS for s in plan.shots]
    if duration >= 5:
        assert all(2.5 <= seconds <= 4.0 for seconds in lengths), lengths
    else:
        assert lengths == [4.0]


def test_every_frame_is_drawn_and_the_scene_is_json() -> None:
    plan = film(duration=5)
    frames = list(plan.frames())
    assert len(frames) == 5 * FPS
    assert all(f.shape == (180, 320, 3) and f.dtype == np.uint8 for f in frames)
    scene = json.loads(json.dumps(plan.scene))
    assert scene["workflow"] == "reference_to_video"
    assert scene["frames"] == 120
    assert [s["start"] for s in scene["shots"]] == [s.start for s in plan.shots]
    assert scene["scene"]["surface"] == "marble"  # what the prompt asked for, understood
    assert "products" in scene["layers"]
    assert "text" in scene["layers"]
    assert {c["role"] for c in scene["copy"]} == {"hook", "benefit", "cta"}


def test_frames_can_start_anywhere() -> None:
    plan = film(duration=4)
    whole = list(plan.frames())
    assert np.array_equal(next(plan.frames(50)), whole[50])
    assert np.array_equal(plan.frame(95), whole[95])
    assert len(list(plan.frames(90))) == 6
    assert np.array_equal(plan.poster(), whole[plan.poster_frame])


def test_the_camera_moves_in_every_shot() -> None:
    plan = film(duration=12, seed=3)
    frames = list(plan.frames())
    for shot in plan.shots:
        first, last = frames[shot.start], frames[shot.end - 1]
        change = np.abs(first.astype(int) - last.astype(int)).mean()
        assert change > 1.0, (shot.move, change)
        step = np.abs(
            frames[shot.start + 10].astype(int) - frames[shot.start + 11].astype(int)
        ).mean()
        assert step > 0.05, (shot.move, step)  # moving, frame to frame, not cutting


@pytest.mark.parametrize(("seed", "count"), [(0, 1), (1, 2), (2, 3), (5, 1)])
def test_products_are_where_the_boxes_say_and_undistorted(seed: int, count: int) -> None:
    plan = film(duration=10, seed=seed, count=count, width=480, height=270)
    products = plan.request.products
    moves = set()
    for index, frame in enumerate(plan.frames()):
        if index % 6:
            continue
        boxes = plan.product_boxes(index)
        if in_transition(plan, index):
            # Two pictures blended: nothing to judge, and the boxes say so.
            assert boxes == [(0, 0, 0, 0)] * count
            continue
        assert len(boxes) == count
        moves.add(plan.timeline.at(index).shot.shot.move)
        for product, box in zip(products, boxes, strict=True):
            x, y, w, h = box
            assert x >= 0 and y >= 0 and x + w <= 480 and y + h <= 270
            _, _, tw, th = trim_box(product.rgba)
            assert w / h == pytest.approx(tw / th, rel=0.04)  # scaled, never stretched
            score = product_fidelity(frame, box, product.rgba)
            assert score >= FIDELITY_THRESHOLD, (index, box, score)
    assert len(moves) >= 2


def unworded(plan: StudioVideoPlan, index: int) -> np.ndarray:
    """The same frame without its words."""
    return plan.picture(index)


def test_copy_appears_where_and_when_planned() -> None:
    worded = film(duration=8, seed=2)
    bare = film(duration=8, seed=2, copy=VideoCopy())
    assert bare.scene["copy"] == []
    assert "text" not in bare.scene["layers"]  # type: ignore[operator]
    overlays = {o.role: o for o in worded.overlays}
    assert set(overlays) == {"hook", "benefit", "cta"}
    assert overlays["hook"].start < worded.shots[0].end <= overlays["benefit"].start
    assert overlays["cta"].end == 8 * FPS
    assert overlays["cta"].start >= worded.shots[-1].start
    for role, overlay in overlays.items():
        middle = (overlay.start + overlay.end) // 2
        a, b = worded.frame(middle).astype(int), unworded(worded, middle).astype(int)
        changed = np.abs(a - b).max(axis=2) > 24
        assert changed.sum() > 150, role
        ys, xs = np.nonzero(changed)
        bx, by, bw, bh = overlay.band
        assert bx <= xs.min() and xs.max() < bx + bw, role
        assert by <= ys.min() and ys.max() < by + bh, role
    # Before the hook fades in, nothing is written; without copy, never.
    assert np.array_equal(worded.frame(0), unworded(worded, 0))
    assert all(np.array_equal(bare.frame(i), unworded(bare, i)) for i in range(0, 192, 10))
    cards = worded.scene["copy"]
    assert isinstance(cards, list)
    for card in cards:
        assert card["contrast"] >= 3.0, card  # WCAG AA for large text, at the worst pixel


def test_empty_copy_fields_show_nothing() -> None:
    plan = film(duration=6, copy=VideoCopy(hook="Only a hook"))
    assert [o.role for o in plan.overlays] == ["hook"]
    brand_only = film(duration=6, copy=VideoCopy(brand="AURA"))
    assert [o.role for o in brand_only.overlays] == ["brand"]


def test_tall_frames_keep_text_off_the_bottom_band_and_edges() -> None:
    worded = film(duration=8, seed=4, width=180, height=320)
    for overlay in worded.overlays:
        for index in range(overlay.start, overlay.end, 4):
            changed = np.abs(worded.frame(index).astype(int) - unworded(worded, index).astype(int))
            ys, xs = np.nonzero(changed.max(axis=2) > 8)
            if ys.size == 0:
                continue
            assert ys.max() < 320 * 0.8, (overlay.role, index)
            assert ys.min() >= 320 * 0.06 - 1
            assert xs.min() >= 180 * 0.06 - 1 and xs.max() <= 180 * 0.94


def test_same_seed_same_video_other_seed_another() -> None:
    picks = [0, 30, 60, 100, 140]
    one = film(duration=6, seed=7)
    again = film(duration=6, seed=7)
    other = film(duration=6, seed=8)
    assert one.scene == again.scene
    assert digest([one.frame(i) for i in picks]) == digest([again.frame(i) for i in picks])
    assert digest([one.frame(i) for i in picks]) != digest([other.frame(i) for i in picks])


def test_text_to_video_shows_the_set_without_products() -> None:
    plan = film(duration=5, workflow="text_to_video", prompt="neon light over a glossy floor")
    frames = list(plan.frames())
    assert plan.product_boxes(10) == []
    assert "products" not in plan.scene["layers"]  # type: ignore[operator]
    assert plan.scene["scene"]["lighting"] == "neon"  # type: ignore[index]
    assert np.abs(frames[5].astype(int) - frames[60].astype(int)).mean() > 1.0


def test_the_studio_engine_is_a_video_engine() -> None:
    engine: VideoEngine = ENGINE
    plan: VideoPlan = engine.plan(
        VideoRequest(
            workflow="reference_to_video",
            prompt=PROMPT,
            width=320,
            height=180,
            duration=4,
            products=[cutout()],
        )
    )
    assert engine.name == "studio"
    assert plan.request.frame_count == 96
    assert plan.shots[0].start == 0


def test_refuses_what_it_cannot_render() -> None:
    with pytest.raises(ValueError, match="at least one product"):
        ENGINE.plan(
            VideoRequest(
                workflow="reference_to_video", prompt="x", width=320, height=180, duration=4
            )
        )
    with pytest.raises(ValueError, match="source image"):
        ENGINE.plan(
            VideoRequest(workflow="image_to_video", prompt="x", width=320, height=180, duration=4)
        )
    with pytest.raises(ValueError, match="product or a source image"):
        ENGINE.plan(VideoRequest(workflow="ugc", prompt="x", width=320, height=180, duration=4))
    with pytest.raises(ValueError, match="16 pixels"):
        ENGINE.plan(
            VideoRequest(
                workflow="reference_to_video",
                prompt="x",
                width=8,
                height=8,
                duration=4,
                products=[cutout()],
            )
        )
