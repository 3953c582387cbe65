"""Replicate's predictions API serving FLUX.1 [dev] (text-only prompts) and FLUX.1 Fill [dev]
(product scenes): ``KREV_IMAGE_ENGINE=replicate`` with ``KREV_REPLICATE_API_TOKEN``."""

from __future__ import annotations

from typing import Any

from krev.engines.replicate_images import REPLICATE_CAPABILITIES
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
