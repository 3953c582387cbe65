"""The error envelope: every failure is {"success": false, "error": sentence, "code": code},
with the reference's status codes (400 for bad input, never 422), and a request id."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.exceptions import HTTPException as StarletteHTTPException

from krev.composition import build_runtime
from krev.platform.config import Settings
from tests.accounts.dashboard import CREDITS, KEYS, LOGIN, Dashboard, assert_error, login
from tests.conftest import Account, build_app

BASE_URL = "http://127.0.0.1:8000"


@pytest.fixture
def dashboard(client: TestClient, account: Account) -> Dashboard:
    return login(client, account)


# --- bad input is a 400 with a sentence ---------------------------------------------


@pytest.mark.parametrize("content", ["{", '{"name": "x",}', "not json at all", '{"name": "x"'])
def test_invalid_json_is_a_400_sentence_not_a_422(dashboard: Dashboard, content: str) -> None:
    response = dashboard.client.post(
        KEYS,
        content=content,
        headers={"X-CSRF-Token": dashboard.csrf, "Content-Type": "application/json"},
    )

    sentence = assert_error(response, 400, "invalid_request")
    assert "JSON" in sentence
    assert sentence.endswith(".")


def test_invalid_json_on_login_is_a_400(client: TestClient) -> None:
    response = client.post(LOGIN, content="{email", headers={"Content-Type": "application/json"})

    assert "JSON" in assert_error(response, 400, "invalid_request")


def test_body_that_is_not_an_object_is_a_400(dashboard: Dashboard) -> None:
    response = dashboard.client.post(KEYS, json=["name"], headers={"X-CSRF-Token": dashboard.csrf})

    assert "object" in assert_error(response, 400, "invalid_request")


@pytest.mark.parametrize("content_type", [None, "application/x-www-form-urlencoded", "text/plain"])
def test_json_sent_without_a_json_content_type_says_so(
    dashboard: Dashboard, content_type: str | None
) -> None:
    headers = {"X-CSRF-Token": dashboard.csrf}
    if content_type is not None:
        headers["Content-Type"] = content_type

    response = dashboard.client.post(KEYS, content=b'{"name": "x"}', headers=headers)

    sentence = assert_error(response, 400, "invalid_request")
    assert "Content-Type: application/json" in sentence
    assert len(dashboard.key_list()) == 1


def test_missing_body_is_a_400(dashboard: Dashboard) -> None:
    response = dashboard.client.post(KEYS, headers={"X-CSRF-Token": dashboard.csrf})

    assert_error(response, 400, "invalid_request")


def test_wrong_type_names_the_field(dashboard: Dashboard) -> None:
    response = dashboard.client.post(
        KEYS, json={"name": 5}, headers={"X-CSRF-Token": dashboard.csrf}
    )

    sentence = assert_error(response, 400, "invalid_request")
    assert "'name'" in sentence


def test_wrong_type_inside_a_list_names_the_position(dashboard: Dashboard) -> None:
    response = dashboard.client.post(
        KEYS, json={"name": "x", "scopes": ["images", 7]}, headers={"X-CSRF-Token": dashboard.csrf}
    )

    sentence = assert_error(response, 400, "invalid_request")
    assert "scopes[1]" in sentence


def test_unknown_field_is_named(dashboard: Dashboard) -> None:
    response = dashboard.client.post(
        KEYS, json={"name": "x", "expires": "never"}, headers={"X-CSRF-Token": dashboard.csrf}
    )

    sentence = assert_error(response, 400, "invalid_request")
    assert "'expires'" in sentence


def test_several_problems_are_all_reported(dashboard: Dashboard) -> None:
    response = dashboard.client.post(
        KEYS, json={"name": 5, "extra": 1}, headers={"X-CSRF-Token": dashboard.csrf}
    )

    sentence = assert_error(response, 400, "invalid_request")
    assert "'name'" in sentence and "'extra'" in sentence


def test_invalid_query_parameter_is_a_400_naming_it(client: TestClient, account: Account) -> None:
    response = client.get(f"{CREDITS}/history", params={"limit": "lots"}, headers=account.headers)

    sentence = assert_error(response, 400, "invalid_request")
    assert "'limit'" in sentence


# --- routing errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing-here", "/api/v2/credits", "/api/v1/credits/deeper/still"]
)
def test_unknown_route_is_a_404_envelope(client: TestClient, path: str) -> None:
    response = client.get(path)

    sentence = assert_error(response, 404, "not_found")
    assert path in sentence


def test_wrong_method_is_a_405_envelope_with_allow(client: TestClient, account: Account) -> None:
    response = client.put(CREDITS, json={}, headers=account.headers)

    sentence = assert_error(response, 405, "method_not_allowed")
    assert "PUT" in sentence
    assert "GET" in response.headers["allow"]
    assert "GET" in sentence


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", KEYS, {"GET", "HEAD", "POST", "DELETE"}),
        ("PATCH", KEYS, {"GET", "HEAD", "POST", "DELETE"}),
        ("GET", LOGIN, {"POST"}),
    ],
)
def test_405_allow_header_lists_every_method_of_the_path(
    client: TestClient, method: str, path: str, allowed: set[str]
) -> None:
    response = client.request(method, path)

    sentence = assert_error(response, 405, "method_not_allowed")
    assert {m.strip() for m in response.headers["allow"].split(",")} == allowed
    for name in allowed:
        assert name in sentence


def test_head_answers_as_get_without_a_body(client: TestClient, account: Account) -> None:
    got = client.get(CREDITS, headers=account.headers)
    head = client.head(CREDITS, headers=account.headers)

    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == got.headers["content-length"] != "0"
    assert head.headers["content-type"] == "application/json"
    missing = client.head("/api/v1/nothing-here", headers=account.headers)
    assert missing.status_code == 404 and missing.content == b""
    assert client.head(CREDITS).status_code == 401


# --- oversized bodies -----------------------------------------------------------------


@pytest.fixture
def small_body_client(make_settings: Callable[..., Settings]) -> Iterator[TestClient]:
    app = build_app(build_runtime(make_settings(max_body_bytes=1024)))
    with TestClient(app, base_url=BASE_URL, raise_server_exceptions=False) as client:
        yield client


def _oversized_login() -> bytes:
    return b'{"email": "a@example.com", "password": "' + b"x" * 2000 + b'"}'


def test_body_over_the_limit_with_content_length_is_a_413(
    small_body_client: TestClient,
) -> None:
    response = small_body_client.post(
        LOGIN, content=_oversized_login(), headers={"Content-Type": "application/json"}
    )

    sentence = assert_error(response, 413, "payload_too_large")
    assert "1 KB" in sentence
    assert response.headers.get("x-request-id")


def test_streamed_body_over_the_limit_is_a_413(small_body_client: TestClient) -> None:
    body = _oversized_login()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 256):
            yield body[start : start + 256]

    response = small_body_client.post(
        LOGIN, content=chunks(), headers={"Content-Type": "application/json"}
    )

    assert "content-length" not in response.request.headers
    sentence = assert_error(response, 413, "payload_too_large")
    assert "1 KB" in sentence
    assert response.headers.get("x-request-id")


def test_body_under_the_limit_is_accepted(small_body_client: TestClient) -> None:
    response = small_body_client.post(
        LOGIN, json={"email": "nobody@example.com", "password": "short"}
    )

    assert_error(response, 401, "unauthorized")  # it got as far as checking the password


# --- unexpected errors ----------------------------------------------------------------


@pytest.fixture
def failing_route(app: FastAPI) -> str:
    def explode() -> None:
        raise RuntimeError("secret detail: postgres://admin:hunter2@db")

    app.add_api_route("/api/v1/explode", explode, methods=["GET"])
    return "/api/v1/explode"


def test_unhandled_exception_is_a_500_envelope_without_internals(
    client: TestClient, failing_route: str
) -> None:
    response = client.get(failing_route)

    sentence = assert_error(response, 500, "internal_error")
    for leak in ("secret detail", "hunter2", "RuntimeError", "Traceback", "explode"):
        assert leak not in response.text
    request_id = response.headers.get("x-request-id")
    assert request_id, dict(response.headers)
    assert request_id in sentence


def test_unhandled_exception_quotes_the_clients_request_id(
    client: TestClient, failing_route: str
) -> None:
    response = client.get(failing_route, headers={"X-Request-ID": "trace-1234.abc"})

    sentence = assert_error(response, 500, "internal_error")
    assert response.headers.get("x-request-id") == "trace-1234.abc"
    assert "trace-1234.abc" in sentence


def test_framework_http_errors_keep_a_code_matching_their_status(
    client: TestClient, app: FastAPI
) -> None:
    # FastAPI raises HTTPException itself, e.g. "There was an error parsing the body".
    def unreadable() -> None:
        raise StarletteHTTPException(400, "There was an error parsing the body")

    app.add_api_route("/api/v1/unreadable", unreadable, methods=["POST"])

    response = client.post("/api/v1/unreadable")

    sentence = assert_error(response, 400, "invalid_request")
    assert sentence == "There was an error parsing the body."


# --- request ids ----------------------------------------------------------------------


def test_every_response_carries_a_request_id(
    client: TestClient, account: Account, dashboard: Dashboard
) -> None:
    responses = [
        client.get(CREDITS, headers=account.headers),  # 200
        dashboard.create_key(name="x"),  # 201
        client.get(CREDITS),  # 401
        client.get("/api/v1/nothing-here"),  # 404
        client.put(CREDITS),  # 405
        dashboard.create_key(name=""),  # 400
    ]

    ids = [r.headers.get("x-request-id") for r in responses]
    assert all(ids), ids
    assert all(re.fullmatch(r"[A-Za-z0-9._-]{1,64}", i or "") for i in ids), ids
    assert len(set(ids)) == len(ids)


def test_a_valid_client_request_id_is_echoed(client: TestClient, account: Account) -> None:
    response = client.get(CREDITS, headers={**account.headers, "X-Request-ID": "my-trace_01.2"})

    assert response.headers["x-request-id"] == "my-trace_01.2"


@pytest.mark.parametrize("sent", ["has spaces in it", "x" * 65, "inject\u00e9", ""])
def test_an_unusable_client_request_id_is_replaced(
    client: TestClient, account: Account, sent: str
) -> None:
    # Raw bytes, so a header that is not ASCII reaches the server as sent.
    headers = {name.encode(): value.encode() for name, value in account.headers.items()}
    response = client.get(CREDITS, headers={**headers, b"X-Request-ID": sent.encode("utf-8")})

    echoed = response.headers["x-request-id"]
    assert echoed and echoed != sent
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,64}", echoed)


def test_one_error_tree_the_platforms_refusals_are_krev_errors() -> None:
    """The fetcher's and image intake's refusals are domain errors with their own status, not
    a parallel tree mapped at each use."""
    import inspect

    from krev.errors import KrevError
    from krev.platform import fetch, fetchpool, imaging

    refusals = [
        member
        for module in (fetch, imaging, fetchpool)
        for name, member in inspect.getmembers(module, inspect.isclass)
        # Private ones never leave their module (a connect failure retried inside the fetch).
        if issubclass(member, Exception)
        and member.__module__ == module.__name__
        and not name.startswith("_")
    ]
    assert {"FetchTimeout", "UnsupportedImageType", "FetchConcurrencyExceeded"} <= {
        refusal.__name__ for refusal in refusals
    }
    assert all(issubclass(refusal, KrevError) for refusal in refusals), refusals
    assert (fetch.FetchTimeout.status, fetch.FetchTimeout.code) == (400, "fetch_timeout")
    assert fetch.FetchTooLarge.status == imaging.ImageTooLarge.status == 413
    assert imaging.UnsupportedImageType.status == 415
