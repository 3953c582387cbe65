"""A brand's colors: the hex codes and CSS color names its notes mention, then its products'
measured colors. Names that are also everyday words (olive oil, a lime scent, snow) count only
next to a word that says a color is meant."""

from __future__ import annotations

import re
from collections.abc import Sequence

import webcolors

__all__ = ["brand_colors", "context_colors"]

_HEX = re.compile(r"(?<![\w#])#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})(?![0-9a-fA-F\w])")
_WORD = re.compile(r"[A-Za-z]+")
_CLAUSE_END = re.compile(r"[.;!?\n]")
_CSS_NAMES = frozenset(webcolors.names(webcolors.CSS3))
_AMBIGUOUS = frozenset(
    {
        "bisque",
        "chocolate",
        "honeydew",
        "lime",
        "linen",
        "moccasin",
        "olive",
        "orange",
        "orchid",
        "peru",
        "plum",
        "salmon",
        "seashell",
        "snow",
        "tan",
        "thistle",
        "tomato",
        "wheat",
    }
)
_COLOR_CUES = frozenset(
    {
        "accent",
        "accents",
        "brand",
        "color",
        "colors",
        "colour",
        "colours",
        "hex",
        "hue",
        "palette",
        "primary",
        "secondary",
        "shade",
        "tone",
        "tones",
    }
)
_CUE_REACH = 3


def _normalize(value: str) -> str | None:
    try:
        return str(webcolors.normalize_hex(value if value.startswith("#") else f"#{value}"))
    except ValueError:
        return None


def context_colors(text: str | None) -> list[str]:
    """The colors ``text`` names, as lowercase ``#rrggbb``, in the order it names them."""
    if not text:
        return []
    found: list[tuple[int, str]] = [(m.start(), m.group(0)) for m in _HEX.finditer(text)]
    words = [(m.start(), m.group(0).lower()) for m in _WORD.finditer(text)]
    lowered = [w for _, w in words]
    # A cue counts within its own clause only: "olive oil. Our palette: navy" names navy.
    clause = [len(_CLAUSE_END.findall(text, 0, position)) for position, _ in words]
    skip = -1
    for index, (position, word) in enumerate(words):
        if index <= skip:
            continue
        pair = word + lowered[index + 1] if index + 1 < len(words) else ""
        if pair in _CSS_NAMES:
            found.append((position, pair))
            skip = index + 1
            continue
        if word not in _CSS_NAMES:
            continue
        if word in _AMBIGUOUS:
            reach = range(max(0, index - _CUE_REACH), min(len(words), index + _CUE_REACH + 1))
            near = {lowered[i] for i in reach if clause[i] == clause[index]}
            if not _COLOR_CUES.intersection(near):
                continue
        found.append((position, word))
    colors: list[str] = []
    for _, value in sorted(found):
        hex_value = _normalize(value) if value.startswith("#") else webcolors.name_to_hex(value)
        if hex_value and hex_value not in colors:
            colors.append(hex_value)
    return colors


def brand_colors(brand_hex: Sequence[str], brand_context: str | None) -> list[str]:
    """The brand's colors, most telling first: what its notes name, then its products'."""
    colors = context_colors(brand_context)
    for value in brand_hex:
        normalized = _normalize(value.strip())
        if normalized and normalized not in colors:
            colors.append(normalized)
    return colors
