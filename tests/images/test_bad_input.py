"""Bad input: each refusal is the error envelope with the right status and a sentence naming
the field, and nothing happens: no generation recorded, no credits moved, nothing fetched."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

import krev.platform.fetch
from krev.composition import build_runtime
from krev.platform.config import Settings
from tests.catalog.conftest import PRODUCTS, data_url, photo_bytes
from tests.conftest import Account, build_app
from tests.generations.stack import JOB_PLANS
from tests.images.conftest import (
    BLUE_BOX,
    GREEN_BOX,
    balance,
    closed_port_url,
    create_product,
    generate,
    image_generations,
)
from tests.support.origin_server import OriginServer

BOTH_MODES = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


def _refused(
    client: TestClient,
    account: Account,
    body: Any,
    status: int,
    code: str,
    *words: str,
) -> str:
    before = balance(client, account)
    response = generate(client, account, body)
    assert response.status_code == status, response.text
    payload = response.json()
    assert payload["success"] is False and payload["code"] == code, payload
    for word in words:
        assert word in payload["error"], (word, payload["error"])
    assert balance(client, account) == before
    assert image_generations(client, account) == []
    return str(payload["error"])


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({}, ["'prompt'", "required"]),
        ({"prompt": ""}, ["'prompt'", "empty"]),
        ({"prompt": "   "}, ["'prompt'", "empty"]),
        ({"prompt": "x" * 2001}, ["'prompt'", "2000"]),
        ({"prompt": 7}, ["'prompt'"]),
        ({"prompt": "marble", "aspect_ratio": "2:1"}, ["'aspect_ratio'", "16:9"]),
        ({"prompt": "marble", "image_count": 3}, ["'image_count'", "1, 2 or 4"]),
        ({"prompt": "marble", "image_count": 0}, ["'image_count'"]),
        ({"prompt": "marble", "hd": "maybe"}, ["'hd'"]),
        # Values of another JSON type are refused, never converted: each of these was charged.
        ({"prompt": "marble", "hd": "yes"}, ["'hd'", "boolean"]),
        ({"prompt": "marble", "hd": 1}, ["'hd'", "boolean"]),
        ({"prompt": "marble", "image_count": True}, ["'image_count'", "integer"]),
        ({"prompt": "marble", "image_count": "2"}, ["'image_count'", "integer"]),
        ({"prompt": "marble", "image_count": 2.0}, ["'image_count'", "integer"]),
        ({"prompt": "marble", "product_id": "not-a-uuid"}, ["'product_id'"]),
        ({"prompt": "marble", "product_ids": [str(uuid.uuid4()) for _ in range(5)]}, ["4"]),
        ({"prompt": "marble", "reference_images": ["http://a.example/x.png"] * 5}, ["4"]),
        ({"prompt": "marble", "colour": "red"}, ["Unknown field 'colour'"]),
    ],
    ids=[
        "missing-prompt",
        "empty-prompt",
        "blank-prompt",
        "long-prompt",
        "number-prompt",
        "aspect-ratio",
        "image-count-3",
        "image-count-0",
        "hd-not-bool",
        "hd-yes",
        "hd-1",
        "image-count-true",
        "image-count-string",
        "image-count-float",
        "product-id-not-uuid",
        "too-many-products",
        "too-many-references",
        "unknown-field",
    ],
)
def test_invalid_fields_are_400_naming_the_field(
    client: TestClient, account: Account, body: dict[str, Any], words: list[str]
) -> None:
    _refused(client, account, body, 400, "invalid_request", *words)


def test_bodies_that_are_not_a_json_object(client: TestClient, account: Account) -> None:
    for content in (b"", b"not json", b"[1, 2]"):
        headers = {**account.headers, "Content-Type": "application/json"}
        response = client.post("/api/v1/images", content=content, headers=headers)
        assert response.status_code == 400, response.text
    assert image_generations(client, account) == []


def test_an_unknown_preset_lists_the_valid_ones(client: TestClient, account: Account) -> None:
    error = _refused(
        client, account, {"prompt": "x", "preset_id": "vaporwave"}, 400, "invalid_request"
    )
    assert "'vaporwave'" in error
    for preset in ("studio_white", "flat_lay", "lifestyle", "podium", "gradient", "marble"):
        assert preset in error


@BOTH_MODES
def test_products_that_cannot_be_used(
    client: TestClient, account: Account, make_account: Callable[..., Account]
) -> None:
    mine = create_product(client, account, BLUE_BOX)
    theirs = create_product(client, make_account(), GREEN_BOX)
    unknown = str(uuid.uuid4())

    # Another user's product reads as missing and nothing of it is shown.
    error = _refused(client, account, {"prompt": "x", "product_id": theirs["id"]}, 404, "not_found")
    assert error == f"Product {theirs['id']} not found."
    assert theirs["name"] not in error
    _refused(
        client,
        account,
        {"prompt": "x", "product_ids": [mine["id"], unknown]},
        404,
        "not_found",
        unknown,
    )

    # product_id and product_ids naming different products are a conflict.
    other = create_product(client, account, GREEN_BOX)
    _refused(
        client,
        account,
        {"prompt": "x", "product_id": mine["id"], "product_ids": [other["id"]]},
        400,
        "invalid_request",
        "product_id",
        "product_ids",
    )
    _refused(
        client,
        account,
        {"prompt": "x", "product_ids": [mine["id"], mine["id"]]},
        400,
        "invalid_request",
        mine["id"],
    )

    # Uploaded with skip_segmentation: no cutout to place.
    flat = create_product(client, account, BLUE_BOX, skip_segmentation=True)
    _refused(
        client,
        account,
        {"prompt": "x", "product_id": flat["id"]},
        400,
        "product_unusable",
        "skip_segmentation",
    )


def test_a_product_still_analyzing_is_409(
    make_settings: Callable[..., Settings], make_account: Callable[..., Account]
) -> None:
    # An API process with no workers: the product's analysis stays queued.
    runtime = build_runtime(make_settings(plans=JOB_PLANS, embedded_workers=0))
    account = make_account()
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
            {"prompt": "x", "product_id": product_id},
            409,
            "product_analyzing",
            product_id,
        )
        assert "still being analyzed" in error


@BOTH_MODES
def test_reference_urls_that_cannot_be_used(
    client: TestClient, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A public-looking name that resolves to a private address (the resolver answers it here,
    # as the fetch tests do, so no DNS is asked).
    def resolve(host: str, port: int) -> list[str]:
        if host == "images.example.com":
            return ["10.0.0.7"]
        raise OSError(f"unexpected lookup of {host}")

    monkeypatch.setattr(krev.platform.fetch, "system_resolver", resolve)
    with OriginServer() as origin:
        origin.put("/page.html", b"<!doctype html><html></html>", "text/html")
        good = origin.put("/ok.png", photo_bytes(BLUE_BOX, size=64), "image/png")
        cases = [
            ("http://images.example.com/style.png", "url_not_allowed"),
            ("http://169.254.169.254/latest/meta-data", "url_not_allowed"),
            ("file:///etc/passwd", "url_not_allowed"),
            (closed_port_url(), "fetch_failed"),
            (origin.url("/missing.png"), "fetch_failed"),
            (origin.url("/page.html"), "unsupported_image_type"),
        ]
        for url, code in cases:
            # The bad one second, after a good one: still nothing is charged or queued.
            body = {"prompt": "x", "reference_images": [good, url]}
            _refused(client, account, body, 400, code, "reference_images[1]")


@pytest.mark.parametrize(
    ("media_type", "fmt", "code"),
    [
        ("text/plain", "PNG", "unsupported_image_type"),
        ("image/jpeg", "PNG", "invalid_data_url"),
    ],
)
def test_a_data_url_reference_must_declare_the_image_type_it_holds(
    client: TestClient, account: Account, media_type: str, fmt: str, code: str
) -> None:
    good = data_url(photo_bytes(BLUE_BOX, size=64))
    wrong = data_url(photo_bytes(GREEN_BOX, fmt=fmt, size=64), media_type)

    error = _refused(client, account, {"prompt": "x", "reference_images": [good, wrong]}, 400, code)

    assert error.startswith("reference_images[1]:") and media_type in error


def test_insufficient_credits_is_402_and_nothing_is_queued(
    client: TestClient, make_account: Callable[..., Account]
) -> None:
    poor = make_account(credits=100)
    _refused(
        client,
        poor,
        {"prompt": "marble", "hd": True, "image_count": 2},
        402,
        "insufficient_credits",
        "160",
    )
    _refused(client, poor, {"prompt": "marble", "image_count": 4}, 402, "insufficient_credits")
    assert balance(client, poor) == 100
