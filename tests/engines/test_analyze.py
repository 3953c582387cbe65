"""The studio product analyzer: brand vs product line from label text, taxonomy and materials
from what is written there, and brand accuracy with the real OCR on the rendered evaluation set.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import cv2
import numpy as np
import pytest

from krev.engines.base import ColorAnalysis, NamedColor, ProductMetadata, auto_name
from krev.engines.studio.analyze import StudioProductAnalyzer, shape_cue
from krev.engines.studio.segment import ClassicalSegmenter
from krev.engines.studio.taxonomy import SHAPE_TYPES, match_materials, match_taxonomy
from tests.support.label_photos import make_photo as make_label_photo
from tests.support.product_photos import evaluation_set, make_holed_photo, make_photo

Line = tuple[str, float, float]  # text, top y, text height


def fake_ocr(lines: list[Line], score: float = 0.95) -> Any:
    """An OCR stand-in returning RapidOCR-shaped boxes for the given lines."""

    def read(image: np.ndarray[Any, Any], **_options: Any) -> tuple[list[list[Any]], float]:
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


def test_the_descriptor_names_the_type_not_a_size_line_or_a_dose_form() -> None:
    # "120 softgels" says how many, and softgels how it is taken: fish oil is what it is.
    label = ["Ocean Omega", "Fish Oil Softgels", "ORA", "120 softgels"]
    assert match_taxonomy(label) == ("omega-3", "supplement")
    # A dose form is the type only when nothing more specific is named.
    assert match_taxonomy(["Deep Sleep", "Magnesium Capsules", "60 capsules"]) == (
        "capsules",
        "supplement",
    )
    # A size line alone still says what the label holds.
    assert match_taxonomy(["ORA", "120 softgels"]) == ("capsules", "supplement")
    # An amount inside a line is cut out: "12 bars" is no protein bar, "60 caps" no hat.
    assert match_taxonomy(["Vitamin C 1000 mg", "60 caps"]) == ("vitamins", "supplement")


def test_the_head_of_a_descriptor_names_the_type() -> None:
    # English puts what a thing is last; the words before it only describe it.
    assert match_taxonomy(["Vitamin C Serum"]) == ("serum", "skincare")
    assert match_taxonomy(["Chocolate Protein Bar"]) == ("bar", "food")
    assert match_taxonomy(["Green Tea Cleanser"]) == ("cleanser", "skincare")
    assert match_taxonomy(["Energy Drink"]) == ("energy drink", "beverage")


def test_type_words_in_the_brand_or_product_line_yield_to_the_descriptor() -> None:
    # Product lines are often made of type words; the descriptor says what the product is.
    assert match_taxonomy(["Trail Mix", "Protein Bar"], names=["Trail Mix"]) == ("bar", "food")
    assert match_taxonomy(["Lamb & Rice", "Dog Food"], names=["Lamb & Rice"]) == (
        "pet food",
        "pet",
    )
    assert match_taxonomy(["Honey Crunch", "Granola"], names=["Honey Crunch"]) == (
        "cereal",
        "food",
    )
    # ... but speak when no other line names a type.
    assert match_taxonomy(["KORA", "Whey Protein"], names=["Kora", "Whey Protein"]) == (
        "protein powder",
        "supplement",
    )


def test_what_comes_before_with_or_for_is_the_product() -> None:
    assert match_taxonomy(["Lavender Soap with Essential Oils"]) == ("cleanser", "skincare")
    assert match_taxonomy(["Shampoo for Dry Hair"]) == ("shampoo", "beauty")


@pytest.mark.parametrize(
    ("descriptor", "expected"),
    [
        ("Night Cream", ("moisturizer", "skincare")),
        ("Shower Gel", ("cleanser", "skincare")),
        ("Cleansing Milk", ("cleanser", "skincare")),  # not a drink
        ("Toothpaste", ("oral care", "beauty")),
        ("Oat Milk", ("milk", "beverage")),
        ("Milk Chocolate", ("chocolate", "food")),
        ("Chai", ("tea", "beverage")),
        ("Butter Cookies", ("cookies", "food")),
        ("Taco Seasoning", ("spices", "food")),
        ("Tea Light Candles", ("candle", "home")),  # no tea
        ("Dish Soap", ("cleaning", "home")),  # the longer phrase, not soap
        ("Polo Shirt", ("shirt", "apparel")),
        ("T-Shirt", ("t-shirt", "apparel")),
        ("Heavy Duty Caps", None),  # a hat is a hat, not any cap
    ],
)
def test_descriptors_shops_use_are_in_the_taxonomy(
    descriptor: str, expected: tuple[str, str] | None
) -> None:
    assert match_taxonomy([descriptor]) == expected


def test_words_ocr_ran_together_still_name_the_type() -> None:
    assert match_taxonomy(["Deep Calm", "CLAYMASK", "100 ml"]) == ("face mask", "skincare")
    metadata = analyze([("ORA", 20, 40), ("Fish oilSoftgels", 80, 24), ("120 softgels", 140, 16)])
    assert (metadata.product_type, metadata.category) == ("omega-3", "supplement")


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


@pytest.mark.quality
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


# --- visual cues: the product's outline when the label names no type --------------------------


def _outline(draw: Any, size: tuple[int, int] = (300, 300)) -> np.ndarray[Any, Any]:
    """A float alpha mask with whatever ``draw(canvas)`` fills in (255) on a black canvas."""
    canvas = np.zeros(size, np.uint8)
    draw(canvas)
    return (canvas > 0).astype(np.float32)


@pytest.mark.parametrize(
    "draw",
    [
        lambda c: cv2.circle(c, (150, 150), 90, 255, -1),
        lambda c: cv2.ellipse(c, (150, 150), (50, 120), 0, 0, 360, 255, -1),
        lambda c: cv2.fillPoly(c, [np.array([[150, 30], [270, 260], [30, 260]])], 255),
        lambda c: cv2.fillPoly(
            c,
            [
                np.array(
                    [
                        [150, 20],
                        [180, 120],
                        [280, 130],
                        [190, 180],
                        [220, 280],
                        [150, 210],
                        [80, 280],
                        [110, 180],
                        [20, 130],
                        [120, 120],
                    ]
                )
            ],
            255,
        ),
        lambda c: (
            cv2.rectangle(c, (20, 60), (120, 260), 255, -1),
            cv2.rectangle(c, (170, 60), (280, 260), 255, -1),
        ),
        lambda c: cv2.rectangle(c, (0, 40), (200, 299), 255, -1),
        lambda c: None,
    ],
    ids=["disc", "ellipse", "cone", "star", "two-products", "cut-by-the-frame", "empty"],
)
def test_outlines_that_show_no_clear_form_give_no_type(draw: Any) -> None:
    assert shape_cue(_outline(draw)) is None


def test_the_outline_names_the_form_only_when_the_label_says_nothing() -> None:
    bottle = make_photo(0, 384)
    shoe = make_photo(16, 384)
    assert (bottle.product, shoe.product) == ("bottle", "shoe")
    palette = ColorAnalysis([NamedColor("teal", "#008080", 1.0)])

    def analyze_with(lines: list[Line], photo: Any) -> ProductMetadata:
        analyzer = StudioProductAnalyzer(ocr=fake_ocr(lines))
        return analyzer.analyze(photo.image, photo.mask.astype(np.float32), palette)

    unlabelled = analyze_with([], bottle)
    labelled = analyze_with([("KORA", 40, 30), ("Whey Protein", 90, 20)], bottle)
    footwear = analyze_with([], shoe)
    unsegmented = StudioProductAnalyzer(ocr=fake_ocr([])).analyze(bottle.image, None, palette)

    # A bottle holds skincare as readily as a beverage: the form, never a guessed category.
    assert (unlabelled.product_type, unlabelled.category) == ("bottle", None)
    assert auto_name(unlabelled) == "Teal bottle"
    assert (labelled.product_type, labelled.category) == ("protein powder", "supplement")
    assert (footwear.product_type, footwear.category) == ("shoe", "footwear")
    assert (unsegmented.product_type, unsegmented.category) == (None, None)


# Measured on evaluation_set(40, 512): with the true masks 40/40 answered, 40 right, 0 wrong;
# with ClassicalSegmenter's cutouts (what uploads see) 32/40 answered, 32 right, 0 wrong. On
# photos 40-239 (never used to tune the rules) with true masks at 256 px: 198/200 answered,
# 0 wrong. A wrong form is worse than none, so wrong answers must stay at zero here; the
# floors on answers catch a rule that quietly stops firing.
@pytest.mark.quality
def test_visual_cues_are_rarely_silent_and_never_wrong_on_the_evaluation_set() -> None:
    segmenter = ClassicalSegmenter()
    tallies: dict[str, Counter[str]] = {"true mask": Counter(), "segmenter": Counter()}
    for photo in evaluation_set(40, 512):
        alphas = {
            "true mask": photo.mask.astype(np.float32),
            "segmenter": segmenter.segment(photo.image).alpha,
        }
        for source, alpha in alphas.items():
            cue = shape_cue(alpha)
            verdict = "silent" if cue is None else "right" if cue[0] == photo.product else "wrong"
            tallies[source][verdict] += 1
            if cue is not None:
                assert cue[1] == SHAPE_TYPES[cue[0]]

    for source, tally in tallies.items():
        print(f"visual cues, {source}: {dict(tally)}")
    assert tallies["true mask"]["wrong"] == 0 and tallies["segmenter"]["wrong"] == 0
    assert tallies["true mask"]["right"] >= 38
    assert tallies["segmenter"]["right"] >= 28


def test_a_handle_beside_a_squat_body_with_a_hole_through_it_reads_as_a_mug() -> None:
    mugs = [make_holed_photo(i) for i in range(4)]  # mugs on each studio background, 384 px
    totes = [make_holed_photo(i, 256) for i in range(4, 8)]  # a strap loop on top: not a mug
    assert [shape_cue(p.mask.astype(np.float32)) for p in mugs] == [("mug", "home")] * 4
    assert all(shape_cue(p.mask.astype(np.float32)) != ("mug", "home") for p in totes)
    # Through the segmenter, which opens the handle's hole: most are read, none as anything else.
    cues = [shape_cue(ClassicalSegmenter().segment(p.image).alpha) for p in mugs]
    assert cues.count(("mug", "home")) >= 3 and set(cues) <= {("mug", "home"), None}
    # No other product of the tuning sets has a hole beside it (true masks: 100 studio photos,
    # the labelled products); the whole analysis names the mug with no word on it.
    others = [make_photo(i, 256).mask for i in range(40, 140)]
    others += [make_label_photo(i, 320).mask for i in range(0, 144, 8)]
    assert not any(shape_cue(mask.astype(np.float32)) == ("mug", "home") for mask in others)
    metadata = StudioProductAnalyzer().analyze(
        mugs[0].image, mugs[0].mask.astype(np.float32), ColorAnalysis()
    )
    assert (metadata.product_type, metadata.category) == ("mug", "home")
