"""The analyzers told an account's known brands (its corrections): label text that reads as one
of them is the brand, case and spacing ignored, and the rest is the product line; the vision LLM
is told them in its question."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pytest

from krev.engines.base import ColorAnalysis, ProductMetadata
from krev.engines.openai_vision import OpenAIVisionAnalyzer
from krev.engines.studio.analyze import StudioProductAnalyzer
from tests.engines.test_analyze import Line, fake_ocr
from tests.support.fake_openai import FakeOpenAI
from tests.support.product_photos import make_photo

# A product line set larger than its brand, both ordinary words: read alone, with nothing else
# to tell them apart, the product line is taken as the brand.
SWAPPED: list[Line] = [("HOLLOW OAK", 20, 24), ("Sea Salt", 60, 40), ("100 g", 140, 18)]


def analyze(lines: list[Line], known: Sequence[str] = ()) -> ProductMetadata:
    image = np.zeros((400, 300, 3), np.uint8)
    analyzer = StudioProductAnalyzer(ocr=fake_ocr(lines))
    return analyzer.analyze(image, None, ColorAnalysis(), known_brands=known)


def test_without_known_brands_two_lines_of_ordinary_words_fall_back_on_prominence() -> None:
    metadata = analyze(SWAPPED)
    assert (metadata.brand_name, metadata.product_name) == ("Sea Salt", "HOLLOW OAK")


@pytest.mark.parametrize("known", ["HOLLOW OAK", "hollow oak", "HollowOak", "  hOlLoW oAk "])
def test_a_known_brand_is_the_brand_whatever_its_case_and_spacing(known: str) -> None:
    metadata = analyze(SWAPPED, [known])
    assert metadata.brand_name == known, "spelt as the account wrote it"
    assert metadata.product_name == "Sea Salt"


def test_words_the_ocr_joined_or_split_still_match() -> None:
    joined = analyze([("Night Serum", 20, 40), ("Morningco", 80, 20)], ["Morning Co"])
    assert (joined.brand_name, joined.product_name) == ("Morning Co", "Night Serum")
    split = analyze([("Night Serum", 20, 40), ("Au Rora", 80, 20)], ["Aurora"])
    assert (split.brand_name, split.product_name) == ("Aurora", "Night Serum")


def test_a_known_brand_within_a_line_leaves_the_rest_as_the_product_line() -> None:
    metadata = analyze([("Night Repair by NORDVIK", 20, 40), ("30 ml", 90, 18)], ["Nordvik"])
    assert (metadata.brand_name, metadata.product_name) == ("Nordvik", "Night Repair")
    metadata = analyze([("NORDVIK Night Repair 50 ml", 20, 40)], ["NORDVIK"])
    assert (metadata.brand_name, metadata.product_name) == ("NORDVIK", "Night Repair")


def test_brands_not_on_the_label_change_nothing() -> None:
    assert analyze(SWAPPED, ["Aurora", "Kora", "", " "]) == analyze(SWAPPED)
    # Part of a word is not the brand ("HOLL" in "HOLLOW").
    assert analyze(SWAPPED, ["Holl"]) == analyze(SWAPPED)


def test_the_most_prominent_known_brand_wins() -> None:
    metadata = analyze(
        [("KORA", 20, 40), ("Glow", 70, 30), ("by AURA labs", 120, 16)], ["Aura", "Kora"]
    )
    assert (metadata.brand_name, metadata.product_name) == ("Kora", "Glow")


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key="sk-known") as server:
        server.answer({"brandName": "NORDVIK", "productName": "Night Repair"})
        yield server


def _question(llm: FakeOpenAI) -> str:
    content = llm.requests[-1].body["messages"][1]["content"]
    return str(next(part["text"] for part in content if part["type"] == "text"))


def test_the_vision_llm_is_told_the_known_brands(llm: FakeOpenAI) -> None:
    analyzer = OpenAIVisionAnalyzer(llm.base_url, "vision-test", api_key="sk-known")
    image = make_photo(0, 128).image

    analyzer.analyze(image, None, ColorAnalysis())
    assert "brands" not in _question(llm)

    metadata = analyzer.analyze(image, None, ColorAnalysis(), known_brands=["NORDVIK", 'Ke"ra'])
    assert _question(llm).endswith(
        'This seller\'s brands include: "NORDVIK"; "Ke\\"ra". If one of them is printed on '
        "the product, it is the brandName."
    )
    assert metadata.brand_name == "NORDVIK"
