"""The embedded chat planner: messages read into plans of public-body tool calls, follow-ups on
the conversation, agents, products, and the reply written from the outcomes."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from krev.ads import schemas as ad_schemas
from krev.engines.chat import (
    MAX_CONCEPTS,
    TOOLS,
    ChatProduct,
    ChatRequest,
    ConversationContext,
    Plan,
    PriorConcept,
    PriorMedia,
    ToolCall,
    ToolOutcome,
)
from krev.engines.studio.chat import limits
from krev.engines.studio.chat.ideas import concept_ideas, image_idea
from krev.engines.studio.chat.parse import read_message
from krev.engines.studio.chat.planner import StudioPlanner, concept_brief
from krev.engines.studio.scene.prompt import understand_prompt
from krev.images import schemas as image_schemas
from krev.videos import schemas as video_schemas

SERUM = ChatProduct(
    id="11111111-1111-4111-8111-111111111111",
    name="Aurora Glow Serum",
    brand_name="Lumen",
    product_type="serum",
    category="beauty",
)
CANDLE = ChatProduct(
    id="22222222-2222-4222-8222-222222222222",
    name="Fig Candle",
    brand_name="Hearth",
    product_type="candle",
)
WALLET = ChatProduct(
    id="33333333-3333-4333-8333-333333333333",
    name="Leather Wallet",
    brand_name="Ridge",
    product_type="wallet",
)
NIGHT_SERUM = ChatProduct(
    id="44444444-4444-4444-8444-444444444444",
    name="Midnight Repair",
    brand_name="Lumen",
    product_type="serum",
)
CATALOG = (SERUM, CANDLE, WALLET)
REFERENCE = "Make three ad concepts for this product and include image ideas"

planner = StudioPlanner()


def plan(message: str, **fields: Any) -> Plan:
    fields.setdefault("agent", "auto")
    fields.setdefault("catalog", CATALOG)
    return planner.plan(ChatRequest(message=message, **fields))


def tools(result: Plan) -> list[str]:
    return [step.tool for step in result.steps]


def only(result: Plan, tool: str) -> dict[str, Any]:
    calls = [dict(step.args) for step in result.steps if step.tool == tool]
    assert len(calls) == 1, tools(result)
    return calls[0]


def conversation() -> ConversationContext:
    """A run that wrote three concepts for the serum."""
    brief = "Create an ad for this product"
    styles = ["performance", "social_proof", "benefit_stack"]
    ideas = concept_ideas(SERUM, brief, styles)
    concepts = tuple(
        PriorConcept(
            number=n,
            hook=f"Hook {n}",
            headline=f"Headline {n}",
            body_copy=f"Body {n}.",
            cta="Shop now",
            image_prompt=ideas[n - 1],
            style_id=styles[n - 1],
            product_ids=(SERUM.id,),
        )
        for n in (1, 2, 3)
    )
    return ConversationContext(
        concepts=concepts, product_ids=(SERUM.id,), previous_messages=(REFERENCE,)
    )


def _check_schema(call: ToolCall) -> None:
    """Every argument is one the tool's schema names, of its type."""
    spec = next(spec for spec in TOOLS if spec.name == call.tool)
    properties = spec.parameters["properties"]
    for key in spec.parameters.get("required", []):
        assert key in call.args, (call.tool, key)
    for key, value in call.args.items():
        assert key in properties, (call.tool, key)
        kind = properties[key].get("type")
        expected = {"string": str, "integer": int, "boolean": bool, "array": list}[kind]
        assert isinstance(value, expected), (call.tool, key, value)
        if "enum" in properties[key]:
            assert value in properties[key]["enum"]


# --- the reference example ---------------------------------------------------------------------


def test_the_reference_example_writes_three_concepts_and_renders_nothing() -> None:
    result = plan(REFERENCE, selected=(SERUM,))
    assert result.agent_used == "asset"
    assert tools(result) == ["write_concepts"]
    args = only(result, "write_concepts")
    assert args["count"] == 3
    assert args["product_ids"] == [SERUM.id]
    assert len(args["style_ids"]) == 3 and len(set(args["style_ids"])) == 3
    # The brief is the request as the ads copywriter reads one, without chat's own words.
    assert args["brief"] == "Create an ad for this product"
    assert result.notes == ()


@pytest.mark.parametrize(
    "follow",
    ["and render them", "and generate the images too", "then render them all"],
)
def test_render_them_adds_one_image_per_concept_with_its_image_idea(follow: str) -> None:
    result = plan(f"{REFERENCE}, {follow}", selected=(SERUM,))
    assert tools(result) == ["write_concepts"] + ["generate_images"] * 3
    concepts = only(result, "write_concepts")
    # What the domain's write_concepts stores as each concept's image_prompt.
    ideas = concept_ideas(SERUM, concepts["brief"], concepts["style_ids"])
    renders = [dict(step.args) for step in result.steps[1:]]
    assert [r["prompt"] for r in renders] == ideas
    assert all(r["product_id"] == SERUM.id for r in renders)
    assert "render" not in concepts["brief"].lower()


def test_render_them_keeps_the_asked_shape_and_preset() -> None:
    result = plan(f"{REFERENCE} on marble, 9:16, and render them", selected=(SERUM,))
    renders = [dict(s.args) for s in result.steps if s.tool == "generate_images"]
    assert len(renders) == 3
    assert {r["aspect_ratio"] for r in renders} == {"9:16"}
    assert {r["preset_id"] for r in renders} == {"marble"}
    assert all(understand_prompt(r["prompt"])["surface"] == "marble" for r in renders)


def test_every_planned_call_fits_its_tool_schema() -> None:
    messages = [
        f"{REFERENCE}, and render them",
        "3 ads in 9:16 for the candle, bold offer style",
        "a couple of vertical videos of the wallet, 10 second",
        "6 images of the serum in 4k, square, flat lay",
        "research competitors for vitamin c serums in the US",
        "how many credits do I have, and list my products",
    ]
    for message in messages:
        for call in plan(message).steps:
            _check_schema(call)


# --- reading counts, shapes and lengths -----------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "kind", "count"),
    [
        ("three concepts for the serum", "concepts", 3),
        ("Write 5 hooks for the serum", "concepts", 5),
        ("a couple of headlines", "concepts", 2),
        ("some ad copy", "concepts", None),
        ("3 ads for the candle", "ads", 3),
        ("an ad creative", "ads", 1),
        ("two videos of the wallet", "video", 2),
        ("a couple of vertical videos", "video", 2),
        ("a 15 second reel", "video", 1),
        ("a video ad for the serum", "video", 1),
        ("4 photos of the serum", "images", 4),
        ("a few product shots", "images", 3),
        ("twelve images", "images", 12),
    ],
)
def test_counts_in_words_and_digits(message: str, kind: str, count: int | None) -> None:
    asks = read_message(message).asks
    assert kind in asks
    assert asks[kind].count == count


@pytest.mark.parametrize(
    "message",
    [
        "include image ideas",
        "write concepts with photo prompts",
        "a hero shot on marble",
        "what's working in skincare ads?",
        "check the ad library",
        "leave copy space at the top",
    ],
)
def test_words_that_ask_for_no_media(message: str) -> None:
    asks = read_message(message).asks
    assert "images" not in asks and "ads" not in asks


@pytest.mark.parametrize(
    ("message", "ratio"),
    [
        ("a 9:16 video", "9:16"),
        ("vertical please", "9:16"),
        ("portrait", "9:16"),
        ("for an instagram story", "9:16"),
        ("a reel", "9:16"),
        ("square", "1:1"),
        ("landscape", "16:9"),
        ("widescreen", "16:9"),
        ("for youtube", "16:9"),
        ("4:5", "4:5"),
        ("for the feed", "4:5"),
        ("a product image", None),
        ("tell our brand story", None),
    ],
)
def test_aspect_ratios(message: str, ratio: str | None) -> None:
    assert read_message(message).aspect_ratio == ratio


@pytest.mark.parametrize(
    ("message", "seconds"),
    [
        ("a 10 second video", 10),
        ("15s video", 15),
        ("a ten-second clip", 10),
        ("fifteen seconds", 15),
        ("a video", None),
        ("the second video", None),
    ],
)
def test_durations(message: str, seconds: int | None) -> None:
    assert read_message(message).duration == seconds


@pytest.mark.parametrize(
    ("asked", "planned", "noted"),
    [
        (None, 5, False),
        (10, 10, False),
        (15, 15, False),
        (4, 4, False),
        (20, 15, True),
        (2, 4, True),
    ],
)
def test_video_durations_fit_what_videos_allow(
    asked: int | None, planned: int, noted: bool
) -> None:
    length = f", {asked} seconds" if asked else ""
    result = plan(f"a video of the serum{length}")
    assert only(result, "generate_video")["duration"] == planned
    assert any("seconds" in note for note in result.notes) is noted


def test_image_counts_round_up_to_an_allowed_count_and_say_so() -> None:
    three = plan("3 images of the serum")
    assert only(three, "generate_images")["image_count"] == 4
    assert any("sets of 1, 2 or 4" in note for note in three.notes)
    six = plan("6 images of the serum")
    assert only(six, "generate_images")["image_count"] == 4
    assert any("at most 4" in note for note in six.notes)
    two = plan("2 images of the serum")
    assert only(two, "generate_images")["image_count"] == 2
    assert two.notes == ()
    one = plan("an image of the serum")
    assert "image_count" not in only(one, "generate_images")


def test_ads_counts_and_shapes_fit_the_ads_body() -> None:
    result = plan("3 ads in 16:9 for the candle")
    args = only(result, "generate_ads")
    assert args["product_ids"] == [CANDLE.id]
    assert args["image_count"] == 4
    assert args["aspect_ratio"] == "1:1"  # ads come in 1:1, 4:5 and 9:16
    assert args["brief"] == "Create an ad for the candle"
    assert any("16:9 became 1:1" in note for note in result.notes)
    story = only(plan("an ad for the candle for instagram stories"), "generate_ads")
    assert story["aspect_ratio"] == "9:16"


def test_images_shape_fits_the_images_body() -> None:
    result = plan("an image of the serum, 4:5")
    assert only(result, "generate_images")["aspect_ratio"] == "3:4"
    assert any("4:5 became 3:4" in note for note in result.notes)


def test_concepts_are_capped() -> None:
    result = plan("write 10 concepts for the serum")
    args = only(result, "write_concepts")
    assert args["count"] == MAX_CONCEPTS
    assert len(set(args["style_ids"])) == MAX_CONCEPTS
    assert any("at most 6" in note for note in result.notes)


def test_a_bare_plural_writes_three_concepts() -> None:
    assert only(plan("write some hooks for the serum"), "write_concepts")["count"] == 3


def test_looks_and_styles_become_tool_arguments() -> None:
    flat = only(plan("4 images of the serum, flat lay"), "generate_images")
    assert flat["preset_id"] == "flat_lay"
    assert understand_prompt(flat["prompt"], "flat_lay")["camera"] == "top_down"
    dark = only(plan("an image of the candle, dark marble"), "generate_images")
    assert dark["preset_id"] == "dark_luxe"
    offer = only(plan("2 ads for the candle in the bold offer style"), "generate_ads")
    assert offer["style_id"] == "bold_offer"
    luxe = only(plan("three concepts for the serum, one minimal luxe"), "write_concepts")
    assert luxe["style_ids"][0] == "minimal_luxe"
    hd = only(plan("an image of the serum in 4k"), "generate_images")
    assert hd["hd"] is True


def test_videos_are_of_one_product_with_a_shape_and_a_length() -> None:
    result = plan("a couple of vertical videos of the wallet, 10 second")
    videos = [dict(s.args) for s in result.steps]
    assert tools(result) == ["generate_video", "generate_video"]
    assert all(v["product_id"] == WALLET.id for v in videos)
    assert all(v["aspect_ratio"] == "9:16" and v["duration"] == 10 for v in videos)
    assert videos[0]["prompt"] != videos[1]["prompt"]
    tiktok = only(plan("a tiktok of the candle"), "generate_video")
    assert tiktok["aspect_ratio"] == "9:16"
    ugc = only(plan("an unboxing video of the candle"), "generate_video")
    assert "UGC" in ugc["prompt"]


# --- follow-ups ----------------------------------------------------------------------------------


def test_make_the_second_one_darker() -> None:
    context = conversation()
    result = plan("make the second one darker", context=context)
    args = only(result, "generate_images")
    assert args["product_id"] == SERUM.id
    before = understand_prompt(context.concepts[1].image_prompt)
    after = understand_prompt(args["prompt"])
    assert after["tone"] == "dark" and after["lighting"] == "low_key"
    assert after["surface"] == before["surface"]
    assert after["props"] == before["props"]


def test_without_concepts_a_follow_up_acts_on_the_prior_media() -> None:
    prompts = (
        "Fig Candle on raw concrete, dramatic rim light",
        "Fig Candle on an oak tabletop, soft window light",
    )
    media = tuple(
        PriorMedia("image", f"gen-{n}", prompt, (CANDLE.id,))
        for n, prompt in enumerate(prompts, start=1)
    )
    context = ConversationContext(media=media, product_ids=(CANDLE.id,))
    args = only(plan("make the second one darker", context=context), "generate_images")
    assert args["product_id"] == CANDLE.id
    spec = understand_prompt(args["prompt"])
    assert spec["surface"] == "wood" and spec["tone"] == "dark"
    last = only(plan("make it brighter", context=context), "generate_images")
    assert understand_prompt(last["prompt"])["lighting"] == "high_key"
    assert "oak" in last["prompt"]


def test_now_a_vertical_video_of_it() -> None:
    result = plan("now a 9:16 video of it", context=conversation())
    args = only(result, "generate_video")
    assert args["product_id"] == SERUM.id
    assert args["aspect_ratio"] == "9:16"
    assert args["duration"] == 5
    assert result.agent_used == "asset"


def test_another_one_like_the_first_but_on_marble() -> None:
    context = conversation()
    result = plan("another one like the first but on marble", context=context)
    args = only(result, "generate_images")
    assert args["preset_id"] == "marble"
    spec = understand_prompt(args["prompt"], "marble")
    first = understand_prompt(context.concepts[0].image_prompt)
    assert spec["surface"] == "marble"
    assert spec["camera"] == first["camera"] and spec["props"] == first["props"]


@pytest.mark.parametrize(
    ("message", "numbers"),
    [
        ("render them", [1, 2, 3]),
        ("render the first two", [1, 2]),
        ("render concepts 1 and 3", [1, 3]),
        ("render the third", [3]),
        ("render the last one", [3]),
        ("render both", [1, 2]),
    ],
)
def test_render_follow_ups_pick_the_concepts(message: str, numbers: list[int]) -> None:
    context = conversation()
    result = plan(message, context=context)
    prompts = [s.args["prompt"] for s in result.steps]
    assert tools(result) == ["generate_images"] * len(numbers)
    assert prompts == [context.concepts[n - 1].image_prompt for n in numbers]


def test_a_concept_that_does_not_exist_is_noted() -> None:
    result = plan("render the fifth one", context=conversation())
    assert result.steps == ()
    assert any("no concept 5" in note for note in result.notes)


def test_three_more_concepts_try_styles_not_used_yet() -> None:
    context = conversation()
    args = only(plan("three more concepts", context=context), "write_concepts")
    assert args["product_ids"] == [SERUM.id]
    used = {c.style_id for c in context.concepts}
    assert not used & set(args["style_ids"])


def test_a_product_named_afresh_is_not_a_follow_up() -> None:
    args = only(plan("4 images of the fig candle", context=conversation()), "generate_images")
    assert args["product_id"] == CANDLE.id
    assert args["image_count"] == 4


def test_meta_changes_are_noted_never_planned() -> None:
    for message in (
        "launch them on facebook",
        "publish the second one to instagram",
        "pause my campaign",
        "increase the budget to $50",
    ):
        result = plan(message, context=conversation())
        assert result.steps == (), message
        assert any("can't change Meta campaigns" in note for note in result.notes)
    # Ads *for* Instagram are creative work, not a change to Meta.
    ads = plan("2 ads for the serum to post on instagram")
    assert tools(ads) == ["generate_ads"]
    assert not any("Meta" in note for note in ads.notes)


# --- agents ---------------------------------------------------------------------------------------


def test_auto_researches_with_discover() -> None:
    result = plan("research what competitors are doing with vitamin c serums in the UK")
    assert result.agent_used == "discover"
    assert tools(result) == ["list_products", "research_ad_library"]
    research = only(result, "research_ad_library")
    assert research["search_terms"] == "vitamin c serums"
    assert research["countries"] == ["GB"]


def test_auto_with_research_and_media_is_asset() -> None:
    result = plan("look at competitor ads for the candle and make 2 ads like them")
    assert result.agent_used == "asset"
    assert tools(result) == ["research_ad_library", "generate_ads"]
    assert only(result, "generate_ads")["product_ids"] == [CANDLE.id]


def test_discover_searches_for_the_product_and_renders_nothing() -> None:
    result = plan("4 images please", agent="discover", selected=(SERUM,))
    assert result.agent_used == "discover"
    assert tools(result) == ["list_products", "research_ad_library"]
    assert only(result, "research_ad_library")["search_terms"] == "serum"
    assert any("renders nothing" in note for note in result.notes)


def test_discover_writes_concepts_but_does_not_render_them() -> None:
    result = plan(f"{REFERENCE}, and render them", agent="discover", selected=(SERUM,))
    assert tools(result) == ["list_products", "research_ad_library", "write_concepts"]


def test_asset_named_explicitly() -> None:
    result = plan("what's working for candles?", agent="asset")
    assert result.agent_used == "asset"
    assert tools(result) == ["research_ad_library"]


def test_products_and_credits() -> None:
    result = plan("list my products and how many credits do I have?")
    assert result.agent_used == "asset"
    assert tools(result) == ["check_credits", "list_products"]
    assert only(result, "list_products") == {}


# --- products -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "product"),
    [
        ("3 concepts for the Aurora Glow Serum", SERUM),
        ("an image of the serum", SERUM),
        ("an image of the Lumen serum", SERUM),
        ("an image of the candles", CANDLE),
        ("a video of the Ridge wallet", WALLET),
        ("an ad for Hearth", CANDLE),
    ],
)
def test_a_product_named_in_the_message(message: str, product: ChatProduct) -> None:
    result = plan(message)
    step = result.steps[0]
    ids = step.args.get("product_ids") or [step.args.get("product_id")]
    assert ids == [product.id]


def test_two_products_named_are_both_used() -> None:
    args = only(plan("an image of the candle and the wallet"), "generate_images")
    assert args["product_ids"] == [CANDLE.id, WALLET.id]


def test_selected_products_come_first() -> None:
    args = only(plan("an image of the candle", selected=(WALLET,)), "generate_images")
    assert args["product_id"] == WALLET.id


def test_an_ambiguous_product_is_asked_about() -> None:
    result = plan("an image of the serum", catalog=(SERUM, NIGHT_SERUM, CANDLE))
    assert result.steps == ()
    assert any("fits several" in n and "Midnight Repair" in n for n in result.notes)
    # Naming it settles it.
    named = plan("an image of Midnight Repair", catalog=(SERUM, NIGHT_SERUM, CANDLE))
    assert only(named, "generate_images")["product_id"] == NIGHT_SERUM.id


def test_no_product_plans_no_media_and_asks_which() -> None:
    result = plan("make 2 images")
    assert result.steps == ()
    assert any("Which product?" in n and "Aurora Glow Serum" in n for n in result.notes)
    concepts = plan(REFERENCE)
    assert tools(concepts) == ["write_concepts"]
    assert "product_ids" not in only(concepts, "write_concepts")
    assert any("brief alone" in note for note in concepts.notes)
    rendered = plan(f"{REFERENCE} and render them")
    assert tools(rendered) == ["write_concepts"]
    assert any("Which product?" in note for note in rendered.notes)
    empty = plan("make 2 images", catalog=())
    assert any("no ready product" in note for note in empty.notes)


def test_the_only_product_and_the_conversation_s_product_are_used_and_said() -> None:
    only_one = plan("2 images", catalog=(CANDLE,))
    assert only(only_one, "generate_images")["product_id"] == CANDLE.id
    assert any("one product, Fig Candle" in note for note in only_one.notes)
    context = ConversationContext(product_ids=(WALLET.id,))
    earlier = plan("a 10 second video", context=context)
    assert only(earlier, "generate_video")["product_id"] == WALLET.id
    assert any("Leather Wallet" in note for note in earlier.notes)


def test_nothing_to_do_is_said() -> None:
    result = plan("hello there")
    assert result.steps == ()
    assert result.notes and "didn't find anything to make" in result.notes[0]


# --- briefs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "brief"),
    [
        (REFERENCE, "Create an ad for this product"),
        (
            "Make three ad concepts for this serum, 20% off this weekend",
            "Create an ad for this serum, 20% off this weekend",
        ),
        ("3 ads for the candle in 9:16", "Create an ad for the candle"),
        ("Write 3 hooks for busy moms and render them", "Create an ad for busy moms"),
        ("Three concepts please", "Create an ad for Aurora Glow Serum"),
    ],
)
def test_briefs_drop_what_only_chat_reads(message: str, brief: str) -> None:
    assert concept_brief(message, SERUM) == brief


# --- the reply ------------------------------------------------------------------------------------


def _concepts_for(call: ToolCall) -> list[dict[str, str]]:
    ideas = concept_ideas(SERUM, call.args["brief"], call.args["style_ids"])
    return [
        {
            "hook": f"Hook number {n}",
            "headline": f"Headline number {n}",
            "body_copy": f"Body copy number {n}.",
            "cta": "Shop now",
            "style_id": style,
            "style_name": style.replace("_", " ").title(),
            "image_prompt": ideas[n - 1],
        }
        for n, style in enumerate(call.args["style_ids"], start=1)
    ]


def test_the_reply_lists_the_concepts_and_suggests_rendering() -> None:
    request = ChatRequest(message=REFERENCE, agent="auto", selected=(SERUM,))
    result = planner.plan(request)
    outcomes = [ToolOutcome(result.steps[0], {"concepts": _concepts_for(result.steps[0])})]
    text = planner.reply(request, result, outcomes)
    assert text.startswith("I wrote 3 ad concepts for Aurora Glow Serum.")
    for n in (1, 2, 3):
        assert f"{n}. **Hook number {n}**" in text
        assert f"Headline: Headline number {n}" in text
        assert f"Body: Body copy number {n}." in text
    assert text.count("CTA: Shop now") == 3
    assert text.count("Image idea: Aurora Glow Serum on") == 3
    assert "render them" in text
    assert planner.reply(request, result, outcomes) == text  # deterministic


def test_the_reply_reports_renders_and_explains_errors() -> None:
    request = ChatRequest(message=f"{REFERENCE}, and render them", agent="auto", selected=(SERUM,))
    result = planner.plan(request)
    steps = result.steps
    outcomes = [
        ToolOutcome(steps[0], {"concepts": _concepts_for(steps[0])}),
        ToolOutcome(
            steps[1],
            {"generation_id": "gen-a", "kind": "image", "status": "queued", "credits_reserved": 10},
        ),
        ToolOutcome(
            steps[2],
            {"generation_id": "gen-b", "kind": "image", "status": "queued", "credits_reserved": 10},
        ),
        ToolOutcome(
            steps[3],
            error="this run may spend 20 credits and has spent 20",
            error_code="run_budget_exceeded",
        ),
    ]
    text = planner.reply(request, result, outcomes)
    assert "started 2 renders" in text and "1 step failed" in text
    assert "1 image for concept 1: generation `gen-a`, queued, 10 credits reserved" in text
    assert "generation `gen-b`" in text
    assert "20 credits reserved in all." in text
    assert "1 image for concept 3 didn't start: it would go over this run's credit budget" in text
    assert "this run may spend 20 credits and has spent 20" in text
    assert "make the second one darker" in text


def test_the_reply_gives_notes_research_products_and_credits() -> None:
    request = ChatRequest(message="what's working for serums? and how many credits", agent="auto")
    result = planner.plan(request)
    assert tools(result) == ["check_credits", "list_products", "research_ad_library"]
    outcomes = [
        ToolOutcome(result.steps[0], {"balance": 1200, "run_budget_left": 500}),
        ToolOutcome(result.steps[1], {"products": [{"id": SERUM.id, "name": SERUM.name}]}),
        ToolOutcome(
            result.steps[2], {"ads": [{"page_name": "Glowy", "body": "Brighter skin in 7 days"}]}
        ),
    ]
    text = planner.reply(request, result, outcomes)
    assert "You have **1,200 credits**." in text
    assert "Run budget left: 500" in text
    assert "Glowy: \u201cBrighter skin in 7 days\u201d" in text
    assert SERUM.name in text and SERUM.id in text
    no_product = ChatRequest(message="make 2 images", agent="auto", catalog=CATALOG)
    asked = planner.reply(no_product, planner.plan(no_product), [])
    assert "Which product?" in asked


def test_the_reply_explains_an_error_without_a_code() -> None:
    request = ChatRequest(message="a video of the candle", agent="auto", catalog=CATALOG)
    result = planner.plan(request)
    outcome = ToolOutcome(result.steps[0], error="The video engine is not configured")
    text = planner.reply(request, result, [outcome])
    assert "I couldn't do what you asked" in text
    failed = "A 5-second video of Fig Candle didn't start: The video engine is not configured."
    assert failed in text


# --- mirrors of the public bodies ---------------------------------------------------------------


def test_the_limits_mirror_the_public_schemas() -> None:
    assert get_args(image_schemas.AspectRatio) == limits.IMAGE_ASPECT_RATIOS
    assert get_args(video_schemas.VideoAspectRatio) == limits.VIDEO_ASPECT_RATIOS
    assert limits.AD_ASPECT_RATIOS == ad_schemas.ASPECT_RATIOS
    assert limits.VIDEO_MIN_SECONDS == video_schemas.MIN_DURATION
    assert limits.VIDEO_MAX_SECONDS == video_schemas.MAX_DURATION
    assert limits.MAX_PRODUCTS == image_schemas.MAX_PRODUCTS == ad_schemas.MAX_PRODUCTS
    default = video_schemas.VideoRequest.model_fields["duration"].default
    assert default == limits.VIDEO_DEFAULT_SECONDS


def test_image_ideas_for_a_plan_do_not_depend_on_the_planner() -> None:
    # The domain calls image_idea with what the write_concepts call carries.
    call = plan(f"{REFERENCE}, and render them", selected=(SERUM,)).steps[0]
    first = image_idea(SERUM, call.args["style_ids"][0], call.args["brief"], 1)
    assert first == plan(f"{REFERENCE}, and render them", selected=(SERUM,)).steps[1].args["prompt"]
