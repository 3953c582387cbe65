"""The Generations gallery and a generation's page in Chromium: images that load, videos that
play, ads with their copy, live progress of a running job, filters kept in the URL, PNG
downloads, cancel and delete, markup in a prompt shown as text, and another user's
generation as a 404."""

from __future__ import annotations

import io
import socket
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from krev.platform.config import Settings
from tests.browser.conftest import Dashboard, assert_accessible, assert_fits
from tests.catalog.conftest import data_url, photo_bytes
from tests.conftest import Account
from tests.images.conftest import BLUE_BOX
from tests.support.pipelines import gate

MARKUP = "<img src=x onerror=alert(1)>"
ASYNC = {"Prefer": "respond-async"}


@pytest.fixture
def settings(make_settings: Callable[..., Settings], live_socket: socket.socket) -> Settings:
    host, port = live_socket.getsockname()[:2]
    # A third worker thread for the job the test holds, so the others never wait for it.
    return make_settings(embedded_workers=3, public_base_url=f"http://{host}:{port}")


def submitted(response: httpx.Response) -> str:
    assert response.status_code in (200, 202), response.text
    return str(response.json()["data"]["generation_id"])


def wait_for(client: httpx.Client, path: str, done: Callable[[dict[str, Any]], bool]) -> Any:
    """GET ``path`` until ``done(data)``: an API client waiting on a job, as scripts do."""
    deadline = time.monotonic() + 120  # a hung job, not a performance expectation
    while True:
        data = client.get(path).json()["data"]
        if done(data):
            return data
        assert time.monotonic() < deadline, data
        time.sleep(0.05)


def card(page: Page, generation_id: str) -> Locator:
    return page.locator(f'article.gen-card[data-id="{generation_id}"]')


def fact(page: Page, label: str) -> Locator:
    return page.locator(f'#gen-facts dt:text-is("{label}") + dd')


def expect_loaded_image(page: Page, image: Locator) -> None:
    expect(image).to_be_visible()
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )


def expect_playable_video(page: Page, video: Locator) -> None:
    expect(video).to_be_visible()
    page.wait_for_function(
        "(video) => video.readyState >= 1 && video.duration > 0", arg=video.element_handle()
    )


def test_the_gallery_and_a_generation_page(
    dashboard: Dashboard, account: Account, make_account: Callable[..., Account]
) -> None:
    api = dashboard.api(account.key)
    # The product an ad is made for first (its analysis runs at once), a job held half way
    # with markup for a prompt, then a video and an image.
    product_id = api.post(
        "/api/v1/products", json={"image_url": data_url(photo_bytes(BLUE_BOX))}, headers=ASYNC
    ).json()["data"]["id"]
    held = gate()
    running = submitted(
        api.post(
            "/api/v1/test-jobs",
            json={"params": {"gate": held.name, "prompt": MARKUP, "size": 96}},
            headers=ASYNC,
        )
    )
    video = submitted(
        api.post(
            "/api/v1/videos",
            json={
                "prompt": "slow pan across marble",
                "duration": 4,
                "aspect_ratio": "1:1",
                "audio_mode": "off",
            },
            headers=ASYNC,
        )
    )
    image = submitted(
        api.post("/api/v1/images", json={"prompt": "a marble surface, soft light"}, headers=ASYNC)
    )

    dashboard.log_in(account)
    page = dashboard.open("/dashboard/generations")
    held_card = card(page, running)
    expect(held_card.locator(".badge.processing")).to_have_text("processing")
    expect(held_card.locator("progress")).to_have_js_property("value", 50)
    expect(held_card.locator(".gen-prompt")).to_have_text(MARKUP)  # as text, not as markup
    expect(held_card.locator(".gen-prompt img")).to_have_count(0)
    # An ad for the product, once its analysis is done; the page follows it live.
    wait_for(api, f"/api/v1/products?id={product_id}", lambda p: p["status"] != "analyzing")
    ad = submitted(
        api.post(
            "/api/v1/ads",
            json={"brief": "A direct response ad for this box", "product_ids": [product_id]},
            headers=ASYNC,
        )
    )
    held.open()
    expect(held_card.locator(".badge.succeeded")).to_be_visible()
    expect_loaded_image(page, held_card.locator("img.gen-image"))

    page.reload()
    expect_loaded_image(page, card(page, image).locator("img.gen-image"))
    ad_card = card(page, ad)
    expect(ad_card.locator(".badge.succeeded")).to_be_visible()  # followed live if it was not
    expect(ad_card.locator(".ad-headline")).not_to_be_empty()
    expect(ad_card.locator(".ad-cta")).not_to_be_empty()
    expect_loaded_image(page, ad_card.locator("img.gen-image"))
    expect(ad_card.get_by_role("link", name="Download ad as JPEG")).to_be_visible()
    expect_playable_video(page, card(page, video).locator("video"))

    # Filters: the kind, kept in the URL across a reload; then the product.
    page.get_by_label("Kind").select_option("video")
    expect(page).to_have_url(f"{dashboard.url}/dashboard/generations?kind=video")
    expect(page.locator("article.gen-card")).to_have_count(1)
    page.reload()
    expect(page.get_by_label("Kind")).to_have_value("video")
    expect(card(page, video)).to_have_count(1)
    expect(page.locator("article.gen-card")).to_have_count(1)
    page.get_by_label("Kind").select_option("")
    page.get_by_label("Product").select_option(product_id)
    expect(card(page, ad)).to_be_visible()
    expect(page.locator("article.gen-card")).to_have_count(1)  # not its analysis
    page.get_by_role("button", name="Clear filters").click()
    expect(page.locator("article.gen-card")).to_have_count(4)

    # The image's page: prompt, credits, downloads that decode; then delete it.
    card(page, image).get_by_role("link", name="Open image details").click()
    expect(page.locator("#gen-prompt")).to_have_text("a marble surface, soft light")
    expect(fact(page, "Credits used")).to_have_text("40")
    expect(fact(page, "Engine")).to_have_text("studio")
    expect(page.locator("#gen-scene")).to_contain_text("marble")
    expect_loaded_image(page, page.locator(".gen-output img"))
    png = page.get_by_role("link", name="Download image as PNG").get_attribute("href")
    assert png is not None
    downloaded = httpx.get(png)
    assert downloaded.status_code == 200, downloaded.text
    with Image.open(io.BytesIO(downloaded.content)) as decoded:
        assert decoded.format == "PNG" and decoded.size == (1024, 1024)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    expect(page).to_have_url(f"{dashboard.url}/dashboard/generations")
    expect(card(page, video)).to_be_visible()
    expect(card(page, image)).to_have_count(0)
    assert api.get(f"/api/v1/generations/{image}").status_code == 404

    # A job cancelled from its page: it polls a (test) provider until stopped.
    waiting = submitted(
        api.post(
            "/api/v1/test-jobs",
            json={"params": {"waits": 10_000, "wait_seconds": 0.2}},
            headers=ASYNC,
        )
    )
    page = dashboard.open(f"/dashboard/generations/{waiting}")
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator("#gen-progress .badge")).to_have_text("cancelled")
    expect(page.locator("#gen-status")).to_have_text("Cancelled.")
    expect(page.get_by_role("button", name="Delete")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel")).to_be_hidden()

    # A filter the API refuses says why, in the API's words.
    dashboard.problems.expected.append("400")
    page = dashboard.open("/dashboard/generations?kind=sculpture")
    expect(page.locator("#page-error")).to_contain_text("'sculpture' is not a generation kind")

    # Another user's generation is not there for this one.
    other = make_account()
    theirs = submitted(dashboard.api(other.key).post("/api/v1/test-jobs", json={}))
    dashboard.problems.expected.append("404")
    page = dashboard.open(f"/dashboard/generations/{theirs}")
    expect(page.get_by_text("There is no generation here")).to_be_visible()


def test_generations_on_a_phone(phone: Dashboard, account: Account) -> None:
    api = phone.api(account.key)
    prompt = "a long prompt that wraps " * 12
    made = submitted(
        api.post("/api/v1/test-jobs", json={"params": {"prompt": prompt, "count": 2, "size": 600}})
    )
    phone.log_in(account)
    page = phone.open("/dashboard/generations")
    expect_loaded_image(page, card(page, made).locator("img.gen-image"))
    assert_fits(page)
    assert_accessible(page)
    card(page, made).get_by_role("link", name="Open test render details").click()
    expect(page.locator(".gen-output img")).to_have_count(2)
    expect(page.get_by_role("link", name="Download test render 2 as PNG")).to_be_visible()
    assert_fits(page)
    assert_accessible(page)
