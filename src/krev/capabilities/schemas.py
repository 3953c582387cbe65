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


class AdCapabilitiesOut(BaseModel):
    image_engine: str = Field(
        description="The engine that renders each ad's product scene (the image engine)."
    )
    copy_engine: str = Field(description="Who writes the ad copy.", examples=["studio"])
    copy_fallback: str = Field(
        description="Who writes when copy_engine fails; the generation records it."
    )
    copy_engines: list[EngineOut] = Field(description="Every copywriter this server knows.")
    styles: list[str] = Field(description="The style ids style_id takes (GET /api/v1/ads/styles).")
    aspect_ratios: list[str] = Field(examples=[["1:1", "4:5", "9:16"]])


class VideoCapabilitiesOut(BaseModel):
    engine: str = Field(description="The engine POST /api/v1/videos uses.", examples=["studio"])
    fallback: str | None
    text_only_subjects: bool = Field(
        description="Whether a prompt with no product_id or source_image can ask for a subject "
        "(text-to-video). False on the studio engine: a subject must be a catalog product."
    )
    workflows: list[str] = Field(
        description="The routes a request can take, in the order they are tried (docs/videos.md)."
    )
    durations: list[int] = Field(description="Shortest and longest duration, seconds.")
    aspect_ratios: list[str]
    audio_modes: list[str]
    native_audio: bool = Field(description="Whether the engine makes audio of its own.")
    speech_engine: str = Field(description="Who speaks a UGC edit's voice-over.")
    speech_available: bool = Field(
        description="Whether the speech engine can speak on this server; without it a UGC edit "
        "shows captions only."
    )
    engines: list[EngineOut] = Field(description="Every video engine this server knows.")


class ChatCapabilitiesOut(BaseModel):
    engine: str = Field(description="Who plans chat runs.", examples=["studio"])
    fallback: str | None = Field(
        description="Who plans when the engine fails before its first tool call."
    )
    agents: list[str] = Field(examples=[["auto", "asset", "discover"]])
    tools: list[str] = Field(description="The tools a run may call (none changes Meta).")
    run_credit_budget: int = Field(
        description="Most credits one run may spend on renders; max_credits can lower it."
    )
    ad_library: bool = Field(
        description="Whether research searches Meta's Ad Library (a token is configured); "
        "without it, research covers your own products and past creative."
    )
    engines: list[EngineOut] = Field(description="Every chat planner this server knows.")


class PricesOut(BaseModel):
    """What a job costs on this server: the reference's table unless configured otherwise."""

    image: int = Field(description="Credits per standard image.", examples=[40])
    image_hd: int = Field(description="Credits per 4K image (hd: true).", examples=[80])
    video_per_second: int = Field(
        description="Credits per second of video (a 5 s video: 5 times this).", examples=[80]
    )
    ad_image: int = Field(description="Credits per ad image.", examples=[40])


class CapabilitiesOut(BaseModel):
    image: ImageCapabilitiesOut
    product_analysis: AnalysisCapabilitiesOut
    ad: AdCapabilitiesOut
    video: VideoCapabilitiesOut
    chat: ChatCapabilitiesOut
    prices: PricesOut = Field(
        description="Credits each kind of job costs here, reserved when the job is accepted "
        "(402 if short) and refunded if it fails, so a client can show the price first."
    )
