"""Bad input: each refusal is a clear 4xx envelope, and nothing is stored or counted."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from krev.composition import build_runtime
from krev.platform.config import Settings
from tests.catalog.conftest import (
    PRODUCTS,
    data_url,
    list_products,
    photo_bytes,
    storage_root,
    storage_used,
)
from tests.conftest import Account, build_app
from tests.generations.stack import JOB_PLANS
from tests.support.origin_server import OriginServer


def _gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="GIF")
    return buffer.getvalue()


_SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
    b'<rect width="64" height="64" fill="red"/></svg>'
)


def _heic() -> bytes:
    """The start of an iPhone photo: an ISO-BMFF ``ftyp`` box of brand ``heic`` (no decoder
    is needed to know what it is), then a ``meta`` box header."""
    ftyp = b"ftyp" + b"heic" + b"\x00\x00\x00\x00" + b"mif1heic"
    meta = b"meta" + b"\x00" * 32
    return struct.pack(">I", len(ftyp) + 4) + ftyp + struct.pack(">I", len(meta) + 4) + meta


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
    root = storage_root(client)
    assert not list((root / "users" / str(account.user_id)).rglob("*")), "nothing stored"


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"this is not an image at all", 415, "unsupported_image_type"),
        (_gif(), 415, "unsupported_image_type"),
        (_SVG, 415, "unsupported_image_type"),
        (_heic(), 415, "unsupported_image_type"),
        (photo_bytes(0)[:400], 400, "invalid_image"),
        (_bomb_png(), 413, "image_too_large"),
        (b"", 400, "invalid_image"),
    ],
    ids=["not-an-image", "gif", "svg", "heic", "truncated-png", "bomb-png", "empty-file"],
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


@pytest.mark.parametrize("value", ["yes", "true", 1, 0], ids=["yes", "true", "one", "zero"])
def test_a_json_skip_segmentation_must_be_a_boolean_not_converted_to_one(
    client: TestClient, account: Account, value: object
) -> None:
    # Multipart form fields are text and are read as true/false by the endpoint; JSON has
    # booleans, and anything else is refused rather than guessed at.
    body = {"image_url": data_url(photo_bytes(0)), "skip_segmentation": value}
    response = client.post(PRODUCTS, json=body, headers=account.headers)
    _assert_refused(client, account, response, 400, "invalid_request")
    assert "'skip_segmentation'" in response.json()["error"]


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


@pytest.mark.parametrize(
    ("content", "kind"),
    [(_gif(), "GIF"), (_SVG, "SVG"), (_heic(), "HEIC")],
    ids=["gif", "svg", "heic"],
)
def test_unsupported_types_are_named_in_the_error(
    client: TestClient, account: Account, content: bytes, kind: str
) -> None:
    # Declared as a JPEG: the type is judged from the bytes, and the sentence says what they are.
    response = client.post(
        PRODUCTS, files={"file": ("photo.jpg", content, "image/jpeg")}, headers=account.headers
    )
    _assert_refused(client, account, response, 415, "unsupported_image_type")
    message = response.json()["error"]
    assert kind in message and "JPG, PNG" in message.replace("JPEG", "JPG"), message


@pytest.mark.parametrize(
    "path",
    [
        "/sleep?seconds=60",
        # A byte every 50 ms, without end: each read succeeds, only the whole-fetch budget
        # (which includes redirects) stops it.
        "/drip-headers?interval=0.05",
        "/drip-body?interval=0.05",
        "/redirect?to=/drip-body%3Finterval%3D0.05",
    ],
)
def test_a_url_whose_server_hangs_or_trickles_times_out(
    make_settings: Callable[..., Settings], make_account: Callable[..., Account], path: str
) -> None:
    account = make_account()
    settings = make_settings(
        plans=JOB_PLANS, fetch_allowlist=["127.0.0.1"], fetch_timeout_seconds=0.5
    )
    runtime = build_runtime(settings)
    try:
        with (
            TestClient(build_app(runtime), base_url="http://127.0.0.1:8000") as client,
            OriginServer() as origin,
        ):
            response = client.post(
                PRODUCTS,
                json={"image_url": origin.url(path)},
                headers=account.headers,
            )
            _assert_refused(client, account, response, 400, "fetch_timeout")
            assert "URL took longer than 0.5 s" in response.json()["error"]
    finally:
        runtime.close()


def test_an_allowlist_entry_with_a_port_lets_urls_reach_that_port_only(
    make_settings: Callable[..., Settings], make_account: Callable[..., Account]
) -> None:
    account = make_account()
    with OriginServer() as allowed, OriginServer() as other:
        settings = make_settings(plans=JOB_PLANS, fetch_allowlist=[f"127.0.0.1:{allowed.port}"])
        runtime = build_runtime(settings)
        try:
            with TestClient(build_app(runtime), base_url="http://127.0.0.1:8000") as client:
                for origin in (allowed, other):
                    origin.put("/page.html", b"<!doctype html><html></html>", "text/html")

                fetched = client.post(
                    PRODUCTS,
                    json={"image_url": allowed.url("/page.html")},
                    headers=account.headers,
                )
                refused = client.post(
                    PRODUCTS, json={"image_url": other.url("/page.html")}, headers=account.headers
                )

                # The allowed port was fetched (and its page refused as not an image); the
                # other port of the same address was never contacted.
                _assert_refused(client, account, fetched, 415, "unsupported_image_type")
                _assert_refused(client, account, refused, 400, "url_not_allowed")
                assert other.requests == []
        finally:
            runtime.close()


@pytest.mark.parametrize("entry", ["127.0.0.1:0", "localhost:http", "[::1]:99999"])
def test_a_malformed_allowlist_entry_stops_the_process_at_start(
    make_settings: Callable[..., Settings], entry: str
) -> None:
    with pytest.raises(ValueError, match="allowlist entry"):
        make_settings(fetch_allowlist=[entry])


@pytest.mark.parametrize(
    ("media_type", "fmt", "status", "code"),
    [
        ("text/plain", "PNG", 415, "unsupported_image_type"),
        ("application/octet-stream", "PNG", 415, "unsupported_image_type"),
        ("image/gif", "PNG", 415, "unsupported_image_type"),
        ("image/svg+xml", "PNG", 415, "unsupported_image_type"),
        ("image/jpeg", "PNG", 400, "invalid_data_url"),
        ("image/png", "JPEG", 400, "invalid_data_url"),
        ("image/webp", "JPEG", 400, "invalid_data_url"),
    ],
)
def test_a_data_url_must_declare_the_image_type_it_holds(
    client: TestClient, account: Account, media_type: str, fmt: str, status: int, code: str
) -> None:
    # The bytes are a good photo each time: only the declared type is wrong.
    url = data_url(photo_bytes(0, fmt=fmt, size=64), media_type)

    response = client.post(PRODUCTS, json={"image_url": url}, headers=account.headers)

    _assert_refused(client, account, response, status, code)
    assert media_type in response.json()["error"]


def test_a_data_url_declared_as_image_jpg_holding_a_jpeg_is_taken(
    make_settings: Callable[..., Settings], make_account: Callable[..., Account]
) -> None:
    # No workers: only the intake is under test, not the analysis it would start.
    runtime = build_runtime(make_settings(plans=JOB_PLANS, embedded_workers=0))
    try:
        with TestClient(build_app(runtime), base_url="http://127.0.0.1:8000") as client:
            account = make_account()
            url = data_url(photo_bytes(0, fmt="JPEG", size=64), "image/jpg")
            response = client.post(
                PRODUCTS,
                json={"image_url": url},
                headers={**account.headers, "Prefer": "respond-async"},
            )
            assert response.status_code == 202, response.text
    finally:
        runtime.close()
