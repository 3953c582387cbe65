"""Prompt understanding: the words of a scene prompt mapped onto a scene spec (surface, colors,
tone, lighting, camera, mood, props). A keyword grammar, deterministic and quick; words it does
not know are ignored. The spec is stored with the generation so users see what was understood.
"""

from __future__ import annotations

import re
from functools import lru_cache

import webcolors

from krev.engines.studio.scene.presets import preset_by_id
from krev.engines.studio.scene.subject import grammar, read_prompt

__all__ = ["COLOR_EXTRAS", "understand_prompt"]

# Phrase -> value tables, from the grammar's data file (shown in docs/images.md). Multi-word
# phrases are matched before single words.
_GRAMMAR = grammar()


def _table(group: str) -> dict[str, tuple[str, ...]]:
    return {value: tuple(phrases) for value, phrases in _GRAMMAR[group].items()}


SURFACE_WORDS = _table("surfaces")
LIGHTING_WORDS = _table("lighting")
CAMERA_WORDS = _table("camera")
MOOD_WORDS = _table("mood")
PROP_WORDS = _table("props")
TONE_WORDS = _table("tones")
# The preset id each mood suggests when nothing else chose a lighting.
MOOD_LIGHTING: dict[str, str] = dict(_GRAMMAR["mood_lighting"])
# Color words beyond CSS names, as shops and art directors say them.
COLOR_EXTRAS: dict[str, str] = dict(_GRAMMAR["colors"])
# Words that are CSS color names but read as something else in a scene prompt.
_NOT_COLORS = frozenset(_GRAMMAR["not_colors"])
_MODIFIERS: dict[str, str] = dict(_GRAMMAR["color_modifiers"])
# "gold veins", "brass accents": a color for details, not for the whole set.
_ACCENT_NOUNS = frozenset(_GRAMMAR["accents"])
# Colors and tones are read after these words ("red wallet ON dark marble": dark, not red).
_SCENE_SPLIT = re.compile(r"\b(?:on|atop|onto|against|upon|over|in front of|inside|in)\b")
# Punctuation is kept as tokens so "window light, sage green" is not read as "light sage".
_TOKEN = re.compile(r"#[0-9a-f]{6}\b|#[0-9a-f]{3}\b|[a-z][a-z'\-]*|[,.;:!?]")


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(max(0.0, min(1.0, c)) * 255):02x}" for c in rgb)


def _rgb(value: str) -> tuple[float, float, float]:
    c = webcolors.hex_to_rgb(webcolors.normalize_hex(value))
    return (c.red / 255.0, c.green / 255.0, c.blue / 255.0)


def _modify(value: str, modifier: str | None) -> str:
    r, g, b = _rgb(value)
    if modifier == "dark":
        return _hex((r * 0.45, g * 0.45, b * 0.45))
    if modifier == "light":
        return _hex((r + (1 - r) * 0.55, g + (1 - g) * 0.55, b + (1 - b) * 0.55))
    if modifier == "pastel":
        mean = (r + g + b) / 3
        r, g, b = (mean + (c - mean) * 0.6 for c in (r, g, b))
        return _hex((r + (1 - r) * 0.45, g + (1 - g) * 0.45, b + (1 - b) * 0.45))
    if modifier == "muted":
        mean = (r + g + b) / 3
        return _hex(tuple(mean + (c - mean) * 0.45 for c in (r, g, b)))  # type: ignore[arg-type]
    if modifier == "warm":
        return _hex((r * 1.06, g * 1.0, b * 0.88))
    if modifier == "cool":
        return _hex((r * 0.9, g * 0.98, b * 1.08))
    return value


@lru_cache(maxsize=1)
def _css_names() -> frozenset[str]:
    return frozenset(webcolors.names("css3"))


def _color_of(word: str) -> str | None:
    if word.startswith("#"):
        return str(webcolors.normalize_hex(word))
    if word in COLOR_EXTRAS:
        return COLOR_EXTRAS[word]
    spelled = "gray" if word == "grey" else word.replace("grey", "gray")
    if spelled in _css_names() and spelled not in _NOT_COLORS:
        return str(webcolors.name_to_hex(spelled, "css3"))
    return None


def _find(text: str, table: dict[str, tuple[str, ...]]) -> tuple[str | None, str | None]:
    """The value whose phrase occurs first in ``text`` (longer phrases win ties)."""
    best: tuple[int, int, str, str] | None = None
    for value, phrases in table.items():
        for phrase in phrases:
            match = re.search(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])", text)
            if match and (best is None or (match.start(), -len(phrase)) < (best[0], best[1])):
                best = (match.start(), -len(phrase), value, phrase)
    return (best[2], best[3]) if best else (None, None)


def _find_all(text: str, table: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    found: list[tuple[int, str, str]] = []
    for value, phrases in table.items():
        for phrase in phrases:
            match = re.search(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])", text)
            if match:
                found.append((match.start(), value, phrase))
                break
    return [(value, phrase) for _, value, phrase in sorted(found)]


def _colors(tokens: list[str]) -> tuple[list[dict[str, str]], set[int]]:
    """Color phrases ("pastel pink", "sage green", "#1a2b3c") and the token indexes they used."""
    colors: list[dict[str, str]] = []
    used: set[int] = set()
    i = 0
    while i < len(tokens):
        word = tokens[i]
        modifier = _MODIFIERS.get(word)
        start = i
        if modifier and i + 1 < len(tokens) and _color_of(tokens[i + 1]):
            i += 1
            word = tokens[i]
        value = _color_of(word)
        if value is None:
            i += 1
            continue
        name = word
        # "sage green", "navy blue": the first word is the precise shade, the second its family.
        if i + 1 < len(tokens) and _color_of(tokens[i + 1]) and not tokens[i + 1].startswith("#"):
            used.add(i + 1)
            name = f"{word} {tokens[i + 1]}"
            i += 1
        used.update(range(start, i + 1))
        if modifier and start < i:
            name = f"{tokens[start]} {name}"
        # "gold veins", "brass accents": a color for details, not for the whole set.
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        role = "accent" if following in _ACCENT_NOUNS else "main"
        colors.append(
            {"name": name, "hex": _modify(value, modifier if start < i else None), "role": role}
        )
        i += 1
    return colors, used


def understand_prompt(prompt: str, preset: str | None = None) -> dict[str, object]:
    """The scene spec of ``prompt`` merged over the defaults of ``preset``. JSON-serialisable."""
    text = " ".join(prompt.lower().replace("_", " ").split())
    split = _SCENE_SPLIT.search(text)
    reading = read_prompt(prompt)
    scene_text = text[split.end() :] if split else text

    matched: list[str] = []
    surface, phrase = _find(scene_text, SURFACE_WORDS)
    if surface is None:
        surface, phrase = _find(text, SURFACE_WORDS)
    if phrase:
        matched.append(phrase)

    # Lighting phrases ("soft window light") are no colors or tones: blank them out first.
    plain = scene_text
    for phrases in LIGHTING_WORDS.values():
        for lighting_phrase in phrases:
            plain = re.sub(rf"(?<![a-z]){re.escape(lighting_phrase)}(?![a-z])", ",", plain)
    plain = re.sub(r"\b(?:lighting|light|lit)\b(?=\s*(?:[,.;]|$))", ",", plain)
    scene_tokens = _TOKEN.findall(plain)
    colors, used = _colors(scene_tokens)
    matched.extend(c["name"] for c in colors)

    tone: str | None = None
    for index, token in enumerate(scene_tokens):
        if index in used:
            continue
        for value, words in TONE_WORDS.items():
            if token in words:
                tone = value
                matched.append(token)
                break
        if tone:
            break

    found: dict[str, str | None] = {"surface": surface, "tone": tone}
    for key, table in (
        ("lighting", LIGHTING_WORDS),
        ("camera", CAMERA_WORDS),
        ("mood", MOOD_WORDS),
    ):
        choice, phrase = _find(text, table)
        found[key] = choice
        if phrase:
            matched.append(phrase)
    prop_matches = _find_all(text, PROP_WORDS)
    props = [value for value, _ in prop_matches]
    matched.extend(phrase for _, phrase in prop_matches)
    if surface == "water" and "ripples" not in props:
        props.append("ripples")

    chosen = preset_by_id(preset)
    if chosen is not None:
        for key, default in chosen.defaults.items():
            if key == "colors":
                if not colors and isinstance(default, list):
                    colors = [
                        {"name": str(value), "hex": str(value), "role": "main"} for value in default
                    ]
            elif key == "props":
                if isinstance(default, list):
                    props = list(dict.fromkeys([*(str(p) for p in default), *props]))
            elif found.get(key) is None or key in chosen.fixed:
                found[key] = str(default)
    mood = found.get("mood")
    if found.get("lighting") is None and mood is not None:
        found["lighting"] = MOOD_LIGHTING.get(mood)
    return {
        "subject": reading.subject,
        # What the scene part names that this engine does not draw ("on a desk"): left out.
        "ignored": [phrase.text for phrase in reading.scene_nouns],
        "surface": found["surface"],
        "colors": colors,
        "tone": found["tone"],
        "lighting": found["lighting"],
        "camera": found["camera"],
        "mood": found["mood"],
        "props": props,
        "preset": chosen.id if chosen else None,
        "matched": list(dict.fromkeys(matched)),
    }
