"""The chat page in Chromium: a conversation from three concepts to a rendered image, kept
across a reload, a Meta change refused in the page, markup in a message shown as text, another
user's conversation a 404 page, and the same conversation on a phone."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import Dashboard, assert_accessible, assert_fits
from tests.conftest import Account
from tests.images.conftest import BLUE_BOX, create_product

CONCEPTS = "Make three ad concepts for this product and include image ideas"
RENDER = "render the first one as an image"  # the studio planner's follow-up wording
META_CHANGE = "raise my budget on Meta"
MARKUP = "<img src=x onerror=alert(1)> write two ad concepts"
CONVERSATION_URL = re.compile(r"/dashboard/chat/[0-9a-f-]{36}$")


def send(page: Page, message: str) -> None:
    page.get_by_label("Message").fill(message)
    page.get_by_role("button", name="Send").click()


def image_loaded(page: Page) -> None:
    """The rendered image is decoded in the page (not a broken link). Images load lazily: it
    is brought into view first, as a reader scrolling to it would."""
    page.locator("#transcript img.chat-image").first.scroll_into_view_if_needed()
    page.wait_for_function(
        """() => [...document.querySelectorAll('.transcript img.chat-image')]
            .some((img) => img.complete && img.naturalWidth > 0)"""
    )


def refusal(dashboard: Dashboard, account: Account) -> str:
    """What the API itself answers to a Meta change: the sentence the page must show."""
    with dashboard.api(account.key) as client:
        answer = client.post("/api/v1/chat", json={"message": META_CHANGE})
    assert answer.status_code == 403 and answer.json()["code"] == "meta_mutation_forbidden"
    sentence: str = answer.json()["error"]
    return sentence


def test_concepts_then_an_image_then_a_reload_and_a_phone(
    dashboard: Dashboard, phone: Dashboard, account: Account
) -> None:
    with dashboard.api(account.key) as client:
        product: dict[str, Any] = create_product(client, account, BLUE_BOX)
    dashboard.log_in(account)
    page = dashboard.open("/dashboard/chat")
    expect(page.get_by_role("heading", name="New conversation")).to_be_visible()

    page.get_by_label(product["name"]).check()
    page.get_by_label("Agent").select_option("asset")
    send(page, CONCEPTS)
    # The conversation has an address at once; its run is followed to the reply.
    expect(page).to_have_url(CONVERSATION_URL)
    transcript = page.locator("#transcript")
    concepts = transcript.locator(".concept")
    expect(concepts).to_have_count(3)
    for card in concepts.all():
        for field in ("Hook", "Headline", "Body", "Call to action", "Image idea"):
            expect(card.locator("dt", has_text=field)).to_have_count(1)
    expect(transcript.locator(".message.user")).to_have_text(re.compile(CONCEPTS))
    expect(page.locator("#conversations a[aria-current=page]")).to_contain_text(CONCEPTS)
    expect(page.get_by_role("button", name="Send")).to_be_enabled()

    # A follow-up renders the first concept's image idea: shown inline, decoded.
    page.get_by_label("Message").fill(RENDER)
    page.get_by_label("Message").press("Enter")
    expect(transcript.locator(".chat-image")).to_have_count(1)
    image_loaded(page)
    expect(transcript.locator(".chat-media .badge")).to_have_text("succeeded")
    expect(transcript.locator(".run-facts").last).to_contain_text("40 credits")
    conversation = page.url

    # A reload shows the same conversation, its concepts and its image.
    page.reload()
    expect(page.get_by_role("heading", name=CONCEPTS)).to_be_visible()
    expect(concepts).to_have_count(3)
    image_loaded(page)
    expect(transcript.locator(".message")).to_have_count(4)

    # A Meta change is refused with the API's sentence; nothing joins the transcript.
    dashboard.problems.expected.append("403")
    sentence = refusal(dashboard, account)
    send(page, META_CHANGE)
    expect(page.locator("#chat-error")).to_have_text(sentence)
    expect(page.get_by_label("Message")).to_have_value(META_CHANGE)  # kept, to edit
    expect(transcript.locator(".message")).to_have_count(4)
    assert page.url == conversation

    # The same conversation on a phone: readable, nothing off the screen.
    phone.log_in(account)
    small = phone.open(conversation.removeprefix(phone.url))
    expect(small.locator("#transcript .concept")).to_have_count(3)
    image_loaded(small)
    assert_fits(small)
    assert_accessible(small)


def test_markup_is_text_and_another_users_conversation_is_not_found(
    dashboard: Dashboard, account: Account, make_account: Callable[..., Account]
) -> None:
    other = make_account()
    with dashboard.api(other.key) as client:
        theirs = client.post("/api/v1/chat", json={"message": "write two ad concepts"})
    assert theirs.status_code == 202, theirs.text
    dashboard.log_in(account)

    page = dashboard.open("/dashboard/chat")
    send(page, MARKUP)
    expect(page).to_have_url(CONVERSATION_URL)
    expect(page.locator("#transcript .message.user .message-text")).to_have_text(MARKUP)
    expect(page.locator("#conversations a").first).to_contain_text(MARKUP)
    expect(page.locator(".message.assistant .reply")).not_to_be_empty()
    assert page.locator("img[src=x]").count() == 0

    # "New conversation" leaves it; the back button returns to it.
    page.get_by_role("button", name="New conversation").click()
    expect(page).to_have_url(dashboard.url + "/dashboard/chat")
    expect(page.locator("#transcript .message")).to_have_count(0)
    page.go_back()
    expect(page.locator("#transcript .message.user .message-text")).to_have_text(MARKUP)

    dashboard.problems.expected.append("404")
    conversation_id = theirs.json()["data"]["conversation_id"]
    page = dashboard.open(f"/dashboard/chat/{conversation_id}")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_text("There is no conversation here")).to_be_visible()
