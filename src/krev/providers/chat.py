"""Chat planners (``KREV_CHAT_ENGINE``): the embedded ``studio`` planner, and ``openai``, a
tool-calling chat model behind an OpenAI-compatible API (``KREV_LLM_BASE_URL``,
``KREV_LLM_API_KEY``, ``KREV_LLM_TIMEOUT_SECONDS`` as the other LLM providers use them, and a
model of its own, ``KREV_LLM_CHAT_MODEL``)."""

from __future__ import annotations

from typing import Any

from krev.platform.config import Settings
from krev.providers.llm import llm_missing
from krev.providers.registry import ProviderSpec, register


def _build_studio(_settings: Settings) -> Any:
    from krev.engines.studio.chat.planner import StudioPlanner

    return StudioPlanner()


def _missing_openai(settings: Settings) -> list[str]:
    from krev.engines.openai_chat import INSTALL_HINT, installed

    missing = llm_missing(
        settings,
        settings.llm_chat_model,
        "KREV_LLM_CHAT_MODEL is required (a tool-calling chat model, e.g. gpt-4o-mini).",
    )
    if not installed():
        missing.append(f"the LLM agent library is not installed ({INSTALL_HINT}).")
    return missing


def _build_openai(settings: Settings) -> Any:
    from krev.engines.openai_chat import LlmAgent

    # _missing_openai refused the start without these
    assert settings.llm_base_url is not None
    assert settings.llm_chat_model is not None
    key = settings.llm_api_key
    return LlmAgent(
        settings.llm_base_url,
        settings.llm_chat_model,
        api_key=key.get_secret_value() if key else None,
        timeout=settings.llm_timeout_seconds,
        max_steps=settings.chat_step_limit,
    )


register(
    ProviderSpec(
        "chat",
        "studio",
        _build_studio,
        description="The embedded planner: the message parsed into a plan of tool calls "
        "(counts, deliverables, products, shapes, follow-ups); deterministic, no model.",
    )
)
register(
    ProviderSpec(
        "chat",
        "openai",
        _build_openai,
        missing=_missing_openai,
        description="A tool-calling chat model behind an OpenAI-compatible API "
        "(KREV_LLM_BASE_URL, KREV_LLM_CHAT_MODEL) running the same tools; needs the `llm` extra.",
    )
)
