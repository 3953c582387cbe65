"""Credits & usage in Chromium: the balance, the chart of credits used per day and the ledger
follow a real image generation made with one of the account's keys."""

from __future__ import annotations

import re
import time
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import Dashboard, assert_accessible, assert_fits
from tests.conftest import Account

KEY_NAME = "Shopify <b>sync</b>"  # markup in a name must show as typed
DAY = re.compile(r"^\w+, \w+ \d+$")  # "Mon, Dec 7"
MINUS = "\N{MINUS SIGN}"  # what the page writes before credits spent
WAIT_SECONDS = 120.0  # a guard against a job that never ends, not a target


def _create_key(page: Page, url: str, name: str) -> dict[str, Any]:
    """A key made with the browser's own session, as the keys page does."""
    csrf = page.locator('meta[name="krev-csrf"]').get_attribute("content")
    answer = page.request.post(
        url + "/api/v1/keys",
        data={"name": name, "scopes": ["images", "credits"]},
        headers={"X-CSRF-Token": csrf or ""},
    )
    assert answer.status == 201, answer.text()
    created: dict[str, Any] = answer.json()["data"]
    return created


def _generate_image(dashboard: Dashboard, key: str) -> dict[str, Any]:
    """POST /api/v1/images with the key, then the job as GET /api/v1/generations/{id} shows
    it once it has ended."""
    with dashboard.api(key) as client:
        accepted = client.post(
            "/api/v1/images", json={"prompt": "marble"}, headers={"Prefer": "respond-async"}
        )
        assert accepted.status_code == 202, accepted.text
        generation_id = accepted.json()["data"]["generation_id"]
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            job: dict[str, Any] = client.get(f"/api/v1/generations/{generation_id}").json()["data"]
            if job["status"] not in ("queued", "processing"):
                return job
            assert time.monotonic() < deadline, f"the image is still {job['status']}"
            time.sleep(0.1)


def test_the_balance_chart_and_ledger_follow_a_generation(
    dashboard: Dashboard, account: Account
) -> None:
    dashboard.log_in(account)  # the page after login is this one
    page = dashboard.page
    expect(page.get_by_role("heading", name="Credits & usage")).to_be_visible()
    expect(page.locator("#plan-name")).to_have_text("Pro")
    expect(page.locator("#balance")).to_have_text("2,500")
    expect(page.locator("#balance-of")).to_have_text("of 2,500 a month")
    expect(page.locator("#storage")).to_have_text("0 B")
    chart = page.get_by_role("img", name="Credits used per day, last 30 days")
    expect(chart).to_be_visible()
    expect(chart.locator("g.day")).to_have_count(30)
    expect(chart).to_contain_text("No credits used yet")
    expect(page.locator("#ledger tr")).to_have_count(1)  # the plan's opening credits
    expect(page.locator("#ledger")).to_contain_text("Monthly credits")

    key = _create_key(page, dashboard.url, KEY_NAME)
    job = _generate_image(dashboard, key["key"])
    assert job["status"] == "succeeded", job
    used = job["credits_used"]
    assert used == 40
    today = job["created_at"][:10]  # the UTC day the chart counts it on

    page.reload()
    expect(page.locator("#balance")).to_have_text(f"{2500 - used:,}")
    bar = chart.locator(f'g.day[data-date="{today}"]')
    expect(bar).to_have_attribute("data-images", str(used))
    expect(bar.locator('rect[data-series="images"]')).to_have_attribute("data-credits", str(used))
    box = bar.locator('rect[data-series="images"]').bounding_box()
    assert box is not None and box["height"] > 50  # the day's bar is the tallest of the chart
    expect(chart).not_to_contain_text("No credits used yet")
    expect(page.locator("#usage-total")).to_have_text(f"{used} credits")
    # The text alternative says the same: the description, and the table behind "Show the numbers".
    expect(chart.locator("desc")).to_contain_text(f"{used} credits used from")
    page.get_by_text("Show the numbers").click()
    numbers = page.locator(f'#usage-rows tr[data-date="{today}"]')
    expect(numbers.locator("td")).to_have_text([DAY, str(used), "0", "0", "0", str(used)])

    # The ledger's newest move is the image's, caused by the key, named as typed.
    newest = page.locator("#ledger tr").first
    expect(newest).to_have_attribute("data-generation", job["id"])
    expect(newest).to_contain_text("Image generation")
    expect(newest).to_contain_text(f"{MINUS}{used}")
    expect(newest).to_contain_text(KEY_NAME)
    expect(newest.get_by_role("link", name="View")).to_have_attribute(
        "href", f"/dashboard/generations/{job['id']}"
    )
    expect(page.locator("#ledger-count")).to_have_text("2 moves shown (all).")


def test_credits_on_a_phone(phone: Dashboard, account: Account) -> None:
    phone.log_in(account)
    page = phone.page
    expect(page.locator("#balance")).to_have_text("2,500")
    chart = page.get_by_role("img", name="Credits used per day, last 30 days")
    expect(chart.locator("g.day")).to_have_count(30)
    # Drawn at the phone's width, labels included.
    width = page.evaluate("document.documentElement.clientWidth")
    box = chart.bounding_box()
    assert box is not None and box["width"] <= width
    expect(page.locator("#ledger")).to_contain_text("Monthly credits")
    assert_fits(page)
    assert_accessible(page)
