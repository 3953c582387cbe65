"""Deleting a product while its analysis runs cancels the analysis job (through the generations'
cancel path) and leaves no file behind. The analysis is held mid-run by a vision LLM (a local
OpenAI-compatible server) that answers only when the test releases it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from krev.platform.config import Settings
from tests.catalog.conftest import (
    PRODUCTS,
    data_url,
    photo_bytes,
    storage_root,
    storage_used,
    upload_json,
)
from tests.conftest import Account
from tests.generations.stack import JOB_PLANS, POLL_SECONDS, WAIT_SECONDS
from tests.support.fake_openai import FakeOpenAI

KEY = "sk-llm-hold-key"
ANSWER = {"brandName": "Aura", "productName": "Night Shift", "category": "skincare"}


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=KEY) as server:
        server.answer(ANSWER)
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


def _generation(client: TestClient, account: Account, generation_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/generations/{generation_id}", headers=account.headers)
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


def _wait_until_finished(client: TestClient, account: Account, generation_id: str) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        view = _generation(client, account, generation_id)
        if view["status"] in ("succeeded", "failed", "cancelled"):
            return view
        assert time.monotonic() < deadline, f"the job never finished: {view}"
        time.sleep(POLL_SECONDS)


def _accept(client: TestClient, account: Account, index: int) -> dict[str, Any]:
    response = upload_json(
        client, account, {"image_url": data_url(photo_bytes(index))}, Prefer="respond-async"
    )
    assert response.status_code == 202, response.text
    return dict(response.json()["data"])


def _files_of(client: TestClient, account: Account) -> list[str]:
    root = storage_root(client)
    # Stored objects, whatever their format; not local storage's "~content-type" sidecars.
    files = (root / "users" / str(account.user_id)).rglob("*")
    return sorted(str(path) for path in files if path.is_file() and "~" not in path.name)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_deleting_a_product_mid_analysis_cancels_its_job(
    client: TestClient, account: Account, llm: FakeOpenAI
) -> None:
    llm.hold()
    accepted = _accept(client, account, 0)
    assert llm.wait_for_request(), "the analysis never reached the LLM"
    assert _generation(client, account, accepted["generation_id"])["status"] == "processing"

    response = client.delete(PRODUCTS, params={"id": accepted["id"]}, headers=account.headers)
    llm.release()

    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"id": accepted["id"], "deleted": True}
    final = _wait_until_finished(client, account, accepted["generation_id"])
    assert final["status"] == "cancelled"
    assert final["error_code"] == "cancelled"
    assert final["output"] is None
    missing = client.get(PRODUCTS, params={"id": accepted["id"]}, headers=account.headers)
    assert missing.status_code == 404
    assert storage_used(client, account) == 0
    assert _files_of(client, account) == [], "neither the original nor a cutout is left"


def test_deleting_a_queued_product_cancels_its_job_at_once(
    client: TestClient, account: Account, llm: FakeOpenAI
) -> None:
    # Two uploads held at the LLM occupy both worker threads; the third waits in the queue.
    llm.hold()
    running = [_accept(client, account, index) for index in (0, 1)]
    deadline = time.monotonic() + WAIT_SECONDS
    while len(llm.requests) < 2:
        assert time.monotonic() < deadline, "the first two analyses never reached the LLM"
        time.sleep(POLL_SECONDS)
    queued = _accept(client, account, 2)
    assert _generation(client, account, queued["generation_id"])["status"] == "queued"

    response = client.delete(PRODUCTS, params={"id": queued["id"]}, headers=account.headers)

    assert response.status_code == 200, response.text
    view = _generation(client, account, queued["generation_id"])
    assert view["status"] == "cancelled", "a queued job is cancelled by the deletion itself"
    llm.release()
    for product in running:
        assert _wait_until_finished(client, account, product["generation_id"])["status"] == (
            "succeeded"
        )
    assert _wait_until_finished(client, account, queued["generation_id"])["status"] == "cancelled"
    assert len(llm.requests) == 2, "the cancelled job never ran"
    kept = {p["id"] for p in client.get(PRODUCTS, headers=account.headers).json()["data"]}
    assert kept == {product["id"] for product in running}
    files = _files_of(client, account)
    assert not any(queued["id"] in path for path in files)
    assert len(files) == 4, "two originals and two cutouts"
