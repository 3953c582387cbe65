"""The vision-LLM analyzer against a local OpenAI-compatible server: what it sends, how it keeps
the model's answer within the taxonomy, and the clear errors it raises when the model fails."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import numpy as np
import pytest

from krev.engines.base import ColorAnalysis, NamedColor
from krev.engines.openai_vision import OpenAIVisionAnalyzer, VisionAnalysisError, validate_answer
from tests.support.fake_openai import FakeOpenAI
from tests.support.product_photos import make_photo

KEY = "sk-test-0123456789abcdef"
COLORS = ColorAnalysis([NamedColor("black", "#101010", 0.7), NamedColor("gold", "#d4af37", 0.3)])


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=KEY) as server:
        yield server


def analyzer(llm: FakeOpenAI, *, api_key: str = KEY, timeout: float = 30.0) -> OpenAIVisionAnalyzer:
    return OpenAIVisionAnalyzer(llm.base_url, "gpt-4o-mini", api_key=api_key, timeout=timeout)


def test_sends_the_photo_as_an_image_part_and_reads_the_json_answer(llm: FakeOpenAI) -> None:
    llm.answer(
        {
            "brandName": "Vysionary",
            "productName": "Day Shift",
            "productType": "capsules",
            "category": "supplement",
            "materials": ["plastic bottle"],
        }
    )
    photo = make_photo(0, 1024)

    metadata = analyzer(llm).analyze(photo.image, photo.mask.astype(np.float32), COLORS)

    assert metadata.brand_name == "Vysionary"
    assert metadata.product_name == "Day Shift"
    assert metadata.product_type == "capsules"
    assert metadata.category == "supplement"
    assert metadata.materials == ["plastic"]
    assert metadata.colors == ["black", "gold"], "colors come from the pixels, not the LLM"
    [seen] = llm.requests
    assert seen.authorization == f"Bearer {KEY}"
    assert seen.body["model"] == "gpt-4o-mini"
    assert seen.body["response_format"] == {"type": "json_object"}
    assert seen.image_format == "JPEG"
    assert seen.image_size is not None and max(seen.image_size) == 768, "downscaled for upload"
    assert "supplement" in seen.body["messages"][0]["content"], "the taxonomy is in the prompt"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"category": "spaceships", "productType": "rocket"}, (None, None)),
        ({"category": "Skincare", "productType": "Serum"}, ("serum", "skincare")),
        ({"category": None, "productType": "whey protein"}, ("protein powder", "supplement")),
        ({"category": "supplement", "productType": None}, (None, "supplement")),
        ({"category": "footwear", "productType": "serum"}, (None, "footwear")),
        ({"category": "serum"}, ("serum", "skincare")),
        ({"category": 7, "productType": ["bag"]}, (None, None)),
    ],
    ids=[
        "unknown",
        "case",
        "type-keyword",
        "category-only",
        "contradiction",
        "type-as-category",
        "not-strings",
    ],
)
def test_type_and_category_come_only_from_the_taxonomy(
    answer: dict[str, object], expected: tuple[str | None, str | None]
) -> None:
    metadata = validate_answer(answer, [])
    assert (metadata.product_type, metadata.category) == expected


def test_materials_names_and_junk_are_cleaned() -> None:
    metadata = validate_answer(
        {
            "brandName": "  AURA  ",
            "productName": "x" * 500,
            "materials": ["Gold", "unobtainium", "stainless steel lid", 3, "glass"],
        },
        ["red"],
    )
    assert metadata.brand_name == "AURA"
    assert metadata.product_name is None, "prose is not a product name"
    assert metadata.materials == ["glass", "stainless steel", "gold"]
    assert validate_answer({"brandName": "null", "materials": "leather"}, []).materials == []
    assert validate_answer({"brandName": "null"}, []).brand_name is None


def test_a_wrong_key_is_a_clear_error_that_does_not_repeat_the_key(llm: FakeOpenAI) -> None:
    photo = make_photo(1, 256)
    with pytest.raises(VisionAnalysisError) as raised:
        analyzer(llm, api_key="sk-wrong-key-123").analyze(photo.image, None, COLORS)
    assert "HTTP 401" in raised.value.message
    assert "sk-wrong-key-123" not in raised.value.message
    assert "sk-wrong-key-123" not in repr(analyzer(llm, api_key="sk-wrong-key-123"))
    assert llm.rejected == [(401, "Incorrect API key provided.")]


def test_a_server_error_is_a_clear_error(llm: FakeOpenAI) -> None:
    llm.fail(503)
    with pytest.raises(VisionAnalysisError, match="HTTP 503: The server is overloaded"):
        analyzer(llm).analyze(make_photo(1, 256).image, None, COLORS)


@pytest.mark.parametrize("content", ["Sure! It is a bottle.", "[1, 2]", ""])
def test_an_answer_that_is_not_a_json_object_is_a_clear_error(
    llm: FakeOpenAI, content: str
) -> None:
    llm.reply_text(content)
    with pytest.raises(VisionAnalysisError, match=r"not (valid JSON|a JSON object)"):
        analyzer(llm).analyze(make_photo(1, 256).image, None, COLORS)


def test_a_fenced_json_answer_is_accepted(llm: FakeOpenAI) -> None:
    llm.reply_text('```json\n{"brandName": "Halo", "category": "beverage"}\n```')
    metadata = analyzer(llm).analyze(make_photo(1, 256).image, None, COLORS)
    assert (metadata.brand_name, metadata.category) == ("Halo", "beverage")


def test_a_model_that_does_not_answer_in_time_is_a_clear_error(llm: FakeOpenAI) -> None:
    llm.hold()
    try:
        with pytest.raises(VisionAnalysisError, match=r"did not answer within 0\.3 s"):
            analyzer(llm, timeout=0.3).analyze(make_photo(1, 256).image, None, COLORS)
    finally:
        llm.release()


def test_an_unreachable_server_is_a_clear_error() -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = OpenAIVisionAnalyzer(f"http://127.0.0.1:{port}/v1", "m", api_key=KEY)
    with pytest.raises(VisionAnalysisError, match="could not be reached"):
        unreachable.analyze(make_photo(1, 256).image, None, COLORS)
