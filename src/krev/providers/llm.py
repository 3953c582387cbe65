"""The settings every engine behind the OpenAI-compatible LLM API (``KREV_LLM_*``) checks at
start: the base URL they share, and the model each of them names."""

from __future__ import annotations

from krev.platform.config import Settings

__all__ = ["llm_base_url_missing", "llm_missing"]


def llm_base_url_missing(settings: Settings) -> list[str]:
    """What is wrong with ``KREV_LLM_BASE_URL``; empty when it is an http(s) URL."""
    url = settings.llm_base_url
    if not url:
        return ["KREV_LLM_BASE_URL is required (an OpenAI-compatible API, up to /v1)."]
    if not url.startswith(("http://", "https://")):
        return ["KREV_LLM_BASE_URL must be an http:// or https:// URL."]
    return []


def llm_missing(settings: Settings, model: str | None, model_required: str) -> list[str]:
    """The base URL's problems, then ``model_required`` (the sentence naming the model's
    setting) when ``model`` is not set."""
    return llm_base_url_missing(settings) + ([] if model else [model_required])
