"""Every list pages the same way: newest first with the id breaking ties, ``limit`` 1-100,
``meta: {count, next_cursor}``, and an opaque cursor that only this API issues; rows created
in the same instant are neither skipped nor repeated across pages."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from krev.models import ConversionEvent, Generation, LedgerEntry, Product
from krev.platform.config import Settings
from krev.platform.runtime import Runtime
from tests.accounts.dashboard import login
from tests.catalog.conftest import data_url, photo_bytes
from tests.conftest import Account
from tests.conversions.conftest import website_event
from tests.generations.stack import JOB_PLANS

LISTS = {
    "generations": "/api/v1/generations",
    "products": "/api/v1/products",
    "conversion events": "/api/v1/conversions/meta/events",
    "credit history": "/api/v1/credits/history",
}
ASYNC = {"Prefer": "respond-async"}
SAME_INSTANT = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    # No workers: jobs stay queued and events stay in the outbox (nothing goes to Meta, whose
    # URL is a closed local port anyway).
    return make_settings(
        plans=JOB_PLANS, conversions_wait_seconds=0.0, meta_graph_url="http://127.0.0.1:9"
    )


def fill_every_list(client: TestClient, account: Account, count: int) -> None:
    """``count`` generations (and as many ledger reservations), products and events."""
    for _ in range(count):
        job = client.post("/api/v1/test-jobs", json={"cost": 1}, headers=account.headers | ASYNC)
        assert job.status_code == 202, job.text
    for index in range(count):
        body = {"image_url": data_url(photo_bytes(index, size=96)), "skip_segmentation": True}
        product = client.post(LISTS["products"], json=body, headers=account.headers | ASYNC)
        assert product.status_code == 202, product.text
    dashboard = login(client, account)
    config = {"pixel_id": "1234567890123456", "access_token": "EAAGtestaccesstokenXYZ9"}
    configured = client.put(
        "/api/v1/conversions/meta/config", json=config, headers={"X-CSRF-Token": dashboard.csrf}
    )
    assert configured.status_code == 200, configured.text
    client.cookies.clear()
    events = [website_event(event_id=f"order-{index}") for index in range(count)]
    sent = client.post(
        "/api/v1/conversions/meta", json={"data": events}, headers=account.headers | ASYNC
    )
    assert sent.status_code == 202, sent.text


def created_in_one_instant(runtime: Runtime, account: Account) -> None:
    with runtime.db.transaction() as session:
        for model in (Generation, Product, ConversionEvent, LedgerEntry):
            session.execute(
                update(model)
                .where(model.user_id == account.user_id)
                .values(created_at=SAME_INSTANT)
            )


def page_through(client: TestClient, account: Account, path: str, limit: int) -> list[Any]:
    ids: list[Any] = []
    cursor: str | None = None
    for _ in range(50):
        params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        response = client.get(path, params=params, headers=account.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"success", "data", "meta"}
        assert body["meta"]["count"] == len(body["data"])
        assert 0 < len(body["data"]) <= limit  # never a cursor to an empty page
        ids += [item["id"] for item in body["data"]]
        cursor = body["meta"]["next_cursor"]
        if cursor is None:
            return ids
    raise AssertionError(f"{path} never reached its last page")


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_rows_of_one_instant_are_paged_by_id_without_gaps_or_repeats(
    client: TestClient, runtime: Runtime, make_account: Callable[..., Account]
) -> None:
    account, other = make_account(plan="pro"), make_account(plan="pro")
    fill_every_list(client, account, 5)
    fill_every_list(client, other, 1)
    created_in_one_instant(runtime, account)
    # Each product has its analysis job; the ledger opened with the plan's monthly credits.
    expected = {"generations": 10, "products": 5, "conversion events": 5, "credit history": 6}

    for name, path in LISTS.items():
        whole = page_through(client, account, path, limit=100)
        by_id = (lambda i: i) if name == "credit history" else uuid.UUID
        assert whole == sorted(whole, key=by_id, reverse=True), name
        assert len(whole) == expected[name], name
        for limit in (1, 2):
            assert page_through(client, account, path, limit) == whole, (name, limit)


def test_a_cursor_is_good_only_for_the_list_that_issued_it(
    client: TestClient, account: Account
) -> None:
    fill_every_list(client, account, 2)
    cursors = {}
    for name, path in LISTS.items():
        response = client.get(path, params={"limit": 1}, headers=account.headers)
        assert response.status_code == 200, response.text
        cursors[name] = response.json()["meta"]["next_cursor"]
        assert isinstance(cursors[name], str) and cursors[name], name

    for name, path in LISTS.items():
        mine = cursors[name]
        flipped = mine[:10] + ("A" if mine[10] != "A" else "B") + mine[11:]
        refused = [
            *(cursor for other, cursor in cursors.items() if other != name),
            flipped,
            mine[:-2],
            mine + "AA",
            "2026-01-01T00:00:00",
            "2026-01-01",
            "0.5",
            "12",
            "not a cursor!",
            "x" * 2000,
        ]
        for cursor in refused:
            response = client.get(path, params={"cursor": cursor}, headers=account.headers)
            assert response.status_code == 400, (name, cursor, response.text)
            body = response.json()
            assert body["code"] == "invalid_cursor", (name, cursor, body)
            assert set(body) == {"success", "error", "code"}
        # The cursor as issued still works, and an empty one asks for the first page.
        assert client.get(path, params={"cursor": mine}, headers=account.headers).is_success
        first = client.get(path, params={"cursor": ""}, headers=account.headers)
        assert first.status_code == 200, first.text


def test_limit_has_the_same_bounds_and_default_everywhere(
    client: TestClient, account: Account
) -> None:
    for name, path in LISTS.items():
        for limit in (0, 101, -1, "ten"):
            response = client.get(path, params={"limit": limit}, headers=account.headers)
            assert response.status_code == 400, (name, limit, response.text)
            assert "'limit'" in response.json()["error"], name
        for limit in (1, 100):
            response = client.get(path, params={"limit": limit}, headers=account.headers)
            assert response.status_code == 200, (name, limit, response.text)


def test_the_document_describes_one_limit_and_cursor(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    for path in LISTS.values():
        parameters = {p["name"]: p for p in spec["paths"][path]["get"]["parameters"]}
        assert parameters["limit"]["schema"]["maximum"] == 100, path
        assert parameters["limit"]["schema"]["minimum"] == 1, path
        assert parameters["limit"]["schema"]["default"] == 50, path
        assert "next_cursor" in parameters["cursor"]["description"], path
