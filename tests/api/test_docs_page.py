"""The interactive docs at /api/v1/docs work offline: Swagger UI comes from this server."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


def test_docs_page_loads_only_same_origin_assets(client: TestClient) -> None:
    page = client.get("/api/v1/docs")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "://" not in page.text  # no CDN, no third-party validator: nothing off this origin
    assert '"validatorUrl": null' in page.text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert {asset.rsplit(".", 1)[-1] for asset in assets} == {"js", "css", "png"}, assets
    for asset in assets:
        assert asset.startswith("/") and not asset.startswith("//"), asset
        response = client.get(asset)
        assert response.status_code == 200, asset
        suffix = asset[asset.rindex(".") :]
        assert response.headers["content-type"].startswith(CONTENT_TYPES[suffix]), asset
        assert len(response.content) > 1000, asset
    assert "SwaggerUIBundle" in client.get(next(a for a in assets if a.endswith("-bundle.js"))).text
    assert "url: '/api/v1/openapi.json'" in page.text
    assert client.get("/api/v1/openapi.json").json()["info"]["title"] == "Krev API"


def test_a_missing_docs_asset_is_the_error_envelope(client: TestClient) -> None:
    missing = client.get("/api/v1/docs/static/nope.js")

    assert missing.status_code == 404
    assert missing.json()["success"] is False
