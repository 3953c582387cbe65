"""Shots in time: how long each lasts, its camera move from one pose to another, and how it
joins the one before (a crossfade, a soft wipe, a match cut on the product, a plain cut).

A shot's move runs a little past both of its ends, through the transitions, so that during a
crossfade both pictures are still moving and the camera never stops dead at a cut. Every move
is checked against the layers before it is kept: the set must fill the frame and the products
stay in it at every point, else the move is scaled back toward a pose that is safe.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from krev.engines.studio.video.camera import (
    Pose,
    card_matrix,
    covers,
    ease,
    lerp_pose,
    smoothstep,
    transform_box,
)
from krev.engines.studio.video.layers import Layers
from krev.engines.video import Shot

__all__ = [
    "BLEND_FRAMES",
    "UGC_MOVES",
    "Moment",
    "ShotPlan",
    "Timeline",
    "end_card_poses",
    "fit_move",
    "home_pose",
    "match_pose",
    "move_poses",
    "shot_lengths",
]

# A creator edit cycles through these, one per quick cut.
UGC_MOVES = ("punch_in", "push_in", "pan_left", "handheld", "pan_right", "pull_out")
# Frames a transition takes (a cut takes none).
BLEND_FRAMES = {"crossfade": 12, "wipe": 12, "match_cut": 0, "cut": 0}
# The products keep this share of the frame clear to its edges.
_EDGE = 0.015


@dataclass(frozen=True)
class ShotPlan:
    shot: Shot
    layers: int
    """Which prepared layers (a scene variant) it shows."""
    start: Pose
    end: Pose
    lead: int = 0
    tail: int = 0
    """Frames the move runs before its first and after its last frame (the transitions)."""
    sweep: bool = False
    exposure_ramp: float = 1.0
    """The share of the move over which the exposure reaches its end (a reveal's is short)."""
    shake: float = 0.0
    """Handheld movement, frame pixels."""
    shake_seed: int = 0
    fps: int = 24
    blend: int = 0
    """Frames of the transition into this shot."""
    reverse: bool = False
    """A wipe from the right."""

    def progress(self, frame: int) -> float:
        first = self.shot.start - self.lead
        span = max(1, self.shot.end + self.tail - first - 1)
        return min(1.0, max(0.0, (frame - first) / span))

    def pose(self, frame: int) -> Pose:
        t = self.progress(frame)
        pose = lerp_pose(self.start, self.end, ease(t))
        if self.exposure_ramp < 1.0:
            k = smoothstep(t / max(self.exposure_ramp, 1e-3))
            change = self.end.exposure - self.start.exposure
            pose = replace(pose, exposure=self.start.exposure + change * k)
        if self.shake:
            seconds = frame / self.fps
            rng = np.random.default_rng(self.shake_seed)
            f = rng.uniform(0.5, 1.7, 4)
            p = rng.uniform(0.0, 2 * math.pi, 4)
            dx = math.sin(seconds * f[0] * 2 * math.pi + p[0]) * 0.7
            dx += math.sin(seconds * f[1] * 2 * math.pi + p[1]) * 0.3
            dy = math.sin(seconds * f[2] * 2 * math.pi + p[2]) * 0.7
            dy += math.sin(seconds * f[3] * 2 * math.pi + p[3]) * 0.3
            pose = pose.shifted(dx * self.shake, dy * self.shake)
        return pose

    def sweep_at(self, frame: int) -> float | None:
        """Where the light sweep's band is (0..1), during the middle of the shot."""
        if not self.sweep:
            return None
        t = self.progress(frame)
        return min(1.0, max(0.0, (t - 0.12) / 0.76))

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "start": self.shot.start,
            "end": self.shot.end,
            "move": self.shot.move,
            "transition": self.shot.transition,
            "layers": self.layers,
        }
        if self.blend:
            out["transition_frames"] = self.blend
        return out


@dataclass(frozen=True)
class Moment:
    """What a frame shows: one shot, or two with the second's weight and how they mix."""

    shot: ShotPlan
    incoming: ShotPlan | None = None
    weight: float = 0.0

    @property
    def dominant(self) -> ShotPlan:
        return self.incoming if self.incoming is not None and self.weight >= 0.5 else self.shot


@dataclass(frozen=True)
class Timeline:
    shots: list[ShotPlan]

    def at(self, frame: int) -> Moment:
        index = next(
            (i for i, s in enumerate(self.shots) if s.shot.start <= frame < s.shot.end),
            len(self.shots) - 1,
        )
        shot = self.shots[index]
        if index + 1 < len(self.shots):
            after = self.shots[index + 1]
            begin = after.shot.start - after.blend // 2
            if after.blend and frame >= begin:
                return Moment(shot, after, smoothstep((frame - begin + 0.5) / after.blend))
        if index > 0 and shot.blend:
            begin = shot.shot.start - shot.blend // 2
            if frame < begin + shot.blend:
                before = self.shots[index - 1]
                return Moment(before, shot, smoothstep((frame - begin + 0.5) / shot.blend))
        return Moment(shot)


def shot_lengths(
    frames: int, fps: int, rng: np.random.Generator, shortest: float, longest: float
) -> list[int]:
    """Shot lengths in frames summing to ``frames``, each within [shortest, longest] seconds
    where the total allows (a clip shorter than ``shortest`` is one shot)."""
    seconds = frames / fps
    fitting = [n for n in range(1, 64) if shortest <= seconds / n <= longest]
    if fitting:
        count = int(rng.choice(fitting))
    else:
        count = max(1, min(round(seconds / ((shortest + longest) / 2)), int(seconds // shortest)))
    if count == 1:
        return [frames]
    lo, hi = shortest * fps, longest * fps
    weights = rng.uniform(0.85, 1.15, count)
    lengths = weights / weights.sum() * frames
    for _ in range(8):  # pull each into bounds, spreading the difference over the others
        lengths = np.clip(lengths, lo, hi) if fitting else lengths
        lengths *= frames / lengths.sum()
    whole = np.floor(lengths).astype(int)
    for i in np.argsort(lengths - whole)[::-1][: frames - int(whole.sum())]:
        whole[i] += 1
    return [int(v) for v in whole]


# --- poses ---------------------------------------------------------------------------------


def home_pose(layers: Layers, size: tuple[int, int]) -> Pose:
    """The still's composition: the layers' frame filling the video frame."""
    fx, fy, fw, fh = layers.frame
    return Pose(zoom=size[0] / fw, view=(fx + fw / 2, fy + fh / 2))


def _toward(a: tuple[float, float], b: tuple[float, float], t: float) -> tuple[float, float]:
    return a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t


def move_poses(
    move: str, layers: Layers, size: tuple[int, int], amount: float
) -> tuple[Pose, Pose, float]:
    """(start, end, exposure ramp) of ``move`` from the home pose; ``amount`` ~ 1 scales it."""
    home = home_pose(layers, size)
    u = layers.frame[2]
    z = home.zoom
    focus = _toward(home.view, layers.pivot, 0.4)
    if move == "push_in":
        return home, Pose(z * 1.03, focus, dolly=0.09 * amount), 1.0
    if move == "pull_out":
        return Pose(z * 1.03, focus, dolly=0.09 * amount), home, 1.0
    if move in ("pan_left", "pan_right"):
        reach = 0.045 * u * amount * (1 if move == "pan_left" else -1)
        wide = Pose(z * 1.05, home.view)
        return replace(wide, truck=(reach, 0.0)), replace(wide, truck=(-reach, 0.0)), 1.0
    if move == "truck":
        reach = 0.06 * u * amount
        base = _toward(home.view, layers.pivot, 0.3)

        def at(offset: float) -> Pose:
            return Pose(z * 1.06, (base[0] - offset, base[1]), truck=(offset, 0.0), dolly=0.03)

        return at(-reach), at(reach), 1.0
    if move == "reveal":
        start = Pose(
            z * 1.02, _toward(home.view, layers.pivot, 0.3), dolly=0.07 * amount, exposure=0.08
        )
        return start, home, 0.5
    if move == "light_sweep":
        return home, Pose(z * 1.02, _toward(home.view, layers.pivot, 0.2), dolly=0.04 * amount), 1.0
    if move == "punch_in":
        close = Pose(z * 1.16, _toward(home.view, layers.pivot, 0.8))
        return close, replace(close, dolly=0.025 * amount), 1.0
    if move == "handheld":
        return home, replace(home, dolly=0.015 * amount), 1.0
    raise ValueError(f"unknown camera move {move!r}")


def end_card_poses(layers: Layers, size: tuple[int, int], clear_below: bool) -> tuple[Pose, Pose]:
    """The last shot: the camera settles back and lifts the products to leave the lower
    band to the call to action (or keeps them centred when there is no text)."""
    home = home_pose(layers, size)
    width, height = size
    zoom = home.zoom * (0.9 if clear_below else 0.97)
    view = home.view
    if clear_below and layers.subject is not None:
        x, y, w, h = layers.subject
        # The subject's centre at 40% of the frame's height (38% in a tall frame).
        target = 0.38 if height > width else 0.4
        view = (x + w / 2, y + h / 2 + (0.5 - target) * height / zoom)
    return Pose(home.zoom, home.view, dolly=0.04), Pose(zoom, view)


def _products_inside(layers: Layers, pose: Pose, size: tuple[int, int]) -> bool:
    width, height = size
    mx, my = width * _EDGE, height * _EDGE
    for card in layers.subjects:
        assert card.box is not None
        x, y, w, h = transform_box(card_matrix(pose, card.depth, layers.pivot, size), card.box)
        if x < mx or y < my or x + w > width - mx or y + h > height - my:
            return False
    return True


def _fits(layers: Layers, size: tuple[int, int], poses: Sequence[Pose], products: bool) -> bool:
    return all(
        covers(p, layers.ground, layers.pivot, size, layers.canvas)
        and (not products or _products_inside(layers, p, size))
        for p in poses
    )


def _clamped(layers: Layers, size: tuple[int, int], pose: Pose) -> Pose:
    """A still pose (no truck or dolly) moved and zoomed just enough to fill the frame."""
    cw, ch = layers.canvas
    width, height = size
    zoom = max(pose.zoom, width / cw, height / ch)
    half_w, half_h = width / (2 * zoom), height / (2 * zoom)
    vx = min(max(pose.view[0], half_w), cw - half_w)
    vy = min(max(pose.view[1], half_h), ch - half_h)
    return Pose(zoom, (vx, vy), exposure=pose.exposure)


def fit_move(
    layers: Layers, size: tuple[int, int], start: Pose, end: Pose, products: bool = True
) -> tuple[Pose, Pose]:
    """``start`` -> ``end`` scaled back (toward a still, safe pose between them) until the set
    fills the frame and the products stay inside it all the way."""

    def samples(a: Pose, b: Pose) -> list[Pose]:
        return [lerp_pose(a, b, t) for t in (0.0, 0.25, 0.5, 0.75, 1.0)]

    if _fits(layers, size, samples(start, end), products):
        return start, end
    safe = _clamped(layers, size, lerp_pose(start, end, 0.5))
    safe = replace(safe, truck=(0.0, 0.0), dolly=0.0)
    if not _fits(layers, size, [safe], products):
        # Even still, the products do not fit: fall back to the home composition.
        home = _clamped(layers, size, home_pose(layers, size))
        return replace(home, exposure=start.exposure), replace(home, exposure=end.exposure)
    lo, hi = 0.0, 1.0
    for _ in range(10):
        mid = (lo + hi) / 2
        a, b = lerp_pose(safe, start, mid), lerp_pose(safe, end, mid)
        if _fits(layers, size, samples(a, b), products):
            lo = mid
        else:
            hi = mid
    a = replace(lerp_pose(safe, start, lo), exposure=start.exposure)
    b = replace(lerp_pose(safe, end, lo), exposure=end.exposure)
    return a, b


def match_pose(
    layers: Layers, size: tuple[int, int], box: tuple[float, float, float, float], hero: int
) -> Pose | None:
    """A still pose that shows product ``hero`` of ``layers`` exactly where ``box`` (frame
    coordinates) is: the first frame of a match cut."""
    card = next((c for c in layers.products if c.product == hero), None)
    if card is None or card.box is None:
        return None
    x, y, w, h = card.box
    bx, by, bw, bh = box
    width, height = size
    zoom = math.sqrt((bw / w) * (bh / h))
    centre = (x + w / 2, y + h / 2)
    view = (
        centre[0] - (bx + bw / 2 - width / 2) / zoom,
        centre[1] - (by + bh / 2 - height / 2) / zoom,
    )
    return _clamped(layers, size, Pose(zoom, view))
