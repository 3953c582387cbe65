"""Product metadata from the label: OCR of the product region, then brand vs product line,
taxonomy type/category and materials from what is written there, colors from the color analysis.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

import cv2
import numpy as np

from krev.engines.base import AlphaMask, ColorAnalysis, ProductMetadata, RGBImage
from krev.engines.studio.colors import MERCHANT_PALETTE, delta_e2000, hex_to_lab
from krev.engines.studio.taxonomy import (
    SHAPE_TYPES,
    TYPE_MATERIALS,
    is_taxonomy_term,
    match_materials,
    match_packaging,
    match_taxonomy,
)

__all__ = [
    "OCRFunction",
    "Silhouette",
    "StudioProductAnalyzer",
    "TextLine",
    "brand_score",
    "choose_brand_and_product",
    "choose_with_known_brands",
    "infer_materials",
    "measure_silhouette",
    "shape_cue",
    "spaced_words",
]


class OCRFunction(Protocol):
    """What RapidOCR's engine object is: image in, ``(result, elapsed)`` out, where result is a
    list of ``[box (4 points), text, score]`` or None; asked ``return_word_box=True``, an entry
    may add its characters' boxes and the characters (``[..., char_boxes, chars, scores]``).
    Any callable with that shape can stand in."""

    def __call__(
        self, image: np.ndarray[Any, Any], **options: Any
    ) -> tuple[Sequence[Sequence[Any]] | None, Any]: ...


# One OCR inference at a time per process. A label read peaks at ~400 MB (the detector's feature
# maps on a crop up to 2048 px), and worker threads reading at once add those peaks up: two
# threads took a worker past 1 GB. ONNX Runtime already spreads one inference over the cores,
# so taking turns costs little throughput; segmentation and colors still run side by side.
_OCR_TURN = threading.Lock()
_MIN_SCORE = 0.6  # below this RapidOCR's lines on product photos are mostly noise
_CROP_MARGIN = 0.04  # of the product's size, so text at the silhouette's edge is not cut
_SMALL_TEXT_PX = 12  # tallest line shorter than this (or none): read a 2x upscale as well
_MAX_UPSCALED_SIDE = 2048
_DET_MAX_SIDE = 960  # the text detector's input, long side at most (analysis runs at <= 1024)

_UNITS = (
    r"mg|mcg|g|kg|ml|cl|l|oz|fl\.?\s*oz|lb|lbs|ib|iu|capsules?|caps|tablets?|softgels?|gummies"
    r"|servings?|count|ct|pcs|pieces|pack|x|w|mah|v|%|cm|mm|in"
)
_AMOUNT = rf"[\d.,/]*\d[\d.,/]*\s*(?:{_UNITS})?\.?"
# "500 ml", "60 capsules", "16 fl oz (473 ml)", "Net Wt. 2 lb"
_SIZE = re.compile(rf"^(?:net\s*wt\.?\s*)?{_AMOUNT}(?:\s*[(/]?\s*{_AMOUNT}\)?)?$", re.IGNORECASE)
_TRAILING_SIZE = re.compile(rf"\s+\d[\d.,]*\s*(?:{_UNITS})\.?$", re.IGNORECASE)
_UNIT_ONLY = re.compile(rf"^(?:net\s*wt\.?|net|e)?\s*(?:{_UNITS})\.?$", re.IGNORECASE)
_CLAIM_WORDS = frozenset(
    [
        "new",
        "improved",
        "formula",
        "organic",
        "natural",
        "vegan",
        "gluten",
        "free",
        "non",
        "gmo",
        "non-gmo",
        "sugar",
        "dairy",
        "cruelty",
        "limited",
        "edition",
        "best",
        "seller",
        "bestseller",
        "premium",
        "original",
        "classic",
        "sale",
        "made",
        "in",
        "with",
        "and",
        "no",
        "added",
        "extra",
        "strength",
        "value",
        "size",
        "net",
        "wt",
        "usa",
        "per",
        "serving",
        "fragrance",
        "paraben",
        "dermatologist",
        "tested",
        "plant",
        "based",
        "small",
        "batch",
        "fair",
        "trade",
        "hand",
        "poured",
        "grain",
        "recyclable",
        "certified",
        "kosher",
        "keto",
        "friendly",
        "third-party",
    ]
)
_TRACKED_GAP = 0.35  # median letter gap / ink height from which capitals read as tracked
_ACRONYM_MAX_LETTERS = 3  # "IBM" stays upper case; "AURA" and "NIKE" read as words


@dataclass(frozen=True)
class TextLine:
    """One line of label text read by OCR, in the crop's pixel coordinates."""

    text: str
    score: float
    top: float
    height: float
    # The median blank between letters over the text's ink height: capitals set wide apart
    # ("N O R D V I K") are how a label sets a brand. 0 when unknown.
    tracking: float = 0.0


def _normalise_text(text: str) -> str:
    text = _spaced_ampersand(" ".join(text.split()))
    return text.strip(" .,;:-_|'\"`~*•·")


def _spaced_ampersand(text: str) -> str:
    """ "Cedar& Smoke": an ampersand spaced on one side lost its other space ("H&M", spaced
    on neither side, is its own spelling)."""
    return re.sub(r"(?<=\w)&(?= )|(?<= )&(?=\w)", " & ", text).replace("  ", " ")


def _is_size_or_claim(text: str) -> bool:
    """ "60 capsules", "500 ml", "NEW", "100% natural": packaging copy, never brand or name."""
    if _SIZE.match(text) or _UNIT_ONLY.match(text):
        return True
    words = re.findall(r"[a-z][a-z-]*", text.lower())
    return bool(words) and all(word in _CLAIM_WORDS for word in words)


def _brand_case(text: str) -> str:
    words = text.split()
    if len(words) >= 3 and all(len(word) == 1 for word in words):
        text = "".join(words)  # tracked capitals read letter by letter ("O R A")
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return text
    if all(c.isupper() for c in letters) and len(letters) <= _ACRONYM_MAX_LETTERS:
        return text  # an acronym
    if all(c.isupper() for c in letters) or all(c.islower() for c in letters):
        return " ".join(word[:1].upper() + word[1:].lower() for word in text.split())
    return text  # deliberate mixed case ("CeraVe", "iPhone") is the brand's own spelling


def _prominence(line: TextLine, crop_height: int) -> float:
    # Taller text dominates; among similar heights the one nearer the top of the label wins.
    return line.height * (1.0 - 0.25 * line.top / max(crop_height, 1))


# --- brand vs product line: several cues, weighed -------------------------------------------

# How much each cue counts towards a line being the brand (and not the product line). Label
# heights are compared to the tallest candidate's (0..1); the other cues are 0..1 as well.
_W_PROMINENCE = 1.0
_W_WORDS = 0.7  # a line of ordinary words ("Night Repair", "Dark Roast") reads as a product line
_W_MIXED_CASE = 0.5  # a capital inside a word ("bareSkin", "VitaNova") is a brand's own spelling
_W_TRACKED = 0.2  # capitals set wide apart are how labels set a brand
_W_CATALOG = 1.2  # recurring across the account's other products (scaled to the most recurring)
# The line right above the descriptor ("Wild Bloom" over "Raw Honey") is what the descriptor
# qualifies: the product line. A brand stands apart, on top or at the bottom of the label.
_W_OVER_DESCRIPTOR = 1.0
_DESCRIPTOR_GAP = 1.0  # at most this many line heights above the descriptor's top
_MIN_RECURRENCE = 2  # a text on this many of the account's other products recurs
# "by Nordvik", "from Hollow Oak"; "byVitaNova", "BYNORDVIK", "bybareSkin" where OCR dropped
# the space.
_BY = re.compile(r"^(?P<by>by|from)(?P<space>\s*)(?P<brand>[^\W\d_].*)$", re.IGNORECASE)
_BY_SET_SMALL = 0.8  # a "by" line is set smaller than the label's tallest line (of its height)
_MIN_JOINED_BRAND = 4  # letters after a joined "by" that can be a brand ("byredo" is not "by redo")
_RUN_WORDS = 4  # the longest run of a line's words a brand may be


# How often a word must occur in pyspellchecker's English frequency list (counted in subtitles
# and web text) to read as an ordinary word rather than a coined name: on the labelled tuning
# photos anything from 600 to 2000 reads the same brands (alone 126-128 of 144); 100 lets in
# rare words that coined names happen to be ("ora", "lumen").
_ORDINARY_COUNT = 1000


@cache
def _english_words() -> frozenset[str]:
    """Lower-case English words in common use (pyspellchecker's English word frequencies):
    brand names are mostly coined, product lines mostly words."""
    from spellchecker import SpellChecker  # loads its word list: only when first needed

    frequency = SpellChecker(language="en").word_frequency
    return frozenset(
        word for word, count in frequency.items() if count >= _ORDINARY_COUNT and word.isalpha()
    )


def _is_english(word: str) -> bool:
    # A plural reads through its singular when the list lacks it ("botanicals", "greens").
    english = _english_words()
    return word in english or (
        len(word) > 3
        and word.endswith("s")
        and (word[:-1] in english or (word.endswith("es") and word[:-2] in english))
    )


def _by_brand(text: str, set_small: bool = True) -> str | None:
    """The brand a "by X" / "from X" line names, else None. Where OCR joined the "by" to the
    brand, the case shows where the brand starts ("byVitaNova"); in one case throughout
    ("BYNORDVIK", "bybareSkin") the line must be set small (``set_small``, as "by" lines are),
    the joined word no ordinary word ("bygone", "fromage" stay whole) and the rest of it a
    name of at least ``_MIN_JOINED_BRAND`` letters that is no ordinary word either."""
    match = _BY.match(text)
    if match is None:
        return None
    by, brand = match.group("by"), match.group("brand").strip()
    if match.group("space") or (by.islower() and brand[0].isupper()):
        return brand
    rest = re.match(r"[A-Za-z]*", brand)
    letters = rest.group().lower() if rest else ""
    joined = text.split()[0].lower()
    if (
        set_small
        and len(letters) >= _MIN_JOINED_BRAND
        and not _ordinary_word(joined)
        and not _ordinary_word(letters)
    ):
        return brand
    return None


def _word_share(text: str) -> float:
    """The share of ``text``'s words that are ordinary words: English words, taxonomy terms
    ("serum", "whey") and claim words. 0 for a coined name ("Nordvik")."""
    words = re.findall(r"[A-Za-z]+", text)
    if not words:
        return 0.0
    ordinary = sum(
        1
        for word in words
        if _is_english(word.lower()) or is_taxonomy_term(word) or word.lower() in _CLAIM_WORDS
    )
    return ordinary / len(words)


def _mixed_case(text: str) -> bool:
    """A capital after a lower-case letter within a word: "bareSkin", "VitaNova", "DermaLuxe"."""
    return any(re.search(r"[a-z][A-Z]", word) for word in text.split())


def _names_a_type(text: str) -> bool:
    """Whether the line names what the product is ("Hydrating Serum", "Whole Bean Coffee"):
    the descriptor, neither brand nor product line when another line is there."""
    return match_taxonomy([text]) is not None or match_packaging([text]) is not None


def _catalog_keys(catalog_labels: Sequence[Sequence[str]]) -> list[frozenset[str]]:
    """Per other product of the account: the keys of its label lines and of their word runs."""
    found: list[frozenset[str]] = []
    for texts in catalog_labels:
        keys: set[str] = set()
        for text in texts:
            words = text.split()
            if words and (brand := _by_brand(text)) is not None:
                words = brand.split()
            for start in range(len(words)):
                for end in range(start + 1, min(len(words), start + _RUN_WORDS) + 1):
                    keys.add(_brand_key(" ".join(words[start:end])))
            keys.add(_brand_key(text))
        found.append(frozenset(key for key in keys if len(key) >= 2))
    return found


def _recurrence(text: str, catalog: list[frozenset[str]]) -> int:
    key = _brand_key(text)
    return sum(1 for keys in catalog if key in keys) if len(key) >= 2 else 0


def _catalog_spelling(text: str, catalog_labels: Sequence[Sequence[str]]) -> str | None:
    """The brand as the account's labels most often spell it, when this label shows no casing
    of its own (all capitals or all lower case) and the others show a mixed-case spelling at
    least twice ("BARESKIN" here, "bareSkin" on two other labels)."""
    letters = [c for c in text if c.isalpha()]
    if not letters or not (all(c.isupper() for c in letters) or all(c.islower() for c in letters)):
        return None
    key = _brand_key(text)
    seen: dict[str, int] = {}
    for texts in catalog_labels:
        for spelling in {run for line in texts for run in _word_runs(line)}:
            if _brand_key(spelling) == key and _mixed_case(spelling):
                seen[spelling] = seen.get(spelling, 0) + 1
    best = max(seen.items(), key=lambda item: (item[1], item[0]), default=None)
    return best[0] if best and best[1] >= _MIN_RECURRENCE else None


def _catalog_spacing(text: str, catalog_labels: Sequence[Sequence[str]]) -> str:
    """``text`` with the word spaces the account's labels give it, where OCR lost them here
    ("KindredBotanics" here, "Kindred Botanics" on two other labels); else ``text``."""
    key = _brand_key(text)
    spaces = text.count(" ")
    seen: dict[str, int] = {}
    for texts in catalog_labels:
        runs = {run for line in texts for run in _word_runs(_by_brand(line) or line)}
        for spelling in runs:
            if spelling.count(" ") > spaces and _brand_key(spelling) == key:
                spaced = " ".join(spelling.casefold().split())
                seen[spaced] = seen.get(spaced, 0) + 1
    best = max(seen.items(), key=lambda item: (item[1], item[0]), default=None)
    if not best or best[1] < _MIN_RECURRENCE:
        return text
    # Walk the spelling's letters alongside this text's and break where the spelling does.
    breaks: set[int] = set()
    letter = 0
    for char in best[0]:
        if char == " ":
            breaks.add(letter)
        elif char.isalnum():
            letter += 1
    out: list[str] = []
    letter = 0
    for char in text:
        if char.isalnum():
            if letter in breaks and out and out[-1] != " ":
                out.append(" ")
            letter += 1
        out.append(char)
    return _spaced_ampersand("".join(out))


def _word_runs(text: str) -> list[str]:
    words = text.split()
    return [
        " ".join(words[start:end])
        for start in range(len(words))
        for end in range(start + 1, min(len(words), start + _RUN_WORDS) + 1)
    ]


def _over_descriptor(lines: Sequence[TextLine], candidates: Sequence[TextLine]) -> TextLine | None:
    """Of ``lines``, the one right above the label's first line naming the product's type
    (its descriptor), when there is one and it sits close above."""
    descriptor = min(
        (line for line in candidates if _names_a_type(line.text)),
        key=lambda line: line.top,
        default=None,
    )
    if descriptor is None:
        return None
    above = max(
        (line for line in lines if line.top + line.height / 2 < descriptor.top),
        key=lambda line: line.top,
        default=None,
    )
    if above is None:
        return None
    gap = descriptor.top - (above.top + above.height)
    return above if gap <= _DESCRIPTOR_GAP * max(above.height, descriptor.height) else None


def brand_score(
    line: TextLine,
    tallest: float,
    crop_height: int,
    recurrence: float = 0.0,
    over_descriptor: bool = False,
) -> float:
    """How much ``line`` reads as the brand rather than the product line: prominence, then
    ordinary words against it, its own mixed case, tracked capitals and its recurrence across
    the account's products (0..1, relative to the most recurring text) for it, and sitting
    right above the descriptor against it."""
    score = _W_PROMINENCE * _prominence(line, crop_height) / max(tallest, 1e-6)
    if over_descriptor:
        score -= _W_OVER_DESCRIPTOR
    score -= _W_WORDS * _word_share(line.text)
    if _mixed_case(line.text):
        score += _W_MIXED_CASE
    if line.tracking >= _TRACKED_GAP and line.text.isupper():
        score += _W_TRACKED
    return score + _W_CATALOG * recurrence


def choose_brand_and_product(
    lines: Sequence[TextLine], crop_height: int, catalog_labels: Sequence[Sequence[str]] = ()
) -> tuple[str | None, str | None]:
    """The brand and the product line, weighing several cues (see ``brand_score``): a "by X"
    line names the brand outright; a line naming the product's type ("Hydrating Serum") is
    the descriptor, never the brand, and the product line only when nothing else is."""
    candidates = [line for line in lines if line.text and not _is_size_or_claim(line.text)]
    if not candidates:
        return None, None
    catalog = _catalog_keys(catalog_labels)
    brand_line: TextLine | None = None
    brand: str | None = None
    tallest_height = max(line.height for line in candidates)
    joined = [
        (line, by_brand)
        for line in candidates
        if (by_brand := _by_brand(line.text, line.height <= _BY_SET_SMALL * tallest_height))
    ]
    if joined:
        brand_line, brand = max(joined, key=lambda item: item[0].height)
    else:
        named = [line for line in candidates if not is_taxonomy_term(line.text)]
        pool = [line for line in named if not _names_a_type(line.text)] or named
        if pool:
            counts = {id(line): _recurrence(line.text, catalog) for line in pool}
            most = max(counts.values())
            tallest = max(_prominence(line, crop_height) for line in pool)
            # Only between lines that could each be the brand: a lone line is the brand.
            qualified = _over_descriptor(pool, candidates) if len(pool) >= 2 else None
            brand_line = max(
                pool,
                key=lambda line: (
                    brand_score(
                        line,
                        tallest,
                        crop_height,
                        counts[id(line)] / most if most >= _MIN_RECURRENCE else 0.0,
                        line is qualified,
                    ),
                    -line.top,
                ),
            )
            brand = brand_line.text
    if brand is not None:
        brand = _catalog_spacing(brand, catalog_labels)
        brand = _catalog_spelling(brand, catalog_labels) or _brand_case(brand)
    rest = [line for line in candidates if line is not brand_line]
    rest = [line for line in rest if _brand_key(line.text) != _brand_key(brand or "")]
    lines_first = [line for line in rest if not _names_a_type(line.text)] or rest
    product_line = max(
        lines_first,
        key=lambda line: (_prominence(line, crop_height), -line.top),
        default=None,
    )
    product = _TRAILING_SIZE.sub("", product_line.text) if product_line else None
    return brand, product


# Words that join a brand to its product line on one line ("Night Repair by Nordvik").
_JOINERS = frozenset(["by", "from", "de", "von", "-", "\u2013", "\u2014", "|", "&", "x"])


def _brand_key(text: str) -> str:
    # Case and spacing do not tell brands apart: OCR joins and splits words ("NightSerum").
    return "".join(c for c in text.casefold() if c.isalnum())


def _without_joiners(words: list[str]) -> str:
    while words and words[0].lower() in _JOINERS:
        words = words[1:]
    while words and words[-1].lower() in _JOINERS:
        words = words[:-1]
    return " ".join(words)


def choose_with_known_brands(
    lines: Sequence[TextLine], crop_height: int, known_brands: Sequence[str]
) -> tuple[str, str | None] | None:
    """The brand and product line when label text reads as one of ``known_brands`` (the
    account's own corrections), else None.

    The most prominent line holding a known brand (the whole line, or a run of its words;
    case and spacing ignored) gives the brand, spelt as the account wrote it. The product line
    is the most prominent other text: the rest of that line, or another line that is not a
    size, unit or claim."""
    known = {key: brand for brand in known_brands if len(key := _brand_key(brand)) >= 2}
    if not known:
        return None
    ranked = sorted(
        (line for line in lines if line.text and not _is_size_or_claim(line.text)),
        key=lambda line: (-_prominence(line, crop_height), line.top, line.text),
    )
    for line in ranked:
        words = line.text.split()
        spans = sorted(
            (
                (start, end)
                for start in range(len(words))
                for end in range(start + 1, len(words) + 1)
            ),
            key=lambda span: (span[0] - span[1], span[0]),  # the longest run first
        )
        for start, end in spans:
            brand = known.get(_brand_key(" ".join(words[start:end])))
            if brand is None:
                continue
            rest = _without_joiners(words[:start] + words[end:])
            candidates = [
                (_prominence(other, crop_height), other.text)
                for other in ranked
                if other is not line and _brand_key(other.text) not in known
            ]
            if rest and not _is_size_or_claim(rest):
                candidates.append((_prominence(line, crop_height), rest))
            product = max(candidates, key=lambda c: c[0], default=None)
            return brand, _TRAILING_SIZE.sub("", product[1]) if product else None
    return None


# --- word breaks: where the words of a line part -------------------------------------------

# A blank stretch between two letters at least this wide (of the line's ink height) is a word
# space: letters of a word sit within ~0.2 of the height of each other (bold serifs at small
# sizes), a word space is ~0.4 or more.
_WORD_GAP = 0.3
# ... and at least this many times the line's usual gap between letters, so generously tracked
# capitals ("N O R D V I K" set wide) are not broken into letters.
_WORD_GAP_OVER_LETTERS = 1.8
# ... and its letters' centres at least this many times the line's usual letter pitch apart.
_WORD_PITCH = 1.3
# Where a run of letters splits into ordinary words and is none itself ("DOGFOOD",
# "FragranceFree"), a narrower blank is a word space: at least this much of the ink height ...
_CUED_WORD_GAP = 0.2
# ... and this many times the line's usual gap between letters (a compound brand printed
# tight, "BARKWELL", "bareSkin", shows no more than a letter's gap where its words meet).
_CUED_GAP_OVER_LETTERS = 1.5
_MIN_INK_CONTRAST = 12  # grey levels from the label's own shade: less is the label's grain
_MIN_SPLIT_WORD = 3  # letters in each word a run of letters is split into
# Two OCR boxes on one row, of similar height, this close (of their height) are one line that
# the detector split: their texts are joined with a space.
_SPLIT_LINE_GAP = 1.2


def _ink_columns(
    image: np.ndarray[Any, Any], box: Sequence[Sequence[float]]
) -> tuple[np.ndarray[Any, Any], int, float]:
    """Which columns of the line's (axis-aligned) box hold ink, its left x and ink height."""
    xs = [float(point[0]) for point in box]
    ys = [float(point[1]) for point in box]
    height, width = image.shape[:2]
    x0, x1 = max(int(min(xs)), 0), min(int(np.ceil(max(xs))), width)
    y0, y1 = max(int(min(ys)), 0), min(int(np.ceil(max(ys))), height)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return np.zeros(0, bool), x0, 0.0
    crop = np.ascontiguousarray(image[y0:y1, x0:x1])
    gray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY) if crop.ndim == 3 else crop.astype(np.uint8)
    # Ink is what differs from the label around it. The label behind a line is not one shade
    # (a bottle's shading runs across it, light grey text on a dark-to-light gradient): its
    # shade at each column is the median of the box's top and bottom rows nearby, which are
    # mostly label (a descender or a cap's top touching them is outvoted).
    edges = np.concatenate([gray[:2], gray[-2:]]).astype(np.float32)
    half = max(int(y1 - y0) // 2, 1)
    padded = np.pad(edges, ((0, 0), (half, half)), mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1, axis=1)
    label = np.median(windows.transpose(1, 0, 2).reshape(x1 - x0, -1), axis=1)
    contrast = np.clip(np.abs(gray.astype(np.float32) - label[None, :]), 0, 255).astype(np.uint8)
    level, _ = cv2.threshold(contrast, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    ink = contrast > max(level, _MIN_INK_CONTRAST)
    columns = ink.any(axis=0)  # a thin crossbar (the T's) is ink too
    # Cap height: from the top of the ink to the baseline (the last row inked across a good
    # share of the line), so descenders do not make the text seem taller than it reads.
    rows = np.flatnonzero(ink.sum(axis=1) > max(1, 0.02 * ink.shape[1]))
    body = np.flatnonzero(ink.sum(axis=1) >= 0.15 * max(int(columns.sum()), 1))
    ink_height = float(body[-1] - rows[0] + 1) if rows.size and body.size else 0.0
    return columns, x0, ink_height


def _letter_tracking(image: np.ndarray[Any, Any], xs: list[float], ys: list[float]) -> float:
    """The line's median blank between letters over its ink height (0 when unknown)."""
    box = [[min(xs), min(ys)], [max(xs), min(ys)], [max(xs), max(ys)], [min(xs), max(ys)]]
    columns, _, ink_height = _ink_columns(image, box)
    runs = _blank_runs(columns)
    if len(runs) < 2 or ink_height <= 0:
        return 0.0
    return float(np.median([end - start for start, end in runs])) / ink_height


def _blank_runs(columns: np.ndarray[Any, Any]) -> list[tuple[int, int]]:
    """(start, end) of each run of blank columns between the first and last inked column."""
    inked = np.flatnonzero(columns)
    if inked.size < 2:
        return []
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for x in range(int(inked[0]), int(inked[-1]) + 1):
        if not columns[x] and start is None:
            start = x
        elif columns[x] and start is not None:
            runs.append((start, x))
            start = None
    return runs


# Endings that make a word of a word ("brighten" -> "brightening"): a run of letters so made is
# one word, not two ("BRIGHTENING" is not "BRIGHTEN ING").
_WORD_ENDINGS = ("ing", "ed", "er", "ers", "ly", "ness", "ment", "s", "es")


def _ordinary_word(word: str) -> bool:
    if _is_english(word) or is_taxonomy_term(word) or word in _CLAIM_WORDS:
        return True
    for ending in _WORD_ENDINGS:
        stem = word[: -len(ending)]
        if word.endswith(ending) and len(stem) >= _MIN_SPLIT_WORD:
            doubled = stem[:-1] if len(stem) > 3 and stem[-1] == stem[-2] else stem
            if any(_is_english(base) for base in (stem, stem + "e", doubled)):
                return True
    return False


@cache
def _dictionary_breaks(letters: str) -> tuple[int, ...]:
    """Where a run of letters that is no ordinary word itself parts into the fewest ordinary
    words of at least ``_MIN_SPLIT_WORD`` letters ("dogfood" -> (3,), "wheyproteinisolate" ->
    (4, 11)); () when it is a word or does not part so."""
    low = letters.lower()
    if len(low) < 2 * _MIN_SPLIT_WORD or _ordinary_word(low):
        return ()
    # fewest[i]: the fewest words low[:i] parts into, and where the last of them starts.
    fewest: list[tuple[int, int] | None] = [(0, 0)] + [None] * len(low)
    for end in range(_MIN_SPLIT_WORD, len(low) + 1):
        for start in range(0, end - _MIN_SPLIT_WORD + 1):
            before = fewest[start]
            if before is None or not _ordinary_word(low[start:end]):
                continue
            if fewest[end] is None or before[0] + 1 < fewest[end][0]:  # type: ignore[index]
                fewest[end] = (before[0] + 1, start)
    if fewest[-1] is None:
        return ()
    breaks: list[int] = []
    at = len(low)
    while at > 0:
        step = fewest[at]
        assert step is not None
        at = step[1]
        if at > 0:
            breaks.append(at)
    return tuple(sorted(breaks))


def _cued_breaks(text: str) -> set[int]:
    """Indices into ``text`` of the letters that start a word by the dictionary (see
    ``_dictionary_breaks``)."""
    return {
        match.start() + offset
        for match in re.finditer(r"[A-Za-z]+", text)
        for offset in _dictionary_breaks(match.group())
    }


def _word_spaced(text: str) -> str:
    """``text`` with spaces where OCR lost them between words: at a lower-to-upper case step
    ("Fish oilSoftgels") and where a run of letters parts into ordinary words ("CLAYMASK"), so
    the taxonomy reads the words a label prints."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z][a-z])", " ", text)
    breaks = _cued_breaks(text)
    return "".join((" " + char) if index in breaks else char for index, char in enumerate(text))


def spaced_words(
    image: np.ndarray[Any, Any],
    box: Sequence[Sequence[float]],
    char_boxes: Sequence[Sequence[Sequence[float]]],
    chars: Sequence[str],
    text: str,
) -> str:
    """``text`` with a space wherever two of its letters sit either side of a word-wide blank
    on the label, judged from the ink's own gaps relative to the text's height; where the
    letters part into ordinary words there ("DOGFOOD"), a narrower blank is enough."""
    if len(char_boxes) != len(chars) or "".join(chars) != text or len(chars) < 2:
        return text
    columns, left, ink_height = _ink_columns(image, box)
    runs = _blank_runs(columns)
    if not runs or ink_height <= 0:
        return text
    widths = np.array([end - start for start, end in runs], dtype=np.float32)
    letter_gap = float(np.median(widths)) if len(widths) >= 3 else 0.0
    threshold = max(_WORD_GAP * ink_height, _WORD_GAP_OVER_LETTERS * letter_gap)
    centres = [float(np.mean([point[0] for point in cell])) - left for cell in char_boxes]
    cued_threshold = max(_CUED_WORD_GAP * ink_height, _CUED_GAP_OVER_LETTERS * letter_gap)
    pitch = float(np.median(np.diff(centres)))
    cued = _cued_breaks(text)
    out = [chars[0]]
    for i in range(1, len(chars)):
        before, after = chars[i - 1], chars[i]
        if not before.isspace() and not after.isspace():
            lo, hi = centres[i - 1], centres[i]
            gap = max((end - start for start, end in runs if start >= lo and end <= hi), default=0)
            # A space also pushes the two letters' centres apart (a monospaced "r" leaves a
            # wide blank beside it, but its centre is one pitch from its neighbour's).
            if (hi - lo >= _WORD_PITCH * pitch and gap >= threshold) or (
                i in cued and gap > 0 and gap >= cued_threshold
            ):
                out.append(" ")
        out.append(after)
    return "".join(out)


_Box = tuple[list[float], list[float], str, float, list[float]]  # xs, ys, text, score, centres


def _respaced(centres: list[float], original: str, text: str) -> list[float]:
    """One centre per character of ``text`` (``original`` with spaces added): an added space
    sits where the letter after it does."""
    out: list[float] = []
    j = 0
    for char in text:
        out.append(centres[min(j, len(centres) - 1)])
        if j < len(original) and char == original[j]:
            j += 1
    return out


def _side_height(ys: list[float]) -> float:
    """A box's height along its sides (its first four corners), so a slanted line's box is
    not taller than its text."""
    if len(ys) < 4:
        return max(ys) - min(ys) if ys else 0.0
    return (abs(ys[3] - ys[0]) + abs(ys[2] - ys[1])) / 2.0


def _join_split_lines(boxes: list[_Box]) -> list[_Box]:
    """Boxes the detector split out of one printed line (same row, same height, a word's gap
    apart) joined back, left to right, so "Night" "Serum" reads as the line "Night Serum"."""
    pending = sorted(boxes, key=lambda item: (min(item[0]), min(item[1])))
    joined: list[_Box] = []
    for xs, ys, text, score, centres in pending:
        for index, (pxs, pys, ptext, pscore, pcentres) in enumerate(joined):
            h1, h2 = _side_height(pys), _side_height(ys)
            overlap = min(max(pys), max(ys)) - max(min(pys), min(ys))
            gap = min(xs) - max(pxs)
            if (
                min(h1, h2) > 0
                and max(h1, h2) <= 1.5 * min(h1, h2)  # descenders make one box taller
                and overlap >= 0.6 * min(h1, h2)
                and min(xs) > min(pxs)
                and gap <= _SPLIT_LINE_GAP * min(h1, h2)
            ):
                # Boxes grown past their ink overlap, sometimes by a letter both read: keep
                # the left box's letters only up to where the right one's first letter sits.
                kept = ptext
                if gap < 0 and pcentres and centres:
                    pitch = (max(pxs) - min(pxs)) / max(len(pcentres), 1)
                    cut = sum(c < centres[0] - 0.5 * pitch for c in pcentres)
                    kept = ptext[:cut].rstrip()
                joined[index] = (
                    pxs + xs,
                    pys + ys,
                    f"{kept} {text}",
                    min(pscore, score),
                    [*pcentres[: len(kept)], max(pxs), *centres],
                )
                break
        else:
            joined.append((xs, ys, text, score, centres))
    return joined


class StudioProductAnalyzer:
    """``ProductAnalyzer`` over RapidOCR (created lazily, once per analyzer) or an injected OCR."""

    def __init__(self, ocr: OCRFunction | None = None) -> None:
        self._ocr = ocr

    def _engine(self) -> OCRFunction:
        if self._ocr is None:
            from rapidocr_onnxruntime import RapidOCR  # heavy import: only when first needed

            # The detector sees the crop at its own size (scaled down only past _DET_MAX_SIDE).
            # RapidOCR's default scales the crop's *short* side up to 736 px: a tall bottle's
            # label crop became ~5x the pixels, the same lines were found on the tuning sets and
            # the read took twice as long (docs/catalog.md, "Speed").
            engine: OCRFunction = RapidOCR(det_limit_side_len=_DET_MAX_SIDE, det_limit_type="max")
            self._ocr = engine
        return self._ocr

    def _read(self, image: np.ndarray[Any, Any], scale: float) -> list[TextLine]:
        engine = self._engine()
        with _OCR_TURN:
            # Character boxes too: the recogniser often drops a line's spaces ("ColdBrewCoffee"),
            # and where its characters sit on the label's ink tells where the words break.
            result, _elapsed = engine(image, return_word_box=True)
        boxes: list[_Box] = []
        for entry in result or []:
            box, raw_text, score = entry[0], str(entry[1]), float(entry[2])
            if score < _MIN_SCORE:
                continue
            centres: list[float] = []
            if len(entry) >= 5 and len(entry[3]) == len(raw_text):
                centres = [float(np.mean([point[0] for point in cell])) for cell in entry[3]]
                spaced = spaced_words(image, box, entry[3], entry[4], raw_text)
                centres, raw_text = _respaced(centres, raw_text, spaced), spaced
            xs = [float(point[0]) for point in box]
            ys = [float(point[1]) for point in box]
            boxes.append((xs, ys, raw_text, score, centres))
        lines: list[TextLine] = []
        for xs, ys, raw_text, score, _centres in _join_split_lines(boxes):
            text = _normalise_text(raw_text)
            if not any(c.isalnum() for c in text):
                continue
            top, height = min(ys) / scale, (max(ys) - min(ys)) / scale
            tracking = _letter_tracking(image, xs, ys)
            lines.append(TextLine(text, score, top, height, tracking))
        return lines

    def read_label(self, image: RGBImage, alpha: AlphaMask | None) -> tuple[list[TextLine], int]:
        """Confident text lines on the product (cropped to its alpha) and the crop's height."""
        crop = _product_crop(image, alpha)
        lines = self._read(crop, 1.0)
        if (not lines or max(line.height for line in lines) < _SMALL_TEXT_PX) and max(
            crop.shape[:2]
        ) * 2 <= _MAX_UPSCALED_SIDE:
            upscaled = cv2.resize(crop, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)
            bigger = self._read(upscaled, 2.0)
            if sum(line.score for line in bigger) > sum(line.score for line in lines):
                lines = bigger
        return lines, int(crop.shape[0])

    def analyze(
        self,
        image: RGBImage,
        alpha: AlphaMask | None,
        colors: ColorAnalysis,
        *,
        known_brands: Sequence[str] = (),
        catalog_labels: Sequence[Sequence[str]] = (),
    ) -> ProductMetadata:
        lines, crop_height = self.read_label(image, alpha)
        return self.describe(
            lines,
            crop_height,
            image,
            alpha,
            colors,
            known_brands=known_brands,
            catalog_labels=catalog_labels,
        )

    def describe(
        self,
        lines: Sequence[TextLine],
        crop_height: int,
        image: RGBImage,
        alpha: AlphaMask | None,
        colors: ColorAnalysis,
        *,
        known_brands: Sequence[str] = (),
        catalog_labels: Sequence[Sequence[str]] = (),
    ) -> ProductMetadata:
        """The metadata from label lines already read (``read_label``), the product's pixels
        and colors, the account's known brands and its other products' label lines."""
        texts = [line.text for line in sorted(lines, key=lambda line: (line.top, line.text))]
        # The account's own corrections first: a brand it named before is the brand again.
        brand, product = choose_with_known_brands(
            lines, crop_height, known_brands
        ) or choose_brand_and_product(lines, crop_height, catalog_labels)
        # The label's words decide (a product type, else a packaging form it names); the
        # silhouette speaks only when the label says nothing.
        packaging = match_packaging(texts)
        matched = (
            match_taxonomy(
                [_word_spaced(text) for text in texts],
                names=[name for name in (brand, product) if name],
            )
            or ((packaging, SHAPE_TYPES[packaging]) if packaging else None)
            or (shape_cue(alpha) if alpha is not None else None)
        )
        product_type = matched[0] if matched else None
        color_names = list(dict.fromkeys(color.name for color in colors.colors))
        return ProductMetadata(
            brand_name=brand,
            product_name=product,
            product_type=product_type,
            category=matched[1] if matched else None,
            colors=color_names,
            materials=infer_materials(texts, product_type, image, alpha, colors),
            text=texts,
        )


def _product_crop(image: RGBImage, alpha: AlphaMask | None) -> RGBImage:
    if alpha is None:
        return image
    ys, xs = np.nonzero(alpha > 0.5)
    if ys.size == 0:
        return image
    height, width = image.shape[:2]
    margin_y = int((ys.max() - ys.min() + 1) * _CROP_MARGIN)
    margin_x = int((xs.max() - xs.min() + 1) * _CROP_MARGIN)
    y0, y1 = max(int(ys.min()) - margin_y, 0), min(int(ys.max()) + 1 + margin_y, height)
    x0, x1 = max(int(xs.min()) - margin_x, 0), min(int(xs.max()) + 1 + margin_x, width)
    return np.ascontiguousarray(image[y0:y1, x0:x1])


# --- visual cues: what the product's outline alone says ------------------------------------

_SHAPE_SIDE = 160  # the outline is measured on a mask this tall or wide; finer adds nothing
_MIN_SHAPE_PIXELS = 400  # fewer product pixels than this (at work size) is not a shape
_BANDS = 10  # the width profile, top to bottom


@dataclass(frozen=True)
class Silhouette:
    """Shape measurements of the largest product region, all scale-free."""

    aspect: float  # bounding-box height / width
    solidity: float  # area / convex hull area (1 for convex outlines)
    rectangularity: float  # area / minimum-area rotated rectangle
    symmetry: float  # IoU of the mask with its mirror image about its centroid's vertical
    corners: int  # vertices of the outline simplified to 0.75% of its perimeter
    profile: tuple[float, ...]  # median row width per tenth of the height / the widest row
    # How far the sides bow out from straight lines (their chords from 15% to 85% of the
    # height), as a fraction of the widest row: ~0 for a box or bottle, a few % for a pouch.
    side_bow: float = 0.0
    # The largest region the outline encloses but the product does not cover (what one sees
    # through a mug's handle), as a share of the filled outline, and where it sits across the
    # width (0 left edge, 1 right edge); 0 and 0.5 when there is none.
    hole: float = 0.0
    hole_x: float = 0.5


def measure_silhouette(alpha: AlphaMask) -> Silhouette | None:
    """The silhouette of the one product in ``alpha``; None if there is none, or several."""
    mask = (np.asarray(alpha) > 0.5).astype(np.uint8)
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return None
    if (
        ys.min() == 0
        or xs.min() == 0
        or ys.max() == mask.shape[0] - 1
        or xs.max() == mask.shape[1] - 1
    ):
        return None  # cut by the frame (or a failed cutout): the outline is not all there
    mask = mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    scale = _SHAPE_SIDE / max(mask.shape)
    if scale < 1.0:
        size = (max(1, round(mask.shape[1] * scale)), max(1, round(mask.shape[0] * scale)))
        coverage = cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_AREA)
        mask = (np.asarray(coverage) >= 0.5).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count < 2:
        return None
    areas = stats[1:, cv2.CC_STAT_AREA]
    order = np.argsort(areas)[::-1]
    largest = int(areas[order[0]])
    if largest < _MIN_SHAPE_PIXELS or (len(order) > 1 and areas[order[1]] > 0.15 * largest):
        return None  # several products (or a broken mask): no single outline to read
    region = (labels == 1 + int(order[0])).astype(np.uint8)
    ys, xs = np.nonzero(region)
    region = region[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    height, width = region.shape
    contours, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    outline = max(contours, key=cv2.contourArea)
    area = float(region.sum())
    hull_area = max(float(cv2.contourArea(cv2.convexHull(outline))), 1.0)
    (_, _), (rect_w, rect_h), _ = cv2.minAreaRect(outline)
    simplified = cv2.approxPolyDP(outline, 0.0075 * cv2.arcLength(outline, True), True)

    filled = region.any(axis=1)
    left = np.argmax(region, axis=1)
    right = width - 1 - np.argmax(region[:, ::-1], axis=1)
    rows = np.where(filled, right - left + 1, 0).astype(np.float32)
    rows /= max(float(rows.max()), 1.0)
    edges = np.linspace(0, height, _BANDS + 1).round().astype(int)
    profile = tuple(float(np.median(rows[a : max(b, a + 1)])) for a, b in itertools.pairwise(edges))

    side_bow = _side_bow(left, right, filled, width)

    hole, hole_x = _largest_hole(region)

    centre = float(np.nonzero(region)[1].mean())
    source = np.round(2 * centre - np.arange(width)).astype(int)
    inside = (source >= 0) & (source < width)
    mirrored = np.zeros_like(region)
    mirrored[:, inside] = region[:, source[inside]]
    union = float(np.count_nonzero(region | mirrored))
    return Silhouette(
        aspect=height / width,
        solidity=min(area / hull_area, 1.0),
        rectangularity=min(area / max(rect_w * rect_h, 1.0), 1.0),
        symmetry=float(np.count_nonzero(region & mirrored)) / max(union, 1.0),
        corners=len(simplified),
        profile=profile,
        side_bow=side_bow,
        hole=hole,
        hole_x=hole_x,
    )


def _largest_hole(region: np.ndarray[Any, Any]) -> tuple[float, float]:
    """The largest enclosed see-through region of ``region`` (0/1): its share of the filled
    outline and its centroid's position across the width."""
    height, width = region.shape
    padded = np.pad(region, 1)
    flood = padded.copy()
    cv2.floodFill(flood, np.zeros((height + 4, width + 4), np.uint8), (0, 0), 1)
    holes = (flood[1:-1, 1:-1] == 0).astype(np.uint8)
    count, _, stats, centroids = cv2.connectedComponentsWithStats(holes, connectivity=4)
    if count < 2:
        return 0.0, 0.5
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    filled = float(region.sum() + holes.sum())
    share = float(stats[largest, cv2.CC_STAT_AREA]) / max(filled, 1.0)
    return share, float(centroids[largest][0]) / max(width - 1, 1)


def _side_bow(
    left: np.ndarray[Any, Any],
    right: np.ndarray[Any, Any],
    filled: np.ndarray[Any, Any],
    width: int,
) -> float:
    """Mean outward bulge of the two sides from their chords (15% to 85% of the height)."""
    rows = np.flatnonzero(filled)
    if rows.size < 10:
        return 0.0
    top, bottom = rows[0], rows[-1]
    a, b = int(top + 0.15 * (bottom - top)), int(top + 0.85 * (bottom - top))
    if b - a < 4:
        return 0.0
    ys = np.arange(a, b + 1)
    t = (ys - a) / (b - a)
    bows = []
    for edge, outward in ((left.astype(np.float32), -1.0), (right.astype(np.float32), 1.0)):
        chord = edge[a] + t * (edge[b] - edge[a])
        bows.append(float(np.max(outward * (edge[ys] - chord))))
    return float(np.mean(bows)) / max(width, 1)


def _looks_like(shape: Silhouette) -> str | None:
    """The product form the outline shows beyond doubt, or None. Each rule is a picture a
    shopper would recognise from the outline alone, with margins wide of the other forms."""
    top, body, bottom = shape.profile[:2], shape.profile[3:9], shape.profile[-2:]
    if (  # footwear: low and long, a flat sole as wide as the shoe, heel and toe unalike
        shape.aspect <= 0.7 and shape.symmetry <= 0.75 and min(bottom) >= 0.9 and max(top) <= 0.6
    ):
        return "shoe"
    if shape.symmetry < 0.9:
        return None  # every other form here is symmetric when photographed front-on
    if (  # a bottle: tall, a neck at most half the body, a straight body below the shoulder
        shape.aspect >= 1.5 and max(top) <= 0.5 and min(body) >= 0.9
    ):
        return "bottle"
    if (  # a bag: a handle clearly narrower than the body, the body widening towards the base
        0.7 <= shape.aspect <= 1.6
        and max(top) <= 0.6
        and shape.profile[2] - max(top) >= 0.2  # a step up from handle to body, not a cone
        and shape.profile[-1] - shape.profile[2] >= 0.1
        and all(b >= a - 0.02 for a, b in itertools.pairwise(shape.profile[2:]))
    ):
        return "bag"
    if (  # a jar: squat and convex, straight sides, a lid a little narrower than the body
        0.6 <= shape.aspect <= 1.5
        and shape.symmetry >= 0.95
        and shape.solidity >= 0.95
        and 0.75 <= max(top) <= 0.95
        and min(body) >= 0.97
    ):
        return "jar"
    return None


def _looks_like_mug(shape: Silhouette) -> bool:
    # A mug from the side: a squat body with a handle on one side, and the handle encloses a
    # see-through hole (the segmenter opens it). A bag's or tote's strap loop sits on top, in
    # the middle; a mug's hole sits beside the body, in the outer quarter of the width.
    return (
        0.5 <= shape.aspect <= 1.3
        and 0.02 <= shape.hole <= 0.2
        and (shape.hole_x <= 0.25 or shape.hole_x >= 0.75)
        and shape.solidity <= 0.93
    )


def _looks_like_pouch(shape: Silhouette) -> bool:
    # A stand-up pouch or a coffee bag: soft sides that bow out (no straight vertical edge), a
    # flat top seal nearly as wide as the body (no neck, no handle), widest low down where the
    # gusset opens, rounded where the gusset meets the sides.
    widest = max(range(len(shape.profile)), key=lambda i: shape.profile[i])
    return (
        0.9 <= shape.aspect <= 2.2
        and shape.symmetry >= 0.9
        and shape.solidity >= 0.93
        and shape.side_bow >= 0.02
        and min(shape.profile[:2]) >= 0.7
        and max(shape.profile[:2]) <= 0.97
        and widest >= 4
        # smoothly wider from the seal down to the gusset: a ragged cutout is not a pouch
        and all(b >= a - 0.02 for a, b in itertools.pairwise(shape.profile[: widest + 1]))
        and shape.corners > 6
    )


def _looks_like_can(shape: Silhouette) -> bool:
    # A drinks can: a tall straight cylinder whose top and bottom are necked in a little and
    # rounded (ellipses seen from the side), so more than a box's few corners survive.
    body = shape.profile[2:8]
    return (
        1.4 <= shape.aspect <= 2.4
        and shape.symmetry >= 0.95
        and shape.solidity >= 0.96
        and min(body) >= 0.97
        and shape.side_bow < 0.01
        and 0.8 <= shape.profile[0] <= 0.95
        and 0.8 <= shape.profile[-1] <= 0.97
        and shape.corners > 6
    )


def _looks_like_box(shape: Silhouette) -> bool:
    # A box shows straight edges meeting at sharp corners (a face, or two faces in
    # perspective): few vertices survive simplification, unlike the rounded jar or bottle.
    return (
        4 <= shape.corners <= 6
        and shape.solidity >= 0.95
        and shape.rectangularity >= 0.88
        and 0.5 <= shape.aspect <= 2.0
    )


def shape_cue(alpha: AlphaMask) -> tuple[str, str | None] | None:
    """``(product_type, category)`` from the outline alone, or None when it is not clear.

    The type is a product form from ``SHAPE_TYPES`` ("bottle", "shoe"); the category is the
    one that form implies, and None when the form fits many (a bottle holds skincare as
    readily as a beverage)."""
    shape = measure_silhouette(alpha)
    if shape is None:
        return None
    form = "mug" if _looks_like_mug(shape) else _looks_like(shape)
    if form is None and _looks_like_pouch(shape):
        form = "pouch"
    if form is None and _looks_like_can(shape):
        form = "can"
    if form is None and _looks_like_box(shape):
        form = "box"
    if form is None:
        return None
    return form, SHAPE_TYPES[form]


# --- materials: what the label says, else what the product looks like --------------------------

_KRAFT_DELTA_E = 10.0  # the main color this near (CIEDE2000) a kraft shade looks like kraft paper
_KRAFT_MIN_SHARE = 0.4  # ... and covers this much of the product
_SPECULAR_L = 92.0  # a specular highlight: near-white (Lab L) ...
_SPECULAR_CHROMA = 10.0  # ... and colorless, whatever the surface's own color
_MATTE_MAX_SHARE = 0.005  # kraft paper shows (almost) none


def infer_materials(
    texts: list[str],
    product_type: str | None,
    image: RGBImage,
    alpha: AlphaMask | None,
    colors: ColorAnalysis,
) -> list[str]:
    """Materials the label names; else what the product's look shows (kraft paper's color on
    a matte surface; a neutral surface with a long specular streak is metal), else the one
    material its type is nearly always made of (a mug is ceramic, a can aluminium). Empty only
    when nothing supports a guess."""
    written = match_materials(texts)
    if written:
        return written
    found: list[str] = []
    if alpha is not None and colors.colors:
        lab = _product_lab(image, alpha)
        if lab is not None:
            specular = (lab[:, 0] >= _SPECULAR_L) & (
                np.hypot(lab[:, 1], lab[:, 2]) <= _SPECULAR_CHROMA
            )
            main = colors.colors[0]
            if (
                main.share >= _KRAFT_MIN_SHARE
                and _near_kraft(main.hex)
                and float(specular.mean()) <= _MATTE_MAX_SHARE
            ):
                found.append("paper")
            elif _metal_streak(image, alpha, main.hex):
                found.append("metal")
    prior = TYPE_MATERIALS.get(product_type or "")
    if prior and prior not in found:
        found.append(prior)
    if "aluminum" in found and "metal" in found:
        found.remove("metal")  # aluminium says more
    return found


def _product_lab(image: RGBImage, alpha: AlphaMask) -> np.ndarray[Any, Any] | None:
    pixels = image.reshape(-1, 3)[np.flatnonzero(alpha.reshape(-1) > 0.5)]
    if len(pixels) < 50:
        return None
    if len(pixels) > 20_000:
        pixels = pixels[np.linspace(0, len(pixels) - 1, 20_000).astype(np.intp)]
    rgb = (pixels.astype(np.float32) / 255.0).reshape(-1, 1, 3)
    return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).reshape(-1, 3))


def _near_kraft(hex_value: str) -> bool:
    kraft = np.array([hex_to_lab(value) for value in MERCHANT_PALETTE["kraft"]], np.float32)
    return float(delta_e2000(kraft, hex_to_lab(hex_value)).min()) <= _KRAFT_DELTA_E


def _metal_streak(image: RGBImage, alpha: AlphaMask, main_hex: str) -> bool:
    """A neutral (gray/silver) surface lit into a long, narrow vertical highlight: how a
    brushed or polished metal cylinder photographs. Colored or white products never count."""
    main = hex_to_lab(main_hex)
    if float(np.hypot(main[1], main[2])) > _SPECULAR_CHROMA or not 35.0 <= float(main[0]) <= 85.0:
        return False
    inside = alpha > 0.5
    ys, xs = np.nonzero(inside)
    if ys.size < 400:
        return False
    rgb = image.astype(np.float32) / 255.0
    lab = np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB))
    bright = (
        inside
        & (lab[..., 0] >= _SPECULAR_L)
        & (np.hypot(lab[..., 1], lab[..., 2]) <= _SPECULAR_CHROMA)
    )
    share = float(bright.sum()) / ys.size
    if not 0.01 <= share <= 0.15:
        return False
    by, bx = np.nonzero(bright)
    height = ys.max() - ys.min() + 1
    width = xs.max() - xs.min() + 1
    return bool(
        (by.max() - by.min() + 1) >= 0.5 * height
        and np.percentile(bx, 95) - np.percentile(bx, 5) <= 0.2 * width
    )
