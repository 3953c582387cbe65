"""Prompt understanding: what a user writes becomes a scene spec they can read back."""

from __future__ import annotations

import json

import pytest

from krev.engines.studio.scene.prompt import understand_prompt


def test_reference_example() -> None:
    spec = understand_prompt("Premium leather wallet on dark marble surface, studio lighting")
    assert spec["surface"] == "marble"
    assert spec["tone"] == "dark"
    assert spec["lighting"] == "studio"
    assert spec["mood"] == "luxury"
    assert spec["subject"] == "leather wallet"  # "premium" frames it


@pytest.mark.parametrize(
    ("prompt", "key", "expected"),
    [
        ("Serum bottle on a wooden table", "surface", "wood"),
        ("Sneaker on wet sand at the beach", "surface", "sand"),
        ("Candle on terrazzo", "surface", "terrazzo"),
        ("Mug on linen", "surface", "linen"),
        ("Watch floating on water", "surface", "water"),
        ("Perfume on raw concrete", "surface", "concrete"),
        ("Perfume bottle, golden hour", "lighting", "golden_hour"),
        ("Lipstick with soft window light", "lighting", "soft_window"),
        ("Headphones under a spotlight", "lighting", "spotlight"),
        ("Sneakers, neon glow", "lighting", "neon"),
        ("Cream jar, high-key", "lighting", "high_key"),
        ("Cream jar, low key", "lighting", "low_key"),
        ("Flat lay of accessories", "camera", "top_down"),
        ("Shampoo, top-down shot", "camera", "top_down"),
        ("Bottle at eye level", "camera", "eye_level"),
        ("Sneaker, low angle hero shot", "camera", "low_angle"),
        ("Watch close-up", "camera", "close_up"),
        ("Minimalist scene for a bottle", "mood", "minimal"),
        ("Playful scene for candy", "mood", "playful"),
        ("Organic soap", "mood", "natural"),
        ("Moody whiskey bottle", "mood", "moody"),
    ],
)
def test_vocabulary(prompt: str, key: str, expected: str) -> None:
    assert understand_prompt(prompt)[key] == expected


def test_colors_with_modifiers_and_brand_hex() -> None:
    spec = understand_prompt("Bottle on a pastel pink background with sage green and #1A2B3C")
    colors = spec["colors"]
    assert isinstance(colors, list)
    names = [c["name"] for c in colors]
    assert names == ["pastel pink", "sage green", "#1a2b3c"]
    pink = colors[0]["hex"]
    # Pastel: a light, low-saturation pink, not CSS pink itself.
    r, g, b = (int(pink[i : i + 2], 16) for i in (1, 3, 5))
    assert r > g and r > 220 and min(r, g, b) > 200
    assert colors[2]["hex"] == "#1a2b3c"


def test_detail_colors_are_accents() -> None:
    spec = understand_prompt("Ring on dark marble with gold veins")
    assert spec["colors"] == [{"name": "gold", "hex": "#ffd700", "role": "accent"}]
    assert spec["tone"] == "dark"


def test_lighting_words_are_not_colors_or_tones() -> None:
    spec = understand_prompt("Bottle on a wooden table, soft window light, navy wall")
    assert spec["lighting"] == "soft_window"
    assert spec["tone"] is None
    colors = spec["colors"]
    assert isinstance(colors, list)
    assert [c["name"] for c in colors] == ["navy"]


def test_props() -> None:
    spec = understand_prompt(
        "Serum on a podium with eucalyptus leaves, pebbles, a sphere and draped fabric"
    )
    props = spec["props"]
    assert isinstance(props, list)
    assert set(props) >= {"podium", "plants", "stones", "sphere", "fabric_drape"}


def test_unknown_words_are_ignored() -> None:
    plain = understand_prompt("Bottle on marble, golden hour")
    noisy = understand_prompt("Bottle on marble, golden hour, flurbish zyxxy quantumly snorf")
    # Left out of the scene, and said so.
    assert noisy.pop("ignored") == ["flurbish zyxxy quantumly snorf"]
    assert plain.pop("ignored") == []
    assert noisy == plain
    empty = understand_prompt("flurbish zyxxy")
    assert empty["surface"] is None and empty["colors"] == [] and empty["props"] == []


def test_preset_supplies_defaults_and_prompt_overrides() -> None:
    spec = understand_prompt("A bottle", "dark_luxe")
    assert (spec["surface"], spec["tone"], spec["lighting"], spec["mood"]) == (
        "marble",
        "dark",
        "spotlight",
        "luxury",
    )
    assert spec["preset"] == "dark_luxe"
    overridden = understand_prompt("A bottle on concrete, neon", "dark_luxe")
    assert overridden["surface"] == "concrete"
    assert overridden["lighting"] == "neon"
    # A flat lay stays top-down whatever the prompt says.
    assert understand_prompt("Shoes at eye level", "flat_lay")["camera"] == "top_down"


def test_deterministic_and_json_serialisable() -> None:
    prompt = "Luxury watch on black marble, dramatic light, close-up, gold accents"
    first = understand_prompt(prompt, "marble")
    assert understand_prompt(prompt, "marble") == first
    assert json.loads(json.dumps(first)) == first
