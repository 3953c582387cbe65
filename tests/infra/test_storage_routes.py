"""GET /storage/{key}: local-storage objects served to holders of a signed URL, through the
real app: repeated signature parameters are refused, and byte ranges answer as RFC 9110 says
with errors in the envelope."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from krev.runtime import Runtime
from tests.accounts.dashboard import assert_error

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
