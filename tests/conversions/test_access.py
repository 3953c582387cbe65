"""Who may send and see conversion events: the conversions scope, and only one's own."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.accounts.dashboard import assert_error
from tests.conftest import Account
from tests.conversions.conftest import EVENTS, configure, list_events, send, website_event
from tests.support.fake_graph import FakeGraph

from krev.models import User
from krev.platform.config import Plan
from krev.platform.runtime import Runtime


def test_a_key_without_the_conversions_scope_is_refused(
    client: TestClient, make_account: Callable[..., Account], graph: FakeGraph
) -> None:
    account = make_account(scopes=["images", "products"])
    configure(client, account)

    sentence = assert_error(send(client, account, website_event()), 403, "insufficient_scope")
    assert "conversions" in sentence
    assert_error(client.get(EVENTS, headers=account.headers), 403, "insufficient_scope")
    assert graph.batches == []


def test_no_key_is_401(client: TestClient) -> None:
    assert_error(client.post("/api/v1/conversions/meta", json=website_event()), 401)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_another_users_events_are_not_listed(
    client: TestClient, make_account: Callable[..., Account], graph: FakeGraph
) -> None:
    alice, bob = make_account(), make_account()
    configure(client, alice)
    configure(client, bob)

    assert send(client, alice, website_event(event_id="alice-1")).status_code == 200
    assert send(client, bob, website_event(event_id="bob-1")).status_code == 200
    # The same event_id on another account is no duplicate.
    assert send(client, bob, website_event(event_id="alice-1")).status_code == 200

    assert [e["event_id"] for e in list_events(client, alice)] == ["alice-1"]
    assert sorted(e["event_id"] for e in list_events(client, bob)) == ["alice-1", "bob-1"]
    assert len(graph.events()) == 3


def test_listing_limit(client: TestClient, configured: Account) -> None:
    for i in range(3):
        assert send(client, configured, website_event(event_id=f"e{i}")).status_code == 200
    response = client.get(EVENTS, params={"limit": 2}, headers=configured.headers)
    assert response.status_code == 200
    body = response.json()
    assert [e["event_id"] for e in body["data"]] == ["e2", "e1"]
    assert body["meta"]["count"] == 2
    assert_error(client.get(EVENTS, params={"limit": 0}, headers=configured.headers), 400)


def test_conversions_are_rate_limited_and_cost_no_credits(
    client: TestClient,
    runtime: Runtime,
    make_account: Callable[..., Account],
    graph: FakeGraph,
) -> None:
    runtime.settings.plans["tiny"] = Plan(
        name="Tiny", monthly_credits=100, storage_bytes=10**6, rate_limit="2/minute"
    )
    account = make_account(plan="tiny")
    configure(client, account)  # the dashboard's PUT counts in its own window, not the key's

    first = send(client, account, website_event(event_id="one"))
    second = send(client, account, website_event(event_id="two"))
    refused = send(client, account, website_event(event_id="three"))

    assert first.status_code == 200, first.text
    assert second.status_code == 200, second.text
    assert_error(refused, 429, "rate_limited")
    assert refused.headers["Retry-After"]
    assert [e["event_id"] for e in graph.events()] == ["one", "two"]
    with runtime.db.transaction(write=False) as session:
        balance = session.scalar(select(User.credits_balance).where(User.id == account.user_id))
    assert balance == 100
