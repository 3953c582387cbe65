"""The ``video`` pipeline: the words (the copywriter's hook, benefit and call to action; a UGC
edit's script), the audio (a music bed; a voice-over for UGC), then the video engine's frames
streamed into the MP4 encoder frame by frame, with progress as they are rendered, the
products' fidelity checked on sampled frames, a poster, and the files stored. A video model
(``KREV_VIDEO_ENGINE`` diffusers, fal, replicate) makes the clip instead, from a first frame
Krev gives it (krev.videos.models), and the same delivery follows.

Nothing is stored before the MP4 is whole: a render that fails or is cancelled midway leaves
only its scratch directory, which is removed (and removed again by the job's next attempt,
should the worker have died). ``render_video`` is the whole of the worker's video work with
no queue or database around it: the benchmark and the gallery call exactly it.
"""

from __future__ import annotations

import base64
import io
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from krev.ads.tasks import copy_product
from krev.engines.base import ProductCutout, RGBImage
from krev.engines.providers import CopyRequest, ProviderError
from krev.engines.studio.ads.styles import style_by_id
from krev.engines.studio.audio.mix import TimedLine, caption_lines, timed_lines
from krev.engines.studio.audio.soundtrack import soundtrack
from krev.engines.studio.scene.fidelity import product_fidelity
from krev.engines.studio.video.encode import encode_mp4
from krev.engines.video import FPS, Audio, VideoCopy, VideoEngine, VideoPlan, VideoRequest
from krev.generations.pipelines import (
    JobCancelled,
    JobContext,
    JobOutcome,
    PipelineError,
    register_pipeline,
)
from krev.images.tasks import load_cutout
from krev.platform.config import Settings
from krev.platform.imaging import encode_webp
from krev.providers import registry
from krev.providers.copywriting import write_ad_copy
from krev.providers.voice_over import UNAVAILABLE, speak_lines
from krev.videos import models, service
from krev.videos.jobs import AudioOutput, VideoJob, VideoOutput

MP4 = "video/mp4"
WEBP = "image/webp"
# Where the job's progress stands: words and audio first, then frames up to FRAMES_DONE.
PREPARED = 5
FRAMES_DONE = 97
# Progress is written at most this often (frames): each write is a database transaction.
PROGRESS_EVERY = 12
# Frames the fidelity check samples: the first, then evenly through the video.
FIDELITY_SAMPLES = 4
COPY_STATE = "video_copy"
# The copy style each workflow's words are written in.
COPY_STYLE = {"ugc": "social_proof"}
DEFAULT_COPY_STYLE = "performance"
# What the copywriter is told beside the products: the prompt is a scene, not a brief.
VIDEO_BRIEF = "Product video"


@dataclass
class Words:
    copy: VideoCopy
    captions: list[str]
    engine: str
    fallback_from: str | None = None

    def as_state(self) -> dict[str, Any]:
        return {
            "copy": self.copy.__dict__,
            "captions": self.captions,
            "engine": self.engine,
            "fallback_from": self.fallback_from,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Words:
        return cls(
            VideoCopy(**state["copy"]),
            list(state["captions"]),
            str(state["engine"]),
            state.get("fallback_from"),
        )


@dataclass
class Sound:
    samples: Audio | None
    output: AudioOutput
    captions: list[tuple[float, float, str]] = field(default_factory=list)
    """UGC captions timed to the voice: (start, end, text) in seconds."""


@dataclass(frozen=True)
class RenderedVideo:
    path: Path
    poster_webp: bytes
    frames: int
    fidelity: list[float]
    scene: dict[str, Any]


# --- words -------------------------------------------------------------------------------------


def write_words(settings: Settings, job: VideoJob, seed: int) -> Words:
    """The video's hook, benefit and call to action from the configured copywriter (which falls
    back to the embedded one and says so); a UGC edit's captions are its script.

    Words sell a product: a video that shows none (a set, a user's photo) has none. The
    copywriter is briefed with the products, not the prompt, which describes a scene and its
    camera ("on marble, slow push in"), not what to say about the product."""
    if not job.products:
        return Words(VideoCopy(), [], "none")
    style = style_by_id(COPY_STYLE.get(job.workflow, DEFAULT_COPY_STYLE))
    assert style is not None
    request = CopyRequest(
        brief=VIDEO_BRIEF,
        style_id=style.id,
        style_name=style.name,
        tone=style.tone,
        copy_shape=style.copy_shape,
        products=[copy_product(product) for product in job.products],
        count=1,
        seed=seed,
    )
    try:
        outcome = write_ad_copy(settings, request)
    except ProviderError as error:
        raise PipelineError(
            f"{error.message} Your credits were refunded.", "copy_failed"
        ) from error
    copy = outcome.copies[0]
    brand = next((p.brand_name for p in job.products if p.brand_name), "") or ""
    words = VideoCopy(hook=copy.hook, benefit=copy.headline, cta=copy.cta, brand=brand)
    captions = script(copy.hook, copy.body_copy, copy.cta) if job.workflow == "ugc" else []
    return Words(words, captions, outcome.engine, outcome.fallback_from)


def script(hook: str, body: str, cta: str) -> list[str]:
    """A UGC edit's lines: the hook, the body's sentences as caption lines, the call to
    action."""
    return [line for line in (hook, *caption_lines(body), cta) if line.strip()]


# --- audio -------------------------------------------------------------------------------------


def soundtrack_of(
    settings: Settings, job: VideoJob, words: Words, seed: int, end_card: float
) -> Sound:
    """What the MP4's audio track holds and what output.audio says of it; a UGC edit's
    captions timed to its voice (or to reading speed, without one)."""
    lines = words.captions
    seconds = float(job.duration)
    if job.audio_mode == "off":
        timed = timed_lines(lines, [None] * len(lines), end_card) if lines else []
        return Sound(None, AudioOutput(requested="off", used="off"), _times(timed))
    note = (
        "The studio engine has no audio of its own; native was rendered as auto."
        if job.audio_mode == "native"
        else None
    )
    voice = speak_lines(settings, lines) if lines else None
    track = soundtrack(
        job.prompt,
        seconds,
        seed,
        lines=lines,
        speeches=voice.speeches if voice is not None else [],
        end_card_from=end_card,
    )
    spoken = voice is not None and voice.voice != UNAVAILABLE
    if voice is not None and not spoken:
        note = note or "No speech engine could speak; the edit shows its captions only."
    output = AudioOutput(
        requested=job.audio_mode,
        used="music+voice" if spoken else "music",
        voice=voice.voice if voice is not None else None,
        music=track.mood.as_dict(),
        note=note,
    )
    return Sound(track.audio, output, _times(track.captions))


def _times(lines: Sequence[TimedLine]) -> list[tuple[float, float, str]]:
    return [(line.start, line.end, line.text) for line in lines]


# --- rendering ---------------------------------------------------------------------------------


def video_request(
    job: VideoJob,
    cutouts: Sequence[ProductCutout],
    words: Words,
    captions: Sequence[tuple[float, float, str]],
    seed: int,
) -> VideoRequest:
    source: RGBImage | None = None
    if job.source_image is not None:
        data = base64.b64decode(job.source_image)
        with Image.open(io.BytesIO(data), formats=["WEBP"]) as opened:
            source = np.asarray(opened.convert("RGB"), dtype=np.uint8)
    return VideoRequest(
        workflow=job.workflow,
        prompt=job.prompt,
        width=job.width,
        height=job.height,
        duration=job.duration,
        fps=FPS,
        preset=job.preset_id,
        products=list(cutouts),
        source_image=source,
        copy=words.copy,
        captions=[text for _, _, text in captions],
        caption_times=[(start, end) for start, end, _ in captions],
        seed=seed,
    )


def sample_frames(frame_count: int) -> list[int]:
    step = max(1, frame_count // FIDELITY_SAMPLES)
    return sorted({min(frame_count - 1, i * step) for i in range(FIDELITY_SAMPLES)})


def render_video(
    engine: VideoEngine,
    request: VideoRequest,
    audio: Audio | None,
    path: Path,
    *,
    cutouts: Sequence[ProductCutout] = (),
    fidelity_threshold: float = 0.0,
    on_frame: Callable[[int], None] | None = None,
) -> RenderedVideo:
    """Plan, render and encode one video into ``path``, checking each product's fidelity on
    sampled frames (the studio engine moves products only by the camera's transform, so every
    sample must hold); a product below ``fidelity_threshold`` fails the render."""
    try:
        plan = engine.plan(request)
    except ValueError as error:
        raise PipelineError(f"{error} Your credits were refunded.", "video_unrenderable") from error
    samples = set(sample_frames(request.frame_count)) if cutouts else set()
    scores: dict[int, float] = {}

    def checked(frames: Iterator[RGBImage]) -> Iterator[RGBImage]:
        for index, frame in enumerate(frames):
            if index in samples:
                _check_products(plan, frame, index, cutouts, fidelity_threshold, scores)
            yield frame

    encoded = encode_mp4(
        checked(plan.frames()),
        path,
        width=request.width,
        height=request.height,
        fps=request.fps,
        frame_count=request.frame_count,
        audio=audio,
        on_frame=on_frame,
    )
    poster = encode_webp(Image.fromarray(plan.poster()), quality=88)
    fidelity = [round(scores.get(i, 0.0), 4) for i in range(len(cutouts))]
    return RenderedVideo(path, poster, encoded.frames, fidelity, dict(plan.scene))


def _check_products(
    plan: VideoPlan,
    frame: RGBImage,
    index: int,
    cutouts: Sequence[ProductCutout],
    threshold: float,
    scores: dict[int, float],
) -> None:
    boxes = plan.product_boxes(index)
    for number, cutout in enumerate(cutouts):
        box = boxes[number] if number < len(boxes) else (0, 0, 0, 0)
        if box[2] < 8 or box[3] < 8:
            continue  # off screen in this frame (a reveal, a transition): nothing to compare
        score = product_fidelity(frame, box, cutout.rgba)
        if score < threshold:
            label = f"'{cutout.name}'" if cutout.name else f"#{number + 1}"
            raise PipelineError(
                f"Product {label} did not stay faithful to its catalog cutout in frame "
                f"{index + 1} (fidelity {score:.3f}, this server requires {threshold:.2f}); "
                "the video failed and your credits were refunded.",
                "product_drifted",
            )
        scores[number] = min(scores.get(number, 1.0), score)


# --- the job -----------------------------------------------------------------------------------


def _expected_seconds(params: Mapping[str, Any]) -> float:
    # The studio engine renders and encodes 1080p at about real time on two cores
    # (bench/RESULTS.md, "Video generation").
    return 3.0 + float(params.get("duration") or 5) * 1.2


@register_pipeline("video", scope="videos", expected_seconds=_expected_seconds, priority=-10)
def generate_video(ctx: JobContext) -> JobOutcome:
    job = VideoJob.from_params(dict(ctx.params))
    scratch = ctx.settings.data_dir / "scratch" / str(ctx.generation_id)
    # A dead worker's attempt may have left its scratch files: they are this job's, so go.
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        return _generate(ctx, job, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _generate(ctx: JobContext, job: VideoJob, scratch: Path) -> JobOutcome:
    settings = ctx.settings
    seed = service.seed_of(ctx.generation_id)
    engine_id = job.engine
    if registry.spec("video", engine_id).missing(settings):
        raise PipelineError(
            f"The '{engine_id}' video engine this job was accepted for is not configured on "
            "the worker that ran it. Your credits were refunded.",
            "engine_unavailable",
        )
    provider = registry.provider(settings, "video", engine_id)
    cutouts = [load_cutout(ctx, product) for product in job.products]
    end_card = max(0.0, job.duration - 1.5)
    frames = FPS * job.duration
    span = FRAMES_DONE - PREPARED

    def on_frame(done: int) -> None:
        if done % PROGRESS_EVERY == 0 or done == frames:
            ctx.progress(PREPARED + span * done // frames)

    if models.is_model(provider):
        return _from_model(ctx, job, provider, cutouts, scratch, seed, on_frame)
    engine: VideoEngine = provider
    if COPY_STATE in ctx.state:
        words = Words.from_state(ctx.state[COPY_STATE])
    else:
        words = write_words(settings, job, seed)
        ctx.remember({**ctx.state, COPY_STATE: words.as_state()})
    sound = soundtrack_of(settings, job, words, seed, end_card)
    request = video_request(job, cutouts, words, sound.captions, seed)
    ctx.progress(PREPARED)
    rendered = render_video(
        engine,
        request,
        sound.samples,
        scratch / "video.mp4",
        cutouts=cutouts,
        fidelity_threshold=settings.image_fidelity_threshold,
        on_frame=on_frame,
    )
    copy_text = (
        {
            "hook": words.copy.hook,
            "benefit": words.copy.benefit,
            "cta": words.copy.cta,
            "engine": words.engine,
        }
        if job.products
        else None
    )
    delivered = Delivered(
        rendered.path, rendered.poster_webp, rendered.frames, rendered.fidelity, rendered.scene
    )
    return _deliver(ctx, job, delivered, sound.output, copy_text, seed)


@dataclass(frozen=True)
class Delivered:
    path: Path
    poster_webp: bytes
    frames: int
    fidelity: list[float]
    scene: dict[str, Any]


def _from_model(
    ctx: JobContext,
    job: VideoJob,
    provider: Any,
    cutouts: Sequence[ProductCutout],
    scratch: Path,
    seed: int,
    on_frame: Callable[[int], None],
) -> JobOutcome:
    """A video model's clip (local, or a hosted job polled by re-scheduled runs), normalised;
    it carries no words of Krev's: the model draws the whole picture."""
    try:
        clip = models.model_clip(
            ctx, provider, job, lambda: models.first_frame(job, cutouts, seed), seed
        )
        ctx.progress(PREPARED)
        frame = models.first_frame(job, cutouts, seed)
        end_card = max(0.0, job.duration - 1.5)
        sound = soundtrack_of(ctx.settings, job, Words(VideoCopy(), [], "none"), seed, end_card)
        made = models.finish_clip(
            ctx.settings,
            clip,
            job,
            frame,
            cutouts,
            sound.samples,
            scratch / "video.mp4",
            sample_frames(FPS * job.duration),
            on_frame,
        )
    except JobCancelled:
        models.cancel_model_job(ctx, provider)
        raise
    audio = sound.output
    if made.audio == "source":
        audio = AudioOutput(requested=job.audio_mode, used="native")
    elif job.audio_mode == "native":
        audio = audio.model_copy(
            update={"note": "The video model made no audio of its own; a music bed was added."}
        )
    delivered = Delivered(made.path, made.poster_webp, made.frames, made.fidelity, made.scene)
    return _deliver(ctx, job, delivered, audio, None, seed)


def _deliver(
    ctx: JobContext,
    job: VideoJob,
    delivered: Delivered,
    audio: AudioOutput,
    copy_text: dict[str, str] | None,
    seed: int,
) -> JobOutcome:
    """Store the MP4 and its poster, and say what was made."""
    ctx.save_output(delivered.path.read_bytes(), MP4, "mp4")
    ctx.save_output(delivered.poster_webp, WEBP, "webp", role="poster")
    output = VideoOutput(
        engine=job.engine,
        workflow=job.workflow,
        aspect_ratio=job.aspect_ratio,
        duration=job.duration,
        fps=FPS,
        width=job.width,
        height=job.height,
        frames=delivered.frames,
        audio=audio,
        scene={**job.scene, **delivered.scene},
        copy_text=copy_text,
        ignored=job.ignored,
        product_ids=[str(product.id) for product in job.products],
        recorded_product_id=job.recorded_product_id,
        fidelity=delivered.fidelity,
        seed=seed,
    )
    return JobOutcome(extra=output.model_dump(mode="json", by_alias=True))
