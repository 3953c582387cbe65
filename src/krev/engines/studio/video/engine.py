"""The studio video engine: a request becomes layers rendered once (the studio scene, or the
user's photo split into foreground and background), shots with camera moves and transitions,
and the words on screen; frames are then drawn one by one on demand.

Workflows:

- ``reference_to_video``: the products in the studio scene of the prompt; a hook on the first
  shot, the benefit mid-way, the call to action on an end card that lifts the products.
- ``text_to_video``: the same scene with no product (the prompt's set, as the still engine
  renders a prompt without products).
- ``image_to_video``: the source image, its foreground moving in front of its background.
- ``ugc``: a creator-style edit composed for 9:16: quick cuts between a wide and a close scene
  (or framings of the source image), a handheld drift, big captions timed across the video, no
  on-camera person; reframed centre-safe into any other aspect ratio.

Everything random is drawn from the request's seed: the same request plans and draws the same
video, a different seed another one.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace

import cv2
import numpy as np
import numpy.typing as npt

from krev.engines.base import RGBImage, SceneRequest
from krev.engines.studio.scene.composer import StudioSceneComposer
from krev.engines.studio.video.camera import Pose, card_matrix, transform_box
from krev.engines.studio.video.compositor import Compositor, crossfade, rgb, wipe, wipe_cover
from krev.engines.studio.video.layers import Layers, from_photo, from_scene
from krev.engines.studio.video.overlays import (
    Overlay,
    OverlayCard,
    Role,
    blend_card,
    place_band,
    render_overlay,
)
from krev.engines.studio.video.reframe import Reframe, tall_size
from krev.engines.studio.video.timeline import (
    BLEND_FRAMES,
    UGC_MOVES,
    ShotPlan,
    Timeline,
    end_card_poses,
    fit_move,
    match_pose,
    move_poses,
    shot_lengths,
)
from krev.engines.video import Shot, VideoRequest

__all__ = ["StudioVideoEngine", "StudioVideoPlan"]

U8 = npt.NDArray[np.uint8]
Box = tuple[int, int, int, int]

# Scenes are rendered this much larger than the frame (the camera pushes in up to this far
# without enlarging a pixel), plus this margin per side (the camera moves within it).
_SUPERSAMPLE = 1.12
_MARGIN = 0.1
# A photo is scaled to cover this much more than the frame; the still composition shows the
# middle 1/_PHOTO_FRAME of it.
_PHOTO_COVER = 1.16
_PHOTO_FRAME = 1.08
# Shot lengths (seconds): a product film, and a creator's quick cuts.
_SHOT_SECONDS = (2.5, 4.0)
_UGC_SHOT_SECONDS = (1.0, 2.0)
# A creator edit's handheld drift, as a share of the frame's width.
_SHAKE = 0.0045
# Scene variants: the main one, and the one a match cut (or a creator's close shot) cuts to.
_MAIN_VARIANT = 0
_CUT_VARIANT = {"ugc": 3}
_DEFAULT_CUT_VARIANT = 1
_UGC_PROMPT = "on a wooden table, soft window light"
# A creator edit frames the subject a little wider, its centre this far down the frame.
_UGC_ZOOM = 0.9
_UGC_SUBJECT_ROW = 0.6
# A creator edit's end card (the call to action), seconds, and its type size against a caption.
_UGC_END_CARD = 1.5
_UGC_CTA_SCALE = 1.3


def _stable_seed(*parts: object) -> int:
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 2


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


@dataclass(frozen=True)
class _Setting:
    """What the shots are cut from."""

    layers: list[Layers]
    size: tuple[int, int]
    """The size the edit is composed at (9:16 for a creator edit)."""


class StudioVideoPlan:
    """A video fixed in every choice; draws its frames on demand (each from its index alone,
    so any frame can be drawn first)."""

    def __init__(
        self,
        request: VideoRequest,
        layers: list[Layers],
        timeline: Timeline,
        overlays: list[Overlay],
        size: tuple[int, int],
        reframe: Reframe | None,
        scene: dict[str, object],
        poster_frame: int,
    ) -> None:
        self.request = request
        self.scene = scene
        self.shots = [plan.shot for plan in timeline.shots]
        self.timeline = timeline
        self.layers = layers
        self.overlays = overlays
        self.size = size
        self.reframe = reframe
        self.poster_frame = poster_frame
        self._compositor = Compositor(size)
        self._cards: list[OverlayCard] | None = None
        self._lock = threading.Lock()

    # --- the interface -------------------------------------------------------------------

    def frames(self, start: int = 0) -> Iterator[RGBImage]:
        for index in range(start, self.request.frame_count):
            yield self.frame(index)

    def poster(self) -> RGBImage:
        return self.frame(self.poster_frame)

    def product_boxes(self, frame: int) -> list[tuple[int, int, int, int]]:
        """Each product's box at ``frame``; (0, 0, 0, 0) for all of them while a transition
        blends two pictures (a product there is two half-products: nothing to judge)."""
        moment = self.timeline.at(frame)
        shot = moment.shot
        layers = self.layers[shot.layers]
        if moment.incoming is not None:
            return [(0, 0, 0, 0) for _ in layers.products]
        pose = shot.pose(frame)
        width, height = self.size
        ox, oy = self.reframe.offset if self.reframe is not None else (0, 0)
        boxes = []
        for card in sorted(layers.products, key=lambda c: c.product or 0):
            assert card.box is not None
            matrix = card_matrix(pose, card.depth, layers.pivot, self.size)
            x, y, w, h = transform_box(matrix, card.box)
            x0, y0 = max(0, round(x)), max(0, round(y))
            x1, y1 = min(width, round(x + w)), min(height, round(y + h))
            boxes.append((x0 + ox, y0 + oy, max(0, x1 - x0), max(0, y1 - y0)))
        return boxes

    # --- drawing -------------------------------------------------------------------------

    def frame(self, index: int) -> RGBImage:
        """Frame ``index``, (height, width, 3) uint8, a new array."""
        if not 0 <= index < self.request.frame_count:
            raise IndexError(f"frame {index} of {self.request.frame_count}")
        cards = self._overlay_cards()
        picture = self._picture(index)
        scratch = self._compositor.scratch
        for card in cards:
            blend_card(picture, card, card.overlay.opacity(index), scratch)
        if self.reframe is not None:
            picture = self.reframe.apply(picture, scratch)
        return rgb(picture)

    def picture(self, index: int) -> RGBImage:
        """Frame ``index`` without its words, at the composed size (9:16 for a creator edit),
        RGB, a new array."""
        return rgb(self._picture(index))

    def _picture(self, index: int, compositor: Compositor | None = None) -> U8:
        """Frame ``index`` without its words, RGBA in this thread's working buffer (of
        ``compositor``, the plan's own unless given)."""
        compositor = compositor or self._compositor
        scale = compositor.size[0] / self.size[0]
        moment = self.timeline.at(index)

        def draw(shot: ShotPlan, into: str, columns: tuple[int, int] | None = None) -> U8:
            pose = shot.pose(index)
            if scale != 1.0:
                pose = replace(pose, zoom=pose.zoom * scale)
            layers = self.layers[shot.layers]
            return compositor.draw(layers, pose, shot.sweep_at(index), into, columns)

        a = draw(moment.shot, "a")
        incoming = moment.incoming
        if incoming is None:
            return a
        if incoming.shot.transition == "wipe":
            # Only what the wipe shows of the incoming shot is drawn.
            width = compositor.size[0]
            cover = wipe_cover(width, moment.weight)
            if cover == 0:
                return a
            columns = (width - cover, width) if incoming.reverse else (0, cover)
            return wipe(a, draw(incoming, "b", columns), moment.weight, incoming.reverse)
        return crossfade(a, draw(incoming, "b"), moment.weight)

    def _sample(self, index: int) -> U8:
        """Frame ``index`` without words, drawn at half size and enlarged: enough to judge
        the contrast of a text over it, at a quarter of the cost."""
        width, height = self.size
        half = Compositor((max(8, width // 2), max(8, height // 2)))
        picture = self._picture(index, half)
        return np.asarray(
            cv2.resize(rgb(picture), (width, height), interpolation=cv2.INTER_NEAREST), np.uint8
        )

    def _overlay_cards(self) -> list[OverlayCard]:
        with self._lock:
            if self._cards is None:
                cards = []
                for overlay in self.overlays:
                    span = overlay.end - overlay.start
                    probes = {
                        overlay.start + span // 8,
                        overlay.start + span // 2,
                        overlay.end - 1 - span // 8,
                    }
                    samples = [self._sample(i) for i in sorted(probes)]
                    accent = self.layers[0].accent
                    card = render_overlay(overlay, self.size, samples, accent)
                    if card is not None:
                        cards.append(card)
                self._cards = cards
                self.scene["copy"] = [_card_dict(card) for card in cards]
            return self._cards


def _card_dict(card: OverlayCard) -> dict[str, object]:
    return {
        **card.overlay.as_dict(),
        "ink": list(card.ink),
        "color": "#{:02x}{:02x}{:02x}".format(*card.text_color),
        "contrast": card.contrast,
        "scrim": card.scrim,
        "size": card.size,
        "lines": list(card.lines),
    }


class StudioVideoEngine:
    """Product videos on the CPU, no model weights."""

    name = "studio"

    def __init__(self, composer: StudioSceneComposer | None = None) -> None:
        self.composer = composer or StudioSceneComposer()

    def plan(self, request: VideoRequest) -> StudioVideoPlan:
        _check(request)
        rng = np.random.default_rng(
            _stable_seed(
                request.seed, request.workflow, request.width, request.height, request.duration
            )
        )
        ugc = request.workflow == "ugc"
        size = tall_size(request.width, request.height) if ugc else (request.width, request.height)
        reframe = (
            Reframe(size, (request.width, request.height))
            if size != (request.width, request.height)
            else None
        )

        lengths = shot_lengths(
            request.frame_count, request.fps, rng, *(_UGC_SHOT_SECONDS if ugc else _SHOT_SECONDS)
        )
        moves = _moves(request, len(lengths), rng)
        transitions = _transitions(request, moves, rng)
        photo = _uses_photo(request)
        variants = [_MAIN_VARIANT]
        if not photo and (ugc or "match_cut" in transitions):
            variants.append(_CUT_VARIANT.get(request.workflow, _DEFAULT_CUT_VARIANT))
        layers = self._layers(request, size, variants, photo)

        shots = _shots(request, size, layers, lengths, moves, transitions, rng, photo)
        timeline = Timeline(shots)
        overlays = _overlays(request, size, layers, timeline)
        hook = next((o for o in overlays if o.role in ("hook", "caption")), None)
        poster = (hook.start + hook.end) // 2 if hook else shots[0].shot.end // 2

        main = layers[0]
        scene: dict[str, object] = {
            "engine": self.name,
            "workflow": request.workflow,
            "width": request.width,
            "height": request.height,
            "fps": request.fps,
            "frames": request.frame_count,
            "duration": request.duration,
            "seed": request.seed,
            "scene": main.scene,
            "variants": [_variant_of(layer) for layer in layers],
            "shots": [plan.as_dict() for plan in shots],
            "layers": [*main.names, *(["text"] if overlays else [])],
            "copy": [overlay.as_dict() for overlay in overlays],
            "poster_frame": poster,
        }
        if reframe is not None:
            scene["composed"] = {"width": size[0], "height": size[1], "reframed": "centre"}
        return StudioVideoPlan(request, layers, timeline, overlays, size, reframe, scene, poster)

    def _layers(
        self, request: VideoRequest, size: tuple[int, int], variants: list[int], photo: bool
    ) -> list[Layers]:
        width, height = size
        if photo:
            assert request.source_image is not None
            canvas = (round(width * _PHOTO_COVER), round(height * _PHOTO_COVER))
            fw, fh = round(canvas[0] / _PHOTO_FRAME), round(canvas[1] / _PHOTO_FRAME)
            frame = ((canvas[0] - fw) // 2, (canvas[1] - fh) // 2, fw, fh)
            return [from_photo(request.source_image, canvas, frame)]
        inner = (round(width * _SUPERSAMPLE), round(height * _SUPERSAMPLE))
        margin = (round(inner[0] * _MARGIN), round(inner[1] * _MARGIN))
        products = [] if request.workflow == "text_to_video" else list(request.products)
        prompt = request.prompt
        if request.workflow == "ugc" and not prompt.strip():
            prompt = _UGC_PROMPT
        out = []
        for variant in variants:
            scene_request = SceneRequest(
                prompt=prompt,
                width=inner[0],
                height=inner[1],
                preset=request.preset,
                products=products,
                seed=request.seed,
                variant=variant,
            )
            out.append(from_scene(self.composer.layers(scene_request, margin=margin, split=True)))
        return out


def _check(request: VideoRequest) -> None:
    if request.width < 16 or request.height < 16:
        raise ValueError("width and height must be at least 16 pixels")
    if request.duration < 1 or request.fps < 1:
        raise ValueError("a video lasts at least one second at a positive frame rate")
    if request.workflow == "reference_to_video" and not request.products:
        raise ValueError("reference_to_video needs at least one product")
    if request.workflow == "image_to_video" and request.source_image is None:
        raise ValueError("image_to_video needs a source image")
    if request.workflow == "ugc" and not request.products and request.source_image is None:
        raise ValueError("ugc needs a product or a source image")
    if request.source_image is not None:
        image = request.source_image
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError("the source image must be (height, width, 3) uint8 RGB")
        if min(image.shape[:2]) < 16:
            raise ValueError("the source image is smaller than 16 pixels")


def _uses_photo(request: VideoRequest) -> bool:
    if request.workflow == "image_to_video":
        return True
    return request.workflow == "ugc" and not request.products


def _variant_of(layers: Layers) -> int | None:
    render = layers.scene.get("render")
    if isinstance(render, dict):
        variant = render.get("variant")
        return int(variant) if isinstance(variant, int) else None
    return None


def _moves(request: VideoRequest, count: int, rng: np.random.Generator) -> list[str]:
    if request.workflow == "ugc":
        pool = list(UGC_MOVES)
        start = int(rng.integers(len(pool)))
        return [pool[(start + i) % len(pool)] for i in range(count)]
    if request.workflow == "image_to_video":
        middle = ["push_in", "pan_left", "pan_right", "truck", "pull_out"]
        first = ["push_in", "truck"]
    else:
        middle = ["pan_left", "pan_right", "truck", "light_sweep", "push_in", "pull_out"]
        first = ["push_in", "reveal", "light_sweep"]
    moves = [str(rng.choice(first))]
    for _ in range(1, count - 1):
        options = [m for m in middle if m != moves[-1]]
        moves.append(str(rng.choice(options)))
    if count > 1:
        moves.append("pull_out")  # the end card settles
    return moves


def _transitions(
    request: VideoRequest, moves: list[str], rng: np.random.Generator
) -> list[str | None]:
    out: list[str | None] = [None]
    for index in range(1, len(moves)):
        if request.workflow == "ugc":
            out.append("cut")
        elif index == len(moves) - 1:
            out.append("crossfade")  # into the end card
        else:
            kinds = ["crossfade", "wipe"]
            weights = [0.5, 0.5]
            if request.workflow == "reference_to_video":
                kinds.append("match_cut")
                weights = [0.4, 0.3, 0.3]
            out.append(str(rng.choice(kinds, p=weights)))
    return out


def _shots(
    request: VideoRequest,
    size: tuple[int, int],
    layers: list[Layers],
    lengths: list[int],
    moves: list[str],
    transitions: list[str | None],
    rng: np.random.Generator,
    photo: bool,
) -> list[ShotPlan]:
    ugc = request.workflow == "ugc"
    has_end_card = not ugc and len(lengths) > 1 and bool(request.copy.cta or request.copy.brand)
    plans: list[ShotPlan] = []
    start = 0
    current = 0  # which layers the shot shows
    for index, (length, move, transition) in enumerate(
        zip(lengths, moves, transitions, strict=True)
    ):
        shot = Shot(start, start + length, move, transition)
        blend = BLEND_FRAMES.get(transition or "", 0)
        blend = min(blend, length // 3, plans[-1].shot.end - plans[-1].shot.start if plans else 0)
        if transition == "match_cut" and len(layers) > 1:
            current = 1 - current
        elif ugc and len(layers) > 1:
            current = 1 - current if index else 0
        elif transition != "match_cut":
            current = 0
        layer = layers[current]
        amount = float(rng.uniform(0.8, 1.2))
        last = index == len(lengths) - 1
        if last and has_end_card:
            begin, end = end_card_poses(layer, size, clear_below=True)
            ramp = 1.0
        else:
            begin, end, ramp = move_poses(move, layer, size, amount)
        if ugc:
            begin, end = _low(layer, size, begin), _low(layer, size, end)
        products = bool(layer.subjects)
        if transition == "match_cut" and plans and layer.products:
            previous = plans[-1]
            matched = _matched_start(previous, layers, layer, size, start)
            if matched is not None:
                begin = matched
        begin, end = fit_move(layer, size, begin, end, products)
        plans.append(
            ShotPlan(
                shot=shot,
                layers=current,
                start=begin,
                end=end,
                lead=blend // 2 if index else 0,
                tail=0,
                sweep=move == "light_sweep" and not (last and has_end_card),
                exposure_ramp=ramp,
                shake=_SHAKE * size[0] if ugc else 0.0,
                shake_seed=_stable_seed(request.seed, index),
                fps=request.fps,
                blend=blend if index else 0,
                reverse=bool(rng.integers(2)),
            )
        )
        start += length
    # Each move also runs through the transition after it.
    for index in range(len(plans) - 1):
        plans[index] = replace(
            plans[index], tail=plans[index + 1].blend - plans[index + 1].blend // 2
        )
    return plans


def _low(layers: Layers, size: tuple[int, int], pose: Pose) -> Pose:
    """A creator's framing: a little wider, the subject low in the frame, the upper part
    left to the captions."""
    zoom = pose.zoom * _UGC_ZOOM
    target = _UGC_SUBJECT_ROW * size[1]
    _, y, _, h = layers.subject if layers.subject is not None else (*layers.pivot, 0.0, 0.0)
    matrix = card_matrix(replace(pose, zoom=zoom), 1.0, layers.pivot, size)
    row = matrix[1, 1] * (y + h / 2) + matrix[1, 2]
    return replace(pose, zoom=zoom, view=(pose.view[0], pose.view[1] - (target - row) / zoom))


def _matched_start(
    previous: ShotPlan, layers: list[Layers], layer: Layers, size: tuple[int, int], frame: int
) -> Pose | None:
    """The pose that shows the hero product where the previous shot left it."""
    before = layers[previous.layers]
    pose = previous.pose(frame - 1)
    hero = next((c for c in before.products if c.product == 0), None)
    if hero is None or hero.box is None:
        return None
    box = transform_box(card_matrix(pose, hero.depth, before.pivot, size), hero.box)
    return match_pose(layer, size, box, 0)


def _overlays(
    request: VideoRequest, size: tuple[int, int], layers: list[Layers], timeline: Timeline
) -> list[Overlay]:
    if request.workflow == "ugc":
        return _ugc_overlays(request, size, layers, timeline)
    copy = request.copy
    frames = request.frame_count
    shots = [plan.shot for plan in timeline.shots]
    fade = max(2, request.fps // 4)
    spans: dict[str, tuple[int, int]] = {}
    if len(shots) == 1:
        spans = {
            "hook": (fade, round(frames * 0.4)),
            "benefit": (round(frames * 0.4), round(frames * 0.65)),
        }
        spans["cta"] = (round(frames * 0.65), frames)
    else:
        first, last = shots[0], shots[-1]
        spans["hook"] = (min(fade, first.end // 4), first.end - fade // 2)
        if len(shots) >= 3:
            middle = shots[len(shots) // 2]
            spans["benefit"] = (middle.start + fade, middle.end - fade // 2)
        else:
            spans["benefit"] = (last.start + fade, last.start + (last.end - last.start) * 2 // 5)
        cta_from = (
            last.start + fade if len(shots) >= 3 else last.start + (last.end - last.start) * 9 // 20
        )
        spans["cta"] = (cta_from, frames)
    texts = {"hook": copy.hook, "benefit": copy.benefit, "cta": copy.cta}
    overlays = []
    compositor = Compositor(size)
    roles: tuple[tuple[Role, str], ...] = (
        ("hook", "top"),
        ("benefit", "bottom"),
        ("cta", "bottom"),
    )
    for role, prefer in roles:
        text = texts[role].strip()
        brand = copy.brand.strip() if role == "cta" else ""
        if not text and not brand:
            continue
        start, end = spans[role]
        if end - start < 6:
            continue
        boxes = _boxes_during(timeline, layers, compositor, start, end)
        band, anchor = place_band(size[0], size[1], boxes, prefer)
        kind: Role = role if text else "brand"
        overlays.append(
            Overlay(
                kind,
                text or brand,
                start,
                end,
                band,
                anchor,
                fade=fade,
                brand=brand if text else "",
            )
        )
    return overlays


def _scale(role: Role) -> float:
    """A creator's hook is set as large as the captions (its own type is a little larger)."""
    return 0.1 / 0.085 if role == "hook" else 1.0


def _boxes_during(
    timeline: Timeline,
    layers: list[Layers],
    compositor: Compositor,
    start: int,
    end: int,
    samples: int = 6,
) -> list[tuple[float, float, float, float]]:
    """Where the products are over frames ``start`` .. ``end`` (sampled)."""
    boxes = []
    for frame in np.linspace(start, end - 1, samples).round().astype(int):
        moment = timeline.at(int(frame))
        for plan in (moment.shot, moment.incoming):
            if plan is None:
                continue
            for _, box in compositor.subject_boxes(layers[plan.layers], plan.pose(int(frame))):
                boxes.append(box)
    return boxes


def _ugc_overlays(
    request: VideoRequest, size: tuple[int, int], layers: list[Layers], timeline: Timeline
) -> list[Overlay]:
    """A creator's captions, one after another in the band the products leave free (above
    them: the edit frames them low): at the voice's times when the request gives them (the
    captions are then the whole script, hook to call to action), else spread across the
    video by length, the hook first. The call to action ends the edit on a button."""
    width, height = size
    frames = request.frame_count
    fade = max(2, request.fps // 8)
    copy = request.copy
    lines = [c.strip() for c in request.captions]
    hook, cta = copy.hook.strip(), copy.cta.strip()
    compositor = Compositor(size)
    boxes = _boxes_during(timeline, layers, compositor, 0, frames, samples=24)
    band, anchor = place_band(width, height, boxes, "top")
    end_card = frames - min(frames // 3, round(_UGC_END_CARD * request.fps)) if cta else frames
    timed: list[tuple[str, int, int]] = []
    if request.caption_times and len(request.caption_times) == len(lines):
        for line, (start, end) in zip(lines, request.caption_times, strict=True):
            a = max(0, min(frames, round(start * request.fps)))
            b = max(a, min(frames, round(end * request.fps)))
            if line:
                timed.append((line, a, b))
        if timed:
            end_card = max(end_card, timed[-1][2])
    else:
        script = [line for line in lines if line]
        if not script and copy.benefit.strip():
            script = [copy.benefit.strip()]
        if hook:
            script = [hook, *script]
        if script:
            # Time by length: a longer line stays longer.
            weights = np.array([len(line.split()) + 2 for line in script], np.float64)
            cumulative = np.concatenate([[0.0], np.cumsum(weights) / weights.sum()])
            edges = np.round(cumulative * end_card).astype(int)
            timed = [(line, int(edges[i]), int(edges[i + 1])) for i, line in enumerate(script)]
    overlays: list[Overlay] = []
    for index, (line, a, b) in enumerate(timed):
        if b - a < 4:
            continue
        role: Role = "hook" if index == 0 and hook and line == hook else "caption"
        overlays.append(
            Overlay(role, line, a, b, band, anchor, fade=fade, scale=_scale(role), boxed=True)
        )
    if cta and frames - end_card >= 4:
        overlays.append(
            Overlay(
                "cta",
                cta,
                end_card,
                frames,
                band,
                anchor,
                fade=fade,
                brand=copy.brand.strip(),
                scale=_UGC_CTA_SCALE,
            )
        )
    return overlays
