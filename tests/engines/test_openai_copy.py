"""The LLM copywriter against a local OpenAI-compatible server: what it asks for, the copy it
accepts, and the typed errors it raises for answers that break Meta's limits or the facts,
and for a server that fails."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from krev.engines.openai_copy import OpenAICopywriter
from krev.engines.providers import (
    CTA_LABELS,
    ContentRefused,
    CopyProduct,
    CopyRequest,
    InvalidRequest,
    ProviderError,
    RateLimited,
    TemporarilyUnavailable,
)
from tests.support.fake_openai import FakeOpenAI

KEY = "sk-test-copy-0123456789abcdef"
REQUEST = CopyRequest(
    brief="Create a direct response ad for this protein bar. 20g protein, 15% off this week.",
    style_id="performance",
    style_name="Performance Master",
    tone="direct, confident, benefit first",
    copy_shape="direct",
    products=[CopyProduct(brand_name="Vigor", product_name="Peak", product_type="bar")],
    brand_context="Vigor makes snacks in Leeds.",
    count=2,
    seed=7,
)


def variant(**fields: str) -> dict[str, str]:
    return {
        "hook": "Built for long days",
        "headline": "Protein that keeps up",
        "body_copy": "Vigor Peak: 20g protein to keep you going. 15% off this week.",
        "cta": "Shop now",
    } | fields


def answer(*variants: dict[str, str]) -> dict[str, Any]:
    return {"variants": list(variants)}


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=KEY) as server:
        yield server


def writer(llm: FakeOpenAI, *, api_key: str = KEY, timeout: float = 30.0) -> OpenAICopywriter:
    return OpenAICopywriter(llm.base_url, "gpt-4o-mini", api_key=api_key, timeout=timeout)


def test_asks_for_json_copy_with_the_facts_and_meta_s_limits(llm: FakeOpenAI) -> None:
    llm.answer(answer(variant(), variant(hook="Snack smarter", cta="ORDER NOW")))

    copies = writer(llm).write(REQUEST)

    assert [copy.hook for copy in copies] == ["Built for long days", "Snack smarter"]
    assert {copy.style_name for copy in copies} == {"Performance Master"}
    assert copies[1].cta == "Order now", "a label in another case is Meta's label"
    [seen] = llm.requests
    assert seen.authorization == f"Bearer {KEY}"
    assert seen.image_format is None, "copy requests are text only"
    body = seen.body
    assert body["model"] == "gpt-4o-mini"
    assert body["response_format"] == {"type": "json_object"}
    assert body["seed"] == 7
    system, user = (message["content"] for message in body["messages"])
    for said in ("exactly 2 variant", "at most 60", "at most 40", "at most 125", "Never invent"):
        assert said in system
    assert all(label in system for label in CTA_LABELS)
    assert "Performance Master" in system and "benefit first" in system
    for fact in ("protein bar", "Leeds", "Vigor", "Peak"):
        assert fact in user


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ("Sure! Here is your ad copy.", "not valid JSON"),
        ('{"ads": []}', '"variants"'),
        ('{"variants": [{"hook": "x"}]}', r"wrote 1 variant\(s\) where 2 were asked"),
    ],
    ids=["prose", "wrong-key", "too-few"],
)
def test_an_answer_that_is_not_the_schema_is_refused(
    llm: FakeOpenAI, content: str, complaint: str
) -> None:
    llm.reply_text(content)

    with pytest.raises(InvalidRequest, match=complaint):
        writer(llm).write(REQUEST)


@pytest.mark.parametrize(
    ("broken", "complaint"),
    [
        ({"headline": "Protein that keeps up with every single day"}, "headline is 43 characters"),
        ({"hook": "A" * 59 + " long"}, "hook is 64 characters"),
        ({"body_copy": "x " * 70}, "body_copy is 139 characters"),
        ({"cta": "Buy it"}, "'Buy it' is not one of Meta's labels"),
        ({"hook": "  "}, "hook is empty"),
        ({"body_copy": "Now 50% off, rated 4.9 stars."}, "'50' is not in the brief"),
    ],
    ids=["headline", "hook", "body", "cta", "empty", "invented-figure"],
)
def test_copy_that_breaks_the_rules_is_refused_never_cut(
    llm: FakeOpenAI, broken: dict[str, str], complaint: str
) -> None:
    llm.answer(answer(variant(hook="Snack smarter"), variant(**broken)))

    with pytest.raises(InvalidRequest, match=complaint) as caught:
        writer(llm).write(REQUEST)
    assert "variant 2" in caught.value.message


def test_two_identical_variants_are_refused(llm: FakeOpenAI) -> None:
    llm.answer(answer(variant(), variant()))

    with pytest.raises(InvalidRequest, match="two variants are the same"):
        writer(llm).write(REQUEST)


@pytest.mark.parametrize(
    ("status", "error", "sentence"),
    [
        (500, TemporarilyUnavailable, "temporarily unavailable (HTTP 500"),
        (503, TemporarilyUnavailable, "HTTP 503: The server is overloaded"),
        (429, RateLimited, "rate limiting requests (HTTP 429"),
        (400, InvalidRequest, "refused the request (HTTP 400"),
    ],
)
def test_server_failures_are_typed_provider_errors(
    llm: FakeOpenAI, status: int, error: type[ProviderError], sentence: str
) -> None:
    llm.fail(status, retry_after=3)

    with pytest.raises(error, match=sentence.replace("(", r"\(")) as caught:
        writer(llm).write(REQUEST)
    assert caught.value.retry_after == (3.0 if status == 429 else None)


def test_a_refused_key_names_the_setting_and_never_the_key(llm: FakeOpenAI) -> None:
    with pytest.raises(InvalidRequest, match="KREV_LLM_API_KEY") as caught:
        writer(llm, api_key="sk-wrong-key-42").write(REQUEST)

    assert "sk-wrong-key-42" not in caught.value.message
    assert KEY not in repr(writer(llm))


def test_a_truncated_or_filtered_answer_is_an_error(llm: FakeOpenAI) -> None:
    llm.answer(answer(variant(), variant(hook="Snack smarter")), finish_reason="length")
    with pytest.raises(InvalidRequest, match="cut off"):
        writer(llm).write(REQUEST)

    llm.answer({}, finish_reason="content_filter")
    with pytest.raises(ContentRefused):
        writer(llm).write(REQUEST)


def test_an_unreachable_server_is_temporarily_unavailable() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    copywriter = OpenAICopywriter(f"http://127.0.0.1:{port}/v1", "gpt-4o-mini", timeout=5)

    with pytest.raises(TemporarilyUnavailable, match="could not be reached"):
        copywriter.write(REQUEST)
