"""The embedded copywriter: ad copy a merchant would run, within Meta's limits, different per
variant, and never a claim the merchant did not make.

The property tests run every brief of ``BRIEFS`` in every style with four variants and check
each field; the example tests read the copy the way a merchant would.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace

import numpy as np
import pytest

from krev.engines.providers import (
    BODY_COPY_MAX,
    CTA_LABELS,
    HEADLINE_MAX,
    HOOK_MAX,
    AdCopy,
    CopyProduct,
    CopyRequest,
    copy_problems,
    invented_figures,
)
from krev.engines.studio.ads import AD_SIZES, AdRenderRequest, ad_palette, render_ad, scene_box
from krev.engines.studio.ads.copy_templates import template_words
from krev.engines.studio.ads.copywriter import StudioCopywriter, clip_words
from krev.engines.studio.ads.styles import STYLES, AdStyle, style_by_id

BAR = CopyProduct(
    name="Peak by Vigor",
    brand_name="Vigor",
    product_name="Peak",
    product_type="bar",
    category="food",
    colors=["orange", "black"],
    materials=["plastic"],
)
SNEAKER = CopyProduct(
    name="Air Loop by Stride",
    brand_name="Stride",
    product_name="Air Loop",
    product_type="sneakers",
    category="footwear",
    colors=["white", "navy"],
    materials=["canvas"],
)
RING = CopyProduct(brand_name="Orla", product_type="ring", category="jewelry", colors=["gold"])
SERUM = CopyProduct(
    name="Day Shift by Aura",
    brand_name="Aura",
    product_name="Day Shift",
    product_type="serum",
    category="skincare",
    colors=["white"],
)
BOTTLE = CopyProduct(
    brand_name="Tide",
    product_name="Flow",
    product_type="water bottle",
    category="sports",
    colors=["lightblue"],
    materials=["stainless steel"],
)
UNKNOWN = CopyProduct(name="IMG_2031.jpg")
TOTE = CopyProduct(
    name="Market Tote", product_type="tote", category="bags", colors=["tan"], materials=["leather"]
)
PRODUCTS = [[BAR], [SNEAKER], [RING], [SERUM], [BOTTLE], [UNKNOWN], [TOTE], [SERUM, BAR]]

AURA_NOTES = (
    "Aura is a clean skincare brand from Oslo.\n"
    "Tone: calm, confident. Never use exclamation marks.\n"
    "Colors: #1a2b3c and sage green.\n"
    "Vegan, cruelty-free and made in small batches.\n"
    "Tagline: Skin, simplified."
)
BRIEFS: list[tuple[str, str | None]] = [
    ("Create a direct response ad for this protein bar", None),
    ("Summer sale on our sneakers: 20% off everything until Sunday, use code SUMMER20", None),
    ("Minimal luxury ad for our 18k gold ring, handcrafted in Italy", None),
    ("Protein bar ad: 20g protein, no added sugar, tastes like cookie dough", None),
    (
        'Social proof ad with this review: "I wear it every day and it still looks new" - Maya R.',
        None,
    ),
    ("Compare our steel bottle to single-use plastic. Keeps drinks cold for 24 hours.", None),
    (
        "Make an ad for busy parents about our lunchbox that keeps food warm and fits in any bag",
        None,
    ),
    ("Highlight the benefits: leak-proof lid, fits cup holders, dishwasher safe", None),
    ("Black Friday ad for our candles. Make it punchy! Don't mention price.", None),
    ("Write a testimonial ad for the serum", AURA_NOTES),
    ("Create a discount ad for the hoodie", None),
    ("Why our oat milk is better than dairy milk", None),
    ("Ad for Day Shift capsules, for people who hate mornings. Subscribe and save 15%.", None),
    ("Launch ad for our new vitamin C serum that brightens skin and is vegan", AURA_NOTES),
    ("Bold offer: buy one get one free on all socks this weekend only", None),
    ("ad", None),
    ("Sell this", 'Rated 4.8 by 2,000 customers.\nReview: "My skin has never been calmer" - Jo'),
    ("Flash sale! $10 off orders over $50, free shipping, ends midnight", None),
    ("A review-style ad for our tote. Customers love the roomy inside pocket.", None),
    ("Comparison ad vs Nike for our running shoes", None),
    ("Please write me 4 variants of a performance ad for the Aura serum. Keep it short.", None),
    ("Instagram story ad for our candle, cozy autumn vibes, soy wax, hand-poured in Vermont", None),
    ("Create a premium ad. Award-winning design, lifetime warranty.", None),
    ("We need reasons to buy: lightweight, waterproof, packs into its own pocket", None),
    ("Launching our noise-cancelling headphones. 30-hour battery, fold flat for travel.", None),
    ("testimonial: 'Best coffee I've had at home' \u2014 Sam K.", None),
    ("Perfect for runners: sweat-proof, secure fit, 8 hours of playback", None),
    (
        "Get people to try our coffee. Roasted every Monday, ships in 2 days",
        "Offer: 10% off your first bag with code HELLO10",
    ),
    (
        "An extremely long brief that keeps going about our merino wool base layer which "
        "regulates temperature on cold mountain mornings and dries overnight so you can pack "
        "light for multi-day treks across the highlands without ever feeling clammy or cold",
        None,
    ),
]
REQUESTS = [
    (brief, context, PRODUCTS[i % len(PRODUCTS)], style)
    for i, (brief, context) in enumerate(BRIEFS)
    for style in STYLES
]
WORD = re.compile(r"[a-z0-9]+(?:['\u2019.-][a-z0-9]+)*")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# Words that state a fact a buyer relies on: figures aside, the copy may use one only where
# the merchant did.
CLAIM_WORDS = frozenset(
    [
        "best",
        "better",
        "#1",
        "number",
        "award",
        "awards",
        "award-winning",
        "winner",
        "winning",
        "rated",
        "rating",
        "ratings",
        "stars",
        "star",
        "reviews",
        "review",
        "customers",
        "customer",
        "loved",
        "love",
        "favorite",
        "favourite",
        "popular",
        "bestseller",
        "bestselling",
        "trusted",
        "proven",
        "clinically",
        "clinical",
        "dermatologist",
        "doctor",
        "guaranteed",
        "guarantee",
        "warranty",
        "certified",
        "organic",
        "natural",
        "vegan",
        "cruelty-free",
        "sustainable",
        "eco",
        "healthy",
        "healthier",
        "premium",
        "luxury",
        "quality",
        "perfect",
        "ultimate",
        "leading",
        "top",
        "exclusive",
        "limited",
        "new",
        "sale",
        "discount",
        "off",
        "save",
        "savings",
        "deal",
        "deals",
        "free",
        "offer",
        "code",
        "coupon",
        "percent",
        "cheap",
        "cheapest",
        "price",
        "prices",
        "only",
        "last",
        "chance",
        "hurry",
        "protein",
        "collagen",
        "vitamin",
        "retinol",
        "hyaluronic",
        "niacinamide",
        "caffeine",
        "sugar",
        "whey",
        "handmade",
        "handcrafted",
    ]
)
INSTRUCTION = re.compile(
    r"\b(?:create|write|generate|highlight|emphasi[sz]e|focus on|make it|keep it|"
    r"ad|ads|advert|brief|variants?|instagram|story|direct response|please|vibes?)\b",
    re.IGNORECASE,
)


def write(
    brief: str,
    products: list[CopyProduct],
    style: AdStyle,
    *,
    context: str | None = None,
    count: int = 4,
    seed: int = 0,
) -> list[AdCopy]:
    request = CopyRequest(
        brief=brief,
        style_id=style.id,
        style_name=style.name,
        tone=style.tone,
        copy_shape=style.copy_shape,
        products=products,
        brand_context=context,
        count=count,
        seed=seed,
    )
    return StudioCopywriter().write(request)


def style(style_id: str) -> AdStyle:
    found = style_by_id(style_id)
    assert found is not None
    return found


def input_text(brief: str, context: str | None, products: list[CopyProduct]) -> str:
    fields = [brief, context or ""]
    for product in products:
        fields += [
            product.name or "",
            product.brand_name or "",
            product.product_name or "",
            product.product_type or "",
            product.category or "",
            *product.colors,
            *(re.sub(r"^(light|dark)", r"\1 ", color) for color in product.colors),
            *product.materials,
        ]
    return "\n".join(fields)


def words(text: str) -> set[str]:
    return {word.removesuffix("'s").removesuffix("\u2019s") for word in WORD.findall(text.lower())}


def fields(copy: AdCopy) -> str:
    return "\n".join((copy.hook, copy.headline, copy.body_copy))


@pytest.mark.parametrize(
    ("brief", "context", "products", "ad_style"),
    REQUESTS,
    ids=[f"{i // len(STYLES)}-{r[3].id}" for i, r in enumerate(REQUESTS)],
)
def test_every_variant_runs_on_meta_and_claims_only_what_it_was_given(
    brief: str, context: str | None, products: list[CopyProduct], ad_style: AdStyle
) -> None:
    copies = write(brief, products, ad_style, context=context)
    given = input_text(brief, context, products)
    given_words = words(given)
    allowed = given_words | template_words()

    assert len(copies) == 4
    for copy in copies:
        assert copy_problems(copy) == [], copy
        assert copy.style_name == ad_style.name
        assert len(copy.hook) <= HOOK_MAX and len(copy.headline) <= HEADLINE_MAX
        assert len(copy.body_copy) <= BODY_COPY_MAX and copy.cta in CTA_LABELS
        text = fields(copy)
        for number in NUMBER.findall(text):
            assert number in given, f"{number!r} was not given: {copy}"
        if "%" in text:
            assert "%" in given
        assert words(text) <= allowed, f"{words(text) - allowed} came from nowhere: {copy}"
        for word in words(text) & CLAIM_WORDS:
            assert word in given_words, f"{word!r} claimed without being given: {copy}"
        if re.search(r"[\"“”]", text):
            assert re.search(r"[\"“”'\u2018\u2019]|review:|testimonial:", given, re.IGNORECASE), (
                copy
            )
        leaked = INSTRUCTION.findall(text)
        assert not leaked, f"the brief's instructions {leaked} leaked into {copy}"
    assert len({(c.hook, c.headline, c.body_copy) for c in copies}) == 4, "variants differ"
    assert len({c.hook for c in copies}) == 4, "each variant has its own hook"


def test_the_template_vocabulary_states_no_facts() -> None:
    vocabulary = template_words()
    # "code" only in "Use code {code} at checkout": a code the merchant gave.
    assert vocabulary & CLAIM_WORDS <= {"code"}
    assert not any(ch.isdigit() for word in vocabulary for ch in word)


def test_the_references_brief_gets_copy_about_the_product_not_the_request() -> None:
    [copy] = write(
        "Create a direct response ad for this protein bar", [BAR], style("performance"), count=1
    )

    assert copy.style_name == "Performance Master"
    text = fields(copy)
    assert "Vigor Peak" in text or "protein bar" in text
    assert not re.search(r"create|direct response|\bad\b", text, re.IGNORECASE)
    assert copy.cta in ("Order now", "Shop now")


def test_the_brief_s_benefits_lead_the_variants_in_turn() -> None:
    copies = write(
        "Make an ad for busy parents about our lunchbox that keeps food warm and fits in any bag",
        [],
        style("benefit_stack"),
    )

    bodies = [copy.body_copy for copy in copies]
    assert all("Keeps food warm." in body and "Fits in any bag." in body for body in bodies)
    assert {copy.hook for copy in copies} & {"Keeps food warm", "Fits in any bag"}
    assert any("busy parents" in fields(copy) for copy in copies)


def test_an_offer_the_brief_states_is_the_message_with_its_code_and_deadline() -> None:
    copies = write(
        "Summer sale on our sneakers: 20% off everything until Sunday, use code SUMMER20",
        [SNEAKER],
        style("bold_offer"),
    )

    for copy in copies:
        assert "20% off everything" in fields(copy)
        assert "SUMMER20" in copy.body_copy
        assert "Sunday" in copy.body_copy
    assert copies[0].cta == "Get offer"


def test_the_offer_style_without_an_offer_promises_none() -> None:
    copies = write("Create a discount ad for the hoodie", [SNEAKER], style("bold_offer"))

    for copy in copies:
        text = fields(copy).lower()
        assert not re.search(r"%|\boff\b|sale|discount|save|deal|free|code|ends|limited", text)
        assert copy.cta != "Get offer"


def test_social_proof_quotes_only_the_quote_it_was_given() -> None:
    given = write(
        'Social proof ad with this review: "I wear it every day and it still looks new" - Maya R.',
        [SNEAKER],
        style("social_proof"),
    )
    for copy in given:
        assert "“I wear it every day and it still looks new.” — Maya R." in copy.body_copy

    without = write("Write a testimonial ad for the serum", [SERUM], style("social_proof"))
    for copy in without:
        text = fields(copy)
        assert not re.search(r"[\"“”]|customers?|reviews?|rated|stars|loved", text, re.I), copy


def test_stated_proof_from_the_brand_notes_is_used_as_written() -> None:
    copies = write(
        "Sell this", [SERUM], style("social_proof"), context="Rated 4.8 by 2,000 customers."
    )

    assert any("Rated 4.8 by 2,000 customers" in fields(copy) for copy in copies)


def test_a_comparison_names_the_ordinary_alternative_never_a_competitor() -> None:
    plastic = write(
        "Compare our steel bottle to single-use plastic. Keeps drinks cold for 24 hours.",
        [BOTTLE],
        style("comparison"),
    )
    assert all("single-use plastic" in fields(copy).lower() for copy in plastic)

    named = write("Comparison ad vs Nike for our running shoes", [SNEAKER], style("comparison"))
    assert not any("nike" in fields(copy).lower() for copy in named)
    assert all(copy.cta in ("Learn more", "Shop now") for copy in named)


def test_the_brand_notes_give_facts_but_their_instructions_stay_out() -> None:
    copies = write("Ad for our serum", [SERUM], style("performance"), context=AURA_NOTES)
    text = "\n".join(fields(copy) for copy in copies)

    assert "Skin, simplified" in text or "Vegan" in text or "Oslo" in text
    assert not re.search(r"tone|calm|exclamation|#1a2b3c|sage", text, re.IGNORECASE)


def test_the_style_sets_the_call_to_action() -> None:
    luxe = write("Minimal luxury ad for our ring", [RING], style("minimal_luxe"))
    assert {copy.cta for copy in luxe} <= {"Shop now", "Learn more"}
    asked = write("Subscribe and save 15% on Day Shift capsules", [SERUM], style("performance"))
    assert {copy.cta for copy in asked} == {"Subscribe"}


def test_the_same_seed_writes_the_same_copy_and_another_seed_other_copy() -> None:
    brief = "Protein bar ad: 20g protein, no added sugar, tastes like cookie dough"
    first = write(brief, [BAR], style("performance"), seed=3)

    assert write(brief, [BAR], style("performance"), seed=3) == first
    others = [write(brief, [BAR], style("performance"), seed=seed) for seed in range(4, 9)]
    assert any(other != first for other in others)


def test_long_facts_are_never_cut_inside_a_word() -> None:
    long_brief = BRIEFS[-1][0]
    product = replace(TOTE, name="Highland Merino Base Layer Long Sleeve Crew")
    given = words(input_text(long_brief, None, [product])) | template_words()
    for ad_style in STYLES:
        for copy in write(long_brief, [product], ad_style):
            for text in (copy.hook, copy.headline, copy.body_copy):
                assert words(text) <= given, (text, words(text) - given)


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        (
            "Keeps drinks cold. Fits cup holders. Leak-proof lid.",
            40,
            "Keeps drinks cold. Fits cup holders.",
        ),
        ("Regulates temperature on cold mountain mornings", 30, "Regulates temperature on cold"),
        ("Made for hikers and", 60, "Made for hikers and"),
        ("Built for hikers and climbers everywhere", 26, "Built for hikers"),
        ("Short", 40, "Short"),
    ],
)
def test_clip_words_cuts_between_words_and_drops_a_dangling_word(
    text: str, limit: int, expected: str
) -> None:
    assert clip_words(text, limit) == expected


@pytest.mark.parametrize("ad_style", STYLES, ids=[s.id for s in STYLES])
def test_the_copy_is_set_on_the_ad_without_an_ellipsis(ad_style: AdStyle) -> None:
    """The copy the layout gets fits it: on the tightest placement (a 9:16 story, with its safe
    zones) the fullest copy of each style is set whole, no field cut short."""
    width, height = AD_SIZES["9:16"]
    _, _, scene_width, scene_height = scene_box(ad_style, width, height, 1)
    scene = np.full((scene_height, scene_width, 3), 210, np.uint8)
    palette = ad_palette(ad_style, ["#224488"], None, None)
    briefs = [BRIEFS[1], BRIEFS[3], BRIEFS[4], BRIEFS[5]]  # offer, benefits, quote, comparison
    copies = [
        write(brief, [SNEAKER], ad_style, context=notes, count=1)[0] for brief, notes in briefs
    ]
    fullest = max(copies, key=lambda copy: len(fields(copy)))
    box = (scene_width // 4, scene_height // 4, scene_width // 2, scene_height // 2)

    ad = render_ad(AdRenderRequest(width, height, ad_style, fullest, scene, [box], palette))

    assert ad.texts, "the copy is on the ad"
    assert not [text.name for text in ad.texts if text.truncated], fullest


FUZZ_WORDS = re.split(
    r"\s+",
    (
        "create an ad for this our the protein bar sneakers 20% off code SAVE10 until Friday "
        'free shipping "love it" - Ann review vs plastic better than , . : ; ! ? — and with for '
        "busy parents keeps you full tastes great handmade in Italy Tagline: Rated 4.9 stars "
        "1,000 customers luxury minimal make it pop don't mention price 😀 über $15 off orders "
        "over $60 buy one get one free 'quoted bit' IMG_1.jpg #ff0000 https://x.com ends "
        "midnight today only limited time subscribe sign up"
    ),
)


def test_any_jumble_of_words_gives_copy_within_the_rules() -> None:
    """Briefs and notes drawn at random from offer, quote, figure, instruction and noise words
    (a fixed draw): every copy runs on Meta and states only whole figures it was given."""
    draw = random.Random(20261207)
    for number in range(400):
        brief = " ".join(draw.choices(FUZZ_WORDS, k=draw.randint(0, 40)))
        notes = " ".join(draw.choices(FUZZ_WORDS, k=draw.randint(0, 20))) if number % 2 else None
        products = draw.choice(PRODUCTS)
        ad_style = draw.choice(STYLES)
        count = draw.choice((1, 2, 4))
        request = CopyRequest(
            brief, ad_style.id, ad_style.name, ad_style.tone, ad_style.copy_shape, products, notes
        )
        for copy in write(brief, products, ad_style, context=notes, count=count, seed=number):
            assert copy_problems(copy) + invented_figures(copy, request) == [], (brief, notes)
