"""The reusable text layout: fonts by role, fitting by size search and wrapping, shaping with
raqm, the ellipsis at the smallest size, and WCAG contrast."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from krev.engines.studio.text import (
    ELLIPSIS,
    FontUnavailableError,
    TextStyle,
    contrast_ratio,
    draw_text,
    face_for_text,
    fit_text,
    font_file,
    measure_block,
    missing_font_packages,
    pick_text_color,
    relative_luminance,
    scrim_opacity,
    text_mask,
)
from krev.engines.studio.text.fonts import FACES


def ink_box(block, width: int) -> tuple[int, int, int, int]:
    """Where the block's ink lands when drawn unclipped with 100 px of room all round."""
    canvas = Image.new("L", (width + 200, block.height + 200), 0)
    draw_text(ImageDraw.Draw(canvas), block, 100, 100, width, 255)
    ys, xs = np.nonzero(np.asarray(canvas))
    return xs.min() - 100, ys.min() - 100, xs.max() - 100 + 1, ys.max() - 100 + 1


def test_every_role_has_its_own_family() -> None:
    assert missing_font_packages() == []
    paths = {font_file(role, weight) for role in FACES for weight in ("regular", "bold")}
    assert len(paths) == 6


def test_a_missing_font_names_its_package(tmp_path) -> None:
    with pytest.raises(FontUnavailableError, match="fonts-linuxlibertine"):
        font_file("serif", "bold", dirs=(str(tmp_path),))
    assert "fonts-inter" in missing_font_packages(dirs=(str(tmp_path),))


@pytest.mark.parametrize("role", ["sans", "serif", "condensed"])
def test_fitted_text_is_the_largest_that_fits(role) -> None:
    style = TextStyle(role, "bold", 1.1)
    text = "Crème brûlée — Ürün, the quick fox jumps over the lazy dog"
    block = fit_text(text, style, 600, 260, 12, 200, 3)
    assert not block.truncated and len(block.lines) <= 3
    assert block.width <= 600 and block.height <= 260
    bigger = fit_text(text, style, 600, 260, block.size + 1, 200, 3)
    assert bigger.truncated or bigger.width > 600 or bigger.height > 260 or len(bigger.lines) > 3
    # Nothing is clipped: ascenders, accents and descenders lie inside the measured block.
    x0, y0, x1, y1 = ink_box(block, 600)
    assert x0 >= 0 and y0 >= 0 and x1 <= block.width and y1 <= block.height


def test_text_too_long_for_the_box_ends_in_an_ellipsis_at_a_word() -> None:
    style = TextStyle("sans", "regular", 1.25)
    text = "Body copy that goes on well past what this small box can ever hold at any size"
    block = fit_text(text, style, 300, 80, 20, 40, 2)
    assert block.truncated and block.size == 20
    assert block.lines[-1].endswith(ELLIPSIS)
    shown = " ".join(block.lines)[:-1].rstrip()
    assert text.startswith(shown) and text[len(shown)] == " "  # cut at a word boundary
    _, _, x1, y1 = ink_box(block, 300)
    assert x1 <= 300 and y1 <= 80 and block.height <= 80


def test_small_capitals_and_uppercase_are_shaped() -> None:
    plain = fit_text("Shop now", TextStyle("serif"), 1000, 100, 40, 40, 1)
    small_caps = fit_text(
        "Shop now", TextStyle("serif", features=("smcp", "c2sc")), 1000, 100, 40, 40, 1
    )
    assert small_caps.width != plain.width
    upper = fit_text("ürün", TextStyle("condensed", "bold", uppercase=True), 1000, 100, 40, 40, 1)
    assert upper.lines == ("ÜRÜN",)


def test_combining_marks_and_scripts_a_family_lacks() -> None:
    # raqm composes a base letter and a combining accent into one cluster: same ink width as
    # the precomposed letter.
    composed = measure_block(["é"], TextStyle(), face_for_text("sans", "regular", "é"), 80)
    decomposed = measure_block(["e\u0301"], TextStyle(), face_for_text("sans", "regular", "é"), 80)
    assert abs(composed.width - decomposed.width) <= 2
    # Hebrew is not in Roboto Condensed: it is set in DejaVu rather than as boxes.
    assert "DejaVu" in face_for_text("condensed", "bold", "שלום")
    assert "Roboto" in face_for_text("condensed", "bold", "Ürün")
    block = fit_text("שלום עולם", TextStyle("condensed", "bold"), 400, 100, 20, 60, 1)
    assert text_mask(block, 400).any()


def test_wcag_contrast() -> None:
    assert relative_luminance((255, 255, 255)) == pytest.approx(1.0)
    assert contrast_ratio("#ffffff", "#000000") == pytest.approx(21.0)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    # The worst pixel decides: white text over a mostly dark area with one light patch fails.
    pixels = np.zeros((40, 40, 3), np.uint8)
    pixels[:5, :5] = 230
    _, ratio = pick_text_color(pixels, [(255, 255, 255), (20, 20, 20)])
    assert ratio < 4.5
    alpha = scrim_opacity(pixels, (255, 255, 255), (0, 0, 0))
    assert alpha is not None and 0 < alpha < 1
