"""Prompt understanding: the words of a scene prompt mapped onto a scene spec (surface, colors,
tone, lighting, camera, mood, props). A keyword grammar, deterministic and quick; words it does
not know are ignored. The spec is stored with the generation so users see what was understood.
"""

from __future__ import annotations

import re
from functools import lru_cache

import webcolors

from krev.engines.studio.scene.presets import preset_by_id

__all__ = ["COLOR_EXTRAS", "understand_prompt"]

# Phrase -> value tables. Multi-word phrases are matched before single words.
SURFACE_WORDS: dict[str, tuple[str, ...]] = {
    "marble": ("marble", "marbled", "countertop"),
    "wood": ("wood", "wooden", "oak", "walnut", "timber", "plank", "planks", "tabletop", "teak"),
    "concrete": ("concrete", "cement", "plaster"),
    "terrazzo": ("terrazzo",),
    "linen": ("linen", "cotton", "canvas"),
    "fabric": ("fabric", "silk", "satin", "velvet", "cloth", "textile"),
    "sand": ("sand", "sandy", "beach", "dune", "dunes", "desert"),
    "water": ("water", "pool", "poolside", "ocean", "sea", "lake", "underwater"),
    "paper": ("paper", "cardboard", "kraft", "parchment"),
    "stone": ("stone", "slate", "granite", "rock", "travertine", "limestone", "ledge"),
    "metal": ("metal", "metallic", "steel", "chrome", "aluminium", "aluminum", "brushed"),
    "glass": ("glass", "mirror", "mirrored", "acrylic", "reflective"),
    "seamless": ("seamless", "backdrop", "cyclorama", "infinity"),
}
LIGHTING_WORDS: dict[str, tuple[str, ...]] = {
    "golden_hour": ("golden hour", "sunset", "sunrise", "dusk", "warm sunlight", "magic hour"),
    "soft_window": (
        "soft window",
        "window light",
        "window",
        "natural light",
        "daylight",
        "diffused",
        "soft light",
        "morning light",
    ),
    "sunlight": ("sunlight", "sunlit", "sunny", "sun", "hard light", "midday"),
    "spotlight": ("spotlight", "spot light", "spotlit", "spot lit", "theatrical", "stage light"),
    "neon": ("neon", "cyberpunk", "rgb", "led"),
    "high_key": ("high-key", "high key", "highkey", "airy", "bright light"),
    "low_key": ("low-key", "low key", "lowkey"),
    "dramatic": ("dramatic", "chiaroscuro", "rim light", "contrasty", "harsh"),
    "studio": ("studio", "softbox", "professional lighting", "commercial"),
}
CAMERA_WORDS: dict[str, tuple[str, ...]] = {
    "top_down": (
        "top-down",
        "top down",
        "topdown",
        "flat lay",
        "flat-lay",
        "flatlay",
        "overhead",
        "bird's eye",
        "birds eye",
        "from above",
        "above",
    ),
    "low_angle": ("low angle", "low-angle", "from below", "worm's eye", "hero shot", "heroic"),
    "close_up": ("close-up", "close up", "closeup", "macro", "detail shot", "tight crop"),
    "eye_level": ("eye level", "eye-level", "front view", "straight on", "side view", "frontal"),
}
MOOD_WORDS: dict[str, tuple[str, ...]] = {
    "luxury": (
        "luxury",
        "luxurious",
        "premium",
        "elegant",
        "high-end",
        "high end",
        "opulent",
        "glamorous",
        "sophisticated",
        "exclusive",
    ),
    "minimal": (
        "minimal",
        "minimalist",
        "minimalistic",
        "clean",
        "simple",
        "scandinavian",
        "sleek",
    ),
    "playful": ("playful", "fun", "vibrant", "colorful", "colourful", "bold", "pop", "cheerful"),
    "natural": (
        "natural",
        "organic",
        "botanical",
        "earthy",
        "eco",
        "fresh",
        "rustic",
        "outdoor",
        "outdoors",
        "nature",
    ),
    "moody": ("moody", "noir", "mysterious", "cinematic", "dark mood"),
}
PROP_WORDS: dict[str, tuple[str, ...]] = {
    "plants": (
        "plant",
        "plants",
        "leaf",
        "leaves",
        "foliage",
        "palm",
        "monstera",
        "eucalyptus",
        "greenery",
        "fern",
        "botanical",
    ),
    "flowers": ("flower", "flowers", "petals", "floral", "blossom", "roses"),
    "stones": ("stones", "pebbles", "pebble", "rocks", "boulders"),
    "podium": (
        "podium",
        "podiums",
        "pedestal",
        "pedestals",
        "plinth",
        "plinths",
        "platform",
        "riser",
        "cylinder",
    ),
    "blocks": ("block", "blocks", "cube", "cubes", "geometric", "shapes"),
    "fabric_drape": ("drape", "draped", "drapery", "folds", "folded fabric"),
    "ripples": ("ripple", "ripples", "rippled", "splash", "waves"),
    "sphere": ("sphere", "spheres", "ball", "balls", "orb", "orbs", "bubble", "bubbles"),
}
TONE_WORDS: dict[str, tuple[str, ...]] = {
    "dark": ("dark", "darker", "dim", "night", "nighttime", "shadowy", "deep"),
    "light": ("light", "bright", "pale", "white", "airy", "luminous"),
}
# The preset id each mood suggests when nothing else chose a lighting.
MOOD_LIGHTING = {
    "luxury": "spotlight",
    "moody": "low_key",
    "playful": "high_key",
    "natural": "soft_window",
    "minimal": "studio",
}

# Color words beyond CSS names, as shops and art directors say them.
COLOR_EXTRAS: dict[str, str] = {
    "sage": "#9caf88",
    "terracotta": "#d2785a",
    "blush": "#e8b4b8",
    "cream": "#f3ead8",
    "charcoal": "#36393f",
    "emerald": "#2e8b57",
    "mint": "#b6e2cf",
    "burgundy": "#7a1f33",
    "mustard": "#d9a82e",
    "champagne": "#f1e3c8",
    "nude": "#e3bc9a",
    "rose": "#d8a1a4",
    "sky": "#a7cbe8",
    "cobalt": "#1f4fa8",
    "rust": "#a9492b",
    "ochre": "#cc8a2e",
    "lilac": "#c8a2c8",
    "peach": "#f6c6a8",
    "mauve": "#b784a7",
    "forest": "#2f4f3a",
    "stone": "#b5ada1",
    "sand": "#dcc9a3",
    "clay": "#b9785b",
    "bone": "#e9e2d0",
    "jade": "#4f9e7e",
    "copper": "#b87333",
    "bronze": "#a77c45",
    "brass": "#b5a642",
}
# Words that are CSS color names but read as something else in a scene prompt.
_NOT_COLORS = frozenset(
    {
        "tan",
        "linen",
        "snow",
        "bisque",
        "moccasin",
        "chocolate",
        "wheat",
        "peru",
        "tomato",
        "orchid",
        "thistle",
        "seashell",
        "oldlace",
    }
)
_MODIFIERS = {
    "dark": "dark",
    "deep": "dark",
    "light": "light",
    "pale": "light",
    "pastel": "pastel",
    "soft": "pastel",
    "muted": "muted",
    "dusty": "muted",
    "bright": "bright",
    "vivid": "bright",
    "neon": "bright",
    "warm": "warm",
    "cool": "cool",
}
_ACCENT_NOUNS = frozenset(
    {
        "vein",
        "veins",
        "veining",
        "veined",
        "accent",
        "accents",
        "detail",
        "details",
        "trim",
        "flecks",
        "chips",
        "speckles",
        "lines",
        "edges",
    }
)
# A scene is what comes after these words ("wallet ON dark marble"); the subject before them.
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
    subject = text[: split.start()].strip(" ,.") if split else ""
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
        "subject": subject or None,
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
