"""Local video diffusion: Wan 2.x text-to-video and image-to-video pipelines, loaded from
``KREV_VIDEO_MODEL_DIR`` (laid out as ``krev.engines.wan_models`` reads it) and never
downloaded: every load is ``local_files_only``.

A Wan 2.2 TI2V-5B directory animates images with a ``WanImageToVideoPipeline`` over its own
modules. Where ``t2v/`` and ``i2v/`` hold the same text encoder, tokenizer or VAE (Wan 2.1's do;
its UMT5 text encoder alone is 11 GB), the image-to-video pipeline takes the text-to-video one's,
so each is in memory once.

A clip is drawn at the model's own frame rate with enough frames to cover the requested
duration, up to ``max_frames`` (Wan's 5 seconds by default), at a size of the request's aspect
ratio whose long side is at most ``max_side`` (small: the video pipeline upscales), from a CPU
generator seeded with the request's seed (the same noise on any device). It is written to an
MP4 at that size, rate and frame count; the video pipeline normalises it to Krev's (size,
24 fps, exact frame count, audio).
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from krev.engines.base import RGBImage
from krev.engines.diffusers_models import (
    ModelDirectory,
    call_arguments,
    generators,
    load_pipeline,
    pick_device,
    pick_dtype,
    resize,
    run_pipeline,
)
from krev.engines.providers import InvalidRequest
from krev.engines.studio.video.encode import encode_mp4
from krev.engines.video import GeneratedVideo, VideoGenerationRequest
from krev.engines.wan_models import (
    LAYOUT,
    MAX_SIDE,
    SETTING,
    WanDirectory,
    capabilities_of,
    frame_count,
    frame_limit,
    model_size,
    read_video_model_directory,
    same_files,
)

# What Wan's authors give as the negative prompt in every example (diffusers' docs carry it in
# English); without one, classifier-free guidance pushes away from an empty prompt only.
NEGATIVE_PROMPT = (
    "Bright tones, overexposed, static, blurred details, subtitles, style, works, paintings, "
    "images, static, overall gray, worst quality, low quality, JPEG compression residue, ugly, "
    "incomplete, extra fingers, poorly drawn hands, poorly drawn faces, deformed, disfigured, "
    "misshapen limbs, fused fingers, still picture, messy background, three legs, many people "
    "in the background, walking backwards"
)
# The modules two Wan pipelines may share when their files are the same.
SHARABLE = ("text_encoder", "tokenizer", "vae")
# The VAE (and Wan 2.1's CLIP image encoder) stay in float32 on a GPU too, as Wan's own code
# and diffusers' Wan examples run them; the transformer and text encoder take DIFFUSERS_DTYPE.
FULL_PRECISION = ("vae", "image_encoder")

Frames = npt.NDArray[np.uint8]
"""A clip: (frames, height, width, 3) RGB."""


class DiffusersVideoGenerator:
    """A ``VideoGenerator`` over local Wan pipelines, loaded once when built.

    ``generate`` writes the clip to a new file (in ``output_dir``, else the system's temporary
    directory) and returns its path; the caller owns the file and removes it."""

    id = "diffusers"

    def __init__(
        self,
        model_dir: str | Path,
        *,
        device: str = "auto",
        dtype: str = "auto",
        steps: int = 50,
        guidance_scale: float | None = None,
        max_side: int = MAX_SIDE,
        fps: int | None = None,
        max_frames: int | None = None,
        negative_prompt: str = NEGATIVE_PROMPT,
        output_dir: str | Path | None = None,
    ) -> None:
        self.model = read_video_model_directory(model_dir)
        self.capabilities = capabilities_of(self.model, fps=fps, max_frames=max_frames)
        self.device = pick_device(device)
        self.steps = steps
        self.guidance_scale = guidance_scale
        self.max_side = max_side
        self.fps = fps
        self.max_frames = max_frames
        self.negative_prompt = negative_prompt
        self.output_dir = None if output_dir is None else Path(output_dir)
        precision = pick_dtype(self.device, dtype)
        dtypes = {"default": precision} | dict.fromkeys(FULL_PRECISION, _float32())
        self._text_to_video: Any = None
        self._image_to_video: Any = None
        t2v, i2v = self.model.text_to_video, self.model.image_to_video
        if t2v is not None:
            self._text_to_video = load_pipeline(
                ModelDirectory(t2v.path, t2v.pipeline), self.device, dtypes
            )
        if i2v is not None:
            shared = self._shared_with_text_to_video(i2v)
            self._image_to_video = load_pipeline(
                ModelDirectory(i2v.path, i2v.pipeline), self.device, dtypes, **shared
            )
        elif t2v is not None and t2v.expand_timesteps:
            self._image_to_video = _image_to_video_over(self._text_to_video)
        # A pipeline keeps per-call state (scheduler timesteps): one call at a time.
        self._lock = threading.Lock()
        self.model_seconds = 0.0
        """Seconds spent inside the model so far (the rest of a call is ours)."""

    def _shared_with_text_to_video(self, i2v: WanDirectory) -> dict[str, Any]:
        t2v = self.model.text_to_video
        if t2v is None or self._text_to_video is None:
            return {}
        return {
            name: getattr(self._text_to_video, name)
            for name in SHARABLE
            if getattr(self._text_to_video, name, None) is not None
            and same_files(t2v.path / name, i2v.path / name)
        }

    def generate(self, request: VideoGenerationRequest) -> GeneratedVideo:
        animate = request.first_frame is not None
        pipeline = self._image_to_video if animate else self._text_to_video
        if pipeline is None:
            kind = "image-to-video" if animate else "text-to-video"
            raise InvalidRequest(
                f"The local video model ({SETTING}) has no {kind} pipeline; it must hold {LAYOUT}."
            )
        wan = self._geometry(animate)
        fps = self.fps or wan.fps
        frames = frame_count(
            request.duration,
            fps,
            frame_limit(wan, fps, self.max_frames),
            wan.temporal_factor,
        )
        width, height = model_size(
            request.width, request.height, self.max_side, wan.spatial_multiple
        )
        arguments: dict[str, Any] = {
            "prompt": request.prompt,
            "negative_prompt": self.negative_prompt,
            "width": width,
            "height": height,
            "num_frames": frames,
            "num_inference_steps": self.steps,
            "generator": generators([request.seed])[0],
            "output_type": "np",
        }
        if self.guidance_scale is not None:
            arguments["guidance_scale"] = self.guidance_scale
        if request.first_frame is not None:
            arguments["image"] = Image.fromarray(cover(request.first_frame, width, height))
        result = self._run(pipeline, call_arguments(pipeline, **arguments))
        clip = _to_frames(result.frames)
        return GeneratedVideo(path=str(self._write(clip, fps)))

    def _geometry(self, animate: bool) -> WanDirectory:
        """The directory whose model draws: image-to-video without a pipeline of its own is the
        text-to-video model's (TI2V)."""
        found = (self.model.image_to_video if animate else None) or self.model.text_to_video
        assert found is not None  # generate checked that the pipeline exists
        return found

    def _run(self, pipeline: Any, arguments: dict[str, Any]) -> Any:
        return run_pipeline(pipeline, arguments, self._lock, "local video model", self._spend)

    def _spend(self, seconds: float) -> None:
        self.model_seconds += seconds

    def _write(self, clip: Frames, fps: int) -> Path:
        descriptor, name = tempfile.mkstemp(prefix="krev-wan-", suffix=".mp4", dir=self.output_dir)
        os.close(descriptor)
        path = Path(name)
        count, height, width = clip.shape[:3]
        try:
            encode_mp4(_frames(clip), path, width=width, height=height, fps=fps, frame_count=count)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path


def _float32() -> Any:
    import torch

    return torch.float32


def _image_to_video_over(pipeline: Any) -> Any:
    """Wan 2.2 TI2V's image-to-video: the text-to-video pipeline's modules in a
    ``WanImageToVideoPipeline`` (built directly: ``from_pipe`` would cast every shared module
    to one dtype, the float32 VAE included)."""
    from diffusers import WanImageToVideoPipeline

    scheduler = type(pipeline.scheduler).from_config(pipeline.scheduler.config)
    animator = WanImageToVideoPipeline(
        tokenizer=pipeline.tokenizer,
        text_encoder=pipeline.text_encoder,
        vae=pipeline.vae,
        scheduler=scheduler,
        transformer=pipeline.transformer,
        transformer_2=pipeline.transformer_2,
        boundary_ratio=pipeline.config.boundary_ratio,
        expand_timesteps=True,
    )
    animator.set_progress_bar_config(disable=True)
    return animator


def cover(image: RGBImage, width: int, height: int) -> RGBImage:
    """``image`` cropped about its centre to ``width``:``height`` and resized to it (a first
    frame of another aspect ratio is not stretched)."""
    rows, columns = image.shape[:2]
    if columns * height > rows * width:  # wider: crop the sides
        kept = max(1, round(rows * width / height))
        left = (columns - kept) // 2
        image = image[:, left : left + kept]
    else:
        kept = max(1, round(columns * height / width))
        top = (rows - kept) // 2
        image = image[top : top + kept]
    return resize(np.ascontiguousarray(image[..., :3]), width, height)


def _to_frames(frames: Any) -> Frames:
    """A pipeline's ``output_type="np"`` video (one clip: (1, frames, height, width, 3) floats
    in [0, 1]) as (frames, height, width, 3) uint8."""
    clip = np.asarray(frames, np.float32)
    if clip.ndim == 5:
        clip = clip[0]
    if clip.ndim != 4 or clip.shape[-1] < 3:
        raise InvalidRequest(f"The local video model returned frames of shape {clip.shape}.")
    pixels: Frames = np.clip(np.rint(clip[..., :3] * 255.0), 0, 255).astype(np.uint8)
    return pixels


def _frames(clip: Frames) -> Iterator[RGBImage]:
    for frame in clip:
        yield np.ascontiguousarray(frame)


__all__ = ["NEGATIVE_PROMPT", "DiffusersVideoGenerator", "cover"]
