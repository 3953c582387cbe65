"""Bearer API keys on the public API: header forms, checksum, revocation, scopes, last use."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from krev.platform.runtime import Runtime
from tests.accounts.dashboard import CREDITS, Dashboard, assert_error, bearer, login
from tests.conftest import Account

TEST_JOBS = "/api/v1/test-jobs"


def _flip(key: str, index: int) -> str:
    """The key with one character changed to another valid base62 character."""
    replacement = "a" if key[index] != "a" else "b"
    return key[:index] + replacement + key[index + 1 :]


@pytest.fixture
def api_keys_queries(runtime: Runtime) -> Iterator[list[str]]:
    """SQL statements that touched the api_keys table while the test ran."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        statement = str(args[2])
        if "api_keys" in statement:
            seen.append(statement)

    engines = (runtime.db.engine, runtime.db.loop_engine)  # GETs read on the loop's own
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    yield seen
    for engine in engines:
        event.remove(engine, "before_cursor_execute", record)


def test_missing_authorization_header_is_refused(client: TestClient) -> None:
    sentence = assert_error(client.get(CREDITS), 401, "unauthorized")

    assert "Bearer" in sentence


@pytest.mark.parametrize(
    "header",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "Token sk_live_x", "sk_live_x"],
)
def test_authorization_header_not_in_bearer_form_is_refused(
    client: TestClient, account: Account, header: str
) -> None:
    response = client.get(CREDITS, headers={"Authorization": header})

    sentence = assert_error(response, 401, "unauthorized")
    assert "Bearer" in sentence


@pytest.mark.parametrize(
    "path", [CREDITS, "/api/v1/generations?limit=1"], ids=["hot-path", "router"]
)
def test_two_authorization_headers_are_refused_whichever_is_valid(
    client: TestClient, make_account: Callable[..., Account], path: str
) -> None:
    first, second = make_account(), make_account()
    pairs = [
        (first.key, second.key),
        (first.key, first.key),
        (first.key, "sk_live_garbage"),
        ("sk_live_garbage", first.key),
    ]

    for pair in pairs:
        response = client.get(path, headers=[("Authorization", f"Bearer {key}") for key in pair])

        sentence = assert_error(response, 400, "invalid_request")
        assert "one Authorization header" in sentence
    assert client.get(path, headers=second.headers).status_code == 200


def test_basic_credentials_of_a_real_user_are_refused(client: TestClient, account: Account) -> None:
    import base64

    basic = base64.b64encode(f"{account.email}:{account.password}".encode()).decode()

    assert_error(client.get(CREDITS, headers={"Authorization": f"Basic {basic}"}), 401)


def test_bearer_scheme_is_case_insensitive(client: TestClient, account: Account) -> None:
    response = client.get(CREDITS, headers={"Authorization": f"bearer {account.key}"})

    assert response.status_code == 200, response.text


@pytest.mark.parametrize("index", [8, 20, 39, -1], ids=["body-start", "body", "body-end", "sum"])
def test_key_with_a_typo_is_refused_as_not_a_krev_key_without_a_lookup(
    client: TestClient, account: Account, api_keys_queries: list[str], index: int
) -> None:
    typo = _flip(account.key, index % len(account.key))
    assert typo != account.key

    response = client.get(CREDITS, headers=bearer(typo))

    sentence = assert_error(response, 401, "unauthorized")
    assert "not a Krev key" in sentence
    assert api_keys_queries == []


def test_well_formed_unknown_key_is_looked_up_and_refused(
    client: TestClient, account: Account, api_keys_queries: list[str]
) -> None:
    # A real key from a different server: right format and checksum, unknown here.
    unknown = _other_servers_key(account.key)

    response = client.get(CREDITS, headers=bearer(unknown))

    sentence = assert_error(response, 401, "unauthorized")
    assert "not a Krev key" not in sentence
    assert api_keys_queries  # this one did need the database


def _other_servers_key(existing: str) -> str:
    from tests.accounts.dashboard import crc32_base62

    body = "".join(reversed(existing[len("sk_live_") : len("sk_live_") + 32]))
    if body == existing[8:40]:
        body = "Z" + body[1:]
    return f"sk_live_{body}{crc32_base62(body)}"


@pytest.mark.parametrize(
    "garbage",
    ["sk_live_", "sk_test_" + "a" * 38, "sk_live_" + "a" * 37, "sk_live_" + "é" * 38],
)
def test_strings_that_are_not_keys_are_refused(
    client: TestClient, api_keys_queries: list[str], garbage: str
) -> None:
    response = client.get(CREDITS, headers={b"Authorization": f"Bearer {garbage}".encode()})

    assert_error(response, 401, "unauthorized")
    assert api_keys_queries == []


def test_revoked_key_says_it_was_revoked(dashboard: Dashboard) -> None:
    created = dashboard.new_key()
    dashboard.revoke(created["id"])

    sentence = assert_error(
        dashboard.client.get(CREDITS, headers=bearer(created["key"])), 401, "unauthorized"
    )

    assert "revoked" in sentence.lower()


def test_key_with_only_credits_scope_cannot_generate(
    client: TestClient, make_account: Callable[..., Account]
) -> None:
    limited = make_account(scopes=["credits"])

    refused = client.post(TEST_JOBS, json={"params": {}}, headers=limited.headers)

    sentence = assert_error(refused, 403, "insufficient_scope")
    assert "images" in sentence
    credits = client.get(CREDITS, headers=limited.headers)
    assert credits.status_code == 200, credits.text
    assert credits.json()["data"]["credits"]["current"] == 2500  # nothing was charged


def test_key_without_credits_scope_cannot_read_credits(
    client: TestClient, make_account: Callable[..., Account]
) -> None:
    limited = make_account(scopes=["images", "videos"])

    sentence = assert_error(client.get(CREDITS, headers=limited.headers), 403, "insufficient_scope")

    assert "credits" in sentence


def test_scopes_chosen_at_creation_are_enforced(dashboard: Dashboard) -> None:
    created = dashboard.new_key(scopes=["images"])

    response = dashboard.client.get(CREDITS, headers=bearer(created["key"]))

    assert_error(response, 403, "insufficient_scope")


def test_last_used_at_is_set_after_a_use(dashboard: Dashboard) -> None:
    created = dashboard.new_key()
    unused = dashboard.new_key(name="never used")
    assert created["last_used_at"] is None

    assert dashboard.client.get(CREDITS, headers=bearer(created["key"])).status_code == 200

    by_id = {k["id"]: k for k in dashboard.key_list()}
    last_used = by_id[created["id"]]["last_used_at"]
    assert last_used is not None
    assert last_used >= created["created_at"]  # both ISO 8601 UTC, so they sort as text
    assert by_id[unused["id"]]["last_used_at"] is None


def test_refused_requests_do_not_count_as_a_use(dashboard: Dashboard) -> None:
    created = dashboard.new_key(scopes=["images"])
    dashboard.revoke(created["id"])

    dashboard.client.get(CREDITS, headers=bearer(created["key"]))

    assert {k["id"]: k for k in dashboard.key_list()}[created["id"]]["last_used_at"] is None


def test_a_users_key_acts_for_that_user_only(
    client: TestClient, make_account: Callable[..., Account], other_browser: TestClient
) -> None:
    rich = make_account(credits=9000)
    poor = make_account(credits=10)

    assert client.get(CREDITS, headers=rich.headers).json()["data"]["credits"]["current"] == 9000
    assert client.get(CREDITS, headers=poor.headers).json()["data"]["credits"]["current"] == 10
    assert [k["name"] for k in login(other_browser, poor).key_list()] == ["test"]
