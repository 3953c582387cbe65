"""Bad input: each refusal is the error envelope with the right status and a sentence naming
what is wrong, and nothing happens: no generation recorded, no credits moved, nothing stored,
nothing fetched."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

import krev.platform.fetch
from krev.composition import build_runtime
from krev.platform.config import Settings
from tests.ads.conftest import ADS, STYLE_IDS, STYLES, ad_generations, post_ad, stored_ads
from tests.catalog.conftest import PRODUCTS, data_url, photo_bytes
from tests.conftest import Account, build_app
from tests.generations.stack import JOB_PLANS
from tests.images.conftest import BLUE_BOX, GREEN_BOX, balance, closed_port_url, create_product
from tests.support.origin_server import OriginServer


def _refused(
    client: TestClient, account: Account, body: Any, status: int, code: str, *words: str
) -> str:
    before = balance(client, account)
    response = post_ad(client, account, body)
    assert response.status_code == status, response.text
    payload = response.json()
    assert payload["success"] is False and payload["code"] == code, payload
    for word in words:
        assert word in payload["error"], (word, payload["error"])
    assert balance(client, account) == before
    assert ad_generations(client, account) == []
    assert stored_ads(client) == []
    return str(payload["error"])


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"brief": None}, ["'brief'", "required"]),
        ({"brief": ""}, ["'brief'", "empty"]),
        ({"brief": "   "}, ["'brief'", "empty"]),
        ({"brief": "x" * 2001}, ["'brief'", "2000"]),
        ({"product_ids": None}, ["'product_ids'", "required"]),
        ({"product_ids": []}, ["'product_ids'", "at least 1"]),
        ({"product_ids": [str(uuid.uuid4()) for _ in range(5)]}, ["'product_ids'", "at most 4"]),
        ({"product_ids": ["not-a-uuid"]}, ["'product_ids"]),
        ({"aspect_ratio": "16:9"}, ["'aspect_ratio'", "'16:9' is not offered", "1:1, 4:5 or 9:16"]),
        ({"aspect_ratio": "1.91:1"}, ["'aspect_ratio'", "1:1, 4:5 or 9:16"]),
        ({"image_count": 3}, ["'image_count'", "1, 2 or 4"]),
        ({"image_count": "2"}, ["'image_count'", "integer"]),
        ({"brand_context": "x" * 1001}, ["'brand_context'", "1000"]),
        ({"colour": "red"}, ["Unknown field 'colour'"]),
    ],
    ids=[
        "no-brief",
        "empty-brief",
        "blank-brief",
        "long-brief",
        "no-product-ids",
        "empty-product-ids",
        "five-products",
        "product-id-not-uuid",
        "aspect-16x9",
        "aspect-1.91",
        "image-count-3",
        "image-count-string",
        "long-brand-context",
        "unknown-field",
    ],
)
def test_invalid_fields_are_400_naming_the_field(
    client: TestClient, account: Account, fields: dict[str, Any], words: list[str]
) -> None:
    body = {"brief": "Direct response", "product_ids": [str(uuid.uuid4())], **fields}
    body = {name: value for name, value in body.items() if value is not None}
    _refused(client, account, body, 400, "invalid_request", *words)


def test_an_unknown_style_lists_the_valid_ones(client: TestClient, account: Account) -> None:
    body = {"brief": "x", "product_ids": [str(uuid.uuid4())], "style_id": "vaporwave"}
    error = _refused(client, account, body, 400, "invalid_request", "'vaporwave'")
    for style_id in STYLE_IDS:
        assert style_id in error


def test_products_that_cannot_be_used(
    client: TestClient, account: Account, make_account: Callable[..., Account]
) -> None:
    product = create_product(client, account, BLUE_BOX)
    theirs = create_product(client, make_account(), GREEN_BOX)
    unknown = str(uuid.uuid4())

    # Another user's product reads as missing, and nothing of it is shown.
    error = _refused(
        client, account, {"brief": "x", "product_ids": [theirs["id"]]}, 404, "not_found"
    )
    assert error == f"Product {theirs['id']} not found."
    _refused(
        client,
        account,
        {"brief": "x", "product_ids": [product["id"], unknown]},
        404,
        "not_found",
        unknown,
    )
    _refused(
        client,
        account,
        {"brief": "x", "product_ids": [product["id"], product["id"]]},
        400,
        "invalid_request",
        "more than once",
    )
    # Uploaded with skip_segmentation: no cutout to lay out.
    flat = create_product(client, account, BLUE_BOX, skip_segmentation=True)
    _refused(
        client,
        account,
        {"brief": "x", "product_ids": [flat["id"]]},
        400,
        "product_unusable",
        "skip_segmentation",
        "ads",
    )


def test_a_product_still_analyzing_is_409(
    make_settings: Callable[..., Settings], make_account: Callable[..., Account]
) -> None:
    # An API process with no workers: the product's analysis stays queued.
    runtime = build_runtime(make_settings(plans=JOB_PLANS, embedded_workers=0))
    account = make_account()
    try:
        with TestClient(build_app(runtime), base_url="http://127.0.0.1:8000") as client:
            response = client.post(
                PRODUCTS,
                json={"image_url": data_url(photo_bytes(BLUE_BOX))},
                headers={**account.headers, "Prefer": "respond-async"},
            )
            assert response.status_code == 202, response.text
            product_id = response.json()["data"]["id"]

            error = _refused(
                client,
                account,
                {"brief": "x", "product_ids": [product_id]},
                409,
                "product_analyzing",
                product_id,
            )
            assert "still being analyzed" in error
    finally:
        runtime.close()


def test_inspiration_images_that_cannot_be_used(
    client: TestClient, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A public-looking name that resolves to a private address (the resolver answers it here,
    # as the fetch tests do, so no DNS is asked).
    def resolve(host: str, port: int) -> list[str]:
        if host == "ads.example.com":
            return ["10.0.0.7"]
        raise OSError(f"unexpected lookup of {host}")

    monkeypatch.setattr(krev.platform.fetch, "system_resolver", resolve)
    with OriginServer() as origin:
        origin.put("/page.html", b"<!doctype html><html></html>", "text/html")
        cases = [
            ("http://ads.example.com/inspiration.png", "url_not_allowed"),
            ("http://169.254.169.254/latest/meta-data", "url_not_allowed"),
            ("http://[::ffff:10.0.0.7]/a.png", "url_not_allowed"),
            ("file:///etc/passwd", "url_not_allowed"),
            (closed_port_url(), "fetch_failed"),
            (origin.url("/missing.png"), "fetch_failed"),
            (origin.url("/page.html"), "unsupported_image_type"),
        ]
        for url, code in cases:
            # The image is fetched first: a product that does not exist is never looked up.
            body = {"brief": "x", "product_ids": [str(uuid.uuid4())], "inspiration_image": url}
            error = _refused(client, account, body, 400, code)
            assert error.startswith("inspiration_image: "), error
        assert origin.paths == ["/missing.png", "/page.html"]


def test_insufficient_credits_is_402_and_nothing_is_queued(
    client: TestClient, make_account: Callable[..., Account]
) -> None:
    poor = make_account(credits=100)
    product = create_product(client, poor, BLUE_BOX)
    for _attempt in range(2):  # and again: the refusal reserved nothing
        _refused(
            client,
            poor,
            {"brief": "x", "product_ids": [product["id"]], "image_count": 4},
            402,
            "insufficient_credits",
            "160",
        )
    assert balance(client, poor) == 100
    # Enough for two: the same request with fewer images goes through.
    accepted = post_ad(
        client,
        poor,
        {"brief": "x", "product_ids": [product["id"]], "image_count": 2},
        Prefer="respond-async",
    )
    assert accepted.status_code == 202, accepted.text
    assert balance(client, poor) == 20


def test_a_key_without_the_ads_scope_is_403(
    client: TestClient, make_account: Callable[..., Account]
) -> None:
    images_only = make_account(scopes=["images", "products", "credits"])

    created = post_ad(client, images_only, {"brief": "x", "product_ids": [str(uuid.uuid4())]})
    styles = client.get(STYLES, headers=images_only.headers)

    for response in (created, styles):
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "insufficient_scope"
        assert "'ads'" in response.json()["error"]
    assert client.get(f"{ADS}", headers=images_only.headers).status_code == 405
