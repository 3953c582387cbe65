"""The ad styles and the style a brief's words choose when a request names none."""

from __future__ import annotations

import pytest

from krev.engines.providers import CTA_LABELS
from krev.engines.studio.ads.styles import (
    BRIEF_ORDER,
    DEFAULT_STYLE_ID,
    STYLES,
    choose_style,
    style_by_id,
)


@pytest.mark.parametrize(
    ("brief", "style_id"),
    [
        ("Create a direct response ad for this protein bar", "performance"),
        ("An ad for our new water bottle", "performance"),
        ("", "performance"),
        ("Summer sale: 20% off all sneakers", "bold_offer"),
        ("Save 15 % on your first order", "bold_offer"),
        ("Black Friday deal on candles, today only", "bold_offer"),
        ("Use code SPRING at checkout", "bold_offer"),
        ("Show what our customers say about the serum", "social_proof"),
        ("Testimonial ad with a 5 stars review", "social_proof"),
        ("Three reasons to choose our backpack", "benefit_stack"),
        ("Highlight the benefits of the lunchbox", "benefit_stack"),
        ("Our bottle vs single-use plastic", "comparison"),
        ("Why oat milk is better than dairy", "comparison"),
        ("Minimal, timeless ad for our gold ring", "minimal_luxe"),
        ("A luxury look for the watch", "minimal_luxe"),
        ("Luxury watch, 30% off this weekend", "bold_offer"),
        ("Reviews of our premium serum", "social_proof"),
        ("Compare the benefits against the old way", "comparison"),
    ],
)
def test_the_brief_s_words_choose_the_style(brief: str, style_id: str) -> None:
    assert choose_style(brief).id == style_id


def test_cue_words_match_whole_words_only() -> None:
    # "code" inside "decoder", "sale" inside "wholesale" and "rated" inside "hydrated" say
    # nothing about an offer or a review.
    assert choose_style("A hydrated look for our decoder ring").id == DEFAULT_STYLE_ID
    assert choose_style("Our wholesale range of mugs").id == DEFAULT_STYLE_ID


def test_six_distinct_styles_with_the_reference_s_example() -> None:
    assert len(STYLES) >= 6
    assert len({style.id for style in STYLES}) == len(STYLES)
    assert len({style.family for style in STYLES}) == len(STYLES), "each its own layout"
    assert len({style.copy_shape for style in STYLES}) == len(STYLES), "each its own copy"
    performance = style_by_id("performance")
    assert performance is not None and performance.name == "Performance Master"
    assert set(BRIEF_ORDER) == {style.id for style in STYLES}
    assert style_by_id("nope") is None
    assert "Shop now" in CTA_LABELS
