"""fal's queue API: FLUX.1 [dev] (text-only prompts) and FLUX.1 Fill [dev] (product scenes) for
``KREV_IMAGE_ENGINE=fal``, Seedance (text-to-video and image-to-video) for
``KREV_VIDEO_ENGINE=fal``; both with ``KREV_FAL_API_KEY``."""

from __future__ import annotations

from typing import Any

from krev.engines.fal_images import FAL_CAPABILITIES
from krev.engines.fal_video import FAL_SEEDANCE_I2V, FAL_SEEDANCE_T2V, fal_video_capabilities
from krev.engines.video import VideoModelCapabilities
from krev.platform.config import Settings
from krev.providers.registry import ProviderSpec, register


def _missing(settings: Settings) -> list[str]:
    problems: list[str] = []
    if settings.fal_api_key is None or not settings.fal_api_key.get_secret_value():
        problems.append("KREV_FAL_API_KEY is required (a fal API key).")
    if not settings.fal_base_url.startswith(("http://", "https://")):
        problems.append("KREV_FAL_BASE_URL must be an http:// or https:// URL.")
    return problems


def _build(settings: Settings) -> Any:
    from krev.engines.fal_images import FalImageGenerator

    assert settings.fal_api_key is not None  # _missing refused the start
    return FalImageGenerator(
        settings.fal_api_key.get_secret_value(),
        base_url=settings.fal_base_url,
        t2i_model=settings.fal_t2i_model,
        fill_model=settings.fal_fill_model,
        extra=settings.fal_extra_input,
        timeout=settings.fal_timeout_seconds,
    )


def _video_missing(settings: Settings) -> list[str]:
    problems = _missing(settings)
    if not settings.fal_t2v_model.strip("/") and not settings.fal_i2v_model.strip("/"):
        problems.append("KREV_FAL_T2V_MODEL or KREV_FAL_I2V_MODEL must name a fal video model.")
    if not settings.fal_video_durations or not all(
        1 <= seconds <= 60 for seconds in settings.fal_video_durations
    ):
        problems.append("KREV_FAL_VIDEO_DURATIONS must list whole seconds from 1 to 60.")
    return problems


def _video_capabilities(settings: Settings) -> VideoModelCapabilities:
    return fal_video_capabilities(
        settings.fal_t2v_model, settings.fal_i2v_model, settings.fal_video_durations
    )


def _build_video(settings: Settings) -> Any:
    from krev.engines.fal_video import FalVideoGenerator

    assert settings.fal_api_key is not None  # _video_missing refused the start
    return FalVideoGenerator(
        settings.fal_api_key.get_secret_value(),
        base_url=settings.fal_base_url,
        t2v_model=settings.fal_t2v_model,
        i2v_model=settings.fal_i2v_model,
        durations=settings.fal_video_durations,
        max_resolution=settings.fal_video_resolution,
        timeout=settings.fal_timeout_seconds,
    )


register(
    ProviderSpec(
        "image",
        "fal",
        _build,
        missing=_missing,
        image=FAL_CAPABILITIES,
        description="Hosted FLUX on fal's queue API (FAL_T2I_MODEL, FAL_FILL_MODEL).",
    )
)
register(
    ProviderSpec(
        "video",
        "fal",
        _build_video,
        missing=_video_missing,
        video=fal_video_capabilities(FAL_SEEDANCE_T2V, FAL_SEEDANCE_I2V),
        video_for=_video_capabilities,
        description="Hosted Seedance on fal's queue API (FAL_T2V_MODEL, FAL_I2V_MODEL).",
    )
)
