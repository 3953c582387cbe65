"""The body of GET /api/v1/capabilities."""

from __future__ import annotations

from pydantic import BaseModel, Field


class EngineOut(BaseModel):
    id: str = Field(examples=["studio"])
    configured: bool = Field(description="Whether this server has what the engine needs.")
    description: str


class ImageCapabilitiesOut(BaseModel):
    engine: str = Field(description="The engine POST /api/v1/images uses.", examples=["studio"])
    fallback: str | None = Field(
        description="The engine a job moves to when `engine` keeps failing transiently."
    )
    text_only_subjects: bool = Field(
        description="Whether a prompt with no product_id can ask for a subject (text-to-image). "
        "False on the studio engine: a subject must then be a product in your catalog."
    )
    product_scenes: bool = Field(
        description="Whether product_id/product_ids are kept faithful in a generated scene."
    )
    reference_images: bool
    upscale_engine: str = Field(description="The upscaler behind hd: true.")
    engines: list[EngineOut] = Field(description="Every image engine this server knows.")
    note: str


class AnalysisCapabilitiesOut(BaseModel):
    engine: str = Field(description="Who reads brand, name, type and materials.")
    fallback: str | None
    segment_engine: str = Field(description="Who removes the background.")


class CapabilitiesOut(BaseModel):
    image: ImageCapabilitiesOut
    product_analysis: AnalysisCapabilitiesOut
