"""Fixtures for Meta conversions: the real app with worker threads, a fake Graph API on
127.0.0.1 that checks what it gets, an account with a pixel configured from its dashboard
session, and helpers that speak HTTP to the app."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.accounts.dashboard import login
from tests.conftest import Account
from tests.support.fake_graph import FakeGraph

from krev.models import ConversionEvent
from krev.platform.config import Settings
from krev.platform.runtime import Runtime

SEND = "/api/v1/conversions/meta"
EVENTS = "/api/v1/conversions/meta/events"
CONFIG = "/api/v1/conversions/meta/config"
PIXEL_ID = "1234567890123456"
ACCESS_TOKEN = "EAAGtestaccesstokenXYZ9"


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with FakeGraph(tokens={PIXEL_ID: ACCESS_TOKEN}) as fake:
        yield fake


@pytest.fixture
def settings(make_settings: Callable[..., Settings], graph: FakeGraph) -> Settings:
    return make_settings(
        embedded_workers=2,
        meta_graph_url=graph.url,
        conversions_wait_seconds=5.0,
        conversions_retry_base_seconds=0.2,
        conversions_retry_max_seconds=1.0,
    )


def configure(client: TestClient, account: Account, **body: Any) -> dict[str, Any]:
    """Set the account's pixel through its dashboard session, as a user would."""
    dashboard = login(client, account)
    payload = {"pixel_id": PIXEL_ID, "access_token": ACCESS_TOKEN, **body}
    response = client.put(CONFIG, json=payload, headers={"X-CSRF-Token": dashboard.csrf})
    assert response.status_code == 200, response.text
    client.cookies.clear()  # later calls use the account's API key only
    data: dict[str, Any] = response.json()["data"]
    return data


@pytest.fixture
def configured(client: TestClient, account: Account) -> Account:
    configure(client, account)
    return account


def website_event(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_name": "Purchase",
        "event_time": int(time.time()) - 60,
        "action_source": "website",
        "event_source_url": "https://shop.example.com/products/wallet",
        "user_data": {
            "email": "John_Smith@gmail.com",
            "client_user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
            "client_ip_address": "203.0.113.7",
        },
        "custom_data": {"currency": "USD", "value": 79.0},
    }
    event.update(overrides)
    return event


def send(client: TestClient, account: Account, body: Any, **headers: str) -> Any:
    return client.post(SEND, json=body, headers={**account.headers, **headers})


def list_events(client: TestClient, account: Account, limit: int = 100) -> list[dict[str, Any]]:
    response = client.get(EVENTS, params={"limit": limit}, headers=account.headers)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def wait_for_events(
    client: TestClient, account: Account, done: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    """Poll the account's delivery log until ``done`` says so (the worker runs on its own).
    The bound only keeps a broken build from hanging the suite; nothing asserts on time."""
    deadline = time.monotonic() + 120
    while True:
        events = list_events(client, account)
        if done(events):
            return events
        assert time.monotonic() < deadline, f"deliveries never settled: {events}"
        time.sleep(0.1)


def all_status(status: str, count: int = 1) -> Callable[[list[dict[str, Any]]], bool]:
    def check(events: list[dict[str, Any]]) -> bool:
        return len(events) == count and all(event["status"] == status for event in events)

    return check


def stored_events(runtime: Runtime, status: str | None = None) -> int:
    stmt = select(func.count()).select_from(ConversionEvent)
    if status is not None:
        stmt = stmt.where(ConversionEvent.status == status)
    with runtime.db.transaction(write=False) as session:
        return int(session.scalar(stmt) or 0)


def wait_until_none_queued(runtime: Runtime) -> None:
    """Like ``wait_for_events``, for more events than one page lists."""
    deadline = time.monotonic() + 120
    while stored_events(runtime, "queued"):
        assert time.monotonic() < deadline, "deliveries never settled"
        time.sleep(0.1)
