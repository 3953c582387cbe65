"""The copy capability: ``KREV_COPY_ENGINE`` picks the copywriter, a failing LLM falls back to
the configured fallback or the embedded copywriter with the fallback recorded, and the server
refuses to start with an LLM copywriter it cannot reach."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from krev.engines.providers import (
    BODY_COPY_MAX,
    HEADLINE_MAX,
    HOOK_MAX,
    CopyProduct,
    CopyRequest,
)
from krev.engines.studio.ads.styles import style_by_id
from krev.platform.config import Settings
from krev.providers import registry
from krev.providers.copywriting import CopyOutcome, copy_chain, write_ad_copy
from krev.providers.registry import ConfigurationError
from tests.support.fake_openai import FakeOpenAI

KEY = "sk-test-copy-provider-key"
OFFER = style_by_id("bold_offer")
assert OFFER is not None
REQUEST = CopyRequest(
    brief="Summer sale on our sneakers: 20% off everything until Sunday",
    style_id=OFFER.id,
    style_name=OFFER.name,
    tone=OFFER.tone,
    copy_shape=OFFER.copy_shape,
    products=[CopyProduct(brand_name="Stride", product_name="Air Loop", product_type="sneakers")],
    count=2,
)
LLM_COPY = {
    "variants": [
        {
            "hook": "Summer sale: 20% off",
            "headline": "Stride Air Loop",
            "body_copy": "20% off everything until Sunday.",
            "cta": "Get offer",
        },
        {
            "hook": "20% off until Sunday",
            "headline": "Stride Air Loop, 20% off",
            "body_copy": "Every pair, 20% off until Sunday.",
            "cta": "Shop now",
        },
    ]
}


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=KEY) as server:
        yield server


@pytest.fixture
def llm_settings(
    make_settings: Callable[..., Settings], llm: FakeOpenAI
) -> Callable[..., Settings]:
    def factory(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "copy_engine": "openai",
            "llm_base_url": llm.base_url,
            "llm_api_key": KEY,
            "llm_copy_model": "gpt-4o-mini",
        }
        return make_settings(**(values | overrides))

    return factory


def assert_runs_on_meta(outcome: CopyOutcome) -> None:
    assert len(outcome.copies) == REQUEST.count
    for copy in outcome.copies:
        assert copy.style_name == "Bold Offer"
        assert 0 < len(copy.hook) <= HOOK_MAX and 0 < len(copy.headline) <= HEADLINE_MAX
        assert 0 < len(copy.body_copy) <= BODY_COPY_MAX


def test_the_embedded_copywriter_writes_by_default(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()

    outcome = write_ad_copy(settings, REQUEST)

    assert (outcome.engine, outcome.fallback_from, outcome.fallback_reason) == (
        "studio",
        None,
        None,
    )
    assert_runs_on_meta(outcome)
    assert all("20% off everything" in f"{c.hook} {c.body_copy}" for c in outcome.copies)
    assert copy_chain(settings) == ["studio"]


def test_the_llm_writes_when_it_is_the_engine(
    llm_settings: Callable[..., Settings], llm: FakeOpenAI
) -> None:
    llm.answer(LLM_COPY)

    outcome = write_ad_copy(llm_settings(), REQUEST)

    assert (outcome.engine, outcome.fallback_from) == ("openai", None)
    assert [copy.hook for copy in outcome.copies] == [
        "Summer sale: 20% off",
        "20% off until Sunday",
    ]
    assert llm.requests[0].body["model"] == "gpt-4o-mini"


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        (lambda llm: llm.fail(500), "HTTP 500"),
        (lambda llm: llm.fail(429, retry_after=30), "rate limiting"),
        (lambda llm: llm.reply_text("Here you go: Summer sale!"), "not valid JSON"),
        (
            lambda llm: llm.answer(
                {"variants": [v | {"headline": "A" * 41} for v in LLM_COPY["variants"]]}
            ),
            "headline is 41 characters",
        ),
        (
            lambda llm: llm.answer(
                {"variants": [v | {"body_copy": "Now 40% off."} for v in LLM_COPY["variants"]]}
            ),
            "'40' is not in the brief",
        ),
    ],
    ids=["500", "429", "invalid-json", "over-limit", "invented-figure"],
)
def test_a_failing_llm_falls_back_to_the_embedded_copywriter_and_says_why(
    llm_settings: Callable[..., Settings],
    llm: FakeOpenAI,
    script: Callable[[FakeOpenAI], None],
    reason: str,
) -> None:
    script(llm)
    settings = llm_settings()

    outcome = write_ad_copy(settings, REQUEST)

    assert (outcome.engine, outcome.fallback_from) == ("studio", "openai")
    assert outcome.fallback_reason is not None and reason in outcome.fallback_reason
    assert_runs_on_meta(outcome)
    assert len(llm.requests) == 1, "a failed call is not retried"
    assert copy_chain(settings) == ["openai", "studio"]


def test_the_configured_fallback_is_the_one_asked(
    llm_settings: Callable[..., Settings], llm: FakeOpenAI
) -> None:
    llm.answer(LLM_COPY)
    settings = llm_settings(copy_engine="studio", copy_fallback="openai")

    outcome = write_ad_copy(settings, REQUEST)

    assert outcome.engine == "studio", "the embedded copywriter did not fail"
    assert copy_chain(settings) == ["studio", "openai"]
    assert llm.requests == []


def test_the_server_refuses_an_llm_copywriter_it_cannot_use(
    make_settings: Callable[..., Settings],
) -> None:
    with pytest.raises(ConfigurationError, match="KREV_COPY_ENGINE=openai: KREV_LLM_BASE_URL"):
        registry.check(make_settings(copy_engine="openai", llm_copy_model="gpt-4o-mini"))
    with pytest.raises(ConfigurationError, match="KREV_LLM_COPY_MODEL is required"):
        registry.check(make_settings(copy_engine="openai", llm_base_url="http://127.0.0.1:9/v1"))
    with pytest.raises(ConfigurationError, match="KREV_COPY_FALLBACK=openai: KREV_LLM_BASE_URL"):
        registry.check(make_settings(copy_fallback="openai"))
    with pytest.raises(ConfigurationError, match="not one of the copy engines; choose one of"):
        registry.check(make_settings(copy_engine="gpt"))
    registry.check(
        make_settings(
            copy_engine="openai", llm_base_url="http://127.0.0.1:9/v1", llm_copy_model="m"
        )
    )
    assert [spec.id for spec in registry.specs("copy")] == ["openai", "studio"]
