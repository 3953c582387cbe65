"""Concepts' styles and image ideas: distinct, concrete scenes in the studio grammar's words,
the same for the planner and the domain's write_concepts."""

from __future__ import annotations

import re

import pytest

from krev.engines.chat import MAX_CONCEPTS, ChatProduct
from krev.engines.studio.ads.styles import STYLES, choose_style
from krev.engines.studio.chat.ideas import (
    STYLE_LOOKS,
    adjust_prompt,
    concept_ideas,
    concept_styles,
    image_idea,
    read_look,
    subject_of,
)
from krev.engines.studio.scene.prompt import understand_prompt

SERUM = ChatProduct(id="p1", name="Aurora Glow Serum", brand_name="Lumen", product_type="serum")
ASPECTS = ("surface", "lighting", "camera", "mood", "tone", "props")


def _scene(prompt: str, preset: str | None = None) -> dict[str, object]:
    spec = understand_prompt(prompt, preset)
    return {key: spec[key] for key in ASPECTS}


@pytest.mark.parametrize(
    ("brief", "first"),
    [
        ("Create an ad for this product", "performance"),
        ("Create an ad for the serum, 20% off this weekend", "bold_offer"),
        ("A luxury look for the serum", "minimal_luxe"),
        ("What customers say about the serum", "social_proof"),
    ],
)
def test_concept_styles_are_distinct_with_the_brief_s_choice_first(brief: str, first: str) -> None:
    for count in range(1, MAX_CONCEPTS + 1):
        styles = concept_styles(brief, count)
        assert len(styles) == count == len(set(styles))
        assert styles[0] == first == choose_style(brief).id
    assert set(concept_styles(brief, MAX_CONCEPTS)) == {style.id for style in STYLES}
    assert concept_styles(brief, 99) == concept_styles(brief, MAX_CONCEPTS)
    assert concept_styles(brief, 0) == concept_styles(brief, 1)


def test_named_styles_come_first_and_unknown_ones_are_skipped() -> None:
    styles = concept_styles("Create an ad", 3, first=("comparison", "nope"))
    assert styles == ["comparison", "performance", "social_proof"]


def test_every_style_has_a_look_written_in_the_grammar_s_words() -> None:
    assert set(STYLE_LOOKS) == {style.id for style in STYLES}
    for style_id, look in STYLE_LOOKS.items():
        idea = image_idea(SERUM, style_id, "Create an ad", 1)
        spec = understand_prompt(idea)
        assert spec["subject"] == "aurora glow serum", idea
        assert spec["ignored"] == [], idea  # every word is understood or plain English
        assert spec["surface"] == look.surface
        assert spec["lighting"] == look.lighting
        assert spec["camera"] == look.camera
        assert spec["mood"] == look.mood
        assert spec["tone"] == look.tone
        assert spec["props"] == list(look.props)


def test_three_concepts_get_three_different_scenes() -> None:
    brief = "Create an ad for this product"
    ideas = concept_ideas(SERUM, brief, concept_styles(brief, 3))
    scenes = [_scene(idea) for idea in ideas]
    assert len({str(scene) for scene in scenes}) == 3
    for aspect in ("surface", "lighting", "camera", "props"):
        assert len({str(scene[aspect]) for scene in scenes}) == 3, aspect
    six = concept_ideas(SERUM, brief, concept_styles(brief, 6))
    assert len({str(_scene(idea)) for idea in six}) == 6


def test_the_brief_s_scene_words_apply_to_every_concept_and_they_still_differ() -> None:
    brief = "Create an ad for the serum on marble with flowers, golden hour"
    ideas = concept_ideas(SERUM, brief, concept_styles(brief, 3))
    scenes = [_scene(idea) for idea in ideas]
    assert {scene["surface"] for scene in scenes} == {"marble"}
    assert {scene["lighting"] for scene in scenes} == {"golden_hour"}
    assert all("flowers" in scene["props"] for scene in scenes)  # type: ignore[operator]
    assert len({str(scene) for scene in scenes}) == 3


def test_ideas_are_deterministic_and_numbered() -> None:
    a = image_idea(SERUM, "performance", "Create an ad", 1)
    assert a == image_idea(SERUM, "performance", "Create an ad", 1)
    b = image_idea(SERUM, "performance", "Create an ad", 2)
    assert a != b and _scene(a) == _scene(b)  # the same look, another composition
    assert image_idea(SERUM, "nope", "Create an ad", 1) == a


def test_adjust_changes_the_look() -> None:
    darker = _scene(image_idea(SERUM, "minimal_luxe", "Create an ad", 1, adjust="darker"))
    assert darker["tone"] == "dark" and darker["lighting"] == "low_key"
    assert darker["surface"] == "marble"
    concrete = _scene(image_idea(SERUM, "minimal_luxe", "Create an ad", 1, adjust="on concrete"))
    assert concrete["surface"] == "concrete" and concrete["lighting"] == "soft_window"


@pytest.mark.parametrize("style_id", sorted(STYLE_LOOKS))
@pytest.mark.parametrize(
    ("adjust", "expected"),
    [
        ("make it darker", {"tone": "dark", "lighting": "low_key"}),
        ("brighter please", {"tone": "light", "lighting": "high_key"}),
        ("warmer", {"lighting": "golden_hour"}),
        ("closer", {"camera": "close_up"}),
        ("from above", {"camera": "top_down"}),
        ("on concrete", {"surface": "concrete"}),
        ("cleaner, no props", {"props": [], "mood": "minimal"}),
        ("add some flowers", {}),
    ],
)
def test_adjust_prompt_rewrites_only_what_it_changes(
    style_id: str, adjust: str, expected: dict[str, object]
) -> None:
    before = image_idea(SERUM, style_id, "Create an ad", 2)
    after = adjust_prompt(before, adjust)
    old, new = _scene(before), _scene(after)
    for key, value in expected.items():
        assert new[key] == value, (after, key)
    untouched = set(ASPECTS) - set(expected) - {"props", "tone"}
    if "tone" in expected:
        untouched -= {"lighting"}
    for key in untouched:
        if key == "mood" and adjust.startswith("cleaner"):
            continue
        assert new[key] == old[key], (after, key)
    if adjust == "add some flowers":
        assert "flowers" in new["props"]  # type: ignore[operator]
    assert after.startswith("Aurora Glow Serum")
    assert understand_prompt(after)["ignored"] == []
    assert re.search(r"\b(\w+) \1\b", after) is None, after  # no "shot shot"


def test_adjust_prompt_keeps_a_free_prompt_s_own_words() -> None:
    prompt = "A dewy serum bottle on a bathroom shelf, morning light"
    darker = adjust_prompt(prompt, "darker")
    assert darker.startswith("A dewy serum bottle on a bathroom shelf")
    assert _scene(darker)["tone"] == "dark"
    assert adjust_prompt(prompt, "now a 9:16 video of it") == prompt


def test_read_look_leaves_product_colors_alone() -> None:
    assert read_look("an image of the red wallet").color is None
    assert read_look("an image of the wallet on a sage green backdrop").color == "sage green"
    # A mood alone implies no light.
    assert read_look("more luxurious").lighting is None
    assert read_look("more luxurious").mood == "luxury"


@pytest.mark.parametrize(
    ("product", "subject"),
    [
        (SERUM, "Aurora Glow Serum"),
        (ChatProduct(id="c", name="Sunset Candle", product_type="candle"), "Candle"),
        (ChatProduct(id="m", name="Glow in the Dark Mug", product_type="mug"), "Mug"),
        (ChatProduct(id="w", name="Red Wallet"), "The product"),
        (None, "The product"),
    ],
)
def test_a_name_that_is_itself_a_scene_is_not_the_subject(
    product: ChatProduct | None, subject: str
) -> None:
    assert subject_of(product) == subject
    idea = image_idea(product, "performance", "Create an ad", 1)
    assert _scene(idea) == _scene(image_idea(SERUM, "performance", "Create an ad", 1))
