"""The error detail the OpenAI-compatible engines share, and ``hosted.retry_after`` that they
read the wait from."""

from __future__ import annotations

import email.utils
import time
from typing import Any

import httpx
import pytest

from krev.engines.hosted import retry_after
from krev.engines.openai_errors import (
    error_message_detail,
    openai_error_code,
    openai_error_detail,
)


def _answer(body: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
    if body is None:
        return httpx.Response(500, headers=headers)
    return httpx.Response(500, json=body, headers=headers)


def test_the_message_is_trimmed_on_one_line_without_the_key() -> None:
    message = "Incorrect  API key\nsk-secret provided.  " + "x" * 300
    detail = openai_error_detail(_answer({"error": {"message": message}}), "sk-secret")
    assert detail.startswith("Incorrect API key [redacted] provided. x")
    assert len(detail) == 200
    assert "sk-secret" not in detail


def test_a_trailing_period_goes_and_the_limit_is_the_callers() -> None:
    answer = _answer({"error": {"message": "Quota exceeded."}})
    assert openai_error_detail(answer, None) == "Quota exceeded"
    assert openai_error_detail(answer, None, limit=5) == "Quota"


@pytest.mark.parametrize(
    "body",
    [
        None,
        {"detail": "not OpenAI's shape"},
        {"error": "a string"},
        {"error": ["a", "list"]},
        {"error": {"message": 42}},
        {"error": {"message": "   "}},
        ["no", "object"],
    ],
)
def test_no_message_is_an_empty_detail_and_no_code(body: Any) -> None:
    answer = _answer(body)
    assert openai_error_detail(answer, "key") == ""
    assert openai_error_code(answer) is None


def test_the_code_is_read_when_it_is_a_string() -> None:
    assert openai_error_code(_answer({"error": {"code": "moderation_blocked"}})) == (
        "moderation_blocked"
    )
    assert openai_error_code(_answer({"error": {"code": 400}})) is None


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({}, None),
        ({"Retry-After": "3"}, 3.0),
        ({"Retry-After": "0.5"}, 0.5),
        ({"Retry-After": "-1"}, None),
        ({"Retry-After": "inf"}, None),
        ({"Retry-After": "nan"}, None),
        ({"Retry-After": "soon"}, None),
        ({"retry-after-ms": "1500", "Retry-After": "9"}, 1.5),
        ({"retry-after-ms": "-5", "Retry-After": "9"}, 9.0),
        ({"retry-after-ms": "later", "Retry-After": "9"}, 9.0),
    ],
)
def test_retry_after_reads_seconds_and_openais_milliseconds(
    headers: dict[str, str], seconds: float | None
) -> None:
    assert retry_after(_answer(headers=headers)) == seconds


def test_retry_after_reads_an_http_date() -> None:
    later = email.utils.formatdate(time.time() + 120, usegmt=True)
    wait = retry_after(_answer(headers={"Retry-After": later}))
    assert wait is not None and 100 < wait <= 120
    earlier = email.utils.formatdate(time.time() - 120, usegmt=True)
    assert retry_after(_answer(headers={"Retry-After": earlier})) == 0.0


@pytest.mark.parametrize(
    "error",
    [
        {"message": "Quota sk-secret exceeded.", "code": "insufficient_quota"},
        {"error": {"message": "Quota sk-secret exceeded."}},
    ],
    ids=["the-error-object", "the-whole-body"],
)
def test_a_decoded_error_reads_as_the_answer_would(error: dict[str, Any]) -> None:
    assert error_message_detail(error, "sk-secret") == "Quota [redacted] exceeded"


@pytest.mark.parametrize("error", [None, "a string", {"message": 42}, {"error": "a string"}])
def test_a_decoded_error_without_a_message_is_empty(error: Any) -> None:
    assert error_message_detail(error, "key") == ""
