"""Output URLs: signed links the app serves itself, refused when unsigned, tampered with,
expired or aimed outside the store; with S3 storage the same links, the bytes read from the
bucket."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.config import Config
from PIL import Image

from tests.generations.conftest import StartApi
from tests.generations.stack import BASE_URL, WAIT_SECONDS, Api
from tests.support.http_types import AnyResponse
from tests.support.moto_server import (
    DUMMY_ACCESS_KEY_ID,
    DUMMY_REGION,
    DUMMY_SECRET_ACCESS_KEY,
    moto_s3_server,
)


def output_url(api: Api, account: Any) -> str:
    response = api.submit(account, {"size": 24, "color": [90, 20, 160]})
    assert response.status_code == 200, response.text
    generation_id = response.json()["data"]["generation_id"]
    url: str = api.generation(account, generation_id)["output"]["urls"][0]
    return url


def assert_refused(response: AnyResponse, status: int = 403) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert body["code"] == ("forbidden" if status == 403 else "not_found")
    assert response.headers["content-type"].startswith("application/json")


def test_a_signed_output_url_serves_the_image_to_anyone_holding_it(
    start_api: StartApi, make_account: Any
) -> None:
    api = start_api()
    url = output_url(api, make_account())

    response = api.client.get(url)  # no key, no session: the URL alone is the credential

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp"
    assert response.headers["cache-control"].startswith("private")
    image = Image.open(io.BytesIO(response.content))
    assert (image.format, image.size) == ("WEBP", (24, 24))
    # HEAD tells the size and type without the bytes; a tampered URL is refused the same.
    head = api.client.head(url)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(response.content))
    assert head.headers["content-type"] == "image/webp"
    assert api.client.head(url.replace("signature=", "signature=x")).status_code == 403


def test_an_output_url_without_or_with_a_wrong_signature_is_refused(
    start_api: StartApi, make_account: Any
) -> None:
    api = start_api()
    url = output_url(api, make_account())
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    path = parts.path
    signature = query["signature"]
    tampered = signature[:-2] + ("AA" if not signature.endswith("AA") else "BB")
    later = str(int(query["expires"]) + 3600)

    unsigned = api.client.get(path)
    no_signature = api.client.get(path, params={"expires": query["expires"]})
    wrong = api.client.get(path, params={"expires": query["expires"], "signature": tampered})
    extended = api.client.get(path, params={"expires": later, "signature": signature})
    other_object = api.client.get(
        path.replace(".webp", ".png"), params={"expires": query["expires"], "signature": signature}
    )

    for response in (unsigned, no_signature, wrong, extended, other_object):
        assert_refused(response)
    assert "not signed" in unsigned.json()["error"]
    assert "invalid" in wrong.json()["error"]
    assert api.client.get(url).status_code == 200


def test_an_output_url_stops_working_when_it_expires(
    start_api: StartApi, make_account: Any
) -> None:
    api = start_api(signed_url_ttl_seconds=1)
    url = output_url(api, make_account())

    deadline = time.monotonic() + WAIT_SECONDS
    while (response := api.client.get(url)).status_code == 200:
        assert time.monotonic() < deadline, "the signed URL never expired"
        time.sleep(0.1)

    assert_refused(response)
    assert "expired" in response.json()["error"]


@pytest.mark.parametrize(
    "path",
    [
        "/storage/../../etc/passwd",
        "/storage/%2e%2e/%2e%2e/etc/passwd",
        "/storage/..%2f..%2f..%2fetc%2fpasswd",
        "/storage/users/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/storage//etc/passwd",
        "/storage/users/x/..%5c..%5cetc%5cpasswd",
    ],
)
def test_a_storage_path_outside_the_store_never_serves_a_file(
    start_api: StartApi, make_account: Any, path: str
) -> None:
    api = start_api(embedded_workers=0)
    # Borrow a genuine signature: it is bound to another key, so it must not open this path.
    signed = urlsplit(api.runtime.storage.signed_url("users/x/a.webp", 60))

    for suffix in ("", f"?{signed.query}"):
        response = api.client.get(f"{BASE_URL}{path}{suffix}")
        assert response.status_code in (403, 404), response.text
        assert "root:" not in response.text
        assert response.json()["success"] is False


def test_a_signed_url_for_a_missing_object_is_not_found(
    start_api: StartApi,
) -> None:
    api = start_api(embedded_workers=0)
    url = api.runtime.storage.signed_url(f"users/{uuid.uuid4()}/gone.webp", 60)

    assert_refused(api.client.get(url), status=404)


# --- S3 -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_s3_server() as endpoint:
        yield endpoint


def s3_client(endpoint: str) -> Any:
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name=DUMMY_REGION,
        aws_access_key_id=DUMMY_ACCESS_KEY_ID,
        aws_secret_access_key=DUMMY_SECRET_ACCESS_KEY,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


@pytest.fixture
def s3_bucket(s3_endpoint: str) -> tuple[str, str]:
    bucket = f"krev-outputs-{uuid.uuid4().hex[:8]}"
    s3_client(s3_endpoint).create_bucket(Bucket=bucket)
    return s3_endpoint, bucket


@pytest.mark.s3
@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_with_s3_storage_outputs_are_signed_api_urls_serving_the_bucket_objects(
    start_api: StartApi, make_account: Any, s3_bucket: tuple[str, str]
) -> None:
    endpoint, bucket = s3_bucket
    api = start_api(
        storage_url=f"s3://{bucket}/outputs",
        s3_endpoint_url=endpoint,
        s3_region=DUMMY_REGION,
        s3_access_key_id=DUMMY_ACCESS_KEY_ID,
        s3_secret_access_key=DUMMY_SECRET_ACCESS_KEY,
    )
    account = make_account()

    response = api.submit(account, {"count": 2, "size": 40, "color": [250, 250, 0]}, cost=80)

    assert response.status_code == 200, response.text
    generation_id = response.json()["data"]["generation_id"]
    urls = api.generation(account, generation_id)["output"]["urls"]
    assert len(urls) == 2
    stored = 0
    bucket_client = s3_client(endpoint)
    for url in urls:
        # The API's own signed link, not the bucket's: a client may add &format=png to it.
        key = urlsplit(url).path.removeprefix("/storage/")
        assert url.startswith(f"{BASE_URL}/storage/users/{account.user_id}/")
        download = api.client.get(url)
        assert download.status_code == 200
        image = Image.open(io.BytesIO(download.content))
        assert (image.format, image.size) == ("WEBP", (40, 40))
        kept = bucket_client.get_object(Bucket=bucket, Key=f"outputs/{key}")
        assert download.content == kept["Body"].read()
        stored += len(download.content)
    assert api.storage_used(account) == stored
    assert_refused(api.client.get(urls[0].replace("signature=", "signature=x")))

    ready = api.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["storage"]["ok"] is True
