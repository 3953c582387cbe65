"""Local Wan 2.x video models: what a model directory holds and what it can do, read from its
JSON files alone (no torch, no weights), so API processes can answer and refuse without loading
a model; and the sizes and frame counts Wan draws.

``KREV_VIDEO_MODEL_DIR`` holds diffusers pipelines saved with ``save_pretrained``, laid out one
of two ways:

- **one pipeline** (``model_index.json`` at the top): a ``WanPipeline`` draws text-to-video
  (Wan 2.1 T2V, Wan 2.2 T2V A14B); when its index says ``expand_timesteps: true`` (Wan 2.2
  TI2V-5B) the same weights also animate images. A ``WanImageToVideoPipeline`` (Wan 2.1 I2V,
  Wan 2.2 I2V A14B) only animates.
- **two pipelines**: a ``WanPipeline`` in ``t2v/`` and a ``WanImageToVideoPipeline`` in
  ``i2v/`` (either may be absent).

Geometry: Wan's VAE shrinks time 4x and space 8x (16x for Wan 2.2's) and its transformer packs
2x2 latents, so a clip has 4k+1 frames and sides that are multiples of 16 (32 with Wan 2.2's
VAE). Clips are drawn at the model's own frame rate: 16 fps, 24 for TI2V-5B.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from krev.engines.diffusers_models import MODEL_INDEX, DiffusersModelError, read_model_directory
from krev.engines.video import VideoModelCapabilities

SETTING = "KREV_VIDEO_MODEL_DIR"
TEXT_TO_VIDEO = "WanPipeline"
IMAGE_TO_VIDEO = "WanImageToVideoPipeline"
LAYOUT = (
    "a Wan 2.x pipeline saved with save_pretrained (a WanPipeline or a "
    "WanImageToVideoPipeline), or a WanPipeline in t2v/ and a WanImageToVideoPipeline in i2v/"
)
# Wan's clips: 81 frames at 16 fps (121 at 24 for TI2V-5B). Longer ones lose coherence.
DEFAULT_SECONDS = 5
MAX_SIDE = 832  # Wan's 480p (832x480)


@dataclass(frozen=True)
class WanDirectory:
    """One Wan pipeline directory, as its JSON files describe it."""

    path: Path
    pipeline: str
    """``WanPipeline`` or ``WanImageToVideoPipeline``."""
    expand_timesteps: bool
    """Wan 2.2 TI2V-5B: text-to-video and image-to-video in one model."""
    spatial_multiple: int
    """Sides are multiples of this: the VAE's spatial factor times the transformer's patch."""
    temporal_factor: int
    """Frame counts are this times k, plus one."""

    @property
    def fps(self) -> int:
        """The frame rate the model was trained at."""
        return 24 if self.expand_timesteps else 16


@dataclass(frozen=True)
class VideoModelDirectory:
    path: Path
    text_to_video: WanDirectory | None
    image_to_video: WanDirectory | None
    """A pipeline of its own for image-to-video (``i2v/``, or the directory itself)."""

    @property
    def pipelines(self) -> list[WanDirectory]:
        return [p for p in (self.text_to_video, self.image_to_video) if p is not None]

    @property
    def animates_images(self) -> bool:
        return self.image_to_video is not None or (
            self.text_to_video is not None and self.text_to_video.expand_timesteps
        )


def _json(path: Path) -> dict[str, Any]:
    """A JSON object from a file, or {} when it is missing or not one (loading then says what
    is wrong with the model better than a guess here could)."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _read_pipeline(directory: Path, setting: str, expected: tuple[str, ...]) -> WanDirectory:
    model = read_model_directory(directory, setting)
    if model.pipeline not in expected:
        raise DiffusersModelError(
            f"{setting}: {str(directory / MODEL_INDEX)!r} is a {model.pipeline}; the local "
            f"video model must be {' or '.join(expected)} (Wan 2.x)."
        )
    index = _json(directory / MODEL_INDEX)
    vae = _json(directory / "vae" / "config.json")
    transformer = _json(directory / "transformer" / "config.json") or _json(
        directory / "transformer_2" / "config.json"
    )
    # A VAE config saved before diffusers wrote the factors: Wan 2.2's VAE (the one that packs
    # 2x2 pixels, patch_size 2) is 16x, Wan 2.1's 8x.
    vae_factor = vae.get("scale_factor_spatial") or (16 if vae.get("patch_size") else 8)
    patch = transformer.get("patch_size") or [1, 2, 2]
    try:
        spatial = int(vae_factor) * int(patch[-1])
        temporal = int(vae.get("scale_factor_temporal") or 4)
    except (TypeError, ValueError, IndexError, KeyError):
        spatial = temporal = 0
    if spatial < 1 or temporal < 1:
        raise DiffusersModelError(
            f"{setting}: the VAE and transformer configs in {str(directory)!r} are not a Wan "
            "model's (scale factors, patch size)."
        )
    return WanDirectory(
        path=directory,
        pipeline=model.pipeline,
        expand_timesteps=bool(index.get("expand_timesteps")),
        spatial_multiple=spatial,
        temporal_factor=temporal,
    )


def read_video_model_directory(path: str | Path, setting: str = SETTING) -> VideoModelDirectory:
    """What the directory holds, from its JSON files; loads nothing. Raises
    DiffusersModelError with a sentence naming ``setting``."""
    directory = Path(path)
    if not directory.is_dir():
        raise DiffusersModelError(f"{setting} {str(directory)!r} is not a directory.")
    both = (TEXT_TO_VIDEO, IMAGE_TO_VIDEO)
    if (directory / MODEL_INDEX).is_file():
        model = _read_pipeline(directory, setting, both)
        if model.pipeline == TEXT_TO_VIDEO:
            return VideoModelDirectory(directory, model, None)
        return VideoModelDirectory(directory, None, model)
    t2v, i2v = directory / "t2v", directory / "i2v"
    if not (t2v / MODEL_INDEX).is_file() and not (i2v / MODEL_INDEX).is_file():
        raise DiffusersModelError(
            f"{setting} {str(directory)!r} has no {MODEL_INDEX} (nor t2v/{MODEL_INDEX} or "
            f"i2v/{MODEL_INDEX}): it must hold {LAYOUT}."
        )
    return VideoModelDirectory(
        directory,
        _read_pipeline(t2v, setting, (TEXT_TO_VIDEO,)) if t2v.is_dir() else None,
        _read_pipeline(i2v, setting, (IMAGE_TO_VIDEO,)) if i2v.is_dir() else None,
    )


# --- sizes and frames ------------------------------------------------------------------------


def frame_limit(model: WanDirectory, fps: int, max_frames: int | None) -> int:
    """The most frames one clip has: ``max_frames`` (Wan's 5 seconds when None), down to a
    count the VAE takes (k x its temporal factor, plus one)."""
    wanted = max_frames if max_frames is not None else DEFAULT_SECONDS * fps + 1
    step = model.temporal_factor
    return max(step + 1, (wanted - 1) // step * step + 1)


def frame_count(duration: int, fps: int, limit: int, temporal_factor: int) -> int:
    """The fewest frames (k x ``temporal_factor`` + 1) that last ``duration`` seconds at
    ``fps``, at most ``limit``: a longer video is held on its last frame by the pipeline."""
    needed = max(1, duration * fps)
    frames = math.ceil((needed - 1) / temporal_factor) * temporal_factor + 1
    return min(frames, limit)


def model_size(width: int, height: int, max_side: int, multiple: int) -> tuple[int, int]:
    """The size the model draws for a ``width`` x ``height`` video: the same aspect ratio, the
    long side at most ``max_side``, each side a multiple of ``multiple``."""
    scale = min(1.0, max_side / max(width, height))

    def side(pixels: int) -> int:
        return max(multiple, round(pixels * scale / multiple) * multiple)

    return side(width), side(height)


def capabilities_of(
    model: VideoModelDirectory, *, fps: int | None = None, max_frames: int | None = None
) -> VideoModelCapabilities:
    """What the directory's models can do: Wan makes no sound, and renders whole seconds up to
    its frame limit."""
    seconds = min(
        frame_limit(p, fps or p.fps, max_frames) // (fps or p.fps) for p in model.pipelines
    )
    return VideoModelCapabilities(
        text_to_video=model.text_to_video is not None,
        image_to_video=model.animates_images,
        native_audio=False,
        durations=tuple(range(1, max(1, seconds) + 1)),
    )


# --- components two pipelines may share ------------------------------------------------------


def same_files(first: Path, second: Path) -> bool:
    """Two component folders hold the same files: the same names and sizes, small files
    (configs, vocabularies) byte for byte, and weight files the same at their start, middle and
    end (reading gigabytes twice to compare them would cost more than loading them; a
    fine-tune differs everywhere)."""
    if not first.is_dir() or not second.is_dir():
        return False
    if first.resolve() == second.resolve():
        return True
    names = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    if names != sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file()):
        return False
    return all(_same_file(first / name, second / name) for name in names)


_SMALL = 1 << 20
_SAMPLE = 1 << 16


def _same_file(first: Path, second: Path) -> bool:
    size = first.stat().st_size
    if size != second.stat().st_size:
        return False
    if first.resolve() == second.resolve():
        return True
    if size <= _SMALL:
        return first.read_bytes() == second.read_bytes()
    with first.open("rb") as a, second.open("rb") as b:
        for offset in (0, size // 2, size - _SAMPLE):
            a.seek(offset)
            b.seek(offset)
            if a.read(_SAMPLE) != b.read(_SAMPLE):
                return False
    return True


__all__ = [
    "DEFAULT_SECONDS",
    "IMAGE_TO_VIDEO",
    "LAYOUT",
    "MAX_SIDE",
    "SETTING",
    "TEXT_TO_VIDEO",
    "VideoModelDirectory",
    "WanDirectory",
    "capabilities_of",
    "frame_count",
    "frame_limit",
    "model_size",
    "read_video_model_directory",
    "same_files",
]
