"""Product metadata from the label: OCR of the product region, then brand vs product line,
taxonomy type/category and materials from what is written there, colors from the color analysis.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from krev.engines.base import AlphaMask, ColorAnalysis, ProductMetadata, RGBImage
from krev.engines.studio.taxonomy import is_taxonomy_term, match_materials, match_taxonomy

__all__ = ["OCRFunction", "StudioProductAnalyzer", "TextLine", "choose_brand_and_product"]

# What RapidOCR's engine object is: image in, ``(result, elapsed)`` out, where result is a list of
# ``[box (4 points), text, score]`` or None. Any callable with that shape can stand in.
OCRFunction = Callable[[np.ndarray[Any, Any]], tuple[Sequence[Sequence[Any]] | None, Any]]

_MIN_SCORE = 0.6  # below this RapidOCR's lines on product photos are mostly noise
_CROP_MARGIN = 0.04  # of the product's size, so text at the silhouette's edge is not cut
_SMALL_TEXT_PX = 12  # tallest line shorter than this (or none): read a 2x upscale as well
_MAX_UPSCALED_SIDE = 2048

_UNITS = (
    r"mg|mcg|g|kg|ml|cl|l|oz|fl\.?\s*oz|lb|lbs|iu|capsules?|caps|tablets?|softgels?|gummies"
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
    ]
)
_ACRONYM_MAX_LETTERS = 3  # "IBM" stays upper case; "AURA" and "NIKE" read as words


@dataclass(frozen=True)
class TextLine:
    """One line of label text read by OCR, in the crop's pixel coordinates."""

    text: str
    score: float
    top: float
    height: float


def _normalise_text(text: str) -> str:
    text = " ".join(text.split())
    return text.strip(" .,;:-_|'\"`~*•·")


def _is_size_or_claim(text: str) -> bool:
    """ "60 capsules", "500 ml", "NEW", "100% natural": packaging copy, never brand or name."""
    if _SIZE.match(text) or _UNIT_ONLY.match(text):
        return True
    words = re.findall(r"[a-z][a-z-]*", text.lower())
    return bool(words) and all(word in _CLAIM_WORDS for word in words)


def _brand_case(text: str) -> str:
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


def choose_brand_and_product(
    lines: Sequence[TextLine], crop_height: int
) -> tuple[str | None, str | None]:
    """The brand (most prominent line that is not a generic, unit or claim word) and the product
    line (the next most prominent distinct line that is not a size, unit or claim)."""
    ranked = sorted(
        (line for line in lines if line.text and not _is_size_or_claim(line.text)),
        key=lambda line: (-_prominence(line, crop_height), line.top, line.text),
    )
    brand_line = next((line for line in ranked if not is_taxonomy_term(line.text)), None)
    brand = _brand_case(brand_line.text) if brand_line else None
    product = next(
        (
            _TRAILING_SIZE.sub("", line.text)
            for line in ranked
            if line is not brand_line and line.text.lower() != (brand or "").lower()
        ),
        None,
    )
    return brand, product


class StudioProductAnalyzer:
    """``ProductAnalyzer`` over RapidOCR (created lazily, once per analyzer) or an injected OCR."""

    def __init__(self, ocr: OCRFunction | None = None) -> None:
        self._ocr = ocr

    def _engine(self) -> OCRFunction:
        if self._ocr is None:
            from rapidocr_onnxruntime import RapidOCR  # heavy import: only when first needed

            engine: OCRFunction = RapidOCR()
            self._ocr = engine
        return self._ocr

    def _read(self, image: np.ndarray[Any, Any], scale: float) -> list[TextLine]:
        result, _elapsed = self._engine()(image)
        lines: list[TextLine] = []
        for box, raw_text, score in result or []:
            text = _normalise_text(str(raw_text))
            if float(score) < _MIN_SCORE or not any(c.isalnum() for c in text):
                continue
            ys = [float(point[1]) for point in box]
            lines.append(TextLine(text, float(score), min(ys) / scale, (max(ys) - min(ys)) / scale))
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
        self, image: RGBImage, alpha: AlphaMask | None, colors: ColorAnalysis
    ) -> ProductMetadata:
        lines, crop_height = self.read_label(image, alpha)
        texts = [line.text for line in sorted(lines, key=lambda line: (line.top, line.text))]
        brand, product = choose_brand_and_product(lines, crop_height)
        matched = match_taxonomy(texts)
        color_names = list(dict.fromkeys(color.name for color in colors.colors))
        return ProductMetadata(
            brand_name=brand,
            product_name=product,
            product_type=matched[0] if matched else None,
            category=matched[1] if matched else None,
            colors=color_names,
            materials=match_materials(texts),
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
