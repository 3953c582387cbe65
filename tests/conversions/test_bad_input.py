"""Bad input to POST /api/v1/conversions/meta: a 400 that names the event and field, and
nothing stored, nothing sent."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.accounts.dashboard import assert_error
from tests.conftest import Account
from tests.conversions.conftest import SEND, send, stored_events, website_event
from tests.support.fake_graph import FakeGraph

from krev.platform.runtime import Runtime

NOW = int(time.time())


def _without(field: str) -> dict[str, Any]:
    event = website_event()
    del event[field]
    return event


def _user_data(**user_data: Any) -> dict[str, Any]:
    return website_event(user_data={"client_user_agent": "UA", **user_data})


CASES: list[tuple[str, Any, list[str]]] = [
    ("missing event_name", _without("event_name"), ["data[0].event_name", "required"]),
    ("missing event_time", _without("event_time"), ["data[0].event_time", "required"]),
    ("missing action_source", _without("action_source"), ["data[0].action_source", "required"]),
    ("missing user_data", _without("user_data"), ["data[0].user_data", "required"]),
    (
        "event_time in milliseconds",
        website_event(event_time=NOW * 1000),
        ["data[0].event_time", "milliseconds"],
    ),
    (
        "event_time 8 days old",
        website_event(event_time=NOW - 8 * 86400),
        ["data[0].event_time", "7 days"],
    ),
    ("event_time in the future", website_event(event_time=NOW + 3600), ["future"]),
    ("event_time as text", website_event(event_time="yesterday"), ["data[0].event_time"]),
    (
        "unknown action_source",
        website_event(action_source="billboard"),
        ["data[0].action_source", "website"],
    ),
    (
        "website without event_source_url",
        _without("event_source_url"),
        ["data[0].event_source_url", "website"],
    ),
    (
        "website without client_user_agent",
        website_event(user_data={"email": "a@example.com"}),
        ["data[0].user_data.client_user_agent"],
    ),
    ("email without @", _user_data(email="john.example.com"), ["data[0].user_data.email", "@"]),
    ("phone with letters", _user_data(phone="call me"), ["data[0].user_data.phone"]),
    ("phone without country code", _user_data(ph="0650 555 1212"), ["country code"]),
    ("unknown country", _user_data(country="zz"), ["data[0].user_data.country"]),
    ("bad gender", _user_data(gender="x"), ["data[0].user_data.gender"]),
    ("bad birth date", _user_data(db="1990-02-31"), ["data[0].user_data.db"]),
    ("bad IP address", _user_data(client_ip_address="1.2.3"), ["client_ip_address"]),
    ("unknown user_data key", _user_data(shoe_size="44"), ["data[0].user_data.shoe_size"]),
    ("no customer information", website_event(user_data={}), ["data[0].user_data"]),
    ("unknown event field", website_event(colour="red"), ["data[0].colour"]),
    (
        "third event of a batch",
        {"data": [website_event(), website_event(), website_event(), _without("event_name")]},
        ["data[3].event_name"],
    ),
    (
        "1001 events",
        {"data": [website_event(event_id=str(i)) for i in range(1001)]},
        ["1001", "1000"],
    ),
    ("empty batch", {"data": []}, ["data"]),
    ("a list", [website_event()], ["JSON object"]),
]


@pytest.mark.parametrize(("case", "body", "phrases"), CASES, ids=[case[0] for case in CASES])
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_kept(
    client: TestClient,
    runtime: Runtime,
    configured: Account,
    graph: FakeGraph,
    case: str,
    body: Any,
    phrases: list[str],
) -> None:
    sentence = assert_error(send(client, configured, body), 400, "invalid_request")

    for phrase in phrases:
        assert phrase in sentence, (case, sentence)
    assert stored_events(runtime) == 0
    assert graph.batches == []


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_one_bad_event_refuses_the_whole_batch(
    client: TestClient, runtime: Runtime, configured: Account, graph: FakeGraph
) -> None:
    data = [website_event(event_id=str(i)) for i in range(10)]
    data[6]["user_data"]["email"] = "not-an-email"
    data[8]["event_time"] = NOW * 1000

    sentence = assert_error(send(client, configured, {"data": data}), 400, "invalid_request")

    assert "data[6].user_data.email" in sentence
    assert "data[8].event_time" in sentence
    assert stored_events(runtime) == 0
    assert graph.batches == []


def _with_raw_number(body: Any, token: str) -> bytes:
    """The body as JSON with ``"@"`` swapped for a token no JSON writer emits (httpx refuses
    to write NaN or half a surrogate pair), as a client built on a lenient encoder sends it."""
    return json.dumps(body).replace('"@"', token).encode()


NON_FINITE: list[tuple[str, Any, str]] = [
    ("1e309", website_event(custom_data={"value": "@"}), "data[0].custom_data.value"),
    ("-1e309", website_event(custom_data={"value": "@"}), "data[0].custom_data.value"),
    ("NaN", website_event(custom_data={"currency": "USD", "value": "@"}), "custom_data.value"),
    ("Infinity", website_event(user_data={"client_user_agent": "UA", "zp": "@"}), "user_data.zp"),
    (
        "-Infinity",
        {
            "data": [
                website_event(),
                website_event(custom_data={"contents": [{"id": "a", "item_price": "@"}]}),
            ]
        },
        "data[1].custom_data.contents[0].item_price",
    ),
]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
@pytest.mark.parametrize(("number", "body", "field"), NON_FINITE, ids=[c[0] for c in NON_FINITE])
def test_a_number_json_cannot_carry_is_a_400_naming_the_field(
    client: TestClient,
    runtime: Runtime,
    configured: Account,
    graph: FakeGraph,
    number: str,
    body: Any,
    field: str,
) -> None:
    response = client.post(
        SEND,
        content=_with_raw_number(body, number),
        headers={**configured.headers, "Content-Type": "application/json"},
    )

    sentence = assert_error(response, 400, "invalid_request")
    assert field in sentence
    assert "finite number" in sentence
    assert stored_events(runtime) == 0
    assert graph.batches == []


UNPAIRED: list[tuple[str, Any, str]] = [
    ("event_id", website_event(event_id="@"), "data[0].event_id"),
    (
        "custom_data value",
        {"data": [website_event(), website_event(custom_data={"contents": [{"id": "@"}]})]},
        "data[1].custom_data.contents[0].id",
    ),
    (
        "custom_data key",
        website_event(custom_data={"contents": [{"@": 1}]}),
        "data[0].custom_data.contents[0].order",
    ),
    ("test_event_code", {"data": [website_event()], "test_event_code": "@"}, "test_event_code"),
]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
@pytest.mark.parametrize(("body", "field"), [c[1:] for c in UNPAIRED], ids=[c[0] for c in UNPAIRED])
def test_text_with_an_unpaired_surrogate_is_a_400_naming_the_field(
    client: TestClient,
    runtime: Runtime,
    configured: Account,
    graph: FakeGraph,
    body: Any,
    field: str,
) -> None:
    # JSON's \u escapes can spell half a surrogate pair, which no UTF-8 encoder takes.
    response = client.post(
        SEND,
        content=_with_raw_number(body, '"order\\ud800"'),
        headers={**configured.headers, "Content-Type": "application/json"},
    )

    sentence = assert_error(response, 400, "invalid_request")
    assert field in sentence
    assert "Unicode" in sentence
    assert stored_events(runtime) == 0
    assert graph.batches == []


def test_pii_is_not_echoed_in_errors(client: TestClient, configured: Account) -> None:
    sentence = assert_error(
        send(client, configured, _user_data(email="secret.person.example.com")), 400
    )
    assert "secret.person" not in sentence


def test_not_json(client: TestClient, configured: Account) -> None:
    response = client.post(
        SEND,
        content=b"event_name=Purchase",
        headers={**configured.headers, "Content-Type": "text/plain"},
    )
    assert_error(response, 415, "unsupported_media_type")
    response = client.post(
        SEND, content=b"{nope", headers={**configured.headers, "Content-Type": "application/json"}
    )
    assert "not valid JSON" in assert_error(response, 400)


def test_without_a_pixel_the_answer_says_how_to_configure(
    client: TestClient, runtime: Runtime, account: Account
) -> None:
    sentence = assert_error(send(client, account, website_event()), 400, "meta_not_configured")

    assert "/api/v1/conversions/meta/config" in sentence
    assert "krev admin meta-config" in sentence
    assert stored_events(runtime) == 0
