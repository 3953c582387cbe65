"""The OpenAI-compatible Images API as an image provider (``KREV_IMAGE_ENGINE=openai``):
text-only prompts through ``/images/generations``, product scenes through ``/images/edits``
with a mask of what to paint."""

from __future__ import annotations

from typing import Any

from krev.engines.openai_images import GPT_IMAGE_SIZES
from krev.engines.providers import ImageCapabilities
from krev.platform.config import Settings
from krev.providers.registry import ProviderSpec, register


def _missing(settings: Settings) -> list[str]:
    url = settings.openai_images_base_url
    if not url:
        return [
            "KREV_OPENAI_IMAGES_BASE_URL is required (an OpenAI-compatible Images API, "
            "up to /v1, e.g. https://api.openai.com/v1)."
        ]
    if not url.startswith(("http://", "https://")):
        return ["KREV_OPENAI_IMAGES_BASE_URL must be an http:// or https:// URL."]
    return []


def _build(settings: Settings) -> Any:
    from krev.engines.openai_images import OpenAIImageGenerator

    assert settings.openai_images_base_url is not None  # _missing refused the start
    key = settings.openai_images_api_key
    return OpenAIImageGenerator(
        settings.openai_images_base_url,
        api_key=key.get_secret_value() if key else None,
        model=settings.openai_images_model,
        timeout=settings.openai_images_timeout_seconds,
        sizes=GPT_IMAGE_SIZES,
        max_n=settings.openai_images_max_n,
    )


# Declared without settings (the registry reads capabilities before any exist): gpt-image
# sizes, and one image per call as far as the pipeline knows; a built provider asks for up
# to KREV_OPENAI_IMAGES_MAX_N per call when it is handed more.
OPENAI_IMAGE = ImageCapabilities(
    text_only=True, product_scenes=True, max_count=1, sizes=GPT_IMAGE_SIZES
)

register(
    ProviderSpec(
        "image",
        "openai",
        _build,
        missing=_missing,
        image=OPENAI_IMAGE,
        description="An OpenAI-compatible Images API (KREV_OPENAI_IMAGES_BASE_URL): "
        "generations for text-only prompts, edits with a mask for product scenes.",
    )
)
