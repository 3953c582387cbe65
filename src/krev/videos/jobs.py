"""What a video job stores: its typed parameters (the request as accepted, the workflow and
engine chosen then, the products as they were) and its typed output, both versioned as the
other kinds' are, so a job stored by an older release still renders."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from krev.images.jobs import ProductInput

PARAMS_VERSION = 1

WorkflowName = Literal["reference_to_video", "text_to_video", "image_to_video", "ugc"]
AudioModeName = Literal["auto", "off", "native"]


class VideoJob(BaseModel):
    """The parameters of a ``video`` generation."""

    version: int = PARAMS_VERSION
    engine: str = "studio"
    """The video provider chosen when the job was accepted."""
    prompt: str
    workflow: WorkflowName
    aspect_ratio: str
    width: int
    height: int
    duration: int
    audio_mode: AudioModeName = "auto"
    preset_id: str | None = None
    scene: dict[str, Any] = Field(default_factory=dict)
    """What the studio grammar understood of the prompt, with ``ignored``."""
    products: list[ProductInput] = Field(default_factory=list)
    source_image: str | None = None
    """The image to animate as a WebP, base64 (at most the video's long side): in the job's
    parameters, so there is no stored input to orphan."""
    ignored: list[str] = Field(default_factory=list)
    """Request fields the workflow does not use (``preset_id`` when animating an image)."""
    people: list[str] = Field(default_factory=list)
    """People the prompt named that the engine does not film (UGC with the studio engine)."""
    subject: str | None = None
    subject_source: Literal["catalog", "prompt"] | None = None
    recorded_product_id: str | None = None
    """A product given with a source image: recorded, not shown."""

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> VideoJob:
        return cls.model_validate(params)

    def as_params(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class AudioOutput(BaseModel):
    requested: AudioModeName
    used: Literal["off", "music", "music+voice", "native"]
    """What the track holds: nothing, a music bed, a music bed with a voice-over, or the
    model's own audio."""
    voice: str | None = None
    """The voice that spoke the voice-over, or "unavailable" when no speech engine could."""
    music: dict[str, Any] | None = None
    """The music bed's tempo, key and mood."""
    note: str | None = None


class VideoOutput(BaseModel):
    """What GET /api/v1/generations/{id} shows of a video job beside its URLs."""

    version: int = PARAMS_VERSION
    engine: str
    workflow: WorkflowName
    aspect_ratio: str
    duration: int
    fps: int
    width: int
    height: int
    frames: int
    audio: AudioOutput
    scene: dict[str, Any]
    copy_text: dict[str, str] | None = Field(default=None, alias="copy")
    ignored: list[str] = Field(default_factory=list)
    product_ids: list[str] = Field(default_factory=list)
    """The products shown."""
    recorded_product_id: str | None = None
    """A product sent with a source image: recorded, not shown (the image is animated)."""
    fidelity: list[float] = Field(default_factory=list)
    """Each product's lowest fidelity to its cutout over the sampled frames."""
    seed: int

    model_config = {"populate_by_name": True}
