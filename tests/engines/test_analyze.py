"""The studio product analyzer: brand vs product line from label text, taxonomy and materials
from what is written there, and brand accuracy with the real OCR on the rendered evaluation set.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from krev.engines.base import ColorAnalysis, NamedColor, ProductMetadata, auto_name
from krev.engines.studio.analyze import StudioProductAnalyzer
from krev.engines.studio.taxonomy import match_materials, match_taxonomy
from tests.support.product_photos import evaluation_set

Line = tuple[str, float, float]  # text, top y, text height


def fake_ocr(lines: list[Line], score: float = 0.95) -> Any:
    """An OCR stand-in returning RapidOCR-shaped boxes for the given lines."""

    def read(image: np.ndarray[Any, Any]) -> tuple[list[list[Any]], float]:
        result = []
        for text, top, height in lines:
            box = [[10.0, top], [200.0, top], [200.0, top + height], [10.0, top + height]]
            result.append([box, text, score])
        return result, 0.0

    return read


def analyze(lines: list[Line], colors: tuple[str, ...] = ()) -> ProductMetadata:
    image = np.zeros((400, 300, 3), np.uint8)
    palette = ColorAnalysis([NamedColor(name, "#000000", 0.5) for name in colors])
    return StudioProductAnalyzer(ocr=fake_ocr(lines)).analyze(image, None, palette)


def test_the_brand_is_the_prominent_line_not_units_or_claims() -> None:
    metadata = analyze(
        [("NEW", 20, 40), ("VYSIONARY", 60, 36), ("Day Shift", 110, 24), ("60 capsules", 300, 30)]
    )

    assert metadata.brand_name == "Vysionary"
    assert metadata.product_name == "Day Shift"
    assert auto_name(metadata) == "Day Shift by Vysionary"


def test_a_generic_taxonomy_word_is_the_product_line_never_the_brand() -> None:
    metadata = analyze([("Whey Protein 2 lb", 40, 40), ("KORA", 120, 30), ("500 ml", 200, 20)])

    assert metadata.brand_name == "Kora"
    assert metadata.product_name == "Whey Protein"
    assert (metadata.product_type, metadata.category) == ("protein powder", "supplement")


def test_acronyms_and_deliberate_mixed_case_keep_their_spelling() -> None:
    assert analyze([("IBM", 10, 40)]).brand_name == "IBM"
    assert analyze([("CeraVe", 10, 40), ("Hydrating Cleanser", 80, 20)]).brand_name == "CeraVe"
    assert analyze([("lumen", 10, 40)]).brand_name == "Lumen"


def test_low_confidence_text_is_ignored() -> None:
    image = np.zeros((100, 100, 3), np.uint8)
    analyzer = StudioProductAnalyzer(ocr=fake_ocr([("AURA", 10, 30)], score=0.3))

    metadata = analyzer.analyze(image, None, ColorAnalysis())

    assert metadata.brand_name is None
    assert metadata.text == []
    assert auto_name(metadata) == "Untitled product"


def test_colors_come_from_the_color_analysis_and_materials_only_from_text() -> None:
    plain = analyze([("HALO", 10, 40), ("Tote", 80, 20)], colors=("navy", "navy", "gold"))
    written = analyze([("HALO", 10, 40), ("Full-grain leather tote", 80, 20)])

    assert plain.colors == ["navy", "gold"]
    assert plain.materials == []  # a tote is often leather, but nothing says so
    assert (plain.product_type, plain.category) == ("tote", "bags")
    assert written.materials == ["leather"]


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["Whey Protein 2 lb"], ("protein powder", "supplement")),
        (["Hydra", "Serum", "SPF 30", "30 ml"], ("serum", "skincare")),
        (["Noir", "Eau de Parfum", "50 ml"], ("fragrance", "beauty")),
        (["Cold Brew", "12 fl oz"], ("coffee", "beverage")),
        (["Vitamin D3", "60 capsules", "1000 IU"], ("vitamins", "supplement")),
        (["Air Runner", "Running Sneakers"], ("sneakers", "footwear")),
        (["AURA"], None),
        (["500 ml"], None),
    ],
)
def test_taxonomy_matches_label_text(texts: list[str], expected: tuple[str, str] | None) -> None:
    assert match_taxonomy(texts) == expected


def test_materials_are_matched_as_whole_words_without_double_counting() -> None:
    assert match_materials(["Vegan leather", "100% Cotton lining"]) == ["faux leather", "cotton"]
    assert match_materials(["Aluminium bottle", "stainless steel lid"]) == [
        "aluminum",
        "stainless steel",
    ]
    assert match_materials(["Glassy finish", "Woodland"]) == []


# Measured 33/33 = 100% on evaluation_set(40, 512) with the true mask as alpha (the 33 photos
# with a label are scored). The floor allows two misreads (31/33) so a change in OCR thresholds
# that costs brands fails here, while the issue's own target (>= 90%) stays below it.
BRAND_ACCURACY_FLOOR = 0.93


def test_brand_accuracy_on_the_rendered_evaluation_set() -> None:
    analyzer = StudioProductAnalyzer()
    labelled = [photo for photo in evaluation_set(40, 512) if photo.label_text]
    hits = 0
    for photo in labelled:
        alpha = photo.mask.astype(np.float32)
        metadata = analyzer.analyze(photo.image, alpha, ColorAnalysis())
        hits += (metadata.brand_name or "").lower() == photo.label_text.lower()

    accuracy = hits / len(labelled)
    print(f"brand exact-match accuracy: {hits}/{len(labelled)} = {accuracy:.1%}")
    assert accuracy >= BRAND_ACCURACY_FLOOR
