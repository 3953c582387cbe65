"""Bad chat input: a clear 4xx in the envelope, fast, with nothing stored, queued or charged;
and Meta mutations refused at intake with 403 meta_mutation_forbidden."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.chat.conftest import CHAT, finished, start
from tests.conftest import Account
from tests.images.conftest import BLUE_BOX, balance, create_product


def _nothing_stored(client: TestClient, account: Account, credits: int) -> None:
    assert client.get(CHAT, headers=account.headers).json()["data"] == []
    generations = client.get(
        "/api/v1/generations", params={"kind": "chat"}, headers=account.headers
    ).json()["data"]
    assert generations == []
    assert balance(client, account) == credits


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"message": ""}, 400, "message"),
        ({"message": "   "}, 400, "message"),
        ({}, 400, "message"),
        ({"message": "hi", "agent": "planner"}, 400, "agent"),
        ({"message": "hi", "reference_images": ["https://example.com/a.png"] * 5}, 400, "4"),
        ({"message": "hi", "reference_images": ["http://10.0.0.7/photo.png"]}, 400, "reference"),
        (
            {"message": "hi", "reference_images": ["http://169.254.169.254/latest"]},
            400,
            "reference",
        ),
        ({"message": "hi", "conversation_id": "not-a-uuid"}, 400, "conversation_id"),
        ({"message": "hi", "max_credits": -1}, 400, "max_credits"),
        (
            {"message": "hi", "product_ids": ["00000000-0000-4000-8000-000000000000"]},
            404,
            "Product",
        ),
        (
            {"message": "hi", "conversation_id": "00000000-0000-4000-8000-000000000000"},
            404,
            "Conversation",
        ),
    ],
)
def test_bad_requests_are_refused_and_leave_nothing(
    client: TestClient, account: Account, body: dict[str, Any], status: int, words: str
) -> None:
    credits = balance(client, account)
    response = client.post(CHAT, json=body, headers=account.headers)
    assert response.status_code == status, response.text
    payload = response.json()
    assert payload["success"] is False
    assert words.lower() in payload["error"].lower()
    _nothing_stored(client, account, credits)


def test_a_reference_host_resolving_to_a_private_address_is_refused(
    client: TestClient, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The resolver answers a private address for a public-looking name: refused on the
    # resolved address, and no request leaves the machine.
    def resolve(host: str, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.168.1.20", 80))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    credits = balance(client, account)
    response = client.post(
        CHAT,
        json={"message": "hi", "reference_images": ["http://photos.example.com/a.png"]},
        headers=account.headers,
    )
    assert response.status_code == 400, response.text
    assert "reference_images[0]" in response.json()["error"]
    _nothing_stored(client, account, credits)


def test_another_users_conversation_and_products_are_missing(
    client: TestClient, account: Account, make_account: Any
) -> None:
    product = create_product(client, account, BLUE_BOX)
    mine = start(client, account, {"message": "How many credits do I have?"})
    finished(client, account, mine["run_id"])
    other = make_account()
    credits = balance(client, other)
    for body in (
        {"message": "hi", "conversation_id": mine["conversation_id"]},
        {"message": "hi", "product_ids": [product["id"]]},
    ):
        response = client.post(CHAT, json=body, headers=other.headers)
        assert response.status_code == 404, response.text
    _nothing_stored(client, other, credits)


def test_a_key_without_the_chat_scope_is_refused(client: TestClient, make_account: Any) -> None:
    account = make_account(scopes=["images"])
    response = client.post(CHAT, json={"message": "hi"}, headers=account.headers)
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"


@pytest.mark.parametrize(
    "message",
    [
        "Launch this on Meta",
        "Raise my budget to $50 a day",
        "Pause the campaign",
        "Make 3 ads and publish them to my Facebook ad account",
    ],
)
def test_meta_mutations_are_refused_before_anything_is_stored(
    client: TestClient, account: Account, message: str
) -> None:
    credits = balance(client, account)
    response = client.post(CHAT, json={"message": message}, headers=account.headers)
    assert response.status_code == 403, response.text
    payload = response.json()
    assert payload["code"] == "meta_mutation_forbidden"
    assert "images" in payload["error"] and "video" in payload["error"]
    _nothing_stored(client, account, credits)


def test_a_message_mentioning_meta_without_a_change_is_a_run(
    client: TestClient, account: Account
) -> None:
    run = finished(
        client,
        account,
        start(client, account, {"message": "Research skincare ads running on Meta"})["run_id"],
    )
    assert run["status"] == "succeeded"
    assert run["agent_used"] == "discover"
