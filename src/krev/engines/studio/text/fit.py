"""Text fitted into a box: the largest size at which greedily wrapped lines fit the box's width,
its height (ascenders, accents and descenders included) and a line limit; at the smallest size
allowed, the text is cut at a word boundary and ends in an ellipsis instead of overflowing.

Sizes are searched with word widths measured once at a reference size and scaled (a binary
search visits a dozen sizes; shaping every candidate line at each would cost tens of
milliseconds); the size found is then checked line by line with the shaped text's real ink
bounds, and stepped down until it fits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from PIL import ImageFont

from krev.engines.studio.text.fonts import FontRole, FontWeight, face_for_text, load_font

__all__ = [
    "ELLIPSIS",
    "FittedText",
    "TextStyle",
    "fit_lines",
    "fit_text",
    "measure_block",
    "wrap_words",
]

ELLIPSIS = "\u2026"
_REFERENCE_SIZE = 128
# Headroom for the gap between scaled reference widths and real ones at the final size
# (hinting, kerning across spaces): the real check at the end decides.
_ESTIMATE_SLACK = 1.01


@dataclass(frozen=True)
class TextStyle:
    role: FontRole = "sans"
    weight: FontWeight = "regular"
    line_spacing: float = 1.2
    """Baseline to baseline, in units of the font size."""
    uppercase: bool = False
    features: tuple[str, ...] = ()
    """OpenType features raqm applies, e.g. ("smcp", "c2sc") for small capitals."""
    tight: bool = False
    """Measure the block by its ink alone, not the font's ascent and descent (ornaments such
    as a large quotation mark, whose ink fills only the top of the line)."""

    def prepare(self, text: str) -> str:
        text = " ".join(text.split())
        return text.upper() if self.uppercase else text


@dataclass(frozen=True)
class FittedText:
    """Lines set at one size. Coordinates are relative to the block's top-left corner:
    ``top`` is the first baseline's depth, every line's ink lies within ``width`` x
    ``height`` once drawn at x = ``left`` (see ``draw.draw_text``)."""

    lines: tuple[str, ...]
    size: int
    font_path: str
    features: tuple[str, ...]
    pitch: int
    top: int
    height: int
    width: int
    left: int
    line_widths: tuple[int, ...]
    truncated: bool = False

    @property
    def font(self) -> ImageFont.FreeTypeFont:
        return load_font(self.font_path, self.size)

    @property
    def empty(self) -> bool:
        return not self.lines


def _features(features: tuple[str, ...]) -> list[str] | None:
    return list(features) if features else None


@lru_cache(maxsize=16384)
def _reference_width(path: str, features: tuple[str, ...], word: str) -> float:
    return float(load_font(path, _REFERENCE_SIZE).getlength(word, features=_features(features)))


def _estimate(path: str, features: tuple[str, ...], size: int, text: str) -> float:
    return _reference_width(path, features, text) * size / _REFERENCE_SIZE * _ESTIMATE_SLACK


def _break_word(
    path: str, features: tuple[str, ...], size: int, word: str, width: float
) -> list[str]:
    """A word wider than the box, cut into pieces that fit (the last resort, at minimum size)."""
    pieces: list[str] = []
    rest = word
    while rest:
        cut = len(rest)
        while cut > 1 and _estimate(path, features, size, rest[:cut]) > width:
            cut -= 1
        pieces.append(rest[:cut])
        rest = rest[cut:]
    return pieces


def wrap_words(
    text: str,
    path: str,
    features: tuple[str, ...],
    size: int,
    width: float,
    break_words: bool = False,
) -> list[str] | None:
    """Greedy word wrap by estimated widths; ``None`` when a word is wider than ``width`` and
    ``break_words`` is off."""
    space = _estimate(path, features, size, " ")
    lines: list[str] = []
    current: list[str] = []
    used = 0.0
    for word in text.split(" "):
        if not word:
            continue
        w = _estimate(path, features, size, word)
        if w > width:
            if not break_words:
                return None
            if current:
                lines.append(" ".join(current))
                current, used = [], 0.0
            *full, last = _break_word(path, features, size, word, width)
            lines.extend(full)
            current, used = [last], _estimate(path, features, size, last)
            continue
        if current and used + space + w > width:
            lines.append(" ".join(current))
            current, used = [word], w
        else:
            used = used + space + w if current else w
            current.append(word)
    if current:
        lines.append(" ".join(current))
    return lines


def _metrics(path: str, size: int) -> tuple[int, int]:
    ascent, descent = load_font(path, size).getmetrics()
    return ascent, descent


def _pitch(style: TextStyle, size: int) -> int:
    return max(1, round(size * style.line_spacing))


def estimated_height(style: TextStyle, path: str, size: int, lines: int) -> int:
    ascent, descent = _metrics(path, size)
    return ascent + descent + (lines - 1) * _pitch(style, size) if lines else 0


def measure_block(
    lines: list[str], style: TextStyle, path: str, size: int, truncated: bool = False
) -> FittedText:
    """The block's real ink bounds: each line shaped and measured at ``size``."""
    font = load_font(path, size)
    features = _features(style.features)
    ascent, descent = (0, 0) if style.tight else font.getmetrics()
    pitch = _pitch(style, size)
    top, bottom, left, right = ascent, descent, 0, 0
    widths = []
    for index, line in enumerate(lines):
        x0, y0, x1, y1 = font.getbbox(line, anchor="ls", features=features)
        advance = font.getlength(line, features=features)
        top = max(top, -math.floor(y0) - index * pitch)
        bottom = max(bottom, math.ceil(y1) + index * pitch - (len(lines) - 1) * pitch)
        left = max(left, -math.floor(x0))
        right_edge = math.ceil(max(x1, advance))
        right = max(right, right_edge)
        widths.append(right_edge)
    height = top + (len(lines) - 1) * pitch + bottom if lines else 0
    return FittedText(
        lines=tuple(lines),
        size=size,
        font_path=path,
        features=style.features,
        pitch=pitch,
        top=top,
        height=height,
        width=left + right,
        left=left,
        line_widths=tuple(left + w for w in widths),
        truncated=truncated,
    )


def _fits(block: FittedText, width: int, height: int) -> bool:
    return block.width <= width and block.height <= height


def _ellipsize(
    lines: list[str], keep: int, style: TextStyle, path: str, size: int, width: int
) -> list[str]:
    """The first ``keep`` lines, the last one shortened at a word boundary to end in an
    ellipsis that fits."""
    kept = lines[:keep]
    words = kept[-1].split(" ")
    font = load_font(path, size)
    features = _features(style.features)
    while True:
        candidate = " ".join(words).rstrip(" ,;:.-\u2013\u2014") + ELLIPSIS
        x0, _, x1, _ = font.getbbox(candidate, anchor="ls", features=features)
        if x1 - min(0, x0) <= width or (len(words) == 1 and len(words[0]) <= 1):
            break
        if len(words) > 1:
            words.pop()
        else:
            words = [words[0][:-1]]
    kept[-1] = candidate
    return kept


def fit_lines(
    text: str,
    style: TextStyle,
    width: int,
    height: int,
    size: int,
    max_lines: int,
    path: str | None = None,
) -> FittedText:
    """``text`` at exactly ``size``: wrapped, cut to what fits ``height`` and ``max_lines``,
    ending in an ellipsis when cut. Empty when not even one line fits."""
    text = style.prepare(text)
    path = path or face_for_text(style.role, style.weight, text)
    if not text or width <= 0 or height <= 0:
        return measure_block([], style, path, size)
    lines = wrap_words(text, path, style.features, size, width, break_words=True) or []
    for step in range(len(lines) + 1):
        # Real widths can exceed the estimate: re-wrap a little narrower until every line fits.
        block = measure_block(lines, style, path, size)
        if block.width <= width or step == len(lines):
            break
        lines = (
            wrap_words(text, path, style.features, size, width * (0.98 ** (step + 1)), True) or []
        )
    keep = min(max_lines, len(lines))
    while keep > 0:
        cut = keep < len(lines)
        candidate = _ellipsize(lines, keep, style, path, size, width) if cut else lines[:keep]
        block = measure_block(candidate, style, path, size, truncated=cut)
        if _fits(block, width, height):
            return block
        keep -= 1
    return measure_block([], style, path, size, truncated=True)


def _fits_estimate(
    text: str, style: TextStyle, path: str, size: int, width: int, height: int, max_lines: int
) -> bool:
    lines = wrap_words(text, path, style.features, size, width)
    return (
        lines is not None
        and len(lines) <= max_lines
        and estimated_height(style, path, size, len(lines)) <= height
    )


def fit_text(
    text: str,
    style: TextStyle,
    width: int,
    height: int,
    min_size: int,
    max_size: int,
    max_lines: int,
) -> FittedText:
    """The largest size in [``min_size``, ``max_size``] at which ``text`` wraps into at most
    ``max_lines`` lines inside ``width`` x ``height``; at ``min_size``, shortened with an
    ellipsis when it still does not fit. The block never exceeds the box."""
    text = style.prepare(text)
    path = face_for_text(style.role, style.weight, text)
    if not text:
        return measure_block([], style, path, min_size)
    lo, hi = min_size, max(min_size, max_size)
    if not _fits_estimate(text, style, path, lo, width, height, max_lines):
        return fit_lines(text, style, width, height, lo, max_lines, path)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _fits_estimate(text, style, path, mid, width, height, max_lines):
            lo = mid
        else:
            hi = mid - 1
    for size in range(lo, min_size - 1, -1):
        lines = wrap_words(text, path, style.features, size, width)
        if lines is None or len(lines) > max_lines:
            continue
        block = measure_block(lines, style, path, size)
        if _fits(block, width, height):
            return block
    return fit_lines(text, style, width, height, min_size, max_lines, path)
