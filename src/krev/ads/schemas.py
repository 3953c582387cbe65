"""Request and response bodies of ``/api/v1/ads`` and ``/api/v1/ads/styles``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field, field_validator

from krev.engines.studio.ads.styles import STYLES
from krev.kit.body import JsonUUID, StrictBody, json_integer
from krev.kit.openapi import NOT_BLANK

AdAspectRatio = Literal["1:1", "4:5", "9:16"]
ASPECT_RATIOS: tuple[str, ...] = ("1:1", "4:5", "9:16")
"""Meta's feed and story placements; other shapes are not offered for ads."""

MAX_BRIEF_CHARS = 2000
MAX_BRAND_CONTEXT_CHARS = 1000
MAX_PRODUCTS = 4
MAX_URL_CHARS = 8 * 1024 * 1024  # a data: URL holds a whole image; the body limit caps it too


class AdRequest(StrictBody):
    """The reference's body, strictly typed: ``image_count`` sets the price."""

    brief: str = Field(
        max_length=MAX_BRIEF_CHARS,
        description="Creative brief for the ad. Without style_id its words choose the style.",
        examples=["Create a direct response ad for this protein bar"],
        json_schema_extra=NOT_BLANK,
    )
    product_ids: list[JsonUUID] = Field(
        min_length=1,
        max_length=MAX_PRODUCTS,
        description=f"1 to {MAX_PRODUCTS} of your products (from GET /products), analysed.",
    )
    aspect_ratio: AdAspectRatio = Field(
        default="4:5",
        description="1:1 (1080x1080), 4:5 (1080x1350) or 9:16 (1080x1920): Meta's placements.",
    )
    image_count: Annotated[Literal[1, 2, 4], BeforeValidator(json_integer)] = Field(
        default=1, description="Number of ad image variants, each with its own copy."
    )
    style_id: str | None = Field(
        default=None,
        max_length=64,
        description="Ad style (GET /api/v1/ads/styles). Without it the brief chooses.",
        examples=["performance"],
        # Documented only: an unknown id is refused by the service with the valid ones listed.
        json_schema_extra={"enum": [*(style.id for style in STYLES), None]},
    )
    inspiration_image: str | None = Field(
        default=None,
        max_length=MAX_URL_CHARS,
        description="An ad image URL (http(s) or a base64 data URL) whose palette and "
        "density steer the ad.",
    )
    brand_context: str | None = Field(
        default=None,
        max_length=MAX_BRAND_CONTEXT_CHARS,
        description="Brand notes: voice, colors (#rrggbb), claims the copy may make.",
    )

    @field_validator("brief")
    @classmethod
    def _brief_has_words(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("the brief must not be empty")
        return value

    @field_validator("aspect_ratio", mode="before")
    @classmethod
    def _offered_shape(cls, value: object) -> object:
        if isinstance(value, str) and value not in ASPECT_RATIOS:
            raise ValueError(
                f"'{value}' is not offered for ads; use 1:1, 4:5 or 9:16 (Meta's feed and "
                "story placements)"
            )
        return value

    @field_validator("brand_context")
    @classmethod
    def _context_or_none(cls, value: str | None) -> str | None:
        return (value.strip() or None) if value is not None else None


class AdCopyOut(BaseModel):
    style_name: str = Field(examples=["Performance Master"])
    hook: str = Field(description="The first line a scroll stops on (at most 60 characters).")
    headline: str = Field(description="Meta's headline (at most 40 characters).")
    body_copy: str = Field(description="Meta's primary text (at most 125 characters).")
    cta: str = Field(description="One of Meta's call-to-action labels.", examples=["Shop now"])


class AdsOut(BaseModel):
    generation_id: str
    images: list[str] = Field(
        description="Signed URLs of the WebP ad images; add ?format=png or ?format=jpeg for "
        "Ads Manager. They expire."
    )
    image_count: int
    credits_used: int
    ad_copy: AdCopyOut = Field(description="The copy of images[0].")
    ad_copies: list[AdCopyOut] = Field(description="Each image's copy, in the order of images.")


class AdStyleOut(BaseModel):
    id: str = Field(examples=["performance"])
    name: str = Field(examples=["Performance Master"])
    description: str
    thumbnail_url: str = Field(description="A small WebP rendering of the style's layout.")
