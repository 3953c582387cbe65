"""/api/v1/keys: create, list and revoke API keys from a dashboard session."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from krev.platform.runtime import Runtime
from tests.accounts.dashboard import (
    ALL_SCOPES,
    CREDITS,
    KEYS,
    Dashboard,
    assert_error,
    bearer,
    crc32_base62,
    login,
)
from tests.conftest import Account

KEY_FORMAT = re.compile(r"^sk_live_([A-Za-z0-9]{32})([A-Za-z0-9]{6})$")


def test_created_key_is_shown_once_in_the_documented_format(dashboard: Dashboard) -> None:
    response = dashboard.create_key(name="Automation key")

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["success"] is True
    created = body["data"]
    match = KEY_FORMAT.match(created["key"])
    assert match, created["key"]
    key_body, checksum = match.groups()
    assert checksum == crc32_base62(key_body)
    assert created["name"] == "Automation key"
    assert created["scopes"] == ALL_SCOPES
    assert created["key"].startswith(created["prefix"]) and created["prefix"] != created["key"]
    assert created["last_used_at"] is None and created["revoked_at"] is None


def test_every_created_key_is_different(dashboard: Dashboard) -> None:
    keys = {dashboard.new_key(name=f"key {n}")["key"] for n in range(5)}

    assert len(keys) == 5


def test_key_with_chosen_scopes_keeps_only_those(dashboard: Dashboard) -> None:
    created = dashboard.new_key(scopes=["credits", "images", "credits"])

    assert created["scopes"] == ["images", "credits"]
    listed = {k["id"]: k for k in dashboard.key_list()}[created["id"]]
    assert listed["scopes"] == ["images", "credits"]


def test_list_shows_keys_without_their_secrets(dashboard: Dashboard, account: Account) -> None:
    first = dashboard.new_key(name="first")
    second = dashboard.new_key(name="second")

    response = dashboard.key_list_response()

    assert response.status_code == 200, response.text
    listed = response.json()["data"]
    by_id = {k["id"]: k for k in listed}
    assert {first["id"], second["id"]} <= set(by_id)
    # Newest first: these two, then the account's own key from the factory.
    assert [k["id"] for k in listed][:2] == [second["id"], first["id"]]
    assert len(listed) == 3
    assert by_id[first["id"]]["name"] == "first"
    assert by_id[first["id"]]["prefix"] == first["prefix"]
    for secret in (first["key"], second["key"], account.key):
        assert secret not in response.text
        assert secret[len("sk_live_") :] not in response.text
    assert all("key" not in k for k in listed)


def test_database_never_holds_the_plaintext_key(
    dashboard: Dashboard, runtime: Runtime, tmp_path: Path
) -> None:
    created = dashboard.new_key()
    plaintext, key_body = created["key"], created["key"][len("sk_live_") :]

    with runtime.db.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM api_keys")).mappings().all()

    assert len(rows) == 2
    for row in rows:
        for column, value in row.items():
            assert key_body not in str(value), column
    # Nor anywhere in the database files (the WAL included).
    for path in (tmp_path / "data").glob("krev.db*"):
        assert plaintext.encode() not in path.read_bytes(), path
        assert key_body.encode() not in path.read_bytes(), path


def test_new_key_works_on_the_api(dashboard: Dashboard) -> None:
    created = dashboard.new_key()

    response = dashboard.client.get(CREDITS, headers=bearer(created["key"]))

    assert response.status_code == 200, response.text
    assert response.json()["data"]["plan"] == "pro"


def test_revoked_key_is_refused_on_its_very_next_request(dashboard: Dashboard) -> None:
    created = dashboard.new_key()
    assert dashboard.client.get(CREDITS, headers=bearer(created["key"])).status_code == 200

    response = dashboard.revoke(created["id"])

    assert response.status_code == 200, response.text
    assert response.json() == {"success": True, "data": {"id": created["id"], "revoked": True}}
    sentence = assert_error(
        dashboard.client.get(CREDITS, headers=bearer(created["key"])), 401, "unauthorized"
    )
    assert "revoked" in sentence.lower()
    listed = {k["id"]: k for k in dashboard.key_list()}[created["id"]]
    assert listed["revoked_at"] is not None


def test_revoking_one_key_leaves_the_others_working(dashboard: Dashboard, account: Account) -> None:
    doomed = dashboard.new_key()

    dashboard.revoke(doomed["id"])

    assert dashboard.client.get(CREDITS, headers=account.headers).status_code == 200


def test_revoking_another_users_key_is_not_found_and_the_key_keeps_working(
    dashboard: Dashboard, other_browser: TestClient, make_account: Callable[..., Account]
) -> None:
    victim = make_account()
    victims_dashboard = login(other_browser, victim)
    [victims_key] = victims_dashboard.key_list()

    response = dashboard.revoke(victims_key["id"])

    sentence = assert_error(response, 404, "not_found")
    assert victim.email not in sentence
    assert dashboard.client.get(CREDITS, headers=victim.headers).status_code == 200
    assert victims_dashboard.key_list()[0]["revoked_at"] is None
    # Nor do the victim's keys show up in the attacker's list.
    assert victims_key["id"] not in {k["id"] for k in dashboard.key_list()}


def test_revoking_an_unknown_key_id_is_not_found(dashboard: Dashboard) -> None:
    assert_error(dashboard.revoke("00000000-0000-4000-8000-000000000000"), 404, "not_found")


def test_revoking_twice_is_not_found_the_second_time(dashboard: Dashboard) -> None:
    created = dashboard.new_key()
    assert dashboard.revoke(created["id"]).status_code == 200

    assert_error(dashboard.revoke(created["id"]), 404, "not_found")


def test_revoke_without_id_names_the_missing_parameter(dashboard: Dashboard) -> None:
    response = dashboard.client.delete(KEYS, headers={"X-CSRF-Token": dashboard.csrf})

    sentence = assert_error(response, 400, "invalid_request")
    assert "'id'" in sentence


def test_revoke_with_a_malformed_id_names_the_parameter(dashboard: Dashboard) -> None:
    response = dashboard.revoke("not-a-uuid")

    sentence = assert_error(response, 400, "invalid_request")
    assert "'id'" in sentence


def test_unknown_scope_is_refused_by_name(dashboard: Dashboard) -> None:
    before = dashboard.key_list()

    response = dashboard.create_key(name="bad", scopes=["images", "teleport"])

    sentence = assert_error(response, 400, "invalid_request")
    assert "teleport" in sentence
    assert "scopes" in sentence
    assert dashboard.key_list() == before


def test_empty_scope_list_is_refused(dashboard: Dashboard) -> None:
    sentence = assert_error(dashboard.create_key(name="none", scopes=[]), 400, "invalid_request")

    assert "scope" in sentence


def test_empty_name_is_refused(dashboard: Dashboard) -> None:
    before = dashboard.key_list()

    response = dashboard.create_key(name="")

    sentence = assert_error(response, 400, "invalid_request")
    assert "'name'" in sentence
    assert dashboard.key_list() == before


def test_blank_name_is_refused(dashboard: Dashboard) -> None:
    before = dashboard.key_list()

    response = dashboard.create_key(name="   ")

    sentence = assert_error(response, 400, "invalid_request")
    assert "'name'" in sentence
    assert dashboard.key_list() == before


def test_name_is_stored_without_surrounding_spaces(dashboard: Dashboard) -> None:
    created = dashboard.new_key(name="  CI deploys  ")

    assert created["name"] == "CI deploys"


def test_missing_name_is_refused(dashboard: Dashboard) -> None:
    response = dashboard.client.post(
        KEYS, json={"scopes": ["images"]}, headers={"X-CSRF-Token": dashboard.csrf}
    )

    sentence = assert_error(response, 400, "invalid_request")
    assert "'name'" in sentence and "required" in sentence


def test_failed_creations_leave_the_key_list_unchanged(dashboard: Dashboard) -> None:
    before = dashboard.key_list()
    bad_bodies: list[object] = [
        {"name": ""},
        {"name": 5},
        {"name": "ok", "scopes": ["nope"]},
        {"name": "ok", "scopes": "images"},
        {"name": "ok", "owner": "someone-else"},
        ["name", "ok"],
    ]

    for bad in bad_bodies:
        response = dashboard.client.post(KEYS, json=bad, headers={"X-CSRF-Token": dashboard.csrf})
        assert_error(response, 400, "invalid_request")

    assert dashboard.key_list() == before


def test_bearer_key_is_refused_on_the_keys_endpoints(client: TestClient, account: Account) -> None:
    some_id = "00000000-0000-4000-8000-000000000000"
    calls = {
        "GET": client.get(KEYS, headers=account.headers),
        "POST": client.post(KEYS, json={"name": "via bearer"}, headers=account.headers),
        "DELETE": client.delete(KEYS, params={"id": some_id}, headers=account.headers),
    }

    for method, response in calls.items():
        sentence = assert_error(response, 401, "session_required")
        assert "session" in sentence.lower(), method
    # The bearer key is fine elsewhere, and it did not create anything.
    assert client.get(CREDITS, headers=account.headers).status_code == 200
    assert [k["name"] for k in login(client, account).key_list()] == ["test"]


def test_bearer_key_cannot_revoke_itself(client: TestClient, account: Account) -> None:
    dashboard = login(client, account)
    [own] = dashboard.key_list()
    client.cookies.clear()

    response = client.delete(KEYS, params={"id": own["id"]}, headers=account.headers)

    assert_error(response, 401, "session_required")
    assert client.get(CREDITS, headers=account.headers).status_code == 200


def test_keys_endpoints_without_any_credentials_need_a_session(client: TestClient) -> None:
    assert_error(client.get(KEYS), 401, "session_required")
    assert_error(client.post(KEYS, json={"name": "x"}), 401, "session_required")
