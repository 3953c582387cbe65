"""Dashboard sessions: login, the session cookie, CSRF on writes, logout, login limits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from krev.composition import build_runtime
from krev.kit.clock import utcnow
from krev.models import DashboardSession
from krev.platform.config import Settings
from krev.platform.runtime import Runtime
from tests.accounts.dashboard import (
    CREDITS,
    KEYS,
    LOGIN,
    LOGOUT,
    Dashboard,
    assert_error,
    bearer,
    login,
)
from tests.conftest import Account, build_app


def _set_cookie(response_headers: list[str], name: str) -> str:
    matches = [h for h in response_headers if h.startswith(f"{name}=")]
    assert len(matches) == 1, response_headers
    return matches[0]


def test_login_sets_an_httponly_lax_session_cookie_and_returns_a_csrf_token(
    client: TestClient, account: Account
) -> None:
    response = client.post(LOGIN, json={"email": account.email, "password": account.password})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert body["data"]["user"]["email"] == account.email
    csrf = body["data"]["csrf_token"]
    assert isinstance(csrf, str) and len(csrf) >= 32
    cookie = _set_cookie(response.headers.get_list("set-cookie"), "krev_session")
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes
    token = client.cookies.get("krev_session")
    assert token and token != csrf
    # The session cookie alone now reaches the dashboard-only endpoint.
    assert client.get(KEYS).status_code == 200


def test_session_cookie_is_secure_when_served_over_https(
    make_settings: Callable[..., Settings], account: Account
) -> None:
    settings = make_settings(public_base_url="https://krev.example.com")
    with TestClient(build_app(build_runtime(settings)), base_url="https://testserver") as https:
        response = https.post(LOGIN, json={"email": account.email, "password": account.password})

    assert response.status_code == 200, response.text
    cookie = _set_cookie(response.headers.get_list("set-cookie"), "krev_session")
    assert "secure" in {part.strip().lower() for part in cookie.split(";")[1:]}


def test_login_accepts_the_email_in_another_case(client: TestClient, account: Account) -> None:
    response = client.post(
        LOGIN, json={"email": f"  {account.email.upper()} ", "password": account.password}
    )

    assert response.status_code == 200, response.text


def test_session_endpoint_returns_the_same_csrf_token(dashboard: Dashboard) -> None:
    response = dashboard.client.get("/api/v1/auth/session")

    assert response.status_code == 200, response.text
    assert response.json()["data"]["csrf_token"] == dashboard.csrf


def test_wrong_password_is_refused_and_opens_no_session(
    client: TestClient, account: Account
) -> None:
    response = client.post(LOGIN, json={"email": account.email, "password": "not the password"})

    sentence = assert_error(response, 401, "unauthorized")
    assert "password" in sentence.lower()
    assert "krev_session" not in response.headers.get("set-cookie", "")
    assert client.cookies.get("krev_session") is None
    assert_error(client.get(KEYS), 401, "session_required")


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(
    client: TestClient, account: Account
) -> None:
    wrong_password = client.post(LOGIN, json={"email": account.email, "password": "nope-nope"})
    unknown_email = client.post(
        LOGIN, json={"email": "nobody@example.com", "password": account.password}
    )

    assert_error(unknown_email, 401, "unauthorized")
    assert unknown_email.json() == wrong_password.json()
    assert client.cookies.get("krev_session") is None


def test_eleventh_bad_login_in_a_minute_is_rate_limited(
    client: TestClient, make_account: Callable[..., Account]
) -> None:
    target, bystander = make_account(), make_account()
    bad = {"email": target.email, "password": "guessing-wrong"}
    for _ in range(10):
        assert_error(client.post(LOGIN, json=bad), 401)

    refused = client.post(LOGIN, json=bad)

    sentence = assert_error(refused, 429, "rate_limited")
    assert "login" in sentence.lower()
    retry_after = refused.headers.get("retry-after")
    assert retry_after is not None and retry_after.isdigit() and 1 <= int(retry_after) <= 60
    # Even the right password waits out the window: guessing cannot continue.
    right = client.post(LOGIN, json={"email": target.email, "password": target.password})
    assert_error(right, 429, "rate_limited")
    assert client.cookies.get("krev_session") is None
    # The limit is per account: another user on the same address still logs in.
    other = client.post(LOGIN, json={"email": bystander.email, "password": bystander.password})
    assert other.status_code == 200, other.text


def test_logout_ends_the_session_on_the_server(dashboard: Dashboard) -> None:
    client, token = dashboard.client, dashboard.session_token

    response = client.post(LOGOUT, headers={"X-CSRF-Token": dashboard.csrf})

    assert response.status_code == 200, response.text
    assert response.json() == {"success": True, "data": {"logged_out": True}}
    assert client.cookies.get("krev_session") is None
    # A copy of the old cookie (another tab, a stolen cookie) no longer works either.
    client.cookies.set("krev_session", token)
    sentence = assert_error(client.get(KEYS), 401, "unauthorized")
    assert "log in" in sentence.lower()
    assert_error(dashboard.create_key(name="after logout"), 401)


def test_logout_needs_the_csrf_token(dashboard: Dashboard) -> None:
    response = dashboard.client.post(LOGOUT)

    assert_error(response, 403, "csrf_failed")
    assert dashboard.client.get(KEYS).status_code == 200


def test_an_expired_session_is_refused(dashboard: Dashboard, runtime: Runtime) -> None:
    # Two weeks pass: the session's expiry is now behind us.
    with runtime.db.transaction() as session:
        session.execute(update(DashboardSession).values(expires_at=utcnow() - timedelta(seconds=1)))

    sentence = assert_error(dashboard.client.get(KEYS), 401, "unauthorized")
    assert "expired" in sentence.lower()


def test_an_unknown_session_cookie_is_refused(client: TestClient) -> None:
    client.cookies.set("krev_session", "made-up-session-token")

    assert_error(client.get(KEYS), 401, "unauthorized")


def test_key_creation_without_csrf_token_is_refused_and_creates_nothing(
    dashboard: Dashboard,
) -> None:
    before = dashboard.key_list()

    response = dashboard.client.post(KEYS, json={"name": "forged"})

    sentence = assert_error(response, 403, "csrf_failed")
    assert "X-CSRF-Token" in sentence
    assert dashboard.key_list() == before


def test_key_creation_with_a_wrong_csrf_token_is_refused_and_creates_nothing(
    dashboard: Dashboard,
) -> None:
    before = dashboard.key_list()
    wrong = dashboard.csrf[:-1] + ("0" if dashboard.csrf[-1] != "0" else "1")

    response = dashboard.client.post(KEYS, json={"name": "forged"}, headers={"X-CSRF-Token": wrong})

    assert_error(response, 403, "csrf_failed")
    assert dashboard.key_list() == before


def test_csrf_token_of_another_session_is_refused(
    dashboard: Dashboard, other_browser: TestClient, make_account: Callable[..., Account]
) -> None:
    other = login(other_browser, make_account())

    response = dashboard.client.post(
        KEYS, json={"name": "forged"}, headers={"X-CSRF-Token": other.csrf}
    )

    assert_error(response, 403, "csrf_failed")
    assert other.key_list() and len(dashboard.key_list()) == 1


def test_key_revocation_without_or_with_wrong_csrf_token_is_refused(
    dashboard: Dashboard,
) -> None:
    created = dashboard.new_key()

    missing = dashboard.client.delete(KEYS, params={"id": created["id"]})
    wrong = dashboard.client.delete(
        KEYS, params={"id": created["id"]}, headers={"X-CSRF-Token": "not-the-token"}
    )

    assert_error(missing, 403, "csrf_failed")
    assert_error(wrong, 403, "csrf_failed")
    still = {k["id"]: k for k in dashboard.key_list()}[created["id"]]
    assert still["revoked_at"] is None
    assert dashboard.client.get(CREDITS, headers=bearer(created["key"])).status_code == 200
