"""Issue 12's misreads, on rendered photos with the real OCR: a kraft coffee pouch is a pouch
colored kraft and made of paper (not a gold box), a mug is ceramic, a can aluminium, and the
words of a label line keep their spaces."""

from __future__ import annotations

import numpy as np
import pytest
import webcolors

from krev.engines.base import ColorAnalysis, NamedColor, ProductMetadata, auto_name
from krev.engines.studio.analyze import StudioProductAnalyzer, infer_materials, shape_cue
from krev.engines.studio.colors import StudioColorAnalyzer
from krev.engines.studio.taxonomy import match_materials, match_packaging, match_taxonomy
from tests.support.merchant_photos import (
    KRAFT,
    MerchantPhoto,
    _compose,
    _mask,
    ceramic_mug,
    drinks_can,
    kraft_pouch,
)


@pytest.fixture(scope="module")
def analyzer() -> StudioProductAnalyzer:
    return StudioProductAnalyzer()  # the real RapidOCR, loaded once for the module


def _analyze(
    analyzer: StudioProductAnalyzer, photo: MerchantPhoto
) -> tuple[ColorAnalysis, ProductMetadata]:
    colors = StudioColorAnalyzer().analyze(photo.image, photo.alpha)
    return colors, analyzer.analyze(photo.image, photo.alpha, colors)


def test_a_kraft_coffee_pouch_is_a_kraft_paper_pouch(analyzer: StudioProductAnalyzer) -> None:
    photo = kraft_pouch()
    colors, metadata = _analyze(analyzer, photo)

    assert metadata.product_type == "pouch"
    assert metadata.category is None  # a pouch holds anything
    assert metadata.colors[0] in {"kraft", "tan"}
    hex_rgb = webcolors.hex_to_rgb(colors.colors[0].hex)
    assert max(abs(a - b) for a, b in zip(hex_rgb, KRAFT, strict=True)) <= 20
    assert metadata.materials == ["paper"]
    assert metadata.brand_name == "Hillwood"
    assert metadata.product_name == "Single Origin"


def test_a_mug_is_ceramic_and_a_can_aluminium(analyzer: StudioProductAnalyzer) -> None:
    _, mug = _analyze(analyzer, ceramic_mug())
    _, can = _analyze(analyzer, drinks_can())

    assert (mug.product_type, mug.materials) == ("mug", ["ceramic"])
    assert (can.product_type, can.materials) == ("can", ["aluminum"])
    assert auto_name(mug) == "Classic Mug by Morning Co"


@pytest.mark.parametrize(
    ("brand", "line"),
    [("AURORA", "Night Serum"), ("NORDVIK", "Cold Brew Coffee"), ("Halo", "Daily Greens")],
)
def test_the_words_of_a_line_keep_their_spaces(
    analyzer: StudioProductAnalyzer, brand: str, line: str
) -> None:
    alpha = _mask(
        512,
        lambda canvas, k: canvas.__setitem__(
            (slice(int(80 * k), int(440 * k)), slice(int(110 * k), int(400 * k))), 255
        ),
    )
    photo = _compose(alpha, (236, 224, 200), [(brand, 200, 46), (line, 270, 26)])
    metadata = analyzer.analyze(photo.image, photo.alpha, ColorAnalysis())

    assert metadata.product_name == line
    assert auto_name(metadata) == f"{line} by {brand.title() if brand.isupper() else brand}"


def test_a_straight_box_is_not_a_pouch() -> None:
    alpha = np.zeros((300, 300), np.float32)
    alpha[60:250, 90:210] = 1.0
    assert shape_cue(alpha) == ("box", None)


def test_packaging_words_name_a_pouch_never_a_handbag() -> None:
    assert match_packaging(["Resealable Kraft Bag"]) == "pouch"
    assert match_packaging(["Stand-up pouch", "250 g"]) == "pouch"
    assert match_taxonomy(["Kraft Bag"]) is None  # not "handbag"
    assert match_taxonomy(["Cold Brew Coffee Bag"]) == ("coffee", "beverage")
    assert match_taxonomy(["Leather shoulder bag"]) == ("handbag", "bags")


def test_materials_from_label_words() -> None:
    assert match_materials(["100% Cotton"]) == ["cotton"]
    assert match_materials(["Kraft paper"]) == ["paper"]
    assert match_materials(["Borosilicate glass"]) == ["glass"]
    assert match_materials(["Aluminium"]) == ["aluminum"]
    assert match_materials(["Genuine leather"]) == ["leather"]


def test_no_material_is_guessed_without_support() -> None:
    image = np.full((100, 100, 3), (40, 90, 200), np.uint8)  # a blue, plain, unlabelled box
    alpha = np.zeros((100, 100), np.float32)
    alpha[20:80, 25:75] = 1.0
    colors = ColorAnalysis([NamedColor("blue", "#2858c8", 1.0)])
    assert infer_materials([], "box", image, alpha, colors) == []
    assert infer_materials([], None, image, None, colors) == []
    # A label's word beats every look and prior: a glass mug is glass.
    assert infer_materials(["Glass mug"], "mug", image, alpha, colors) == ["glass"]
