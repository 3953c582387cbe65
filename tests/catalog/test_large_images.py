"""Uploads near the pixel cap that are small in bytes (a flat studio shot compresses to a few
hundred kilobytes at 40 MP): taken in with the API process's memory bounded by a small multiple
of one decoded full-size image, analysed, and stored at full resolution."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from krev.platform.memory import release_free_memory
from tests.catalog.conftest import PRODUCTS, list_products
from tests.conftest import Account, runtime_of

# Pillow holds an RGB or RGBA pixel in 4 bytes: one full-size decode is 4 bytes a pixel.
DECODED_BYTES_PER_PIXEL = 4


def _status_kib(field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB$", Path("/proc/self/status").read_text(), re.M)
    assert match is not None, field
    return int(match.group(1))


def _reset_peak_rss() -> int:
    """Start a fresh VmHWM (Linux: "5" to clear_refs) and return the resident KiB it starts at."""
    release_free_memory()
    Path("/proc/self/clear_refs").write_text("5")
    return _status_kib("VmHWM")


def _studio_shot(size: tuple[int, int], fmt: str) -> bytes:
    """A flat product shot: a light backdrop and one dark rounded product, as PNG or JPEG."""
    width, height = size
    image = Image.new("RGB", size, (236, 236, 232))
    ImageDraw.Draw(image).rounded_rectangle(
        (width * 3 // 10, height // 5, width * 7 // 10, height * 4 // 5),
        radius=width // 20,
        fill=(40, 70, 120),
    )
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return buffer.getvalue()


def _wait_until_analysed(client: TestClient, account: Account, product_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while True:
        product: dict[str, Any] = list_products(client, account, id=product_id)["data"]
        if product["status"] != "analyzing" or time.monotonic() > deadline:
            return product
        time.sleep(0.1)


@pytest.mark.parametrize(("fmt", "size"), [("PNG", (6300, 6300)), ("JPEG", (6324, 6324))])
def test_an_image_at_the_pixel_cap_is_taken_in_with_one_full_size_decode(
    client: TestClient, account: Account, fmt: str, size: tuple[int, int]
) -> None:
    pixels = size[0] * size[1]
    cap = runtime_of(client).settings.max_image_pixels
    assert 0.99 * cap <= pixels <= cap, "near the cap, and under it"
    content = _studio_shot(size, fmt)
    assert len(content) < 1_000_000, "small in bytes"

    before_kib = _reset_peak_rss()
    response = client.post(
        PRODUCTS,
        files={"file": (f"large.{fmt.lower()}", content, f"image/{fmt.lower()}")},
        headers={**account.headers, "Prefer": "respond-async"},
    )
    # The intake is over once the 202 is sent; the analysis may have begun by now.
    intake_growth = (_status_kib("VmHWM") - before_kib) * 1024

    assert response.status_code == 202, response.text
    decoded_once = pixels * DECODED_BYTES_PER_PIXEL
    assert intake_growth <= 2 * decoded_once, (
        f"taking the upload in grew the process by {intake_growth / 2**20:.0f} MiB, "
        f"{intake_growth / decoded_once:.1f} times one full-size decode"
    )

    product = _wait_until_analysed(client, account, response.json()["data"]["id"])
    assert product["status"] == "ready", product
    assert product["metadata"]["colors"]
    assert product["segmented_image_url"]
    original = client.get(str(product["image_url"]))
    assert original.status_code == 200
    with Image.open(io.BytesIO(original.content)) as stored:
        assert stored.format == "JPEG"
        assert stored.size == size, "the original is kept at full resolution"
        stored.load()
    cutout = client.get(str(product["segmented_image_url"]))
    with Image.open(io.BytesIO(cutout.content)) as segmented:
        assert segmented.size == (2048, 2048), "the cutout is of the working image"
