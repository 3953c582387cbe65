"""A logged-in dashboard, driven through the real HTTP API: login, then the /keys calls
with the session cookie and the X-CSRF-Token header, as the dashboard's scripts do."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Account
from tests.support.http_types import AnyResponse

KEYS = "/api/v1/keys"
LOGIN = "/api/v1/auth/login"
LOGOUT = "/api/v1/auth/logout"
CREDITS = "/api/v1/credits"
ALL_SCOPES = ["images", "videos", "products", "credits", "ads", "conversions", "chat"]
# Digits, then lowercase, then uppercase (Python's string.digits + string.ascii_letters).
BASE62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def crc32_base62(body: str) -> str:
    """The key checksum as REFERENCES.md describes it: CRC32 of the body in 6 base62 digits."""
    number, digits = zlib.crc32(body.encode()), ""
    while number:
        number, remainder = divmod(number, 62)
        digits = BASE62[remainder] + digits
    return digits.rjust(6, "0")


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@dataclass
class Dashboard:
    client: TestClient
    csrf: str
    login_response: AnyResponse

    @property
    def session_token(self) -> str:
        token = self.client.cookies.get("krev_session")
        assert isinstance(token, str) and token, "no krev_session cookie in the client"
        return token

    def create_key(self, **body: Any) -> AnyResponse:
        response: AnyResponse = self.client.post(
            KEYS, json=body, headers={"X-CSRF-Token": self.csrf}
        )
        return response

    def new_key(self, name: str = "automation", **body: Any) -> dict[str, Any]:
        response = self.create_key(name=name, **body)
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def key_list_response(self) -> AnyResponse:
        response: AnyResponse = self.client.get(KEYS)
        return response

    def key_list(self) -> list[dict[str, Any]]:
        response = self.key_list_response()
        assert response.status_code == 200, response.text
        data: list[dict[str, Any]] = response.json()["data"]
        return data

    def revoke(self, key_id: str) -> AnyResponse:
        response: AnyResponse = self.client.delete(
            KEYS, params={"id": key_id}, headers={"X-CSRF-Token": self.csrf}
        )
        return response


def login(client: TestClient, account: Account) -> Dashboard:
    response = client.post(LOGIN, json={"email": account.email, "password": account.password})
    assert response.status_code == 200, response.text
    return Dashboard(client, response.json()["data"]["csrf_token"], response)


def assert_error(response: AnyResponse, status: int, code: str | None = None) -> str:
    """The response is the error envelope with this status (and code); returns the sentence."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"success", "error", "code"}, body
    assert body["success"] is False
    assert isinstance(body["error"], str) and body["error"].strip(), body
    assert isinstance(body["code"], str) and body["code"], body
    if code is not None:
        assert body["code"] == code, body
    sentence: str = body["error"]
    return sentence
