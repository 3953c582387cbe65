"""The playground in Chromium: a request made in its forms runs and shows its result, and the
curl command and Python call it shows beside the form are the same request: the test sends
the one and runs the other, with the account's key, against the live server."""

from __future__ import annotations

import ast
import json
import shlex
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, expect

from tests.browser.conftest import Dashboard, assert_accessible, assert_fits
from tests.catalog.conftest import data_url, photo_bytes
from tests.conftest import Account

BLUE_BOX = 4  # tests/support/product_photos.py: a blue box on white
MARKUP = "<img src=x onerror=alert(1)>"
TIMES = "\N{MULTIPLICATION SIGN}"  # as the page writes a price


def upload(client: httpx.Client, name: str) -> str:
    """A product posted for analysis, not waited for: it is analysed while the browser logs in."""
    body = {"image_url": data_url(photo_bytes(BLUE_BOX, size=256)), "name": name}
    response = client.post("/api/v1/products", json=body, headers={"Prefer": "respond-async"})
    assert response.status_code in (200, 202), response.text
    return str(response.json()["data"]["id"])


def wait_ready(client: httpx.Client, product_id: str) -> None:
    while (
        status := client.get(f"/api/v1/products?id={product_id}").json()["data"]["status"]
    ) == "analyzing":
        time.sleep(0.05)
    assert status == "ready"


def balance(client: httpx.Client) -> int:
    return int(client.get("/api/v1/credits").json()["data"]["credits"]["current"])


def curl_request(snippet: Locator, base_url: str) -> tuple[str, dict[str, Any]]:
    """The URL and JSON body of the curl command a panel shows, read as a shell would."""
    words = shlex.split(snippet.inner_text().replace("\\\n", " "))
    assert words[:3] == ["curl", "-X", "POST"]
    assert words[3].startswith(base_url + "/api/v1/")
    assert "Authorization: Bearer $KREV_API_KEY" in words  # double quotes: the shell expands it
    assert "Content-Type: application/json" in words
    return words[3], json.loads(words[words.index("-d") + 1])


def test_an_image_from_the_playground_and_the_same_request_in_code(
    dashboard: Dashboard,
    account: Account,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with dashboard.api(account.key) as client:
        product_id = upload(client, f"Harbor box {MARKUP}")
        dashboard.log_in(account)
        wait_ready(client, product_id)
        start = balance(client)

        page = dashboard.open("/dashboard/playground")
        panel = page.get_by_role("tabpanel", name="Image")
        panel.get_by_label("Prompt").fill("on a marble counter, soft morning light")
        panel.get_by_label(f"Harbor box {MARKUP}").check()  # the name shown as text
        panel.get_by_label("Marble", exact=True).check()
        expect(panel.locator("#image-preset-about")).to_contain_text("white marble countertop")
        # The price follows the form: 4K doubles it (left off: it renders for longer).
        cost = panel.locator("#image-cost")
        expect(cost).to_contain_text(f"40 credits (1 image {TIMES} 40) · you have {start:,}")
        panel.get_by_label("4K (hd)").check()
        expect(cost).to_contain_text(f"80 credits (1 image {TIMES} 80 in 4K)")
        panel.get_by_label("4K (hd)").uncheck()
        url, body = curl_request(panel.locator("#image-curl"), dashboard.url)
        assert (url, body) == (
            dashboard.url + "/api/v1/images",
            {
                "prompt": "on a marble counter, soft morning light",
                "product_id": product_id,
                "preset_id": "marble",
                "aspect_ratio": "1:1",
                "image_count": 1,
            },
        )

        panel.get_by_role("button", name="Generate images").click()
        run = panel.get_by_role("article", name="Image run").first
        expect(run.locator(".badge")).to_have_text("succeeded")
        image = run.get_by_role("img", name="Generated image 1 of 1")
        page.wait_for_function(
            "(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )
        generation_link = run.get_by_role("link", name="Generation page")
        generation_id = generation_link.get_attribute("href").rsplit("/", 1)[-1]  # type: ignore[union-attr]
        expect(run).to_contain_text("40 credits")
        assert balance(client) == start - 40

        # The curl command's request, as it reads, with the account's key: accepted.
        sent = client.post(url, json=body)
        assert sent.status_code in (200, 202), sent.text
        assert sent.json()["success"] is True

        # The Python call, run as written, with the key where it reads it: one more image.
        python = panel.locator("#image-python").inner_text()
        assert "client.images.generate(" in python
        monkeypatch.setenv("KREV_API_KEY", account.key)
        capsys.readouterr()
        exec(compile(python, "<the playground's Python>", "exec"), {})
        printed = ast.literal_eval(capsys.readouterr().out.strip())
        assert len(printed) == 1 and printed[0].startswith(dashboard.url)

        made = client.get("/api/v1/generations?kind=image").json()["data"]
        assert len(made) == 3 and generation_id in {g["id"] for g in made}
        assert {g["source"] for g in made} == {"dashboard", "api"}


def test_refused_requests_show_the_apis_sentence_and_charge_nothing(
    dashboard: Dashboard, make_account: Callable[..., Account]
) -> None:
    dashboard.problems.expected += ["400", "402"]
    account = make_account(credits=100)
    dashboard.log_in(account)
    page = dashboard.open("/dashboard/playground")

    # The reference's own text-only example: the studio engine cannot draw a wallet.
    image = page.get_by_role("tabpanel", name="Image")
    image.get_by_label("Prompt").fill(
        "Premium leather wallet on dark marble surface, studio lighting"
    )
    image.get_by_role("button", name="Generate images").click()
    expect(image.locator("#image-error")).to_contain_text("which the studio engine cannot draw")

    # The tabs answer the keyboard: End goes to the last, Ad.
    page.get_by_role("tab", name="Image").press("End")
    expect(page.get_by_role("tab", name="Ad")).to_be_focused()
    ad = page.get_by_role("tabpanel", name="Ad")
    expect(image).to_be_hidden()
    ad.get_by_role("textbox", name="Brief").fill(f"Summer sale {MARKUP}")
    expect(ad.locator("#ad-python")).to_contain_text(
        f'client.ads.generate(\n    "Summer sale {MARKUP}",\n    product_ids=[],'
    )
    assert (
        curl_request(ad.locator("#ad-curl"), dashboard.url)[1]["brief"] == f"Summer sale {MARKUP}"
    )
    assert page.locator("img[src=x]").count() == 0  # text, never markup
    ad.get_by_role("button", name="Generate ads").click()
    expect(ad.locator("#ad-error")).to_contain_text("Invalid field 'product_ids'")

    page.get_by_role("tab", name="Video").click()
    video = page.get_by_role("tabpanel", name="Video")
    # What the studio engine cannot render is shown, not offered, and says why.
    expect(video.get_by_label("Native: the video model's own audio")).to_be_disabled()
    expect(video).to_contain_text("The studio engine makes no audio of its own.")
    video.get_by_label("Duration (seconds)").fill("6")
    expect(video.locator("#video-cost")).to_contain_text(f"480 credits (6 s {TIMES} 80 a second)")
    expect(video.locator("#video-python")).to_contain_text("duration=6,")
    body = curl_request(video.locator("#video-curl"), dashboard.url)[1]
    assert body == {"prompt": "", "aspect_ratio": "16:9", "duration": 6, "audio_mode": "auto"}
    video.get_by_role("button", name="Generate video").click()
    error = video.locator("#video-error")
    expect(error).to_have_text("Invalid field 'prompt': the prompt must not be empty.")
    # A valid request beyond the balance: the page says so first, and the API refuses it.
    video.get_by_label("Prompt").fill("Slow pan across a sunlit stone ledge")
    expect(video.locator("#video-cost")).to_contain_text("you have 100: not enough")
    video.get_by_role("button", name="Generate video").click()
    expect(error).to_have_text(
        "Insufficient credits: this generation costs 480 credits. "
        "Check your balance with GET /api/v1/credits."
    )

    with dashboard.api(account.key) as client:
        assert balance(client) == 100
        assert client.get("/api/v1/generations").json()["data"] == []


def test_the_playground_on_a_phone(phone: Dashboard, account: Account) -> None:
    phone.log_in(account)
    page = phone.open("/dashboard/playground?kind=video")
    expect(page.get_by_role("tab", name="Video")).to_have_attribute("aria-selected", "true")
    for kind, name in (("video", "Video"), ("ad", "Ad"), ("image", "Image")):
        page.get_by_role("tab", name=name).click()
        expect(page.locator(f"#{kind}-cost")).to_contain_text("credits")
        assert_fits(page)
        assert_accessible(page)
    page.get_by_role("button", name="Copy the curl command").click()
    expect(page.locator("#image-copied")).to_have_text("Copied the curl command.")
