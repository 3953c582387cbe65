"""Style references: decoded reference images steer the scene's palette (their dominant colors,
by k-means on a small thumbnail), brightness and contrast. Only the scene is steered; products
keep their own pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from krev.engines.base import RGBImage
from krev.engines.studio.scene.palette import Palette, mix, rgb_hex

__all__ = ["StyleHint", "apply_style_palette", "match_tone", "style_hint", "tone_gain"]

# float32 arrays; typed loosely because OpenCV's stubs do not carry dtypes through.
FloatArray = npt.NDArray[Any]
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)
_THUMB = 48


@dataclass(frozen=True)
class StyleHint:
    colors: tuple[FloatArray, ...]  # dominant colors, most prominent first
    shares: tuple[float, ...]
    brightness: float  # mean luma 0..1
    contrast: float  # luma standard deviation

    def as_dict(self) -> dict[str, object]:
        return {
            "colors": [rgb_hex(c) for c in self.colors],
            "shares": [round(s, 3) for s in self.shares],
            "brightness": round(self.brightness, 3),
            "contrast": round(self.contrast, 3),
        }


def _kmeans(pixels: FloatArray, k: int, iterations: int = 10) -> tuple[FloatArray, FloatArray]:
    """Deterministic k-means: centres start at luma quantiles (no RNG, so no global state)."""
    order = np.argsort(pixels @ _LUMA)
    starts = order[((np.arange(k) + 0.5) / k * len(order)).astype(int)]
    centres = pixels[starts].copy()
    labels = np.zeros(len(pixels), np.int64)
    for _ in range(iterations):
        distances = ((pixels[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        labels = distances.argmin(axis=1)
        for j in range(k):
            members = pixels[labels == j]
            if len(members):
                centres[j] = members.mean(axis=0)
    counts = np.bincount(labels, minlength=k).astype(np.float32)
    return centres, counts / counts.sum()


def style_hint(references: list[RGBImage], k: int = 4) -> StyleHint | None:
    if not references:
        return None
    thumbs = []
    for image in references:
        h, w = image.shape[:2]
        scale = _THUMB / max(h, w)
        small = cv2.resize(
            image,
            (max(1, round(w * scale)), max(1, round(h * scale))),
            interpolation=cv2.INTER_AREA,
        )
        thumbs.append(small.reshape(-1, 3).astype(np.float32) / 255.0)
    pixels = np.concatenate(thumbs)
    centres, shares = _kmeans(pixels, min(k, len(pixels)))
    order = np.argsort(-shares)
    luma = pixels @ _LUMA
    return StyleHint(
        tuple(centres[i].astype(np.float32) for i in order),
        tuple(float(shares[i]) for i in order),
        float(luma.mean()),
        float(luma.std()),
    )


def apply_style_palette(palette: Palette, hint: StyleHint, strength: float = 0.75) -> Palette:
    """The scene's backdrop and floor pulled toward the reference's dominant colors."""
    first = hint.colors[0]
    second = hint.colors[1] if len(hint.colors) > 1 else first
    return replace(
        palette,
        backdrop=mix(palette.backdrop, first, strength),
        backdrop_low=mix(palette.backdrop_low, first * 0.92, strength),
        floor=mix(palette.floor, second, strength * 0.8),
        props=tuple(hint.colors[:3]) or palette.props,
    )


def tone_gain(
    scene: FloatArray, hint: StyleHint, strength: float = 0.6
) -> tuple[np.float32, np.float32]:
    """The (gain, offset) that move the scene's brightness and contrast toward the
    reference's. Measured once per set, so a video's plate without props takes the same."""
    small = cv2.resize(scene, (64, 64), interpolation=cv2.INTER_AREA)
    luma = small @ _LUMA
    mean, std = float(luma.mean()), float(luma.std())
    target_mean = mean + (hint.brightness - mean) * strength
    target_std = std + (hint.contrast - std) * strength
    gain = np.float32(min(2.0, max(0.5, target_std / max(std, 1e-3))))
    offset = np.float32(target_mean - mean * gain)
    return gain, offset


def match_tone(scene: FloatArray, hint: StyleHint, strength: float = 0.6) -> None:
    """Move the scene's brightness and contrast toward the reference's, in place."""
    gain, offset = tone_gain(scene, hint, strength)
    scene *= gain
    scene += offset
