"""GET /api/v1/capabilities tells a client, before it spends anything, which engine serves its
images and whether a prompt without a product may ask for a subject."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from krev.platform.config import Settings
from tests.conftest import Account

CAPABILITIES = "/api/v1/capabilities"


@pytest.fixture
def settings(request: pytest.FixtureRequest, make_settings: Callable[..., Settings]) -> Settings:
    overrides: dict[str, Any] = getattr(request, "param", {})
    return make_settings(embedded_workers=0, **overrides)


def test_the_studio_engine_says_text_only_subjects_need_a_generative_engine(
    client: TestClient, account: Account
) -> None:
    response = client.get(CAPABILITIES, headers=account.headers)

    assert response.status_code == 200, response.text
    image = response.json()["data"]["image"]
    assert image["engine"] == "studio"
    assert image["text_only_subjects"] is False
    assert image["product_scenes"] is True
    assert "KREV_IMAGE_ENGINE" in image["note"]
    engines = {engine["id"]: engine for engine in image["engines"]}
    assert engines["studio"]["configured"] is True
    assert engines["openai"]["configured"] is False, "no base URL on this server"
    analysis = response.json()["data"]["product_analysis"]
    assert analysis == {"engine": "studio", "fallback": "studio", "segment_engine": "classical"}


@pytest.mark.parametrize(
    "settings",
    [{"image_engine": "openai", "openai_images_base_url": "http://127.0.0.1:9/v1"}],
    indirect=True,
)
def test_a_generative_engine_says_it_draws_text_only_subjects(
    client: TestClient, account: Account
) -> None:
    response = client.get(CAPABILITIES, headers=account.headers)

    image = response.json()["data"]["image"]
    assert (image["engine"], image["text_only_subjects"]) == ("openai", True)
    assert {e["id"]: e["configured"] for e in image["engines"]}["openai"] is True


def test_prices_are_the_reference_table_by_default(client: TestClient, account: Account) -> None:
    response = client.get(CAPABILITIES, headers=account.headers)

    prices = response.json()["data"]["prices"]
    assert prices == {"image": 40, "image_hd": 80, "video_per_second": 80, "ad_image": 40}


@pytest.mark.parametrize(
    "settings",
    [{"prices": {"image": 25, "image_hd": 60, "video_per_second": 100, "ad_image": 30}}],
    indirect=True,
)
def test_prices_are_what_this_server_charges(client: TestClient, account: Account) -> None:
    prices = client.get(CAPABILITIES, headers=account.headers).json()["data"]["prices"]
    assert prices == {"image": 25, "image_hd": 60, "video_per_second": 100, "ad_image": 30}

    # What a client reads there is what a job is charged.
    body = {"prompt": "a soft studio backdrop", "image_count": 2, "hd": True}
    headers = {**account.headers, "Prefer": "respond-async"}  # no worker runs here
    accepted = client.post("/api/v1/images", json=body, headers=headers)
    assert accepted.status_code == 202, accepted.text
    history = client.get("/api/v1/credits/history", headers=account.headers).json()["data"]
    assert history[0]["delta"] == -2 * prices["image_hd"]


def test_capabilities_need_a_key(client: TestClient) -> None:
    response = client.get(CAPABILITIES)

    assert response.status_code == 401
    assert response.json()["success"] is False
