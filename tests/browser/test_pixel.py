"""Settings → Meta pixel in Chromium: connect a pixel (the token never shown back), and page
through the recent deliveries."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import expect

from krev.platform.config import Settings
from tests.browser.conftest import Dashboard
from tests.conftest import Account
from tests.conversions.conftest import ACCESS_TOKEN, PIXEL_ID, website_event
from tests.support.fake_graph import FakeGraph


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with FakeGraph(tokens={PIXEL_ID: ACCESS_TOKEN}) as fake:
        yield fake


@pytest.fixture
def settings(make_settings: Callable[..., Settings], graph: FakeGraph) -> Settings:
    return make_settings(embedded_workers=2, meta_graph_url=graph.url)


def test_connect_a_pixel_and_page_through_deliveries(
    dashboard: Dashboard, account: Account
) -> None:
    dashboard.log_in(account)
    page = dashboard.open("/dashboard/settings/pixel")
    expect(page.locator("#meta-status")).to_contain_text("No Meta pixel is connected")
    expect(page.locator("#meta-empty")).to_be_visible()
    page.get_by_label("Pixel ID").fill(PIXEL_ID)
    page.get_by_label("Access token").fill(ACCESS_TOKEN)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#meta-status")).to_contain_text(f"Pixel {PIXEL_ID} is connected")
    assert ACCESS_TOKEN not in page.content()  # only a hint of it comes back

    events = [website_event(event_id=f"order-{n:02d}") for n in range(25)]
    with dashboard.api(account.key) as client:
        sent = client.post("/api/v1/conversions/meta", json={"data": events})
        assert sent.status_code in (200, 202), sent.text
    page.reload()
    rows = page.locator("#meta-events tr")
    expect(rows).to_have_count(20)
    page.get_by_role("button", name="Older events").click()
    expect(rows).to_have_count(25)
    expect(page.get_by_role("button", name="Older events")).to_be_hidden()
    shown = {rows.nth(n).locator("td").nth(1).inner_text() for n in range(25)}
    assert shown == {event["event_id"] for event in events}
