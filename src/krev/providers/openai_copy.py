"""A chat model behind an OpenAI-compatible API as the copy provider (``KREV_COPY_ENGINE=openai``):
``KREV_LLM_BASE_URL``, ``KREV_LLM_API_KEY`` and ``KREV_LLM_TIMEOUT_SECONDS`` as the vision
analyzer uses them, and a model of its own, ``KREV_LLM_COPY_MODEL``."""

from __future__ import annotations

from typing import Any

from krev.platform.config import Settings
from krev.providers.llm import llm_missing
from krev.providers.registry import ProviderSpec, register


def _missing(settings: Settings) -> list[str]:
    return llm_missing(
        settings,
        settings.llm_copy_model,
        "KREV_LLM_COPY_MODEL is required (the chat model that writes ad copy, e.g. gpt-4o-mini).",
    )


def _build(settings: Settings) -> Any:
    from krev.engines.openai_copy import OpenAICopywriter

    # _missing refused the start without these
    assert settings.llm_base_url is not None
    assert settings.llm_copy_model is not None
    key = settings.llm_api_key
    return OpenAICopywriter(
        settings.llm_base_url,
        settings.llm_copy_model,
        api_key=key.get_secret_value() if key else None,
        timeout=settings.llm_timeout_seconds,
    )


register(
    ProviderSpec(
        "copy",
        "openai",
        _build,
        missing=_missing,
        description="A chat model behind an OpenAI-compatible API (KREV_LLM_BASE_URL, "
        "KREV_LLM_COPY_MODEL); its JSON answer is checked against Meta's limits.",
    )
)
