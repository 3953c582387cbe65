"""GET /api/v1/products shows a product's colors as palette names, ``color`` (the first) and
``color_hex`` (each color's hex, in the same order), from a real analysis of an upload."""

from __future__ import annotations

import io

import numpy as np
import webcolors
from fastapi.testclient import TestClient
from PIL import Image

from krev.engines.studio.colors import MERCHANT_PALETTE
from tests.catalog.conftest import data_url, list_products, upload_json
from tests.conftest import Account
from tests.support.merchant_photos import KRAFT, kraft_pouch


def _cutout_png() -> bytes:
    """The kraft pouch as a cutout (its transparency is its outline)."""
    photo = kraft_pouch(256)
    alpha = np.round(photo.alpha * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(np.dstack([photo.image, alpha]), "RGBA").save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_list_shows_color_and_color_hex_aligned_with_colors(
    client: TestClient, account: Account
) -> None:
    response = upload_json(client, account, {"image_url": data_url(_cutout_png())})
    assert response.status_code == 200, response.text
    product_id = response.json()["data"]["id"]

    listed = list_products(client, account)["data"]
    (product,) = [p for p in listed if p["id"] == product_id]
    metadata = product["metadata"]
    colors, hexes = metadata["colors"], metadata["color_hex"]

    assert colors and len(hexes) == len(colors)
    assert metadata["color"] == colors[0]
    assert colors[0] in {"kraft", "tan"}
    assert all(name in MERCHANT_PALETTE for name in colors)
    first = webcolors.hex_to_rgb(hexes[0])
    assert max(abs(a - b) for a, b in zip(first, KRAFT, strict=True)) <= 24
    assert metadata["productType"] == "pouch"
    assert metadata["materials"] == ["paper"]
    assert list_products(client, account, id=product_id)["data"]["metadata"] == metadata
