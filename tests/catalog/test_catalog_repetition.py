"""A brand recurs across an account's catalog, a product line rarely does: later uploads tell
a small brand from a large product line by the account's other labels, and only its own."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw, ImageFont

from tests.catalog.conftest import data_url, list_products, upload_json
from tests.catalog.test_patch import _ready
from tests.conftest import Account

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def _label(brand: str, line: str) -> bytes:
    """A jar's label: the brand small above its product line set larger, both ordinary words,
    so that read alone the product line looks like the brand."""
    image = Image.new("RGB", (512, 512), (214, 220, 228))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((96, 90, 416, 430), radius=20, fill=(250, 248, 240))
    y = 170
    for text, size in ((brand, 24), (line, 46), ("340 g", 22)):
        draw.text(
            (256, y), text, fill=(30, 30, 40), font=ImageFont.truetype(FONT, size), anchor="mm"
        )
        y += int(size * 2.0)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _upload(client: TestClient, account: Account, brand: str, line: str) -> dict[str, Any]:
    body = {"image_url": data_url(_label(brand, line)), "skip_segmentation": True}
    metadata: dict[str, Any] = _ready(client, account, upload_json(client, account, body))[
        "metadata"
    ]
    return metadata


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_a_brand_recurring_across_the_accounts_products_is_the_brand_and_only_there(
    client: TestClient, account: Account, make_account: Callable[..., Account]
) -> None:
    alone = _upload(client, make_account(), "HOLLOW OAK", "Sea Salt")
    assert alone["brandName"] == "Sea Salt", "read alone, the larger line is taken as the brand"

    for line in ("Wild Bloom", "Honey Crunch"):
        _upload(client, account, "HOLLOW OAK", line)
    later = _upload(client, account, "HOLLOW OAK", "Sea Salt")
    assert (later["brandName"], later["productName"]) == ("Hollow Oak", "Sea Salt")
    listed = list_products(client, account)["data"]
    assert all("labelText" not in product["metadata"] for product in listed), (
        "the label lines kept for later analyses are not part of the product"
    )

    other = make_account()
    theirs = _upload(client, other, "HOLLOW OAK", "Sea Salt")
    assert theirs["brandName"] == "Sea Salt", "one account's catalog is never used for another"
