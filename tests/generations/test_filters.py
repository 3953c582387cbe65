"""GET /api/v1/generations?kind=&status=&product_id=: a product's analysis and the images made
with it, found by the product they were submitted for; another user's product finds nothing,
and a deleted product's generations are still found by its id."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from krev.platform.config import Settings
from tests.catalog.conftest import PRODUCTS, data_url, photo_bytes
from tests.conftest import Account
from tests.images.conftest import BLUE_BOX, GREEN_BOX, ORANGE_JAR, generated

GENERATIONS = "/api/v1/generations"


@pytest.fixture
def settings(job_settings: Callable[..., Settings]) -> Settings:
    return job_settings(embedded_workers=2, sync_wait_seconds=120.0)


def analysed_product(client: TestClient, account: Account, index: int) -> tuple[str, str]:
    """(product id, its analysis job's id) of a product uploaded and analysed."""
    body = {"image_url": data_url(photo_bytes(index, size=256))}
    response = client.post(
        PRODUCTS, json=body, headers={**account.headers, "Prefer": "respond-async"}
    )
    assert response.status_code == 202, response.text
    product = response.json()["data"]
    deadline = time.monotonic() + 120
    while True:
        view = client.get(PRODUCTS, params={"id": product["id"]}, headers=account.headers)
        if view.json()["data"]["status"] != "analyzing":
            assert view.json()["data"]["status"] == "ready", view.text
            return product["id"], product["generation_id"]
        assert time.monotonic() < deadline, "the product's analysis never finished"
        time.sleep(0.05)


def listed(client: TestClient, account: Account, **params: Any) -> list[str]:
    response = client.get(GENERATIONS, params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    return [generation["id"] for generation in response.json()["data"]]


def refused(client: TestClient, account: Account, answer: int, **params: Any) -> dict[str, Any]:
    response = client.get(GENERATIONS, params=params, headers=account.headers)
    assert response.status_code == answer, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_generations_are_found_by_kind_status_and_product(
    client: TestClient, make_account: Callable[..., Account]
) -> None:
    owner, stranger = make_account(), make_account()
    bag, bag_analysis = analysed_product(client, owner, BLUE_BOX)
    box, box_analysis = analysed_product(client, owner, GREEN_BOX)
    theirs, _ = analysed_product(client, stranger, ORANGE_JAR)
    bag_only = generated(client, owner, {"prompt": "on marble", "product_id": bag})
    together = generated(client, owner, {"prompt": "on oak", "product_ids": [box, bag]})
    failing = client.post(
        "/api/v1/test-jobs", json={"params": {"fail": True}}, headers=owner.headers
    )
    assert failing.status_code == 500, failing.text
    failed = failing.json()["generation_id"]
    images = {bag_only["generation_id"], together["generation_id"]}

    assert set(listed(client, owner, product_id=bag)) == {bag_analysis, *images}
    assert listed(client, owner, product_id=box) == [together["generation_id"], box_analysis]
    assert listed(client, owner, product_id=theirs) == []
    assert set(listed(client, owner, kind="image")) == images
    assert listed(client, owner, kind="product_analysis") == [box_analysis, bag_analysis]
    assert listed(client, owner, kind="image", product_id=box) == [together["generation_id"]]
    assert listed(client, owner, status="failed") == [failed]
    assert listed(client, owner, status="failed", kind="image") == []
    assert len(listed(client, owner, status="succeeded")) == 4
    # Filters page like the whole list.
    whole = listed(client, owner, product_id=bag)
    first = client.get(GENERATIONS, params={"product_id": bag, "limit": 2}, headers=owner.headers)
    cursor = first.json()["meta"]["next_cursor"]
    rest = listed(client, owner, product_id=bag, limit=2, cursor=cursor)
    assert [g["id"] for g in first.json()["data"]] + rest == whole

    # Deleting a product leaves what was made with it, still found by the product's id.
    deleted = client.delete(PRODUCTS, params={"id": bag}, headers=owner.headers)
    assert deleted.status_code == 200, deleted.text
    assert listed(client, owner, product_id=bag) == whole


def test_unknown_filters_are_refused_with_the_valid_values(
    client: TestClient, make_account: Callable[..., Account]
) -> None:
    account = make_account()

    kind = refused(client, account, 400, kind="video_magic")
    assert kind["code"] == "invalid_request"
    assert "'kind'" in kind["error"]
    assert "image" in kind["error"] and "product_analysis" in kind["error"]
    status = refused(client, account, 400, status="done")
    assert "'status'" in status["error"]
    assert all(s in status["error"] for s in ("queued", "processing", "succeeded", "cancelled"))
    product = refused(client, account, 400, product_id="bag")
    assert "'product_id'" in product["error"]
    # A real kind the key's scopes do not cover is the scope's refusal, as reading one is.
    images_only = make_account(scopes=["images"])
    scope = refused(client, images_only, 403, kind="product_analysis")
    assert scope["code"] == "insufficient_scope"
    assert listed(client, images_only, kind="image") == []
