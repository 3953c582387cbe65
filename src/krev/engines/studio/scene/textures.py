"""Procedural surface textures: value-noise fBm fields shaped into marble veins, wood grain,
concrete, terrazzo chips, linen weave, sand ripples, paper fibre, water caustics, stone, brushed
metal. Patterns are computed once per (kind, size, seed) as scalar fields and cached (read-only
arrays, shared by threads and variants); ``colorize`` turns them into RGB for a palette.
Smooth fields are computed at quarter resolution and resized, since the eye cannot tell.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ["SURFACE_KINDS", "colorize", "fbm", "fine_grain", "surface_pattern"]

# float32 arrays; typed loosely because OpenCV's stubs do not carry dtypes through.
FloatArray = npt.NDArray[Any]

SURFACE_KINDS = (
    "seamless",
    "marble",
    "wood",
    "concrete",
    "terrazzo",
    "linen",
    "fabric",
    "sand",
    "water",
    "paper",
    "stone",
    "metal",
    "glass",
)


def _frozen(array: FloatArray) -> FloatArray:
    array.flags.writeable = False
    return array


def _value_noise(rng: np.random.Generator, width: int, height: int, cells: float) -> FloatArray:
    """Smooth noise in [0, 1] with about ``cells`` features across the longer side."""
    long_side = max(width, height)
    gx = max(2, round(cells * width / long_side) + 2)
    gy = max(2, round(cells * height / long_side) + 2)
    grid = rng.random((gy, gx), dtype=np.float32)
    big = cv2.resize(
        grid, (width + 2 * width // gx, height + 2 * height // gy), interpolation=cv2.INTER_CUBIC
    )
    ox, oy = width // gx, height // gy
    return big[oy : oy + height, ox : ox + width]


def fbm(
    seed: int, width: int, height: int, cells: float = 3.0, octaves: int = 5, gain: float = 0.5
) -> FloatArray:
    """Fractal value noise normalised to [0, 1]."""
    rng = np.random.default_rng(seed)
    total = np.zeros((height, width), np.float32)
    amplitude, norm = 1.0, 0.0
    for octave in range(octaves):
        total += amplitude * _value_noise(rng, width, height, cells * 2**octave)
        norm += amplitude
        amplitude *= gain
    total /= norm
    lo, hi = float(total.min()), float(total.max())
    result: FloatArray = (total - lo) / max(hi - lo, 1e-6)
    return result


# A handful: one per frame size in use (4 MB each at 1024 x 1024).
@lru_cache(maxsize=6)
def fine_grain(seed: int, width: int, height: int) -> FloatArray:
    """Per-pixel zero-mean grain (sigma 1) for film grain, dithering and sand."""
    rng = np.random.default_rng(seed)
    return _frozen(rng.standard_normal((height, width), dtype=np.float32))


def _quarter(seed: int, width: int, height: int, cells: float, octaves: int = 5) -> FloatArray:
    small = fbm(seed, max(8, width // 4), max(8, height // 4), cells, octaves)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def _coords(width: int, height: int) -> tuple[FloatArray, FloatArray]:
    long_side = float(max(width, height))
    x = np.arange(width, dtype=np.float32)[None, :] / long_side
    y = np.arange(height, dtype=np.float32)[:, None] / long_side
    return x, y


def _veins(phase: FloatArray, width: float) -> FloatArray:
    """Thin lines where the phase crosses an integer: 1 on the line, 0 away from it."""
    distance = np.abs(np.sin(phase * np.float32(np.pi)))
    line: FloatArray = np.clip(1.0 - distance / np.float32(width), 0.0, 1.0)
    return line * line


def _marble(seed: int, w: int, h: int) -> tuple[FloatArray, ...]:
    x, y = _coords(w, h)
    # A low-octave warp bends the veins; a faint high-frequency one makes them wiggle. Kept
    # small against the gradient, so veins flow in one direction instead of closing into
    # contour-map loops.
    warp = _quarter(seed, w, h, 1.6, 3)
    wiggle = _quarter(seed + 1, w, h, 7.0, 4)
    fade = _quarter(seed + 3, w, h, 2.0, 3)
    angle = 0.5 + (seed % 7) * 0.15
    base = x * np.float32(np.cos(angle)) + y * np.float32(np.sin(angle))
    phase = base * 2.3 + warp * 1.1 + wiggle * 0.08
    main = _veins(phase, 0.1) * np.clip(fade * 1.6 - 0.2, 0.15, 1.0)
    halo = np.exp(-((np.sin(phase * np.float32(np.pi)) / 0.3) ** 2)) * 0.3 * fade
    fine_phase = base * 1.1 - y * 2.5 + warp * 1.4 + wiggle * 0.12
    fine = _veins(fine_phase * 2.0, 0.05) * np.clip(1.5 - fade * 1.8, 0.0, 1.0) * 0.55
    cloud = _quarter(seed + 2, w, h, 3.0, 5)
    return np.maximum(np.maximum(main, fine), halo).astype(np.float32), cloud


def _wood(seed: int, w: int, h: int) -> tuple[FloatArray, ...]:
    rng = np.random.default_rng(seed)
    x, y = _coords(w, h)
    # Grain runs along x: noise stretched 40x along the grain.
    streak_small = rng.random((h, max(4, w // 40)), dtype=np.float32)
    streak = cv2.resize(streak_small, (w, h), interpolation=cv2.INTER_LINEAR)
    streak = cv2.GaussianBlur(streak, (0, 0), 0.6)
    warp = _quarter(seed + 1, w, h, 2.0, 4)
    rings = (y * 14.0 + warp * 2.5 + np.float32(0.15) * np.sin(x * 9.0)) % 1.0
    ring = np.abs(rings - 0.5) * 2.0  # triangle wave: late/early wood
    plank_h = max(h // 5, 8)
    rows = np.arange(h) // plank_h
    plank_tone = rng.uniform(-0.5, 0.5, rows.max() + 1).astype(np.float32)[rows][:, None]
    seam: FloatArray = np.zeros((h, 1), np.float32)
    seam[(np.arange(h) % plank_h) < max(1, h // 400)] = 1.0
    seam = cv2.GaussianBlur(seam, (0, 0), sigmaX=0.01, sigmaY=1.2)
    grain: FloatArray = (0.55 * ring + 0.45 * streak).astype(np.float32)
    return (
        grain,
        np.broadcast_to(plank_tone, (h, w)).astype(np.float32),
        np.broadcast_to(seam, (h, w)).astype(np.float32),
    )


def _concrete(seed: int, w: int, h: int) -> tuple[FloatArray, ...]:
    rng = np.random.default_rng(seed)
    cloud = _quarter(seed, w, h, 4.0, 6)
    pits = np.zeros((h, w), np.uint8)
    n = int(w * h / 2500)
    for px, py, r in zip(
        rng.integers(0, w, n), rng.integers(0, h, n), rng.integers(1, 3, n), strict=True
    ):
        cv2.circle(pits, (int(px), int(py)), int(r), 255, -1, cv2.LINE_AA)
    return cloud, pits.astype(np.float32) / 255.0


def _terrazzo(seed: int, w: int, h: int) -> tuple[FloatArray, ...]:
    rng = np.random.default_rng(seed)
    labels = np.zeros((h, w), np.uint8)
    scale = max(w, h)
    for size_frac, count in ((0.022, 180), (0.011, 500)):
        n = int(count * w * h / scale**2)
        for _ in range(n):
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
            r = scale * size_frac * rng.uniform(0.4, 1.0)
            k = int(rng.integers(4, 8))
            angles = np.sort(rng.uniform(0, 2 * np.pi, k))
            radii = r * rng.uniform(0.5, 1.0, k)
            pts = np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], 1)
            cv2.fillPoly(
                labels,
                [np.round(pts * 4).astype(np.int32)],
                int(rng.integers(1, 4)),
                cv2.LINE_8,
                shift=2,
            )
    cloud = _quarter(seed + 1, w, h, 3.0, 4)
    return labels.astype(np.float32), cloud


def _weave(seed: int, w: int, h: int, period: float, folds: bool) -> tuple[FloatArray, ...]:
    rng = np.random.default_rng(seed)
    xs = np.arange(w, dtype=np.float32)
    ys = np.arange(h, dtype=np.float32)
    # Slubs: thread thickness varies along each thread.
    row = cv2.GaussianBlur(rng.random((h, 1), dtype=np.float32), (0, 0), sigmaX=0.01, sigmaY=1.0)
    col = cv2.GaussianBlur(rng.random((1, w), dtype=np.float32), (0, 0), sigmaX=1.0, sigmaY=0.01)
    wx = np.sin(xs * np.float32(2 * np.pi / period))[None, :]
    wy = np.sin(ys * np.float32(2 * np.pi / period))[:, None]
    weave = 0.5 + 0.22 * wx * wy + 0.28 * (row - 0.5) + 0.22 * (col - 0.5)
    shade = _quarter(seed + 1, w, h, 1.5 if folds else 3.0, 3)
    if folds:
        x, y = _coords(w, h)
        shade = 0.5 + 0.5 * np.sin((x * 0.8 + y * 0.5) * 9.0 + shade * 6.0)
    return weave.astype(np.float32), shade


def _sand(seed: int, w: int, h: int) -> tuple[FloatArray, ...]:
    x, y = _coords(w, h)
    warp = _quarter(seed, w, h, 2.0, 4)
    phase = (y * 22.0 + x * 5.0 + warp * 5.0) % 1.0
    ripple = np.where(phase < 0.7, phase / 0.7, (1.0 - phase) / 0.3)  # gentle slope, sharp crest
    grain = cv2.GaussianBlur(fine_grain(seed, w, h), (0, 0), 0.7)
    return ripple.astype(np.float32), grain


def _water(seed: int, w: int, h: int) -> tuple[FloatArray, ...]:
    # Caustics: the bright network where ridged noise layers cross, softened by a blur.
    x, y = _coords(w, h)
    net = np.zeros((h, w), np.float32)
    for layer, cells in enumerate((5.0, 9.0)):
        a = _quarter(seed + layer, w, h, cells, 2)
        ridge = 1.0 - np.abs(a * 2.0 - 1.0)
        net += ridge**6 * (0.8 if layer == 0 else 0.5)
    caustic = np.clip(cv2.GaussianBlur(net, (0, 0), 1.0), 0.0, 1.0)
    depth = _quarter(seed + 2, w, h, 1.5, 3) + 0 * x + 0 * y
    return caustic, depth


def _paper(seed: int, w: int, h: int) -> tuple[FloatArray, ...]:
    fibre = cv2.GaussianBlur(fine_grain(seed, w, h), (0, 0), sigmaX=1.2, sigmaY=0.5)
    cloud = _quarter(seed + 1, w, h, 5.0, 5)
    return fibre, cloud


def _stone(seed: int, w: int, h: int) -> tuple[FloatArray, ...]:
    blotch = _quarter(seed, w, h, 3.0, 6)
    speck = cv2.GaussianBlur(fine_grain(seed + 1, w, h), (0, 0), 0.8)
    return blotch, speck


def _metal(seed: int, w: int, h: int) -> tuple[FloatArray, ...]:
    rng = np.random.default_rng(seed)
    streak = cv2.resize(
        rng.random((h, max(4, w // 80)), dtype=np.float32), (w, h), interpolation=cv2.INTER_LINEAR
    )
    band = _quarter(seed + 1, w, h, 1.0, 2)
    return streak, band


def _seamless(seed: int, w: int, h: int) -> tuple[FloatArray, ...]:
    return (_quarter(seed, w, h, 2.0, 3),)


# Enough for the variants of a few requests at once (a floor texture is ~6-18 MB at 1024 px);
# a new seed means a new texture, so a larger cache would mostly hold dead entries.
@lru_cache(maxsize=12)
def surface_pattern(kind: str, width: int, height: int, seed: int) -> tuple[FloatArray, ...]:
    """The scalar fields of a surface texture (cached, read-only)."""
    builders = {
        "marble": _marble,
        "wood": _wood,
        "concrete": _concrete,
        "terrazzo": _terrazzo,
        "sand": _sand,
        "water": _water,
        "paper": _paper,
        "stone": _stone,
        "metal": _metal,
    }
    if kind == "linen":
        fields = _weave(seed, width, height, max(3.0, max(width, height) / 300), folds=False)
    elif kind == "fabric":
        fields = _weave(seed, width, height, max(2.5, max(width, height) / 420), folds=True)
    else:
        fields = builders.get(kind, _seamless)(seed, width, height)
    return tuple(_frozen(np.ascontiguousarray(f, dtype=np.float32)) for f in fields)


def _lerp(a: FloatArray, b: FloatArray, t: FloatArray) -> FloatArray:
    out: FloatArray = a + (b - a) * t[..., None]
    return out


def colorize(
    kind: str,
    fields: tuple[FloatArray, ...],
    base: FloatArray,
    accent: FloatArray,
) -> FloatArray:
    """RGB (float32, 0..1) of a surface pattern in the palette's ``base`` and ``accent``."""
    base = base.astype(np.float32)
    accent = accent.astype(np.float32)
    if kind == "marble":
        veins, cloud = fields
        body = base * (0.93 + 0.1 * cloud)[..., None]
        # On dark stone the veins are a subtler inlay, not glowing lines.
        strength = 0.85 if float(base.mean()) > 0.3 else 0.5
        return _lerp(body, np.broadcast_to(accent, body.shape), veins * strength)
    if kind == "wood":
        grain, plank, seam = fields
        tone = 0.86 + 0.2 * grain + 0.08 * plank - 0.35 * seam
        dark = base * 0.62
        return _lerp(
            np.broadcast_to(dark, (*grain.shape, 3)),
            np.broadcast_to(base, (*grain.shape, 3)),
            np.clip(tone - 0.35, 0, 1) / 0.75,
        )
    if kind == "concrete":
        cloud, pits = fields
        tone = 0.88 + 0.16 * cloud - 0.18 * pits
        return base * tone[..., None]
    if kind == "terrazzo":
        labels, cloud = fields
        lut = np.stack(
            [
                base,
                accent,
                base * 0.55 + np.array([0.35, 0.3, 0.25], np.float32) * 0.45,
                1.0 - (1.0 - base) * 0.3,
            ]
        ).astype(np.float32)
        chips = lut[labels.astype(np.uint8)]
        shade: FloatArray = chips * (0.96 + 0.06 * cloud)[..., None]
        return shade
    if kind in ("linen", "fabric"):
        weave, shade = fields
        tone = 0.9 + 0.12 * weave + (0.1 if kind == "linen" else 0.22) * (shade - 0.5)
        return base * tone[..., None]
    if kind == "sand":
        ripple, grain = fields
        tone = 0.9 + 0.1 * ripple + 0.035 * grain
        return base * tone[..., None]
    if kind == "water":
        caustic, depth = fields
        deep = base * (0.75 + 0.3 * depth)[..., None]
        highlight = np.minimum(base * 0.4 + 0.75, 1.0).astype(np.float32)
        return _lerp(deep, np.broadcast_to(highlight, deep.shape), caustic * 0.7)
    if kind == "paper":
        fibre, cloud = fields
        tone = 0.97 + 0.012 * fibre + 0.04 * (cloud - 0.5)
        return base * tone[..., None]
    if kind == "stone":
        blotch, speck = fields
        tone = 0.84 + 0.24 * blotch + 0.04 * speck
        return _lerp(
            base * tone[..., None],
            np.broadcast_to(accent, (*tone.shape, 3)),
            np.clip(blotch - 0.75, 0, 1) * 0.6,
        )
    if kind == "metal":
        streak, band = fields
        tone = 0.82 + 0.1 * streak + 0.2 * band
        return base * tone[..., None]
    (cloud,) = fields[:1]
    tone = 0.985 + 0.03 * cloud
    return base * tone[..., None]
