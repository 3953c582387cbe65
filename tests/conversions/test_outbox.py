"""Delivery of outbox rows a POST can no longer produce: an event an older version stored with
a number JSON cannot carry, or a payload that is not an event at all, and a claim holding more
events than Meta takes in one request. Such a row fails on its own, with its reason, and the
events beside it still go out; the surplus of a claim waits for the next request. Nobody
consumes the queue here (no embedded workers): each test runs the deliverer itself."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import CursorResult, text, update
from tests.conftest import Account
from tests.conversions.conftest import list_events, send, stored_events, website_event
from tests.support.fake_graph import FakeGraph

from krev.conversions.delivery import deliver_claimed, deliver_pending
from krev.kit.clock import utcnow
from krev.models import ConversionEvent
from krev.platform.config import Settings
from krev.platform.runtime import Runtime


@pytest.fixture
def settings(make_settings: Callable[..., Settings], graph: FakeGraph) -> Settings:
    return make_settings(embedded_workers=0, meta_graph_url=graph.url)


def store_raw_payload(runtime: Runtime, event_id: str, payload: str) -> None:
    """Overwrite a stored event's payload with this JSON text, as an older version wrote it."""
    postgres = runtime.db.engine.dialect.name == "postgresql"
    value = "CAST(:payload AS jsonb)" if postgres else ":payload"
    with runtime.db.transaction() as session:
        updated = cast(
            CursorResult[Any],  # what an UPDATE answers; Session.execute types any Result
            session.execute(
                text(f"UPDATE conversion_events SET payload = {value} WHERE event_id = :event_id"),
                {"payload": payload, "event_id": event_id},
            ),
        )
        assert updated.rowcount == 1


POISON = [
    # The older version took 1e309 as inf and stored it as the bare word Infinity (so did NaN),
    # which Python reads back and no JSON writer may put out again. PostgreSQL's JSONB cannot
    # hold either; any backend can hold a payload that is not an object.
    pytest.param("sqlite", "Infinity", "custom_data.value is not a finite number", id="inf"),
    pytest.param("sqlite", "NaN", "custom_data.value is not a finite number", id="nan"),
    pytest.param("sqlite", None, "not a JSON object", id="not-an-object-sqlite"),
    pytest.param("postgres", None, "not a JSON object", id="not-an-object-postgres"),
]


@pytest.mark.parametrize(("backend", "number", "reason"), POISON, indirect=["backend"])
def test_an_event_that_cannot_be_sent_fails_alone_and_the_rest_go_out(
    client: TestClient,
    runtime: Runtime,
    configured: Account,
    graph: FakeGraph,
    number: str | None,
    reason: str,
) -> None:
    data = [website_event(event_id=name) for name in ("before", "poison", "after")]
    response = send(client, configured, {"data": data}, Prefer="respond-async")
    assert response.status_code == 202, response.text
    poison = website_event(event_id="poison", custom_data={"currency": "USD", "value": "@"})
    raw = json.dumps(poison).replace('"@"', number) if number else json.dumps("Purchase")
    store_raw_payload(runtime, "poison", raw)

    deliver_pending(runtime, configured.user_id)

    assert [event["event_id"] for event in graph.events()] == ["before", "after"]
    assert graph.problems == []
    listed = {event["event_id"]: event for event in list_events(client, configured)}
    assert listed["before"]["status"] == listed["after"]["status"] == "sent"
    failed = listed["poison"]
    assert failed["status"] == "failed"
    assert reason in failed["error"]
    assert failed["attempts"] == 1
    assert failed["completed_at"] is not None

    # Nothing is left to claim: another run sends nothing more.
    deliver_pending(runtime, configured.user_id)
    assert len(graph.batches) == 1


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_a_claim_over_metas_limit_is_sent_1000_at_a_time(
    client: TestClient, runtime: Runtime, configured: Account, graph: FakeGraph
) -> None:
    for first, count in ((0, 1000), (1000, 5)):
        data = [website_event(event_id=f"e{i}") for i in range(first, first + count)]
        response = send(client, configured, {"data": data}, Prefer="respond-async")
        assert response.status_code == 202, response.text
    # A claim of all 1005 (what a claim took when PostgreSQL ran its subquery again).
    token = uuid.uuid4()
    with runtime.db.transaction() as session:
        session.execute(
            update(ConversionEvent).values(
                claim_token=token, claimed_until=utcnow() + timedelta(minutes=5)
            )
        )

    deliver_claimed(runtime, token, timeout=5.0)

    assert graph.batch_sizes() == [1000]
    assert stored_events(runtime, "sent") == 1000
    deliver_pending(runtime, configured.user_id)  # the surplus is back in the queue
    assert graph.batch_sizes() == [1000, 5]
    assert sorted(event["event_id"] for event in graph.events()) == sorted(
        f"e{i}" for i in range(1005)
    )
    assert stored_events(runtime, "sent") == 1005
