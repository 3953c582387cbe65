"""Bad input: each refusal is a clear 4xx envelope, and nothing is stored or counted."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.catalog.conftest import PRODUCTS, data_url, list_products, photo_bytes, storage_used
from tests.conftest import Account
from tests.support.origin_server import OriginServer


def _gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="GIF")
    return buffer.getvalue()


def _bomb_png(side: int = 20000) -> bytes:
    """A few-KB PNG whose header claims side x side pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (side + 1) * 16, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def _assert_refused(
    client: TestClient, account: Account, response: Any, status: int, code: str | None
) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert isinstance(body["error"], str) and body["error"]
    if code is not None:
        assert body["code"] == code
    assert list_products(client, account)["meta"]["count"] == 0
    assert storage_used(client, account) == 0


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"this is not an image at all", 415, "unsupported_image_type"),
        (_gif(), 415, "unsupported_image_type"),
        (photo_bytes(0)[:400], 400, "invalid_image"),
        (_bomb_png(), 413, "image_too_large"),
        (b"", 400, "invalid_image"),
    ],
    ids=["not-an-image", "gif", "truncated-png", "bomb-png", "empty-file"],
)
def test_bad_files_are_refused(
    client: TestClient, account: Account, content: bytes, status: int, code: str
) -> None:
    response = client.post(
        PRODUCTS, files={"file": ("x.png", content, "image/png")}, headers=account.headers
    )
    _assert_refused(client, account, response, status, code)

    if content:  # the same bytes as a data URL are refused the same way
        url = f"data:image/png;base64,{base64.b64encode(content).decode()}"
        response = client.post(PRODUCTS, json={"image_url": url}, headers=account.headers)
        _assert_refused(client, account, response, status, code)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"image_url": "data:image/png;base64,iVBORw0KGgo*==="}, 400, "invalid_data_url"),
        ({"image_url": "http://10.0.0.1/x.png"}, 400, "url_not_allowed"),
        ({"image_url": "http://169.254.169.254/latest/meta-data"}, 400, "url_not_allowed"),
        ({"image_url": "ftp://example.com/x.png"}, 400, "url_not_allowed"),
        ({"image_url": "x", "colour": "red"}, 400, "invalid_request"),
        ({}, 400, "invalid_request"),
        ({"image_url": data_url(b"x"), "skip_segmentation": "maybe"}, 400, "invalid_request"),
    ],
    ids=["broken-base64", "private-ip", "metadata-ip", "ftp", "extra-field", "missing", "bad-bool"],
)
def test_bad_json_bodies_are_refused(
    client: TestClient, account: Account, body: dict[str, Any], status: int, code: str
) -> None:
    response = client.post(PRODUCTS, json=body, headers=account.headers)
    _assert_refused(client, account, response, status, code)


def test_empty_and_unsupported_bodies(client: TestClient, account: Account) -> None:
    empty = {**account.headers, "Content-Type": "application/json"}
    _assert_refused(client, account, client.post(PRODUCTS, content=b"", headers=empty), 400, None)
    text = {**account.headers, "Content-Type": "text/plain"}
    response = client.post(PRODUCTS, content=b"hello", headers=text)
    _assert_refused(client, account, response, 415, "unsupported_media_type")
    response = client.post(PRODUCTS, data={"name": "no file"}, headers=account.headers)
    _assert_refused(client, account, response, 400, "invalid_request")


def test_urls_that_do_not_serve_an_image(client: TestClient, account: Account) -> None:
    with OriginServer() as origin:
        origin.put("/page.html", b"<!doctype html><html></html>", "text/html")
        missing = client.post(
            PRODUCTS, json={"image_url": origin.url("/nothing.png")}, headers=account.headers
        )
        html = client.post(
            PRODUCTS, json={"image_url": origin.url("/page.html")}, headers=account.headers
        )
        redirect = client.post(
            PRODUCTS,
            json={"image_url": origin.url("/redirect?to=http://10.0.0.1/x.png")},
            headers=account.headers,
        )
    _assert_refused(client, account, missing, 400, "fetch_failed")
    assert "404" in missing.json()["error"]
    _assert_refused(client, account, html, 415, "unsupported_image_type")
    _assert_refused(client, account, redirect, 400, "url_not_allowed")
