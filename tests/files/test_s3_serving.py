"""With S3 storage the API hands out its own signed ``/storage`` URLs and streams the objects
from the bucket, so ``&format=png|jpeg`` works there too: a real uvicorn server, moto's S3
server, and a plain httpx client that follows no redirect, as a client of the hosted API would.
Renditions are converted once, kept in the bucket and deleted with their original."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import boto3
import httpx
import numpy as np
import numpy.typing as npt
import pytest
from botocore.config import Config
from PIL import Image

from krev.platform.config import Settings
from krev.platform.runtime import Runtime
from tests.conftest import Account
from tests.files.test_renditions import JPEG_MEAN_TOLERANCE, JPEG_P99_TOLERANCE
from tests.generations.stack import JOB_PLANS, WAIT_SECONDS
from tests.images.conftest import BLUE_BOX, create_product, generated
from tests.support.live_server import LiveServer
from tests.support.moto_server import (
    DUMMY_ACCESS_KEY_ID,
    DUMMY_REGION,
    DUMMY_SECRET_ACCESS_KEY,
    moto_s3_server,
)

pytestmark = pytest.mark.s3

# Where clients reach the API; the test's server listens elsewhere, as behind a load balancer.
PUBLIC_BASE_URL = "https://api.krev.test"
PREFIX = "media"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_s3_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def s3(s3_endpoint: str) -> Any:
    return boto3.session.Session().client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=DUMMY_REGION,
        aws_access_key_id=DUMMY_ACCESS_KEY_ID,
        aws_secret_access_key=DUMMY_SECRET_ACCESS_KEY,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"krev-media-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def settings(make_settings: Callable[..., Settings], s3_endpoint: str, bucket: str) -> Settings:
    return make_settings(
        plans=JOB_PLANS,
        embedded_workers=2,
        sync_wait_seconds=120.0,
        storage_url=f"s3://{bucket}/{PREFIX}",
        s3_endpoint_url=s3_endpoint,
        s3_region=DUMMY_REGION,
        s3_access_key_id=DUMMY_ACCESS_KEY_ID,
        s3_secret_access_key=DUMMY_SECRET_ACCESS_KEY,
        public_base_url=PUBLIC_BASE_URL,
    )


@pytest.fixture
def http(runtime: Runtime) -> Iterator[httpx.Client]:
    """A plain httpx client (it follows no redirect) to the app served by uvicorn."""
    with (
        LiveServer.for_runtime(runtime) as server,
        httpx.Client(base_url=server.url, timeout=120) as client,
    ):
        yield client


@pytest.fixture
def account(make_account: Callable[..., Account]) -> Account:
    return make_account()


def fetch(http: httpx.Client, url: str, headers: dict[str, str] | None = None) -> httpx.Response:
    """GET a storage URL exactly as the API returned it (plus what the test appends)."""
    assert url.startswith(f"{PUBLIC_BASE_URL}/storage/"), url
    parts = urlsplit(url)
    return http.get(f"{parts.path}?{parts.query}", headers=headers)


def object_key(url: str) -> str:
    """The bucket key a storage URL names."""
    return f"{PREFIX}/{urlsplit(url).path.removeprefix('/storage/')}"


def bucket_objects(s3: Any, bucket: str, under: str) -> dict[str, Any]:
    """Key → LastModified of every object under ``under``."""
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=under)
    return {entry["Key"]: entry["LastModified"] for entry in listing.get("Contents", [])}


def decoded(response: httpx.Response, fmt: str) -> npt.NDArray[np.uint8]:
    assert response.status_code == 200, response.text
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.format == fmt
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def test_an_output_in_the_bucket_is_served_as_stored_and_as_png_and_jpeg(
    http: httpx.Client, account: Account, s3: Any, bucket: str
) -> None:
    data = generated(http, account, {"prompt": "Dark marble surface, golden hour light"})
    url = data["images"][0]

    original = fetch(http, url)

    assert original.status_code == 200, original.text
    assert original.headers["content-type"] == "image/webp"
    assert original.headers["content-length"] == str(len(original.content))
    assert original.headers["accept-ranges"] == "bytes"
    assert original.headers["cache-control"].startswith("private, max-age=")
    assert 3000 < int(original.headers["cache-control"].split("=")[1]) <= 3600
    stored = s3.get_object(Bucket=bucket, Key=object_key(url))["Body"].read()
    assert original.content == stored
    pixels = decoded(original, "WEBP")

    png = fetch(http, f"{url}&format=png")
    jpeg = fetch(http, f"{url}&format=jpeg")

    assert png.headers["content-type"] == "image/png"
    assert png.headers["content-length"] == str(len(png.content))
    assert np.array_equal(decoded(png, "PNG"), pixels), "PNG is lossless"
    assert jpeg.headers["content-type"] == "image/jpeg"
    error = np.abs(decoded(jpeg, "JPEG").astype(int) - pixels.astype(int))
    assert error.mean() < JPEG_MEAN_TOLERANCE, error.mean()
    assert np.percentile(error, 99) < JPEG_P99_TOLERANCE
    assert fetch(http, f"{url}&format=jpg").content == jpeg.content
    assert fetch(http, f"{url}&format=webp").content == original.content
    # HEAD tells the size and type without the bytes.
    parts = urlsplit(f"{url}&format=png")
    head = http.head(f"{parts.path}?{parts.query}")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(png.content))
    assert head.headers["content-type"] == "image/png"


def test_a_rendition_is_converted_once_and_kept_in_the_bucket(
    http: httpx.Client, account: Account, s3: Any, bucket: str
) -> None:
    url = generated(http, account, {"prompt": "Concrete wall, cool daylight"})["images"][0]
    key = object_key(url)
    folder = key.rsplit("/", 1)[0]
    assert list(bucket_objects(s3, bucket, folder)) == [key]

    first = fetch(http, f"{url}&format=png")

    kept = bucket_objects(s3, bucket, folder)
    assert sorted(kept) == [key, f"{key}.rendition.png"]
    stored = s3.get_object(Bucket=bucket, Key=f"{key}.rendition.png")
    assert stored["ContentType"] == "image/png"
    assert stored["Body"].read() == first.content
    second = fetch(http, f"{url}&format=png")
    assert second.content == first.content
    assert bucket_objects(s3, bucket, folder) == kept, "nothing written the second time"
    # Served from the kept object: what the bucket holds under the rendition's key is what a
    # later request gets, not a fresh conversion of the original.
    marker = io.BytesIO()
    Image.new("RGB", (3, 3), (255, 0, 0)).save(marker, format="PNG")
    s3.put_object(
        Bucket=bucket, Key=f"{key}.rendition.png", Body=marker.getvalue(), ContentType="image/png"
    )
    assert fetch(http, f"{url}&format=png").content == marker.getvalue()
    # A cache of the original, not counted against the plan's storage.
    usage = http.get("/api/v1/credits", headers=account.headers).json()["data"]["storage"]
    assert usage["used_bytes"] == len(fetch(http, url).content)


def test_a_byte_range_is_read_from_the_bucket(
    http: httpx.Client, account: Account, s3: Any, bucket: str
) -> None:
    url = generated(http, account, {"prompt": "Pastel set"})["images"][0]
    whole = fetch(http, url).content
    size = len(whole)
    etag = s3.head_object(Bucket=bucket, Key=object_key(url))["ETag"]

    middle = fetch(http, url, headers={"Range": "bytes=10-99"})
    suffix = fetch(http, url, headers={"Range": "bytes=-50"})
    tail = fetch(http, url, headers={"Range": "bytes=100-"})
    png_head = fetch(http, f"{url}&format=png", headers={"Range": "bytes=0-7"})

    assert middle.status_code == 206, middle.text
    assert middle.content == whole[10:100]
    assert middle.headers["content-range"] == f"bytes 10-99/{size}"
    assert middle.headers["content-length"] == "90"
    assert middle.headers["content-type"] == "image/webp"
    assert (suffix.status_code, suffix.content) == (206, whole[-50:])
    assert suffix.headers["content-range"] == f"bytes {size - 50}-{size - 1}/{size}"
    assert (tail.status_code, tail.content) == (206, whole[100:])
    assert (png_head.status_code, png_head.content) == (206, PNG_SIGNATURE)
    assert png_head.headers["content-type"] == "image/png"
    # Several ranges: the whole object, as RFC 9110 allows.
    several = fetch(http, url, headers={"Range": "bytes=0-9,20-29"})
    assert (several.status_code, several.content) == (200, whole)
    # If-Range: the range while the client's copy is this object, else the whole of it.
    assert fetch(http, url, headers={"Range": "bytes=0-9", "If-Range": etag}).status_code == 206
    other = fetch(http, url, headers={"Range": "bytes=0-9", "If-Range": '"0123456789abcdef"'})
    assert (other.status_code, other.content) == (200, whole)

    outside = fetch(http, url, headers={"Range": f"bytes={size}-"})

    assert outside.status_code == 416
    assert outside.headers["content-range"] == f"bytes */{size}"
    body = outside.json()
    assert body["success"] is False and body["code"] == "range_not_satisfiable"


def test_a_bad_expired_or_unknown_request_is_refused(
    http: httpx.Client, account: Account, runtime: Runtime
) -> None:
    url = generated(http, account, {"prompt": "Pastel set"})["images"][0]
    key = urlsplit(url).path.removeprefix("/storage/")
    tampered = url.replace("signature=", "signature=x")
    expires = int(urlsplit(url).query.split("expires=")[1].split("&")[0])

    for refused in (
        fetch(http, tampered),
        fetch(http, f"{tampered}&format=png"),
        fetch(http, url.replace(f"expires={expires}", f"expires={expires + 3600}")),
        http.get(urlsplit(url).path),
    ):
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "forbidden"
    unknown = fetch(http, f"{url}&format=gif")
    assert unknown.status_code == 400
    assert unknown.json()["code"] == "unsupported_format"
    assert fetch(http, f"{url}&format=png&format=jpeg").status_code == 400
    missing = fetch(http, runtime.storage.signed_url(f"{key}.gone", 60))
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"

    short_lived = runtime.storage.signed_url(key, 1)
    deadline = time.monotonic() + WAIT_SECONDS
    while (expired := fetch(http, f"{short_lived}&format=png")).status_code == 200:
        assert time.monotonic() < deadline, "the signed URL never expired"
        time.sleep(0.1)

    assert expired.status_code == 403
    assert "expired" in expired.json()["error"]


def test_renditions_leave_the_bucket_with_their_product_and_generation(
    http: httpx.Client, account: Account, s3: Any, bucket: str
) -> None:
    product = create_product(http, account, BLUE_BOX)
    photo = fetch(http, product["image_url"])
    assert photo.status_code == 200, photo.text
    with Image.open(io.BytesIO(photo.content)) as image:
        assert image.size == (256, 256)
    assert decoded(fetch(http, f"{product['image_url']}&format=png"), "PNG").shape == (256, 256, 3)
    cutout_url = product["segmented_image_url"]
    cutout = fetch(http, f"{cutout_url}&format=png")
    with Image.open(io.BytesIO(cutout.content)) as image:
        assert image.mode == "RGBA"  # the cutout's transparency survives
        assert np.asarray(image.getchannel("A")).min() == 0
    assert decoded(fetch(http, f"{cutout_url}&format=jpeg"), "JPEG")[0, 0].min() > 245
    data = generated(http, account, {"prompt": "Studio white"})
    output_url = data["images"][0]
    assert fetch(http, f"{output_url}&format=jpeg").status_code == 200
    users = f"{PREFIX}/users/{account.user_id}"
    products = f"{users}/products/{product['id']}/"
    outputs = f"{users}/generations/{data['generation_id']}/"
    assert sum(".rendition." in key for key in bucket_objects(s3, bucket, products)) == 3
    assert sum(".rendition." in key for key in bucket_objects(s3, bucket, outputs)) == 1

    deleted = http.delete("/api/v1/products", params={"id": product["id"]}, headers=account.headers)

    assert deleted.status_code == 200, deleted.text
    assert bucket_objects(s3, bucket, products) == {}
    assert fetch(http, f"{cutout_url}&format=png").status_code == 404
    assert bucket_objects(s3, bucket, outputs) != {}

    deleted = http.delete(f"/api/v1/generations/{data['generation_id']}", headers=account.headers)

    assert deleted.status_code == 200, deleted.text
    assert bucket_objects(s3, bucket, outputs) == {}
    assert fetch(http, output_url).status_code == 404
    assert fetch(http, f"{output_url}&format=jpeg").status_code == 404
