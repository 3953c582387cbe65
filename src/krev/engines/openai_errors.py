"""What the engines behind OpenAI-compatible APIs (copy, vision, speech, images) read from an
error answer: the body ``{"error": {"message": ..., "code": ...}}``, its message trimmed for
our own messages, and the key cut out of it first (providers sometimes quote what they were
sent). How long to wait is ``hosted.retry_after``. ``error_message_detail`` does the same for an
error object already decoded by an SDK (the chat agent's, which reaches the API through the
``openai`` package)."""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["MAX_ERROR_DETAIL", "error_message_detail", "openai_error_code", "openai_error_detail"]

MAX_ERROR_DETAIL = 200  # characters of the provider's message kept in ours


def _error(response: httpx.Response) -> dict[str, Any] | None:
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return None
    return error if isinstance(error, dict) else None


def openai_error_detail(
    response: httpx.Response, api_key: str | None, limit: int = MAX_ERROR_DETAIL
) -> str:
    """The error body's message on one line, at most ``limit`` characters, without a trailing
    period and with ``api_key`` replaced by ``[redacted]``; "" when there is none."""
    return _detail(_error(response), api_key, limit)


def error_message_detail(error: object, api_key: str | None, limit: int = MAX_ERROR_DETAIL) -> str:
    """``openai_error_detail`` for an error object already decoded: ``{"message": ...}`` (what
    the ``openai`` package unwraps) or the whole body ``{"error": {"message": ...}}``."""
    if isinstance(error, dict) and isinstance(error.get("error"), dict):
        error = error["error"]
    return _detail(error, api_key, limit)


def _detail(error: object, api_key: str | None, limit: int) -> str:
    message = error.get("message") if isinstance(error, dict) else None
    if not isinstance(message, str) or not message.strip():
        return ""
    if api_key:
        message = message.replace(api_key, "[redacted]")
    return " ".join(message.split())[:limit].rstrip(".")


def openai_error_code(response: httpx.Response) -> str | None:
    """The error body's machine-readable ``code`` (e.g. ``moderation_blocked``), if a string."""
    error = _error(response)
    code = error.get("code") if error is not None else None
    return code if isinstance(code, str) else None
