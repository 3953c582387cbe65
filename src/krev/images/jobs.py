"""What an image job stores: its typed parameters (the request as accepted, the engine chosen
then, the products as they were) and its typed output. Both are versioned; a job stored before
a version existed reads as version 1 and still renders.

Version 2 (issue 11) added ``engine`` (the provider chosen when the job was accepted) and
``subject`` (what a text-only prompt asks to show). A version 1 job was always the studio
engine's.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

PARAMS_VERSION = 2


class ProductInput(BaseModel):
    """What the pipeline needs of a product, taken when the job is accepted."""

    model_config = ConfigDict(frozen=True)

    id: uuid.UUID
    cutout_key: str
    name: str = ""
    product_type: str | None = None
    category: str | None = None
    colors: list[str] = Field(default_factory=list)
    """Color names, for matching a prompt's words; engines get ``color_hex``."""
    color_hex: list[str] = Field(default_factory=list)
    product_name: str | None = None
    brand_name: str | None = None
    materials: list[str] = Field(default_factory=list)
    """What the analysis read it is made of (the ad copy may name it)."""

    def as_params(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def names(self) -> list[str]:
        """What it is called, for matching a prompt's words (``catalog.names_of``)."""
        texts = [self.name, self.product_name, self.brand_name, self.product_type, *self.colors]
        return [text for text in texts if text]

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> ProductInput:
        return cls.model_validate(params)


class ImageJob(BaseModel):
    """The parameters of an ``image`` generation."""

    version: int = PARAMS_VERSION
    engine: str = "studio"
    prompt: str
    aspect_ratio: str
    width: int
    height: int
    hd: bool = False
    image_count: int = 1
    preset_id: str | None = None
    products: list[ProductInput] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)
    """Reference thumbnails, WebP in base64."""
    scene: dict[str, Any] = Field(default_factory=dict)
    """What the studio grammar understood of the prompt (``ignored``: words it cannot draw)."""
    subject: str | None = None
    """What a prompt with no product given asks to show, when it names something."""
    subject_source: Literal["catalog", "prompt"] | None = None
    """Where the subject came from: "catalog" (the caller's product the prompt named, now in
    ``products``) or "prompt" (the engine draws it from the text)."""

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> ImageJob:
        """The job's parameters, whichever version stored them."""
        if "version" not in params:  # version 1: before engines were recorded
            return cls.model_validate({**params, "version": 1, "engine": "studio"})
        return cls.model_validate(params)

    def as_params(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @property
    def text_only(self) -> bool:
        return not self.products


class Placement(BaseModel):
    product_id: str | None
    box: list[int]
    fidelity: float


class VariantOutput(BaseModel):
    scene: dict[str, Any] | None = None
    placements: list[Placement] = Field(default_factory=list)


class ImageOutput(BaseModel):
    """What GET /api/v1/generations/{id} shows of an image job beside its URLs."""

    version: int = PARAMS_VERSION
    engine: str
    fallback_from: str | None = None
    fallback_reason: str | None = None
    scene: dict[str, Any] | None = None
    subject: str | None = None
    subject_source: Literal["catalog", "prompt"] | None = None
    aspect_ratio: str
    preset_id: str | None = None
    hd: bool
    width: int
    height: int
    product_ids: list[str]
    seed: int
    variants: list[VariantOutput]
