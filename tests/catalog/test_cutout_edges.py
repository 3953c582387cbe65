"""The cutout a user downloads has clean edges: its semi-transparent outline carries the
product's color, not a fringe of the saturated backdrop it was shot on (issue 12)."""

from __future__ import annotations

import io

import cv2
import numpy as np
from fastapi.testclient import TestClient
from PIL import Image

from tests.catalog.conftest import data_url, upload_json
from tests.conftest import Account

PRODUCT = np.array([190, 196, 202], np.float32)  # a light grey bottle
BACKDROP = np.array([226, 32, 188], np.float32)  # a saturated magenta sweep


def _photo(size: int = 320) -> bytes:
    """A grey bottle on a magenta sweep, its outline anti-aliased (rendered at 4x)."""
    big = np.zeros((4 * size, 4 * size), np.uint8)
    cv2.rectangle(big, (4 * 120, 4 * 110), (4 * 200, 4 * 280), 255, -1)
    cv2.ellipse(big, (4 * 160, 4 * 110), (4 * 40, 4 * 20), 0, 0, 360, 255, -1)
    cv2.rectangle(big, (4 * 145, 4 * 50), (4 * 175, 4 * 110), 255, -1)
    coverage = cv2.resize(big.astype(np.float32) / 255, (size, size), interpolation=cv2.INTER_AREA)
    image = PRODUCT * coverage[..., None] + BACKDROP * (1 - coverage[..., None])
    buffer = io.BytesIO()
    Image.fromarray(np.round(image).astype(np.uint8), "RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def test_cutout_edges_carry_no_backdrop_tint(client: TestClient, account: Account) -> None:
    response = upload_json(client, account, {"image_url": data_url(_photo())})
    assert response.status_code == 200, response.text
    cutout = client.get(response.json()["data"]["segmented_image_url"])
    assert cutout.status_code == 200
    rgba = np.asarray(Image.open(io.BytesIO(cutout.content)).convert("RGBA"), np.float32)

    alpha = rgba[..., 3] / 255.0
    edge = (alpha > 0.1) & (alpha < 0.9)
    assert np.count_nonzero(edge) > 200, "the outline is soft"
    colors = rgba[..., :3][edge]
    # Left as the photo had them, these pixels would sit about halfway to the magenta
    # (a distance near 110); decontaminated they are the bottle's grey.
    to_product = np.linalg.norm(colors - PRODUCT, axis=1)
    assert float(np.median(to_product)) < 15, np.median(to_product)
    assert float(np.quantile(to_product, 0.9)) < 30
    # Composited on white, the outline shows no magenta: green stays level with red and blue.
    on_white = colors * alpha[edge][:, None] + 255 * (1 - alpha[edge][:, None])
    tint = (on_white[:, 0] + on_white[:, 2]) / 2 - on_white[:, 1]
    assert float(np.median(tint)) < 8, np.median(tint)
