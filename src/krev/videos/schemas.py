"""Request and response bodies of ``/api/v1/videos``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field, field_validator

from krev.kit.body import JsonUUID, StrictBody
from krev.kit.openapi import NOT_BLANK

VideoAspectRatio = Literal["1:1", "16:9", "9:16", "4:3", "3:4"]
AudioMode = Literal["auto", "off", "native"]

MIN_DURATION = 4
MAX_DURATION = 15
MAX_PROMPT_CHARS = 2000
MAX_URL_CHARS = 8 * 1024 * 1024  # a data: URL holds a whole image; the body limit caps it too


def whole_seconds(value: object) -> object:
    """``duration`` is a JSON integer: 5.5, "5", true are refused, not rounded or coerced."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 5.0 is the number 5 in JSON
    raise ValueError(
        f"duration must be a whole number of seconds from {MIN_DURATION} to {MAX_DURATION}"
    )


class VideoRequest(StrictBody):
    """The reference's body, strictly typed: ``duration`` sets the price."""

    prompt: str = Field(
        max_length=MAX_PROMPT_CHARS,
        description="Text prompt describing the video scene. Creator-style words (UGC, "
        "unboxing, testimonial, …) choose the UGC workflow (docs/videos.md).",
        examples=["Smooth camera pan around sneakers with soft lighting"],
        json_schema_extra=NOT_BLANK,
    )
    aspect_ratio: VideoAspectRatio = Field(
        default="16:9",
        description="Shape of the video: 1080 px on the short side (16:9 is 1920x1080).",
    )
    duration: Annotated[int, BeforeValidator(whole_seconds)] = Field(
        default=5,
        ge=MIN_DURATION,
        le=MAX_DURATION,
        description=f"Video duration in whole seconds, {MIN_DURATION} to {MAX_DURATION}; "
        "80 credits per second.",
    )
    audio_mode: AudioMode = Field(
        default="auto",
        description="auto: a music bed (and a voice-over for UGC); off: no audio track; "
        "native: the video model's own audio where it has one (the studio engine treats it "
        "as auto and says so in output.audio). Does not change the price.",
    )
    product_id: JsonUUID | None = Field(
        default=None,
        description="Product ID (from GET /products) for a product-led video: its cutout is "
        "placed in the scene.",
    )
    source_image: str | None = Field(
        default=None,
        max_length=MAX_URL_CHARS,
        description="An image URL (http(s) or a base64 data URL) to animate. Video URLs are "
        "not supported here.",
    )
    preset_id: str | None = Field(
        default=None,
        max_length=64,
        description="Studio preset ID for styling rendered scenes (see GET /api/v1/presets); "
        "ignored when animating a source_image.",
        examples=["studio_white"],
    )

    @field_validator("prompt")
    @classmethod
    def _prompt_has_words(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("the prompt must not be empty")
        return value


class VideoOut(BaseModel):
    generation_id: str
    video_url: str = Field(description="Signed URL of the MP4 (H.264, AAC); it expires.")
    duration: int = Field(description="Seconds.", examples=[5])
    credits_used: int = Field(examples=[400])
