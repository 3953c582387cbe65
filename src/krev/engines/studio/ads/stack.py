"""An ad's copy stacked in a column: hook, headline, body, button… sized together from one
scale (the headline's size, each piece a ratio of it within its own bounds), the largest scale
at which every piece wraps within its line limit and the stack fits the column; at the
smallest, pieces are cut with an ellipsis, the longest first, so nothing ever overflows."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Literal

from krev.engines.studio.text.draw import Align
from krev.engines.studio.text.fit import (
    FittedText,
    TextStyle,
    estimated_height,
    fit_lines,
    wrap_words,
)
from krev.engines.studio.text.fonts import face_for_text

__all__ = ["Piece", "Placed", "Rect", "stack"]

logger = logging.getLogger(__name__)

Rect = tuple[int, int, int, int]
"""x, y, width, height."""


@dataclass(frozen=True)
class Piece:
    name: str
    text: str
    style: TextStyle
    ratio: float
    """Size relative to the stack's scale (the headline's size)."""
    min_size: int
    max_size: int
    max_lines: int
    gap: float = 0.5
    """Space above the piece, in units of its size (none above the first)."""
    button: tuple[float, float] | None = None
    """A button's padding (x, y) in units of its label's size."""
    full_width: bool = False
    indent: float = 0.0
    """Text starts this many sizes in from the column's left (room for an icon)."""


@dataclass(frozen=True)
class Placed:
    piece: Piece
    block: FittedText
    box: Rect
    """The piece's whole box (a button's outline)."""
    text_box: Rect
    """Where the text block sits: its lines are aligned within this box's width."""
    align: Align


def _size(piece: Piece, scale: float) -> int:
    return max(piece.min_size, min(piece.max_size, round(piece.ratio * scale)))


def _text_width(piece: Piece, size: int, width: int) -> int:
    pad_x = round(piece.button[0] * size) if piece.button else 0
    return max(1, width - round(piece.indent * size) - 2 * pad_x)


def _extra_height(piece: Piece, size: int) -> int:
    return 2 * round(piece.button[1] * size) if piece.button else 0


def _gap(piece: Piece, size: int, first: bool) -> int:
    return 0 if first else round(piece.gap * size)


def _fits_estimate(pieces: list[Piece], scale: float, width: int, height: int) -> bool:
    total = 0
    for index, piece in enumerate(pieces):
        size = _size(piece, scale)
        text = piece.style.prepare(piece.text)
        path = face_for_text(piece.style.role, piece.style.weight, text)
        lines = wrap_words(text, path, piece.style.features, size, _text_width(piece, size, width))
        if lines is None or len(lines) > piece.max_lines:
            return False
        total += _gap(piece, size, index == 0) + _extra_height(piece, size)
        total += estimated_height(piece.style, path, size, len(lines))
        if total > height:
            return False
    return True


def _blocks(pieces: list[Piece], sizes: list[int], width: int) -> list[FittedText]:
    return [
        fit_lines(
            piece.text, piece.style, _text_width(piece, size, width), 10**6, size, piece.max_lines
        )
        for piece, size in zip(pieces, sizes, strict=True)
    ]


def _height(pieces: list[Piece], sizes: list[int], blocks: list[FittedText]) -> int:
    return sum(
        _gap(piece, size, index == 0) + _extra_height(piece, size) + block.height
        for index, (piece, size, block) in enumerate(zip(pieces, sizes, blocks, strict=True))
    )


def _settle(pieces: list[Piece], width: int, height: int) -> tuple[list[int], list[FittedText]]:
    top = max(p.max_size / p.ratio for p in pieces)
    lo, hi = 1, max(1, round(top))
    if _fits_estimate(pieces, lo, width, height):
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if _fits_estimate(pieces, mid, width, height):
                lo = mid
            else:
                hi = mid - 1
        # The estimate found a scale; shaped text decides, stepping down while it overflows.
        for scale in range(lo, 0, -1):
            sizes = [_size(p, scale) for p in pieces]
            blocks = _blocks(pieces, sizes, width)
            if not any(b.truncated for b in blocks) and _height(pieces, sizes, blocks) <= height:
                return sizes, blocks
            if all(s == p.min_size for s, p in zip(sizes, pieces, strict=True)):
                break
    # Nothing fits whole at the smallest sizes: take lines from the longest piece (the body
    # first, then the headline…) until the stack fits; every cut ends in an ellipsis.
    sizes = [p.min_size for p in pieces]
    caps = [p.max_lines for p in pieces]
    while True:
        limited = [replace(p, max_lines=c) for p, c in zip(pieces, caps, strict=True)]
        blocks = _blocks(limited, sizes, width)
        if _height(pieces, sizes, blocks) <= height:
            return sizes, blocks
        lines = [len(b.lines) for b in blocks]
        longest = max(range(len(pieces)), key=lambda i: (lines[i], -i))
        if lines[longest] <= 1:
            break
        caps[longest] = lines[longest] - 1
    logger.warning("ad copy does not fit a %dx%d column; pieces dropped", width, height)
    while blocks and _height(pieces, sizes, blocks) > height:
        pieces, sizes, blocks = pieces[1:], sizes[1:], blocks[1:]
    return sizes, blocks


def stack(
    pieces: list[Piece],
    rect: Rect,
    align: Align = "left",
    valign: Literal["top", "center", "bottom"] = "top",
) -> list[Placed]:
    """``pieces`` (empty texts left out) sized and placed top to bottom inside ``rect``."""
    pieces = [p for p in pieces if p.text.strip()]
    if not pieces:
        return []
    x, y, width, height = rect
    sizes, blocks = _settle(pieces, width, height)
    pieces = pieces[len(pieces) - len(blocks) :]
    total = _height(pieces, sizes, blocks)
    room = max(0, height - total)
    cursor = y + {"top": 0, "center": room // 2, "bottom": room}[valign]
    placed = []
    for index, (piece, size, block) in enumerate(zip(pieces, sizes, blocks, strict=True)):
        cursor += _gap(piece, size, index == 0)
        if block.empty:
            continue
        indent = round(piece.indent * size)
        if piece.button:
            pad_x, pad_y = round(piece.button[0] * size), round(piece.button[1] * size)
            box_w = width if piece.full_width else block.width + 2 * pad_x
            box_h = block.height + 2 * pad_y
            box_x = x if align == "left" or piece.full_width else x + (width - box_w) // 2
            if align == "right" and not piece.full_width:
                box_x = x + width - box_w
            box = (box_x, cursor, box_w, box_h)
            text_box = (box_x + pad_x, cursor + pad_y, box_w - 2 * pad_x, block.height)
            placed.append(Placed(piece, block, box, text_box, "center"))
        else:
            box = (x + indent, cursor, width - indent, block.height)
            placed.append(Placed(piece, block, box, box, align))
        cursor += box[3]
    return placed
