"""The reusable text layout: fonts by role from Debian packages, text fitted into a box (size
search, word wrap, ellipsis) and drawn with real shaping, and WCAG contrast against the pixels
under it. Ads set their copy with it; videos set captions and end cards."""

from krev.engines.studio.text.contrast import (
    AA_LARGE,
    AA_NORMAL,
    contrast_ratio,
    hex_to_rgb,
    luminance_range,
    pick_text_color,
    relative_luminance,
    rgb_to_hex,
    scrim_opacity,
    worst_contrast,
)
from krev.engines.studio.text.draw import Align, draw_text, line_origins, paint_text, text_mask
from krev.engines.studio.text.fit import (
    ELLIPSIS,
    FittedText,
    TextStyle,
    fit_lines,
    fit_text,
    measure_block,
)
from krev.engines.studio.text.fonts import (
    FONT_PACKAGES,
    FontRole,
    FontUnavailableError,
    FontWeight,
    face_for_text,
    font_file,
    load_font,
    missing_font_packages,
)

__all__ = [
    "AA_LARGE",
    "AA_NORMAL",
    "ELLIPSIS",
    "FONT_PACKAGES",
    "Align",
    "FittedText",
    "FontRole",
    "FontUnavailableError",
    "FontWeight",
    "TextStyle",
    "contrast_ratio",
    "draw_text",
    "face_for_text",
    "fit_lines",
    "fit_text",
    "font_file",
    "hex_to_rgb",
    "line_origins",
    "load_font",
    "luminance_range",
    "measure_block",
    "missing_font_packages",
    "paint_text",
    "pick_text_color",
    "relative_luminance",
    "rgb_to_hex",
    "scrim_opacity",
    "text_mask",
    "worst_contrast",
]
