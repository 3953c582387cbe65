"""Video engines: what a video provider is asked for and what it hands back.

A video is rendered as a stream of frames, never held whole: ``VideoEngine.plan`` understands
the request and fixes everything (shots, camera moves, copy, timing) without drawing; the
``VideoPlan`` it returns then draws frame after frame (``frames``), so the pipeline can encode
each one as it comes (``krev.engines.studio.video.encode``), report progress and stop between
frames. Audio is separate: a music bed and a voice are sample arrays the encoder muxes.

Workflows (the routing in ``krev.videos.service`` picks one; ``docs/videos.md`` lists the rules):

- ``reference_to_video``: the product's cutout in a rendered scene, with camera moves.
- ``text_to_video``: a rendered scene from the prompt alone (the image text-only rules).
- ``image_to_video``: the user's image animated (foreground/background split, parallax).
- ``ugc``: a creator-style edit composed for 9:16 (product or source image, captions, no
  on-camera person with the studio engine), reframed centre-safe for other ratios.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from krev.engines.base import ProductCutout, RGBImage

Workflow = Literal["reference_to_video", "text_to_video", "image_to_video", "ugc"]
WORKFLOWS: tuple[Workflow, ...] = ("ugc", "image_to_video", "reference_to_video", "text_to_video")

FPS = 24
SAMPLE_RATE = 48_000
# Float samples in [-1, 1], shape (n, 2): stereo at SAMPLE_RATE.
Audio = npt.NDArray[np.float32]


@dataclass(frozen=True)
class VideoCopy:
    """The words a video shows: a hook on the first shot, a benefit mid-way, a call to action
    on the end card (the copywriter's, within Meta's limits). Empty strings show nothing."""

    hook: str = ""
    benefit: str = ""
    cta: str = ""
    brand: str = ""


@dataclass(frozen=True)
class VideoRequest:
    workflow: Workflow
    prompt: str
    width: int
    height: int
    duration: int  # whole seconds; the video has exactly FPS * duration frames
    fps: int = FPS
    preset: str | None = None
    products: list[ProductCutout] = field(default_factory=list)
    source_image: RGBImage | None = None  # image_to_video, or ugc without a product
    copy: VideoCopy = field(default_factory=VideoCopy)
    captions: list[str] = field(default_factory=list)  # ugc: the voice-over's lines, in order
    caption_times: list[tuple[float, float]] = field(default_factory=list)
    """(start, end) seconds of each caption, as the voice speaks it. Given, the captions are
    the whole script, the copy's hook first and its call to action last; empty, the engine
    times ``captions`` itself."""
    seed: int = 0

    @property
    def frame_count(self) -> int:
        return self.fps * self.duration


@dataclass(frozen=True)
class Shot:
    start: int  # first frame
    end: int  # one past the last frame
    # "push_in", "pull_out", "pan_left", "pan_right", "truck", "reveal", "light_sweep", and in
    # a creator edit "punch_in", "handheld", …
    move: str
    # how it joins the previous shot: "crossfade", "wipe", "match_cut", "cut" (a creator
    # edit's hard cut); None for the first. A crossfade or wipe blends two pictures over a few
    # frames around ``start`` (``product_boxes`` is all zeros there).
    transition: str | None = None


class VideoPlan(Protocol):
    """A video fixed in every choice, not yet drawn."""

    request: VideoRequest
    scene: dict[str, object]  # what was understood and chosen; JSON-serialisable
    shots: list[Shot]

    def frames(self, start: int = 0) -> Iterator[RGBImage]:
        """Frames ``start`` … ``frame_count - 1`` in order, each (height, width, 3) uint8."""

    def poster(self) -> RGBImage:
        """The frame that stands for the video (the hero shot with its copy)."""

    def product_boxes(self, frame: int) -> list[tuple[int, int, int, int]]:
        """Where each product is at ``frame`` (x, y, width, height), index order: the pipeline
        checks the product's fidelity on sampled frames against these boxes. (0, 0, 0, 0)
        where a product cannot be judged in that frame (off screen, or a transition blending
        two pictures)."""


class VideoEngine(Protocol):
    name: str

    def plan(self, request: VideoRequest) -> VideoPlan:
        """Understand and fix the video; raise ValueError for what it cannot render."""


@dataclass(frozen=True)
class Speech:
    samples: Audio  # (n, 2) float32 at SAMPLE_RATE
    voice: str  # which voice spoke, for output.audio


class SpeechEngine(Protocol):
    """Text to speech. Raises ``krev.engines.providers.ProviderError`` when it cannot speak."""

    name: str

    def speak(self, text: str) -> Speech: ...


# --- video models (local and hosted) ---------------------------------------------------------


@dataclass(frozen=True)
class VideoModelCapabilities:
    """What a video model can do, for the capabilities endpoint and for accepting a job."""

    text_to_video: bool
    """Draws what a prompt asks for with no image (the prompt's subject from text alone)."""
    image_to_video: bool
    """Animates a first frame it is given (a source image, or the studio still of a product)."""
    native_audio: bool = False
    """Makes a soundtrack of its own (``audio_mode: native``)."""
    durations: tuple[int, ...] = ()
    """The whole seconds it renders; empty: any from 4 to 15. A duration it does not offer is
    rendered at the nearest longer one it does and cut (or the longest, and held on its
    last frame) by the pipeline's normalisation."""


@dataclass(frozen=True)
class VideoGenerationRequest:
    """One clip to generate."""

    prompt: str
    width: int
    height: int
    duration: int
    fps: int = FPS
    first_frame: RGBImage | None = None
    """The frame to start from (image-to-video): the user's source image, or the studio still
    of a product in its scene; None: text-to-video."""
    audio: bool = False
    """Ask for the model's own audio (``audio_mode: native``) where it has some."""
    seed: int = 0


@dataclass(frozen=True)
class GeneratedVideo:
    """A clip a model made, in whichever form it has it: a file it wrote, encoded bytes, or a
    URL to copy now (through the SSRF-safe fetcher). The pipeline normalises any of them to
    Krev's MP4 (size, 24 fps, exact frame count, audio) before storing it."""

    path: str | None = None
    data: bytes | None = None
    url: str | None = None
    has_audio: bool = False


class VideoGenerator(Protocol):
    """A video model that answers within one call (a local pipeline)."""

    id: str
    capabilities: VideoModelCapabilities

    def generate(self, request: VideoGenerationRequest) -> GeneratedVideo: ...


@dataclass(frozen=True)
class RemoteVideoStatus:
    """A hosted video job as the provider reports it."""

    state: Literal["pending", "succeeded", "failed", "cancelled"]
    video: GeneratedVideo | None = None
    error: Exception | None = None
    """Why it failed (state "failed"): a ``krev.engines.providers.ProviderError``."""
    poll_after: float | None = None


class RemoteVideoGenerator(Protocol):
    """A hosted video model that queues (fal, Replicate): submit, then poll until done."""

    id: str
    capabilities: VideoModelCapabilities

    def submit(self, request: VideoGenerationRequest) -> str: ...

    def poll(self, job_id: str) -> RemoteVideoStatus: ...

    def cancel(self, job_id: str) -> None: ...
