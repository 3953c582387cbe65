"""A multipart upload retried with the same Idempotency-Key (a new random boundary each
time, as client libraries send it) creates one product, and the retry gets the first answer."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from tests.catalog.conftest import PRODUCTS, list_products, photo_bytes
from tests.conftest import Account
from tests.support.http_types import AnyResponse


def test_a_retried_upload_creates_one_product(client: TestClient, account: Account) -> None:
    key = str(uuid.uuid4())
    photo = photo_bytes(2, fmt="JPEG")

    def upload() -> AnyResponse:
        return client.post(
            PRODUCTS,
            files={"file": ("bottle.jpg", photo, "image/jpeg")},
            data={"name": "Amber Bottle"},
            headers={**account.headers, "Idempotency-Key": key},
        )

    first, retry = upload(), upload()

    assert first.status_code == 200, first.text
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json()["data"]["id"] == first.json()["data"]["id"]
    listed = list_products(client, account)["data"]
    assert [product["id"] for product in listed] == [first.json()["data"]["id"]]
