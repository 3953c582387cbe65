"""Request and response bodies of ``/api/v1/images`` and ``/api/v1/presets``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field, field_validator

from krev.kit.body import JsonUUID, StrictBody, json_integer
from krev.kit.openapi import NOT_BLANK

AspectRatio = Literal["1:1", "16:9", "9:16", "4:3", "3:4"]

MAX_PROMPT_CHARS = 2000
MAX_PRODUCTS = 4
MAX_REFERENCE_IMAGES = 4


class ImageRequest(StrictBody):
    """The reference's body, strictly typed: ``hd`` and ``image_count`` set the price."""

    prompt: str = Field(
        max_length=MAX_PROMPT_CHARS,
        description="Text prompt describing the image to generate.",
        examples=["Premium leather wallet on dark marble surface, studio lighting"],
        json_schema_extra=NOT_BLANK,
    )
    aspect_ratio: AspectRatio = Field(default="1:1", description="Shape of the images.")
    product_id: JsonUUID | None = Field(
        default=None, description="Product ID to use as a reference (from GET /products)."
    )
    product_ids: list[JsonUUID] | None = Field(
        default=None,
        max_length=MAX_PRODUCTS,
        description=f"Multiple product IDs for multi-product scenes (at most {MAX_PRODUCTS}).",
    )
    preset_id: str | None = Field(
        default=None,
        max_length=64,
        description="Studio preset ID for styling (see GET /api/v1/presets).",
        examples=["flat_lay"],
    )
    hd: bool = Field(default=False, description="4K output (4096 px on the long side); 2x credits.")
    image_count: Annotated[Literal[1, 2, 4], BeforeValidator(json_integer)] = Field(
        default=1, description="Number of variants."
    )
    reference_images: list[str] | None = Field(
        default=None,
        max_length=MAX_REFERENCE_IMAGES,
        description="Image URLs (http(s) or base64 data URLs) whose palette, brightness and "
        f"contrast steer the scene (at most {MAX_REFERENCE_IMAGES}).",
    )

    @field_validator("prompt")
    @classmethod
    def _prompt_has_words(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("the prompt must not be empty")
        return value


class ImagesOut(BaseModel):
    generation_id: str
    images: list[str] = Field(description="Signed URLs of the WebP images; they expire.")
    image_count: int
    credits_used: int


class PresetOut(BaseModel):
    id: str = Field(examples=["studio_white"])
    description: str
    thumbnail_url: str = Field(description="A small WebP rendering of the preset, no product.")
