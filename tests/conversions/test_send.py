"""POST /api/v1/conversions/meta through the real app, queue and database, against a fake
Graph API: sent right away, queued and delivered later, retried, given up, deduplicated."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from tests.conftest import Account
from tests.conversions.conftest import (
    ACCESS_TOKEN,
    EVENTS,
    PIXEL_ID,
    all_status,
    configure,
    list_events,
    send,
    stored_events,
    wait_for_events,
    wait_until_none_queued,
    website_event,
)
from tests.support.fake_graph import Answer, FakeGraph, meta_error

from krev.conversions.delivery import deliver_pending
from krev.conversions.normalize import sha256_hex
from krev.kit.clock import utcnow
from krev.models import ConversionEvent
from krev.platform.runtime import Runtime

# Meta's published examples (REFERENCES.md): the normalised value's SHA-256.
EMAIL_VECTOR = "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f"
PHONE_VECTOR = "e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176"
NAME_VECTOR = "6915771be1c5aa0c886870b6951b03d7eafc121fea0e80a5ea83beb7c449f4ec"


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_event_is_sent_hashed_as_meta_specifies(
    client: TestClient, configured: Account, graph: FakeGraph
) -> None:
    event = website_event(
        event_id="order_123",
        user_data={
            "email": "  John_Smith@gmail.com ",
            "phone": "+1 (650) 555-1212",
            "first_name": "Mary",
            "country_code": "US",
            "client_user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
            "client_ip_address": "203.0.113.7",
            "fbp": "fb.1.1596403881668.1116446470",
        },
    )
    response = send(client, configured, event)

    assert response.status_code == 200, response.text
    assert response.json() == {"success": True, "status": "sent", "events_received": 1}
    assert graph.problems == []
    [batch] = graph.batches
    assert (batch.pixel_id, batch.access_token, batch.version) == (PIXEL_ID, ACCESS_TOKEN, "v21.0")
    [received] = batch.events
    user_data = received["user_data"]
    assert user_data["em"] == EMAIL_VECTOR
    assert user_data["ph"] == PHONE_VECTOR
    assert user_data["fn"] == NAME_VECTOR
    assert user_data["country"] == sha256_hex("us")
    assert user_data["client_user_agent"] == "Mozilla/5.0 (X11; Linux x86_64)"
    assert user_data["client_ip_address"] == "203.0.113.7"
    assert user_data["fbp"] == "fb.1.1596403881668.1116446470"
    assert received["event_id"] == "order_123"
    assert received["custom_data"] == {"currency": "USD", "value": 79.0}
    assert received["event_time"] == event["event_time"]

    [listed] = list_events(client, configured)
    assert listed["status"] == "sent"
    assert listed["event_name"] == "Purchase"
    assert listed["event_id"] == "order_123"
    assert listed["fbtrace_id"]
    assert listed["error"] is None


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_a_batch_of_1000_goes_out_in_one_request(
    client: TestClient, configured: Account, graph: FakeGraph
) -> None:
    data = [
        website_event(
            event_id=f"order_{i}",
            user_data={
                "em": f"buyer{i}@example.com",
                "client_user_agent": "UA",
                "ph": "16505551212",
            },
        )
        for i in range(1000)
    ]
    response = send(client, configured, {"data": data, "test_event_code": "TEST4242"})

    assert response.status_code == 200, response.text
    assert response.json() == {"success": True, "status": "sent", "events_received": 1000}
    [batch] = graph.batches
    assert len(batch.events) == 1000
    assert batch.test_event_code == "TEST4242"
    assert batch.events[7]["user_data"]["em"] == sha256_hex("buyer7@example.com")
    assert graph.problems == []
    # The delivery log pages through all of them, 100 at a time.
    seen: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        page = client.get(EVENTS, params=params, headers=configured.headers).json()
        seen += page["data"]
        if page["meta"]["next_cursor"] is None:
            break
        params["cursor"] = page["meta"]["next_cursor"]
    assert len({event["id"] for event in seen}) == len(seen) == 1000
    assert {event["status"] for event in seen} == {"sent"}


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_queued_when_meta_fails_then_the_worker_delivers(
    client: TestClient, configured: Account, graph: FakeGraph
) -> None:
    graph.answer_next(Answer(status=500))

    response = send(client, configured, website_event(event_id="a1"))

    assert response.status_code == 202, response.text
    assert response.json() == {"success": True, "status": "queued", "events_received": 1}
    [event] = wait_for_events(client, configured, all_status("sent"))
    assert event["attempts"] == 2
    assert [batch.status for batch in graph.batches] == [500, 200]
    assert len(graph.events()) == 1


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_queued_while_meta_is_unreachable_and_delivered_when_it_is_back(
    client: TestClient, configured: Account, graph: FakeGraph
) -> None:
    graph.stop()

    response = send(client, configured, website_event(event_id="down-1"))

    assert response.status_code == 202, response.text
    assert response.json()["status"] == "queued"
    [queued] = list_events(client, configured)
    assert queued["status"] == "queued"
    assert "could not be reached" in queued["error"]
    graph.start()  # the same port
    wait_for_events(client, configured, all_status("sent"))
    assert len(graph.events()) == 1


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_an_answer_that_cannot_be_read_is_retried_like_an_outage(
    client: TestClient, configured: Account, graph: FakeGraph
) -> None:
    # A body that is not the gzip its Content-Encoding announces.
    graph.answer_next(Answer(status=502, headers={"Content-Encoding": "gzip"}))

    response = send(client, configured, website_event(event_id="garbled"))

    assert response.status_code == 202, response.text
    [queued] = list_events(client, configured)
    assert queued["attempts"] == 1
    assert "could not be read" in queued["error"]
    [event] = wait_for_events(client, configured, all_status("sent"))
    assert event["attempts"] == 2


def test_a_hanging_meta_answers_queued(
    client: TestClient, runtime: Runtime, configured: Account, graph: FakeGraph
) -> None:
    runtime.settings.conversions_wait_seconds = 0.5
    graph.answer_next(Answer(hang_seconds=3))

    response = send(client, configured, website_event(event_id="slow-1"))

    assert response.status_code == 202, response.text
    assert response.json()["status"] == "queued"
    [event] = wait_for_events(client, configured, all_status("sent"))
    assert event["attempts"] == 2


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_retry_after_is_honoured(client: TestClient, configured: Account, graph: FakeGraph) -> None:
    graph.answer_next(
        Answer(
            status=429,
            headers={"Retry-After": "2"},
            error=meta_error("(#613) Calls to this api have exceeded the rate limit.", 613),
        )
    )

    response = send(client, configured, website_event(event_id="limited"))

    assert response.status_code == 202, response.text
    wait_for_events(client, configured, all_status("sent"))
    first, second = graph.batches
    assert (first.status, second.status) == (429, 200)
    # Backoff alone would come back within a second (base 0.2 s, cap 1 s).
    assert second.received_at - first.received_at >= 2.0


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_gives_up_after_the_bound_with_metas_message(
    client: TestClient, runtime: Runtime, configured: Account, graph: FakeGraph
) -> None:
    runtime.settings.conversions_give_up_seconds = 1.5
    graph.fail_always(
        Answer(
            status=503,
            error=meta_error("(#2) Service temporarily unavailable", 2, "OAuthException"),
        )
    )

    response = send(client, configured, website_event(event_id="doomed"))

    assert response.status_code == 202, response.text
    [event] = wait_for_events(client, configured, all_status("failed"))
    assert "Gave up after" in event["error"]
    assert "(#2) Service temporarily unavailable" in event["error"]
    assert event["attempts"] >= 2
    assert graph.events(200) == []


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_meta_refusing_the_events_is_a_400_with_its_message(
    client: TestClient, account: Account, graph: FakeGraph
) -> None:
    configure(client, account, access_token="EAAGwrongtoken0000")

    response = send(client, account, website_event(event_id="x"))

    assert response.status_code == 400, response.text
    body = response.json()
    assert body["success"] is False
    assert body["code"] == "meta_rejected"
    assert "Invalid OAuth access token" in body["error"]
    [event] = list_events(client, account)
    assert event["status"] == "failed"
    assert "Invalid OAuth access token" in event["error"]
    assert len(graph.batches) == 1  # a permanent refusal is not retried


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_a_repeated_event_id_is_sent_once(
    client: TestClient, runtime: Runtime, configured: Account, graph: FakeGraph
) -> None:
    first = send(client, configured, website_event(event_id="order_9"))
    again = send(client, configured, website_event(event_id="order_9"))
    other_name = send(client, configured, website_event(event_id="order_9", event_name="Lead"))
    in_one_batch = send(
        client,
        configured,
        {"data": [website_event(event_id="order_10"), website_event(event_id="order_10")]},
    )

    for response in (first, again, other_name, in_one_batch):
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "sent"
    assert in_one_batch.json()["events_received"] == 2
    sent = [(e["event_name"], e["event_id"]) for e in graph.events()]
    assert sorted(sent) == [("Lead", "order_9"), ("Purchase", "order_10"), ("Purchase", "order_9")]
    assert stored_events(runtime) == 3


def test_prefer_respond_async_answers_at_once_and_the_worker_sends(
    client: TestClient, configured: Account, graph: FakeGraph
) -> None:
    response = send(client, configured, website_event(event_id="async-1"), Prefer="respond-async")

    assert response.status_code == 202, response.text
    assert response.json() == {"success": True, "status": "queued", "events_received": 1}
    wait_for_events(client, configured, all_status("sent"))
    assert len(graph.events()) == 1


def test_events_of_several_requests_go_out_together(
    client: TestClient, configured: Account, graph: FakeGraph
) -> None:
    graph.stop()
    for i in range(5):
        response = send(client, configured, website_event(event_id=f"b{i}"), Prefer="respond-async")
        assert response.status_code == 202
    graph.start()
    wait_for_events(client, configured, all_status("sent", 5))
    assert sorted(e["event_id"] for e in graph.events()) == [f"b{i}" for i in range(5)]
    assert graph.problems == []


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_racing_workers_send_each_event_once(
    client: TestClient, runtime: Runtime, configured: Account, graph: FakeGraph
) -> None:
    graph.stop()
    for batch in range(3):
        data = [website_event(event_id=f"race-{batch}-{i}") for i in range(1000)]
        response = send(client, configured, {"data": data}, Prefer="respond-async")
        assert response.status_code == 202, response.text
    graph.start()

    # The embedded workers' retries and four more deliverers, all at once.
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: deliver_pending(runtime, configured.user_id), range(4)))
    wait_until_none_queued(runtime)

    assert max(graph.batch_sizes()) <= 1000  # Meta refuses a larger request, all of it
    sent = [event["event_id"] for event in graph.events()]
    assert len(sent) == 3000
    assert len(set(sent)) == 3000
    assert stored_events(runtime, "sent") == 3000


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_an_event_id_can_be_sent_again_after_48_hours_or_a_failure(
    client: TestClient, runtime: Runtime, account: Account, graph: FakeGraph
) -> None:
    configure(client, account, access_token="EAAGwrongtoken0000")
    assert send(client, account, website_event(event_id="retry-me")).status_code == 400
    configure(client, account)  # the right token now

    # The failed delivery did not reach Meta, so the same event is no duplicate.
    assert send(client, account, website_event(event_id="retry-me")).status_code == 200
    assert send(client, account, website_event(event_id="retry-me")).status_code == 200
    assert [e["event_id"] for e in graph.events()] == ["retry-me"]

    # Past Meta's 48 h window the pair counts as new again.
    with runtime.db.transaction() as session:
        session.execute(update(ConversionEvent).values(created_at=utcnow() - timedelta(hours=49)))
    assert send(client, account, website_event(event_id="retry-me")).status_code == 200
    assert [e["event_id"] for e in graph.events()] == ["retry-me", "retry-me"]
    statuses = sorted(e["status"] for e in list_events(client, account))
    assert statuses == ["failed", "sent", "sent"]
