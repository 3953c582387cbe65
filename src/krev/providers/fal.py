"""fal's queue API serving FLUX.1 [dev] (text-only prompts) and FLUX.1 Fill [dev] (product
scenes): ``KREV_IMAGE_ENGINE=fal`` with ``KREV_FAL_API_KEY``."""

from __future__ import annotations

from typing import Any

from krev.engines.fal_images import FAL_CAPABILITIES
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
