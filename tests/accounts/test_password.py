"""Changing a dashboard password: POST /api/v1/auth/password from a logged-in session."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from krev.composition import build_runtime
from krev.platform.config import Settings
from tests.accounts.dashboard import (
    KEYS,
    LOGIN,
    Dashboard,
    assert_error,
    bearer,
    login,
)
from tests.conftest import Account, build_app
from tests.support.http_types import AnyResponse

PASSWORD = "/api/v1/auth/password"
NEW_PASSWORD = "a brand new passphrase"


def change(dashboard: Dashboard, current: str, new: str) -> AnyResponse:
    response: AnyResponse = dashboard.client.post(
        PASSWORD,
        json={"current_password": current, "new_password": new},
        headers={"X-CSRF-Token": dashboard.csrf},
    )
    return response


def log_in(client: TestClient, email: str, password: str) -> int:
    response = client.post(LOGIN, json={"email": email, "password": password})
    return int(response.status_code)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_change_logs_out_the_other_sessions_and_keeps_this_one(
    dashboard: Dashboard, other_browser: TestClient, account: Account
) -> None:
    elsewhere = login(other_browser, account)
    third_browser = TestClient(dashboard.client.app, base_url="http://127.0.0.1:8000")
    login(third_browser, account)

    response = change(dashboard, account.password, NEW_PASSWORD)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "success": True,
        "data": {"changed": True, "other_sessions_ended": 2},
    }
    assert dashboard.client.get(KEYS).status_code == 200  # this session stays
    for browser in (elsewhere.client, third_browser):
        assert_error(browser.get(KEYS), 401, "unauthorized")
    assert_error(
        dashboard.client.post(LOGIN, json={"email": account.email, "password": account.password}),
        401,
    )
    assert log_in(other_browser, account.email, NEW_PASSWORD) == 200
    # API keys are not tied to the password.
    assert dashboard.client.get("/api/v1/credits", headers=bearer(account.key)).status_code == 200


def test_wrong_current_password_is_refused_and_changes_nothing(
    dashboard: Dashboard, other_browser: TestClient, account: Account
) -> None:
    elsewhere = login(other_browser, account)

    response = change(dashboard, "not my password", NEW_PASSWORD)

    sentence = assert_error(response, 403, "wrong_password")
    assert "current password" in sentence
    assert elsewhere.client.get(KEYS).status_code == 200  # nobody was logged out
    assert log_in(other_browser, account.email, NEW_PASSWORD) == 401
    assert log_in(other_browser, account.email, account.password) == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"current_password": "correct horse battery", "new_password": "short"}, "new_password"),
        ({"current_password": "correct horse battery"}, "new_password"),
        ({"new_password": NEW_PASSWORD}, "current_password"),
        (
            {"current_password": "correct horse battery", "new_password": "x" * 1025},
            "new_password",
        ),
    ],
)
def test_bad_bodies_are_a_400_naming_the_field(
    dashboard: Dashboard, account: Account, body: dict[str, str], field: str
) -> None:
    response = dashboard.client.post(PASSWORD, json=body, headers={"X-CSRF-Token": dashboard.csrf})

    assert field in assert_error(response, 400, "invalid_request")
    assert log_in(dashboard.client, account.email, account.password) == 200


def test_the_minimum_length_is_the_one_users_are_created_with(
    dashboard: Dashboard, account: Account
) -> None:
    assert change(dashboard, account.password, "1234567").status_code == 400
    assert change(dashboard, account.password, "12345678").status_code == 200


def test_needs_the_session_and_its_csrf_token(
    dashboard: Dashboard, client: TestClient, account: Account
) -> None:
    body = {"current_password": account.password, "new_password": NEW_PASSWORD}

    assert_error(client.post(PASSWORD, json=body), 403, "csrf_failed")
    assert_error(
        client.post(PASSWORD, json=body, headers={"X-CSRF-Token": "0" * 64}), 403, "csrf_failed"
    )
    with TestClient(client.app, base_url="http://127.0.0.1:8000") as api_client:
        refused = api_client.post(PASSWORD, json=body, headers=bearer(account.key))
    assert_error(refused, 401, "session_required")
    assert log_in(client, account.email, NEW_PASSWORD) == 401


def test_guessing_the_current_password_is_rate_limited(
    make_settings: Callable[..., Settings], make_account: Callable[..., Account]
) -> None:
    runtime = build_runtime(make_settings(login_rate_limit="3/minute"))
    account = make_account()
    try:
        with TestClient(build_app(runtime), base_url="http://127.0.0.1:8000") as client:
            dashboard = login(client, account)
            for attempt in range(3):
                assert_error(change(dashboard, f"guess {attempt}", NEW_PASSWORD), 403)
            refused = change(dashboard, account.password, NEW_PASSWORD)
    finally:
        runtime.close()

    assert_error(refused, 429, "rate_limited")
    assert refused.headers["Retry-After"]
