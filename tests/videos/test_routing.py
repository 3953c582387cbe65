"""The workflow a video request takes: first match wins, the same every time, and the list of
UGC words the docs publish is the one the router reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from krev.videos.routing import UGC_PHRASES, choose_workflow, people_named, ugc_words

DOCS = Path(__file__).resolve().parents[2] / "docs" / "videos.md"


@pytest.mark.parametrize(
    ("prompt", "source", "product", "workflow"),
    [
        # 1. UGC words win over everything, whatever else is sent.
        ("UGC style review of this serum", True, True, "ugc"),
        ("unboxing video, creator-style", True, False, "ugc"),
        ("A honest review of my new mug", False, True, "ugc"),
        ("testimonial from a happy customer", False, False, "ugc"),
        # 2. A source image is animated (a product also given is only recorded).
        ("slow push in on this photo", True, True, "image_to_video"),
        ("slow push in on this photo", True, False, "image_to_video"),
        # 3. A product is put in a scene.
        ("the bottle on marble, soft light", False, True, "reference_to_video"),
        # 4. Otherwise from the text.
        ("slow pan across a marble surface", False, False, "text_to_video"),
    ],
)
def test_first_match_wins(prompt: str, source: bool, product: bool, workflow: str) -> None:
    assert choose_workflow(prompt, source_image=source, product=product) == workflow


@pytest.mark.parametrize(
    "prompt",
    [
        "a guide to preview your product",  # "review" inside a word is not a review video
        "a powerful shot of the bottle",  # "pov" inside a word
        "Overhauled packaging on marble",  # "haul" inside a word
        "an unboxed bottle on a shelf",  # the past participle describes the product
    ],
)
def test_words_inside_other_words_do_not_route_to_ugc(prompt: str) -> None:
    assert ugc_words(prompt) == []
    assert choose_workflow(prompt, source_image=False, product=True) == "reference_to_video"


def test_people_are_named_once_in_order() -> None:
    assert people_named("A woman unboxing the serum, then a man and another woman") == [
        "woman",
        "man",
    ]
    assert people_named("the serum on a marble counter") == []


def test_the_docs_list_every_ugc_word() -> None:
    text = DOCS.read_text(encoding="utf-8").lower()
    missing = [phrase for phrase in UGC_PHRASES if f"`{phrase}`" not in text]
    assert missing == []
