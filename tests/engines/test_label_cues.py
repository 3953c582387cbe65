"""Brand vs product line from several cues (issue 12): the cue logic on label lines, and the
analysis on a small fixed sample of the labelled-products tuning set."""

from __future__ import annotations

import numpy as np
import pytest

from krev.engines.base import ColorAnalysis
from krev.engines.studio.analyze import (
    StudioProductAnalyzer,
    TextLine,
    _dictionary_breaks,
    choose_brand_and_product,
    spaced_words,
)
from tests.engines.test_analyze import fake_ocr
from tests.support import label_photos


def lines(*rows: tuple[str, float, float]) -> list[TextLine]:
    return [TextLine(text, 0.95, top, height) for text, top, height in rows]


def test_a_coined_brand_set_small_above_a_larger_product_line_is_the_brand() -> None:
    found = choose_brand_and_product(
        lines(("FENNWICK", 40, 20), ("Wild Bloom", 80, 44), ("Raw Honey", 140, 20)), 300
    )
    assert found == ("Fennwick", "Wild Bloom"), "all capitals, a word: published title-cased"


def test_by_names_the_brand_whatever_the_sizes() -> None:
    found = choose_brand_and_product(
        lines(("Night Repair", 40, 50), ("by Nordvik", 100, 18), ("Hydrating Serum", 130, 18)), 300
    )
    assert found == ("Nordvik", "Night Repair")
    glued = choose_brand_and_product(lines(("Pure Whey", 40, 50), ("byVitaNova", 100, 18)), 300)
    assert glued == ("VitaNova", "Pure Whey"), "OCR dropped the space after by"


def test_by_joined_to_the_brand_in_one_case_throughout() -> None:
    for by_line, brand in [
        ("BYNORDVIK", "Nordvik"),
        ("bybareSkin", "bareSkin"),
        ("fromkaffeku", "Kaffeku"),
    ]:
        found = choose_brand_and_product(lines(("Night Repair", 40, 50), (by_line, 100, 18)), 300)
        assert found == (brand, "Night Repair"), by_line
    # A word that starts with "by" is no "by" line; nor is a big brand line ("Byredo").
    bygone = choose_brand_and_product(lines(("NORDVIK", 40, 50), ("Bygone Days", 100, 18)), 300)
    assert bygone == ("Nordvik", "Bygone Days")
    big = choose_brand_and_product(lines(("BYREDO", 40, 50), ("Night Veil", 100, 30)), 300)
    assert big[0] == "Byredo"


def test_an_ampersand_spaced_on_one_side_is_spaced_on_both() -> None:
    def read(label: list[tuple[str, float, float]]) -> tuple[str | None, str | None]:
        metadata = StudioProductAnalyzer(ocr=fake_ocr(label)).analyze(
            np.zeros((400, 300, 3), np.uint8), None, ColorAnalysis()
        )
        return metadata.brand_name, metadata.product_name

    assert read([("WICK & WREN", 40, 50), ("Cedar& Smoke", 100, 30)]) == (
        "Wick & Wren",
        "Cedar & Smoke",
    )
    assert read([("H&M", 40, 50), ("Linen Shirt", 100, 30)]) == ("H&M", "Linen Shirt")


def test_the_accounts_labels_give_a_brand_the_word_spaces_ocr_lost() -> None:
    label = lines(("Morning Dew", 40, 50), ("by KindredBotanics", 100, 14))
    assert choose_brand_and_product(label, 300)[0] == "KindredBotanics"
    catalog = [["KINDRED BOTANICS", "Sun Veil"], ["Deep Calm", "by Kindred Botanics"]]
    assert choose_brand_and_product(label, 300, catalog)[0] == "Kindred Botanics"
    assert choose_brand_and_product(label, 300, catalog[:1])[0] == "KindredBotanics", "once"


def test_a_line_naming_the_type_is_the_descriptor_not_the_product_line() -> None:
    found = choose_brand_and_product(
        lines(("Dark Roast", 40, 30), ("WHOLE BEAN COFFEE", 80, 40), ("KAFFEKU", 150, 16)), 300
    )
    assert found == ("Kaffeku", "Dark Roast")


def test_mixed_case_is_the_brands_own_spelling() -> None:
    found = choose_brand_and_product(lines(("Glow Theory", 40, 48), ("DermaLuxe", 100, 22)), 300)
    assert found == ("DermaLuxe", "Glow Theory")


def test_the_line_right_above_the_descriptor_is_the_product_line() -> None:
    label = lines(("HOLLOW OAK", 40, 18), ("Sea Salt", 70, 44), ("Dark Chocolate", 130, 18))
    assert choose_brand_and_product(label, 300) == ("Hollow Oak", "Sea Salt")
    at_the_bottom = lines(
        ("Trail Mix", 40, 50), ("Protein Bar", 100, 20), ("Little Harvest", 140, 30)
    )
    assert choose_brand_and_product(at_the_bottom, 300) == ("Little Harvest", "Trail Mix")
    # A line far above the descriptor is not what it qualifies; a lone line is the brand.
    apart = lines(("Sea Salt", 20, 44), ("HOLLOW OAK", 100, 18), ("Dark Chocolate", 250, 18))
    assert choose_brand_and_product(apart, 300)[0] == "Sea Salt"
    alone = lines(("NORDVIK", 40, 30), ("Hydrating Serum", 80, 18))
    assert choose_brand_and_product(alone, 300) == ("Nordvik", "Hydrating Serum")


def test_a_text_recurring_across_the_accounts_labels_is_the_brand() -> None:
    label = lines(("HOLLOW OAK", 40, 18), ("Sea Salt", 70, 44))
    assert choose_brand_and_product(label, 300)[0] == "Sea Salt", "ordinary words both"
    catalog = [["HOLLOW OAK", "Wild Bloom", "Raw Honey"], ["Honey Crunch", "Hollow Oak"]]
    assert choose_brand_and_product(label, 300, catalog) == ("Hollow Oak", "Sea Salt")
    # A line on one other label only is not recurrence.
    assert choose_brand_and_product(label, 300, catalog[:1])[0] == "Sea Salt"


def test_the_accounts_labels_give_a_capitalised_brand_its_own_spelling() -> None:
    label = lines(("BARESKIN", 40, 30), ("Cloud Cream", 80, 24))
    assert choose_brand_and_product(label, 300)[0] == "Bareskin"
    catalog = [["bareSkin", "Sun Veil"], ["Day Shift", "by bareSkin"]]
    assert choose_brand_and_product(label, 300, catalog)[0] == "bareSkin"


def test_a_missing_tuning_font_is_an_error_not_a_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(label_photos.TUNING_FONTS, "lato", ("lato/Nope.ttf", "lato/Nope.ttf"))
    label_photos._font.cache_clear()
    assert any("Nope.ttf" in path for path in label_photos.missing_fonts())
    with pytest.raises(FileNotFoundError, match="setup-fonts"):
        label_photos.tuning_set(1)
    label_photos._font.cache_clear()


# Photos of the labelled-products tuning set analysed here, at their own sizes, on their true
# masks (the segmenter has its own tests); the floors sit below what they measured (see
# docs/catalog.md for the whole set's figures).
SAMPLE = range(8)


@pytest.mark.quality
def test_brand_and_product_line_on_a_sample_of_labelled_products() -> None:
    analyzer = StudioProductAnalyzer()
    brand = cased = product = 0
    for index in SAMPLE:
        photo = label_photos.make_photo(index, size=800)
        metadata = analyzer.analyze(photo.image, photo.mask.astype(np.float32), ColorAnalysis())
        brand += (metadata.brand_name or "").casefold() == photo.brand_name.casefold()
        cased += metadata.brand_name == photo.brand_name
        product += (metadata.product_name or "").casefold() == photo.product_name.casefold()
    print(f"brand {brand}, cased {cased}, productName {product} of {len(SAMPLE)}")
    # Measured: brand 6, own casing 6, productName 7 of 8 (labels read alone, at 800 px).
    assert brand >= 5 and cased >= 5, "brand and product line swapped or misread"
    assert product >= 6


def _printed(text: str, wide_after: int, wide: int = 6) -> tuple[np.ndarray, list, list]:
    """A light label with ``text`` as dark letter blocks 10 px wide and 20 px tall, 3 px apart,
    and ``wide`` px after letter ``wide_after``; the line's box and each letter's box."""
    image = np.full((40, 200, 3), 235, np.uint8)
    cells, x = [], 10
    for index in range(len(text)):
        image[10:30, x : x + 10] = 30
        cells.append([[x, 10], [x + 10, 10], [x + 10, 30], [x, 30]])
        x += 10 + (wide if index == wide_after else 3)
    return image, [[6, 6], [x + 4, 6], [x + 4, 34], [6, 34]], cells


def test_a_narrow_blank_parts_letters_only_where_they_part_into_ordinary_words() -> None:
    image, box, cells = _printed("DOGFOOD", 2)
    assert spaced_words(image, box, cells, list("DOGFOOD"), "DOGFOOD") == "DOG FOOD"
    image, box, cells = _printed("NORDVIK", 2)
    assert spaced_words(image, box, cells, list("NORDVIK"), "NORDVIK") == "NORDVIK", "no words"
    # A compound brand printed tight shows a letter's gap where its words meet.
    image, box, cells = _printed("BARKWELL", 3, wide=3)
    assert spaced_words(image, box, cells, list("BARKWELL"), "BARKWELL") == "BARKWELL"


def test_dictionary_breaks_keep_words_and_their_endings_whole() -> None:
    assert _dictionary_breaks("WHEYPROTEINISOLATE") == (4, 11)
    assert _dictionary_breaks("FragranceFree") == (9,)
    assert _dictionary_breaks("BRIGHTENING") == (), "brighten + ing is one word"
    assert _dictionary_breaks("Nordvik") == ()
