"""GET /api/v1/ads/styles: every style ``style_id`` accepts, with the name its ads carry, a
description and a thumbnail of its layout that any <img> tag can show."""

from __future__ import annotations

import io

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image

from tests.ads.conftest import STYLE_IDS, STYLES
from tests.conftest import Account


def test_the_styles_with_their_thumbnails(client: TestClient, account: Account) -> None:
    response = client.get(STYLES, headers=account.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    styles = body["data"]
    assert body["meta"]["count"] == len(styles)
    assert {style["id"] for style in styles} == STYLE_IDS
    by_id = {style["id"]: style for style in styles}
    assert by_id["performance"]["name"] == "Performance Master"  # the reference's example
    assert len({style["name"] for style in styles}) == len(styles)
    thumbnails = []
    for style in styles:
        assert set(style) == {"id", "name", "description", "thumbnail_url"}
        assert style["description"].strip()
        # Public: an <img> tag sends no key.
        thumbnail = client.get(style["thumbnail_url"])
        assert thumbnail.status_code == 200, thumbnail.text
        assert thumbnail.headers["content-type"] == "image/webp"
        assert "public" in thumbnail.headers["cache-control"]
        with Image.open(io.BytesIO(thumbnail.content)) as image:
            assert image.format == "WEBP" and max(image.size) == 256
            pixels = np.asarray(image.convert("RGB"), dtype=np.uint8)
        assert pixels.std() > 10  # a layout, not a blank tile
        thumbnails.append(pixels.tobytes())
    assert len(set(thumbnails)) == len(styles), "each style looks its own"


def test_an_unknown_styles_thumbnail_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/ads/styles/vaporwave/thumbnail.webp")

    assert response.status_code == 404
    assert response.json()["error"] == "Ad style 'vaporwave' not found."


def test_capabilities_say_who_makes_ads(client: TestClient, account: Account) -> None:
    response = client.get("/api/v1/capabilities", headers=account.headers)

    assert response.status_code == 200, response.text
    ad = response.json()["data"]["ad"]
    assert (ad["image_engine"], ad["copy_engine"], ad["copy_fallback"]) == (
        "studio",
        "studio",
        "studio",
    )
    assert set(ad["styles"]) == STYLE_IDS
    assert ad["aspect_ratios"] == ["1:1", "4:5", "9:16"]
    copywriters = {engine["id"]: engine["configured"] for engine in ad["copy_engines"]}
    assert copywriters == {"studio": True, "openai": False}, "no LLM on this server"
