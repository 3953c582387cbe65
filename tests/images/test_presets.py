"""GET /api/v1/presets: every preset the composer accepts, with a thumbnail that decodes."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from PIL import Image

from tests.conftest import Account
from tests.images.conftest import PRESETS

REQUIRED = {
    "studio_white",
    "flat_lay",
    "lifestyle",
    "podium",
    "gradient",
    "marble",
    "outdoor_light",
    "dark_luxe",
}


def test_presets_are_listed_with_thumbnails(client: TestClient, account: Account) -> None:
    response = client.get(PRESETS, headers=account.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    presets = body["data"]
    assert body["meta"]["count"] == len(presets)
    assert {preset["id"] for preset in presets} >= REQUIRED
    for preset in presets:
        assert set(preset) == {"id", "description", "thumbnail_url"}
        assert preset["description"].endswith(".")
        assert preset["thumbnail_url"] == (
            f"http://127.0.0.1:8000/api/v1/presets/{preset['id']}/thumbnail.webp"
        )

    thumbnails = {}
    for preset in presets[:3]:
        # Public, like an <img> src: no key is sent.
        thumbnail = client.get(preset["thumbnail_url"])
        assert thumbnail.status_code == 200, thumbnail.text
        assert thumbnail.headers["content-type"] == "image/webp"
        assert "max-age" in thumbnail.headers["cache-control"]
        with Image.open(io.BytesIO(thumbnail.content)) as image:
            assert image.format == "WEBP" and image.size == (256, 256)
        thumbnails[preset["id"]] = thumbnail.content
        assert client.get(preset["thumbnail_url"]).content == thumbnail.content
    assert len(set(thumbnails.values())) == len(thumbnails)


def test_an_unknown_preset_has_no_thumbnail(client: TestClient) -> None:
    response = client.get("/api/v1/presets/vaporwave/thumbnail.webp")

    assert response.status_code == 404
    assert response.json() == {
        "success": False,
        "error": "Preset 'vaporwave' not found.",
        "code": "not_found",
    }
