"""GET /storage/{key}: local-storage objects served to holders of a signed URL, through the
real app: repeated signature parameters are refused, and byte ranges answer as RFC 9110 says
with errors in the envelope."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from krev.platform.runtime import Runtime
from tests.accounts.dashboard import assert_error
from tests.support.http_types import AnyResponse

CONTENT = bytes(range(256)) * 4  # 1024 bytes, every offset telling


@pytest.fixture
def object_url(runtime: Runtime) -> str:
    runtime.storage.put("users/u/outputs/blob.bin", CONTENT, "application/octet-stream")
    parts = urlsplit(runtime.storage.signed_url("users/u/outputs/blob.bin", 600))
    return f"{parts.path}?{parts.query}"


def _query(url: str) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in urlsplit(url).query.split("&"))


@pytest.mark.parametrize("name", ["expires", "signature"])
def test_a_parameter_given_twice_is_a_400_whichever_copy_is_right(
    client: TestClient, object_url: str, name: str
) -> None:
    value = _query(object_url)[name]
    other = "9999999999" if name == "expires" else "A" * len(value)
    path = urlsplit(object_url).path

    wrong_last = client.get(f"{object_url}&{name}={other}")
    wrong_first = client.get(f"{path}?{name}={other}&{urlsplit(object_url).query}")
    same_twice = client.get(f"{object_url}&{name}={value}")

    for response in (wrong_last, wrong_first, same_twice):
        sentence = assert_error(response, 400, "invalid_request")
        assert f"'{name}' more than once" in sentence
    assert client.get(object_url).content == CONTENT


def _assert_whole(response: AnyResponse) -> None:
    assert response.status_code == 200, response.text
    assert response.content == CONTENT
    assert "content-range" not in response.headers


def _assert_part(response: AnyResponse, first: int, last: int) -> None:
    assert response.status_code == 206, response.text
    assert response.headers["content-range"] == f"bytes {first}-{last}/{len(CONTENT)}"
    assert response.content == CONTENT[first : last + 1]


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=10-19", 10, 19),
        ("bytes=1000-", 1000, 1023),
        ("bytes=-10", 1014, 1023),
        ("bytes=-5000", 0, 1023),
        ("bytes=1020-999999", 1020, 1023),
        ("bytes=0-99999999999999999999999999", 0, 1023),
        ("BYTES = 5-6", 5, 6),
        # RFC 9110 14.1.2: a set is satisfiable when one of its ranges is.
        ("bytes=0-1, 5000-", 0, 1),
        ("bytes=5000-6000,3-4", 3, 4),
    ],
)
def test_a_satisfiable_range_is_a_206_of_those_bytes(
    client: TestClient, object_url: str, header: str, first: int, last: int
) -> None:
    _assert_part(client.get(object_url, headers={"Range": header}), first, last)


def test_several_ranges_come_as_multipart_byteranges(client: TestClient, object_url: str) -> None:
    response = client.get(object_url, headers={"Range": "bytes=0-1,10-11"})

    assert response.status_code == 206, response.text
    assert response.headers["content-type"].startswith("multipart/byteranges; boundary=")
    assert b"Content-Range: bytes 0-1/1024" in response.content
    assert b"Content-Range: bytes 10-11/1024" in response.content


@pytest.mark.parametrize(
    "header",
    [
        "bytes=999999-",
        "bytes=1024-",
        "bytes=1024-2000, 5000-",
        "bytes=-0",
        "bytes=99999999999999999999-",
    ],
)
def test_a_range_outside_the_object_is_a_416_in_the_envelope(
    client: TestClient, object_url: str, header: str
) -> None:
    response = client.get(object_url, headers={"Range": header})

    sentence = assert_error(response, 416, "range_not_satisfiable")
    assert "1024 bytes" in sentence
    assert response.headers["content-range"] == "bytes */1024"
    assert response.headers["content-type"] == "application/json"
    head = client.head(object_url, headers={"Range": header})
    assert (head.status_code, head.content) == (416, b"")
    assert head.headers["content-range"] == "bytes */1024"


def test_any_range_of_an_empty_object_is_a_416(client: TestClient, runtime: Runtime) -> None:
    runtime.storage.put("users/u/outputs/empty.bin", b"", "application/octet-stream")
    parts = urlsplit(runtime.storage.signed_url("users/u/outputs/empty.bin", 600))
    url = f"{parts.path}?{parts.query}"

    response = client.get(url, headers={"Range": "bytes=0-"})

    assert_error(response, 416, "range_not_satisfiable")
    assert response.headers["content-range"] == "bytes */0"
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "bytes=5-3",  # last before first
        "bytes=abc",
        "bytes=1-2-3",
        "bytes=",
        "bytes",
        "bytes=--1",
        "bytes=0x10-20",
        "items=0-1",  # a unit we do not know
        "bytes=" + ",".join(f"{n}-{n}" for n in range(101)),  # more ranges than we serve
    ],
)
def test_a_range_header_we_cannot_read_is_ignored_and_the_whole_object_served(
    client: TestClient, object_url: str, header: str
) -> None:
    _assert_whole(client.get(object_url, headers={"Range": header}))


def test_two_range_headers_are_ignored(client: TestClient, object_url: str) -> None:
    response = client.get(object_url, headers=[("Range", "bytes=0-1"), ("Range", "bytes=9-9")])

    _assert_whole(response)


def test_if_range_serves_the_part_only_while_the_object_is_unchanged(
    client: TestClient, object_url: str
) -> None:
    etag = client.head(object_url).headers["etag"]

    current = client.get(object_url, headers={"Range": "bytes=0-9", "If-Range": etag})
    stale = client.get(object_url, headers={"Range": "bytes=0-9", "If-Range": '"stale"'})
    stale_outside = client.get(object_url, headers={"Range": "bytes=5000-", "If-Range": '"x"'})

    _assert_part(current, 0, 9)
    _assert_whole(stale)
    _assert_whole(stale_outside)
