"""Corrections with the vision-LLM analyzer (a local OpenAI-compatible server): a product still
being analyzed cannot be corrected (409, nothing changed), and the brands an account corrected
are named in its later analyses' requests, never in another account's."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from krev.platform.config import Settings
from tests.catalog.conftest import PRODUCTS, data_url, list_products, photo_bytes, upload_json
from tests.conftest import Account
from tests.generations.stack import JOB_PLANS, POLL_SECONDS, WAIT_SECONDS
from tests.support.fake_openai import FakeOpenAI

KEY = "sk-llm-patch-key"
# What the model reads off the label: the product line taken for the brand.
SWAPPED = {"brandName": "Night Repair", "productName": "NORDVIK", "category": "skincare"}
SELLER_BRANDS = "This seller's brands include"


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=KEY) as server:
        server.answer(SWAPPED)
        yield server


@pytest.fixture
def settings(make_settings: Callable[..., Settings], llm: FakeOpenAI) -> Settings:
    return make_settings(
        plans=JOB_PLANS,
        embedded_workers=2,
        sync_wait_seconds=60.0,
        product_analyzer="openai",
        llm_base_url=llm.base_url,
        llm_api_key=KEY,
    )


def _question(llm: FakeOpenAI, index: int) -> str:
    """The text the analysis asked the model with the photo."""
    content = llm.requests[index].body["messages"][1]["content"]
    return str(next(part["text"] for part in content if part["type"] == "text"))


def _wait_ready(client: TestClient, account: Account, product_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        product: dict[str, Any] = list_products(client, account, id=product_id)["data"]
        if product["status"] != "analyzing":
            return product
        assert time.monotonic() < deadline, "the analysis never finished"
        time.sleep(POLL_SECONDS)


def _upload(client: TestClient, account: Account) -> dict[str, Any]:
    response = upload_json(client, account, {"image_url": data_url(photo_bytes(0, size=128))})
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_a_product_being_analyzed_is_not_corrected(
    client: TestClient, account: Account, llm: FakeOpenAI
) -> None:
    llm.hold()
    response = upload_json(
        client,
        account,
        {"image_url": data_url(photo_bytes(1, size=128))},
        Prefer="respond-async",
    )
    assert response.status_code == 202, response.text
    product_id = response.json()["data"]["id"]
    assert llm.wait_for_request(), "the analysis never reached the LLM"

    try:
        refused = client.patch(
            PRODUCTS,
            params={"id": product_id},
            json={"name": "Too early", "metadata": {"brandName": "NORDVIK"}},
            headers=account.headers,
        )
    finally:
        llm.release()

    assert refused.status_code == 409, refused.text
    assert refused.json()["success"] is False
    assert refused.json()["code"] == "product_analyzing"
    product = _wait_ready(client, account, product_id)
    assert product["status"] == "ready"
    assert product["name"] == "NORDVIK by Night Repair", "the refused correction left no trace"
    assert product["metadata"]["brandName"] == "Night Repair"


def _correct(client: TestClient, account: Account, product_id: str, brand: str | None) -> None:
    response = client.patch(
        PRODUCTS,
        params={"id": product_id},
        json={"metadata": {"brandName": brand}},
        headers=account.headers,
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_the_llm_is_told_the_accounts_own_corrected_brands_only(
    client: TestClient,
    account: Account,
    make_account: Callable[..., Account],
    llm: FakeOpenAI,
) -> None:
    first = _upload(client, account)
    assert SELLER_BRANDS not in _question(llm, 0), "nothing corrected yet"
    response = client.patch(
        PRODUCTS,
        params={"id": first["id"]},
        json={"metadata": {"brandName": "NORDVIK", "productName": "Night Repair"}},
        headers=account.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["name"] == "Night Repair by NORDVIK"
    # What was learned outlives the product it was learned from.
    deleted = client.delete(PRODUCTS, params={"id": first["id"]}, headers=account.headers)
    assert deleted.status_code == 200, deleted.text

    second = _upload(client, account)
    assert len(llm.requests) == 2
    assert f'{SELLER_BRANDS}: "NORDVIK".' in _question(llm, 1)

    _upload(client, make_account())
    assert len(llm.requests) == 3
    assert SELLER_BRANDS not in _question(llm, 2)
    assert "NORDVIK" not in str(llm.requests[2].body["messages"])

    # A product's brand counts as last corrected, the most recent first; cleared, it is gone.
    _correct(client, account, second["id"], "Kora")
    _correct(client, account, second["id"], "Aura")
    _upload(client, account)
    assert f'{SELLER_BRANDS}: "Aura"; "NORDVIK".' in _question(llm, 3)
    _correct(client, account, second["id"], None)
    _upload(client, account)
    assert f'{SELLER_BRANDS}: "NORDVIK".' in _question(llm, 4)
