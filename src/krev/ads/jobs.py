"""What an ad job stores: its typed parameters (the request as accepted, the style and engine
chosen then, the products as they were) and its typed output. Both are versioned, as image
jobs' are (krev.images.jobs), so a job stored by an older release still renders."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from krev.images.jobs import Placement, ProductInput

PARAMS_VERSION = 1

StyleChoice = Literal["request", "brief"]


class AdJob(BaseModel):
    """The parameters of an ``ad`` generation."""

    version: int = PARAMS_VERSION
    engine: str = "studio"
    """The image provider chosen when the job was accepted (the copywriter is the worker's)."""
    brief: str
    aspect_ratio: str
    width: int
    height: int
    image_count: int = 1
    style_id: str
    style_chosen_by: StyleChoice
    preset_id: str | None = None
    """The studio set the style's scenes start from; the brief's words refine it."""
    scene_prompt: str
    scene: dict[str, Any] = Field(default_factory=dict)
    """What the studio grammar understood of the scene prompt."""
    products: list[ProductInput]
    inspiration: str | None = None
    """The inspiration image as a small WebP thumbnail, base64."""
    brand_context: str | None = None

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> AdJob:
        return cls.model_validate(params)

    def as_params(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class AdCopyOutput(BaseModel):
    style_name: str
    hook: str
    headline: str
    body_copy: str
    cta: str


class Fallback(BaseModel):
    """A provider that failed and the one that did the work instead."""

    capability: Literal["image", "copy"]
    engine: str
    """The provider that was asked first."""
    reason: str | None = None


class InspirationOutput(BaseModel):
    """What the layout read of the inspiration image."""

    colors: list[str]
    """Its dominant colors, the largest share first."""
    density: float
    """How packed its layout is: 0 airy, 1 dense (the ads' margins follow it)."""


class AdVariantOutput(BaseModel):
    placements: list[Placement] = Field(default_factory=list)
    """Each product's box in the ad (not the scene), and its fidelity to its cutout."""


class AdOutput(BaseModel):
    """What GET /api/v1/generations/{id} shows of an ad job beside its URLs."""

    version: int = PARAMS_VERSION
    engine: dict[str, str]
    """Who made what: ``{"image": <image provider>, "copy": <copywriter>}``."""
    fallbacks: list[Fallback] = Field(default_factory=list)
    style_id: str
    style_name: str
    style_chosen_by: StyleChoice
    ad_copies: list[AdCopyOutput]
    aspect_ratio: str
    width: int
    height: int
    scene_box: list[int]
    """Where the product scene sits in each ad: x, y, width, height."""
    palette: dict[str, str]
    """The ads' colors: background, surface, text, accent, button, button_text."""
    inspiration: InspirationOutput | None = None
    scene: dict[str, Any] | None = None
    product_ids: list[str]
    seed: int
    variants: list[AdVariantOutput]
