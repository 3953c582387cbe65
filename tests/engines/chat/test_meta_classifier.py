"""The Meta-mutation classifier at the chat API's intake: every fixture phrasing classified
right, the refusal naming what was asked and what the API can do instead, and properties that
hold for any request (case, punctuation, negation, request forms, the user's own plans,
Meta's spellings and money)."""

from __future__ import annotations

import re
import time

import pytest

from krev.engines.studio.chat.meta import MetaMutation, meta_mutation, refusal_message
from tests.engines.chat.meta_phrasings import (
    ALLOWED,
    ALLOWED_HELDOUT,
    REFUSED,
    REFUSED_HELDOUT,
)

ALL_REFUSED = REFUSED + REFUSED_HELDOUT
ALL_ALLOWED = ALLOWED + ALLOWED_HELDOUT


def test_the_fixture_is_large_and_a_third_of_it_held_out() -> None:
    assert len(ALL_REFUSED) >= 40
    assert len(ALL_ALLOWED) >= 40
    assert len(REFUSED_HELDOUT) * 3 >= len(ALL_REFUSED) - 2
    assert len(ALLOWED_HELDOUT) * 3 >= len(ALL_ALLOWED) - 2
    everything = ALL_REFUSED + ALL_ALLOWED
    assert len(set(everything)) == len(everything)


@pytest.mark.parametrize("message", ALL_REFUSED)
def test_a_meta_change_is_refused(message: str) -> None:
    mutation = meta_mutation(message)
    assert mutation is not None
    assert mutation.phrase
    assert mutation.phrase in message  # the message's own words, quoted


@pytest.mark.parametrize("message", ALL_ALLOWED)
def test_creative_research_and_questions_pass(message: str) -> None:
    assert meta_mutation(message) is None


# The brief's examples, with what each asks for.
EXAMPLES = [
    ("Launch this on Meta", "launch", "ad"),
    ("Raise my budget to $50/day", "budget", "budget"),
    ("Pause the campaign", "pause", "campaign"),
    ("Publish these ads to my Facebook ad account", "publish", "ad"),
    ("turn off ad set 2", "pause", "ad_set"),
    ("Duplicate my best ad set", "duplicate", "ad_set"),
    ("Set the bid cap to $2.50", "bid", "bid"),
    ("Add my team to the ad account", "account", "account"),
    ("Boost this post", "boost", "post"),
    ("Schedule the campaign for Friday", "schedule", "campaign"),
    ("Delete the ad", "delete", "ad"),
    ("Scale the winning campaign", "scale", "campaign"),
    ("Make 3 ads and launch them on Meta", "launch", "ad"),
    ("Please change the targeting to women 25-34 in the US.", "audience", "audience"),
]


@pytest.mark.parametrize(("message", "action", "target"), EXAMPLES)
def test_what_was_asked_is_named(message: str, action: str, target: str) -> None:
    mutation = meta_mutation(message)
    assert mutation is not None
    assert (mutation.action, mutation.target) == (action, target)


@pytest.mark.parametrize(
    ("message", "asked"),
    [
        ("Pause the campaign", "pause a campaign"),
        ("Raise my budget to $50/day", "raise a budget"),
        ("Set the bid cap to $2.50", "set a bid cap"),
        ("Boost this post", "boost a post"),
        ("turn off ad set 2", "pause an ad set"),
        ("Launch this on Meta", "launch ads on Meta"),
        ("Delete the ad", "delete an ad"),
        ("Duplicate my best ad set", "duplicate an ad set"),
        ("Add my team to the ad account", "manage an ad account"),
        ("go ahead and turn the campaign back on", "turn a campaign back on"),
        ("Schedule the campaign for Friday", "schedule a campaign"),
    ],
)
def test_the_refusal_names_the_action(message: str, asked: str) -> None:
    mutation = meta_mutation(message)
    assert mutation is not None
    assert asked in refusal_message(mutation)


@pytest.mark.parametrize("message", ALL_REFUSED)
def test_the_refusal_says_what_the_api_can_do(message: str) -> None:
    mutation = meta_mutation(message)
    assert mutation is not None
    sentence = refusal_message(mutation)
    assert sentence.startswith("Krev's chat API can't ")
    for words in (
        "campaigns, ad sets, ads, budgets or accounts",
        "products",
        "credits",
        "images",
        "videos",
        "ad creative with copy",
        "Meta Ad Library",
        "upload the finished creative in Meta Ads Manager",
    ):
        assert words in sentence
    assert len(re.findall(r"[.!?](?:\s|$)", sentence)) <= 2


def test_refusal_message_reads_any_mutation() -> None:
    for action in [
        "launch",
        "publish",
        "boost",
        "resume",
        "pause",
        "delete",
        "duplicate",
        "scale",
        "budget",
        "bid",
        "edit",
        "audience",
        "schedule",
        "create",
        "account",
        "appeal",
    ]:
        for target in [
            "campaign",
            "ad_set",
            "ad",
            "post",
            "budget",
            "bid",
            "audience",
            "placement",
            "schedule",
            "account",
        ]:
            sentence = refusal_message(MetaMutation(action, target, "do it"))
            assert sentence.startswith("Krev's chat API can't ")
            assert "_" not in sentence


# --- properties -------------------------------------------------------------------------------

# Imperatives the properties below are built on, each with what it asks for.
IMPERATIVES = [
    ("pause the campaign", "pause", "campaign"),
    ("raise my budget to $50/day", "budget", "budget"),
    ("turn off ad set 2", "pause", "ad_set"),
    ("duplicate my best ad set", "duplicate", "ad_set"),
    ("set the bid cap to $2", "bid", "bid"),
    ("boost this post", "boost", "post"),
    ("schedule the campaign for Friday", "schedule", "campaign"),
    ("delete the ad", "delete", "ad"),
    ("scale the winning campaign", "scale", "campaign"),
    ("launch these ads on Meta", "launch", "ad"),
    ("publish the ads to my ad account", "publish", "ad"),
    ("change the targeting to women 25-34", "audience", "audience"),
    ("add my team to the ad account", "account", "account"),
]
IMPERATIVE_IDS = [imperative for imperative, _, _ in IMPERATIVES]


def _asked(message: str) -> tuple[str, str] | None:
    mutation = meta_mutation(message)
    return None if mutation is None else (mutation.action, mutation.target)


@pytest.mark.parametrize("message", ALL_REFUSED + ALL_ALLOWED)
def test_case_does_not_matter(message: str) -> None:
    asked = _asked(message)
    assert _asked(message.upper()) == asked
    assert _asked(message.lower()) == asked
    assert _asked(message.title()) == asked


@pytest.mark.parametrize("message", ALL_REFUSED + ALL_ALLOWED)
def test_end_punctuation_does_not_matter(message: str) -> None:
    asked = _asked(message)
    bare = message.rstrip(".!?")
    assert _asked(bare) == asked
    assert _asked(bare + "!") == asked
    assert _asked(bare + "...") == asked


@pytest.mark.parametrize(("imperative", "action", "target"), IMPERATIVES, ids=IMPERATIVE_IDS)
@pytest.mark.parametrize(
    "form",
    [
        "{}",
        "Please {}",
        "Can you {}?",
        "could you please {}",
        "I want you to {}",
        "I'd like you to {}",
        "Go ahead and {}",
        "Hey Krev, {} asap",
        "{} please",
        "Let's {}",
        "Great work on the ads. Now {}.",
        "Make 3 new ads and {}",
        "Write the copy, then {}",
    ],
)
def test_request_forms_are_refused(imperative: str, action: str, target: str, form: str) -> None:
    assert _asked(form.format(imperative)) == (action, target)


@pytest.mark.parametrize(("imperative", "action", "target"), IMPERATIVES, ids=IMPERATIVE_IDS)
@pytest.mark.parametrize(
    "form",
    [
        "Don't {}",
        "do not {}",
        "Please don't {}, just write new copy",
        "Never {} without asking me",
        "No need to {}",
        "Should I {}?",
        "How do I {}?",
        "How can I {} in Ads Manager?",
        "I'll {} myself",
        "I'm going to {} tomorrow, make new creative",
        "We plan to {} next week",
        "Make three ads so I can {} later",
        "What happens if I {}?",
        "Do you think we should {}?",
        "My manager asked me to {}. Can you make a video for the serum?",
    ],
)
def test_negations_questions_and_own_plans_pass(
    imperative: str, action: str, target: str, form: str
) -> None:
    assert _asked(form.format(imperative)) is None


@pytest.mark.parametrize(
    "message",
    [
        "My campaign was paused, make new creative",
        "Meta paused my ad, write a compliant version",
        "I paused ad set 2 yesterday; what angles should I test next?",
        "We raised the budget to $80/day last week. Make 4 more ads.",
        "The campaign got turned off by Meta. Make fresh videos.",
        "I already launched these on Instagram, now I need a 9:16 video",
        "Our ad account was disabled; can you still make images?",
    ],
)
def test_reports_of_what_happened_pass(message: str) -> None:
    assert meta_mutation(message) is None


@pytest.mark.parametrize(
    "message",
    [
        "turn off ad set 2",
        "turn off adset 2",
        "turn off ad-set 2",
        "Turn off AD SET 2",
        "turn ad set 2 off",
        "turn off adsets 2 and 3",
    ],
)
def test_ad_set_spellings(message: str) -> None:
    assert _asked(message) == ("pause", "ad_set")


@pytest.mark.parametrize(
    "message",
    [
        "publish these to FB",
        "post this on IG",
        "upload the ads to Ads Manager",
        "upload the ads to ads-manager",
        "send the creatives to Business Manager",
        "push the ads to my ad account",
        "publish these to Insta",
    ],
)
def test_meta_spellings(message: str) -> None:
    assert meta_mutation(message) is not None


@pytest.mark.parametrize(
    "message",
    [
        "raise ad set 2 to $50/day",
        "raise ad set 2 to $50 a day",
        "raise ad set 2 to 50 dollars a day",
        "raise ad set 2 to €40 per day",
        "raise ad set 2 to £30/day",
        "raise ad set 2 to $1,000",
        "raise ad set 2 by 20%",
        "put $50 a day behind ad set 2",
        "spend $1.5k on ad set 2",
    ],
)
def test_amounts(message: str) -> None:
    mutation = meta_mutation(message)
    assert mutation is not None
    assert (mutation.action, mutation.target) == ("budget", "ad_set")


# Decided on purpose (see the module's docstring): the line between making creative for Meta
# and acting on Meta where the words alone are ambiguous.
@pytest.mark.parametrize(
    ("message", "refused"),
    [
        ("Update the ad with a warmer palette", False),
        ("Update the live ad with a warmer palette", True),
        ("Change the headline on my running ad", True),
        ("Remove the logo from the ad", False),
        ("Delete the ad", True),
        ("Create a Facebook campaign for my serum", False),
        ("Create a campaign on Meta for my serum", True),
        ("Set up a campaign with a $30 daily budget", True),
        ("Target busy moms with a warm tone", False),
        ("Target women 25-34 on Facebook", True),
        ("Launch our new serum on Instagram with 3 bold ads", False),
        ("Launch these ads", True),
        ("I want to raise my budget to $60", True),
        ("I need to launch this by Friday, make the creatives", False),
        ("Make an ad set in a cozy kitchen", False),
        ("Make a new ad set for Texas", True),
        ("Launch these ads on TikTok", False),
        ("What budget would you suggest for testing these?", False),
        ("Make three ad concepts I can launch on Meta later myself", False),
    ],
)
def test_documented_edge_cases(message: str, refused: bool) -> None:
    assert (meta_mutation(message) is not None) is refused


def test_it_is_deterministic() -> None:
    for message in ALL_REFUSED + ALL_ALLOWED:
        assert meta_mutation(message) == meta_mutation(message)


def test_it_is_fast() -> None:
    messages = ALL_REFUSED + ALL_ALLOWED
    meta_mutation(messages[0])
    start = time.perf_counter()
    for _ in range(5):
        for message in messages:
            meta_mutation(message)
    per_message = (time.perf_counter() - start) / (5 * len(messages))
    assert per_message < 0.001


def test_an_empty_or_odd_message_passes() -> None:
    for message in ("", "   ", "?!", "...", "🙂", "$50", "ad set", "Meta"):
        assert meta_mutation(message) is None
