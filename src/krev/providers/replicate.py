"""Replicate's predictions API: FLUX.1 [dev] (text-only prompts) and FLUX.1 Fill [dev]
(product scenes) for ``KREV_IMAGE_ENGINE=replicate``, Seedance for
``KREV_VIDEO_ENGINE=replicate``; both with ``KREV_REPLICATE_API_TOKEN``."""

from __future__ import annotations

from typing import Any

from krev.engines.replicate_images import REPLICATE_CAPABILITIES
from krev.engines.replicate_video import REPLICATE_SEEDANCE, replicate_video_capabilities
from krev.engines.video import VideoModelCapabilities
from krev.platform.config import Settings
from krev.providers.registry import ProviderSpec, register


def _missing(settings: Settings) -> list[str]:
    problems: list[str] = []
    token = settings.replicate_api_token
    if token is None or not token.get_secret_value():
        problems.append("KREV_REPLICATE_API_TOKEN is required (a Replicate API token).")
    if not settings.replicate_base_url.startswith(("http://", "https://")):
        problems.append("KREV_REPLICATE_BASE_URL must be an http:// or https:// URL.")
    return problems


def _build(settings: Settings) -> Any:
    from krev.engines.replicate_images import ReplicateImageGenerator

    assert settings.replicate_api_token is not None  # _missing refused the start
    return ReplicateImageGenerator(
        settings.replicate_api_token.get_secret_value(),
        base_url=settings.replicate_base_url,
        t2i_model=settings.replicate_t2i_model,
        fill_model=settings.replicate_fill_model,
        extra=settings.replicate_extra_input,
        timeout=settings.replicate_timeout_seconds,
        wait_seconds=settings.replicate_wait_seconds,
    )


def _video_missing(settings: Settings) -> list[str]:
    problems = _missing(settings)
    if not settings.replicate_video_model.strip("/"):
        problems.append("KREV_REPLICATE_VIDEO_MODEL must name a Replicate video model.")
    if not settings.replicate_video_durations or not all(
        1 <= seconds <= 60 for seconds in settings.replicate_video_durations
    ):
        problems.append("KREV_REPLICATE_VIDEO_DURATIONS must list whole seconds from 1 to 60.")
    return problems


def _video_capabilities(settings: Settings) -> VideoModelCapabilities:
    return replicate_video_capabilities(
        settings.replicate_video_model, settings.replicate_video_durations
    )


def _build_video(settings: Settings) -> Any:
    from krev.engines.replicate_video import ReplicateVideoGenerator

    assert settings.replicate_api_token is not None  # _video_missing refused the start
    return ReplicateVideoGenerator(
        settings.replicate_api_token.get_secret_value(),
        base_url=settings.replicate_base_url,
        model=settings.replicate_video_model,
        durations=settings.replicate_video_durations,
        max_resolution=settings.replicate_video_resolution,
        timeout=settings.replicate_timeout_seconds,
    )


register(
    ProviderSpec(
        "image",
        "replicate",
        _build,
        missing=_missing,
        image=REPLICATE_CAPABILITIES,
        description="Hosted FLUX on Replicate's predictions API (REPLICATE_T2I_MODEL, "
        "REPLICATE_FILL_MODEL).",
    )
)
register(
    ProviderSpec(
        "video",
        "replicate",
        _build_video,
        missing=_video_missing,
        video=replicate_video_capabilities(REPLICATE_SEEDANCE),
        video_for=_video_capabilities,
        description="Hosted Seedance on Replicate's predictions API (REPLICATE_VIDEO_MODEL).",
    )
)
