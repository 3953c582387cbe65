"""Videos from a video model: a local pipeline (``diffusers``) or a hosted queue (``fal``,
``replicate``), behind the same ``video`` pipeline as the studio engine.

The model starts from a first frame Krev makes: the user's source image, or for a product the
studio still of it in its scene (as ``POST /api/v1/images`` renders it), so the product is the
catalog's own pixels where the clip begins; a text-to-video prompt gets none. A hosted job is
submitted once, its id remembered on the generation before the first poll, and polled by
re-scheduled runs (``JobWaiting``), so waiting holds no worker thread and a restarted job polls
the same job instead of paying twice. The clip (a file, bytes, or a URL copied now through the
SSRF-safe fetcher) is then normalised to Krev's MP4 (size, 24 fps, exact frame count, sound).

Fidelity: video models re-draw every frame, so it is enforced on the first frame only (the
product must still be there, as sent); on sampled frames it is measured at the first frame's
boxes and recorded as ``output.fidelity``, failing the job only below
``KREV_VIDEO_FIDELITY_FLOOR`` when that is set.
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import structlog
from PIL import Image

from krev.engines.base import ProductCutout, RGBImage, SceneRequest
from krev.engines.providers import ProviderError
from krev.engines.studio.scene.fidelity import product_fidelity
from krev.engines.studio.video.normalize import normalize_video
from krev.engines.video import (
    FPS,
    Audio,
    GeneratedVideo,
    RemoteVideoGenerator,
    VideoGenerationRequest,
    VideoGenerator,
)
from krev.generations.pipelines import JobContext, JobWaiting, PipelineError
from krev.images import engines
from krev.platform.config import Settings
from krev.platform.fetch import FetchError, SafeFetcher
from krev.platform.imaging import encode_webp
from krev.videos import routing
from krev.videos.jobs import VideoJob

log = structlog.get_logger("krev.videos.models")

# The state keys a hosted job keeps between runs.
MODEL_JOB = "video_model_job"
RETRIES = "video_model_retries"
# A model's clip is seconds of 1080p at most: far below this, which stops a runaway download.
MAX_CLIP_BYTES = 512 * 1024 * 1024
DEFAULT_POLL_SECONDS = 5.0
MAX_RETRY_DELAY = 300.0


@dataclass(frozen=True)
class FirstFrame:
    rgb: RGBImage | None
    boxes: list[tuple[int, int, int, int]]
    """Where each product is in it (the studio still's placements); empty without products."""


@dataclass(frozen=True)
class ModelVideo:
    path: Path
    poster_webp: bytes
    frames: int
    fidelity: list[float]
    scene: dict[str, Any]
    audio: str
    """Whose sound the MP4 carries: "source" (the model's own), "given" (ours) or "none"."""


def is_model(provider: object) -> bool:
    """Whether a video provider is a model (it makes clips) rather than an engine that plans
    and draws its own frames (the studio engine)."""
    return hasattr(provider, "generate") or hasattr(provider, "submit")


def is_remote(provider: VideoGenerator | RemoteVideoGenerator) -> bool:
    return hasattr(provider, "submit")


def first_frame(job: VideoJob, cutouts: Sequence[ProductCutout], seed: int) -> FirstFrame:
    """The frame the model starts from: the source image, the studio still of the products in
    their scene, or nothing (text-to-video)."""
    if job.source_image is not None:
        with Image.open(io.BytesIO(base64.b64decode(job.source_image)), formats=["WEBP"]) as im:
            return FirstFrame(np.asarray(im.convert("RGB"), dtype=np.uint8), [])
    if not cutouts:
        return FirstFrame(None, [])
    still = engines.scene_composer().render(
        SceneRequest(
            prompt=routing.scene_words(job.prompt, ugc=job.workflow == "ugc"),
            width=job.width,
            height=job.height,
            preset=job.preset_id,
            products=list(cutouts),
            seed=seed,
        )
    )
    return FirstFrame(still.rgb, [placed.box for placed in still.placements])


def model_request(job: VideoJob, frame: FirstFrame, seed: int) -> VideoGenerationRequest:
    return VideoGenerationRequest(
        prompt=job.prompt,
        width=job.width,
        height=job.height,
        duration=job.duration,
        fps=FPS,
        first_frame=frame.rgb,
        audio=job.audio_mode == "native",
        seed=seed,
    )


def model_clip(
    ctx: JobContext,
    provider: VideoGenerator | RemoteVideoGenerator,
    job: VideoJob,
    frame: Callable[[], FirstFrame],
    seed: int,
) -> GeneratedVideo:
    """The model's clip: made now (a local pipeline), or by a hosted job submitted once and
    polled by re-scheduled runs of the job (``JobWaiting`` until it is done)."""
    try:
        if not is_remote(provider):
            local: VideoGenerator = provider  # type: ignore[assignment]
            return local.generate(model_request(job, frame(), seed))
        remote: RemoteVideoGenerator = provider  # type: ignore[assignment]
        job_id = ctx.state.get(MODEL_JOB)
        if not job_id:
            job_id = remote.submit(model_request(job, frame(), seed))
            ctx.remember({**ctx.state, MODEL_JOB: job_id})
        status = remote.poll(str(job_id))
    except ProviderError as error:
        _retry_or_fail(ctx, error)
    if status.state == "pending":
        raise JobWaiting(status.poll_after or DEFAULT_POLL_SECONDS, "video_model")
    if status.state == "succeeded" and status.video is not None:
        return status.video
    failure = status.error if isinstance(status.error, ProviderError) else None
    message = failure.message if failure is not None else f"The video model's job {status.state}."
    raise PipelineError(f"{message} Your credits were refunded.", "video_model_failed")


def _retry_or_fail(ctx: JobContext, error: ProviderError) -> NoReturn:
    """A transient failure waits and runs again, with backoff, a few times; anything else fails
    the job, refunded."""
    settings = ctx.settings
    retries = int(ctx.state.get(RETRIES) or 0)
    if error.transient and retries < settings.provider_max_retries:
        delay = error.retry_after
        if delay is None:
            delay = settings.provider_retry_base_seconds * 2**retries
        ctx.remember({**ctx.state, RETRIES: retries + 1})
        raise JobWaiting(min(MAX_RETRY_DELAY, max(0.0, delay)), f"retry:{error.code}")
    raise PipelineError(f"{error.message} Your credits were refunded.", error.code) from error


def cancel_model_job(ctx: JobContext, provider: VideoGenerator | RemoteVideoGenerator) -> None:
    job_id = ctx.state.get(MODEL_JOB)
    if job_id and is_remote(provider):
        try:
            provider.cancel(str(job_id))  # type: ignore[union-attr]
        except ProviderError as error:
            log.warning("video_model_cancel_failed", error=error.message)


def clip_source(settings: Settings, clip: GeneratedVideo) -> str | bytes:
    """The clip as a file path or its bytes; a URL is copied now (it expires), through the same
    guard as users' URLs."""
    if clip.path is not None:
        return clip.path
    if clip.data is not None:
        return clip.data
    if clip.url is None:
        raise PipelineError("The video model answered no clip. Your credits were refunded.")
    with SafeFetcher(
        max_bytes=MAX_CLIP_BYTES,
        timeout=settings.fetch_timeout_seconds,
        allow_loopback=settings.fetch_allow_loopback,
        allowlist=settings.fetch_allowlist,
    ) as fetcher:
        try:
            return fetcher.fetch(clip.url).content
        except FetchError as error:
            raise PipelineError(
                f"The video model's clip could not be copied ({error.message.rstrip('.')}); "
                "your credits were refunded.",
                "video_model_failed",
            ) from error


def finish_clip(
    settings: Settings,
    clip: GeneratedVideo,
    job: VideoJob,
    frame: FirstFrame,
    cutouts: Sequence[ProductCutout],
    audio: Audio | None,
    path: Path,
    sample_frames: Sequence[int],
    on_frame: Callable[[int], None] | None = None,
) -> ModelVideo:
    """The model's clip normalised into ``path``, its first frame checked for each product,
    its sampled frames measured."""
    source = clip_source(settings, clip)
    try:
        normalized = normalize_video(
            source,
            path,
            width=job.width,
            height=job.height,
            fps=FPS,
            frame_count=FPS * job.duration,
            audio=audio,
            keep_source_audio=job.audio_mode == "native" and clip.has_audio,
            sample_frames=sample_frames,
            on_frame=on_frame,
        )
    except ValueError as error:
        raise PipelineError(
            f"The video model's clip could not be read ({error}). Your credits were refunded.",
            "video_model_failed",
        ) from error
    finally:
        if clip.path is not None:  # the local model's temporary file is ours to remove
            with contextlib.suppress(OSError):
                os.unlink(clip.path)
    fidelity = _fidelity(settings, normalized.first_frame, normalized.samples, frame, cutouts)
    poster = encode_webp(Image.fromarray(normalized.first_frame), quality=88)
    scene = {
        "model": {
            "source_size": list(normalized.source_size),
            "source_frames": normalized.source_frames,
            "held_frames": normalized.held_frames,
            "first_frame": "source_image"
            if job.source_image
            else ("studio_still" if cutouts else None),
        }
    }
    return ModelVideo(path, poster, normalized.video.frames, fidelity, scene, normalized.audio)


def _fidelity(
    settings: Settings,
    first: RGBImage,
    samples: dict[int, RGBImage],
    frame: FirstFrame,
    cutouts: Sequence[ProductCutout],
) -> list[float]:
    scores = []
    for index, (cutout, box) in enumerate(zip(cutouts, frame.boxes, strict=False)):
        opening = product_fidelity(first, box, cutout.rgba)
        if opening < settings.image_fidelity_threshold:
            label = f"'{cutout.name}'" if cutout.name else f"#{index + 1}"
            raise PipelineError(
                f"Product {label} was not kept faithful in the video model's first frame "
                f"(fidelity {opening:.3f}, this server requires "
                f"{settings.image_fidelity_threshold:.2f}); the video failed and your credits "
                "were refunded.",
                "product_drifted",
            )
        lowest = min([opening, *(product_fidelity(s, box, cutout.rgba) for s in samples.values())])
        floor = settings.video_fidelity_floor
        if floor is not None and lowest < floor:
            raise PipelineError(
                f"Product #{index + 1} drifted in the video model's frames (fidelity "
                f"{lowest:.3f}, this server requires {floor:.2f} throughout); the video failed "
                "and your credits were refunded.",
                "product_drifted",
            )
        scores.append(round(lowest, 4))
    return scores
