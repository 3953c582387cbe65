"""Storage against real files in a temp dir and a real (moto) S3 server over HTTP."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.config import Config

from krev.platform import storage as storage_module
from krev.platform.storage import (
    InvalidObjectKey,
    LocalStorage,
    ObjectNotFound,
    S3Storage,
    SignatureCheck,
    Storage,
    StorageLocation,
    StorageUnavailable,
    StoredObject,
    parse_storage_url,
    validate_key,
)
from tests.support.moto_server import (
    DUMMY_ACCESS_KEY_ID,
    DUMMY_REGION,
    DUMMY_SECRET_ACCESS_KEY,
    moto_s3_server,
)

SIGNING_KEY = b"test-signing-key-of-reasonable-length"
BASE_URL = "http://testserver"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
# 512 characters with every segment at the 200-character cap: the longest key allowed.
LONGEST_KEY = "a" * 200 + "/" + "b" * 200 + "/" + "c" * 110

INVALID_KEYS = [
    "../x",
    "a/../../x",
    "/abs",
    "a//b",
    "a/./b",
    "a/",
    ".",
    "..",
    "",
    LONGEST_KEY + "c",
    "a\\b",
    "a b",
    "caf\u00e9.png",
    "a\x00b",
    "x" * 201,
]


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_s3_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def s3_client(s3_endpoint: str) -> Any:
    # Shared because building a boto3 client costs ~0.2 s; the tests about how S3Storage builds
    # its own client construct one without it.
    return boto3.session.Session().client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=DUMMY_REGION,
        aws_access_key_id=DUMMY_ACCESS_KEY_ID,
        aws_secret_access_key=DUMMY_SECRET_ACCESS_KEY,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


@pytest.fixture
def bucket(s3_client: Any) -> str:
    # A bucket per test: the moto server lives for the whole module.
    name = f"krev-test-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=name)
    return name


def make_s3_storage(
    endpoint: str, bucket: str, prefix: str = "", client: Any | None = None
) -> S3Storage:
    return S3Storage(
        bucket,
        signing_key=SIGNING_KEY,
        base_url=BASE_URL,
        prefix=prefix,
        endpoint_url=endpoint,
        region=DUMMY_REGION,
        access_key_id=DUMMY_ACCESS_KEY_ID,
        secret_access_key=DUMMY_SECRET_ACCESS_KEY,
        client=client,
    )


@pytest.fixture
def local_storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "storage", signing_key=SIGNING_KEY, base_url=BASE_URL)


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "storage", signing_key=SIGNING_KEY, base_url=BASE_URL)
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = request.getfixturevalue("bucket")
    client = request.getfixturevalue("s3_client")
    return make_s3_storage(endpoint, bucket, prefix="tenant-a", client=client)


def signed_params(url: str) -> tuple[str, str, str]:
    """(path, expires, signature) of a signed storage URL."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    return parts.path, query["expires"][0], query["signature"][0]


# --- both backends ----------------------------------------------------------------------------


def test_put_get_delete_round_trip(storage: Storage) -> None:
    key = "images/42/original.png"

    stored = storage.put(key, PNG_BYTES, "image/png")

    assert stored == StoredObject(key=key, size=len(PNG_BYTES), content_type="image/png")
    assert storage.exists(key)
    assert storage.get(key) == PNG_BYTES

    storage.delete(key)

    assert not storage.exists(key)
    with pytest.raises(ObjectNotFound):
        storage.get(key)


def test_put_replaces_the_previous_object(storage: Storage) -> None:
    storage.put("outputs/1.webp", b"first", "image/webp")
    storage.put("outputs/1.webp", b"second version", "image/webp")

    assert storage.get("outputs/1.webp") == b"second version"


def test_get_of_a_missing_key_raises_object_not_found(storage: Storage) -> None:
    with pytest.raises(ObjectNotFound):
        storage.get("never/stored.png")


def test_delete_of_a_missing_key_is_fine(storage: Storage) -> None:
    storage.delete("never/stored.png")

    assert not storage.exists("never/stored.png")


def test_longest_key_round_trips(storage: Storage) -> None:
    assert len(LONGEST_KEY) == 512
    storage.put(LONGEST_KEY, b"deep", "text/plain")

    assert storage.get(LONGEST_KEY) == b"deep"
    assert storage.signed_url(LONGEST_KEY, 60)


def test_empty_object_round_trips(storage: Storage) -> None:
    storage.put("empty.bin", b"", "application/octet-stream")

    assert storage.exists("empty.bin")
    assert storage.get("empty.bin") == b""


def key_id(key: str) -> str:
    return repr(key) if len(key) < 40 else f"<{len(key)} chars>"


@pytest.mark.parametrize("key", INVALID_KEYS, ids=key_id)
def test_invalid_keys_are_rejected_by_every_operation(storage: Storage, key: str) -> None:
    with pytest.raises(InvalidObjectKey):
        storage.put(key, b"x", "text/plain")
    with pytest.raises(InvalidObjectKey):
        storage.get(key)
    with pytest.raises(InvalidObjectKey):
        storage.delete(key)
    with pytest.raises(InvalidObjectKey):
        storage.exists(key)
    with pytest.raises(InvalidObjectKey):
        storage.signed_url(key, 60)


def test_content_type_with_a_line_break_is_rejected(storage: Storage) -> None:
    with pytest.raises(ValueError):
        storage.put("a.txt", b"x", "text/plain\r\nSet-Cookie: x=1")


def test_signed_url_lifetime_must_be_positive(storage: Storage) -> None:
    storage.put("a.txt", b"x", "text/plain")

    with pytest.raises(ValueError):
        storage.signed_url("a.txt", 0)


# --- keys -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    ["a", "images/42/original.png", "u_1/.hidden", "a/.../b", "A-b_c.d/e", LONGEST_KEY, "x" * 200],
)
def test_valid_keys_are_accepted(key: str) -> None:
    validate_key(key)


@pytest.mark.parametrize("key", INVALID_KEYS, ids=key_id)
def test_validate_key_rejects(key: str) -> None:
    with pytest.raises(InvalidObjectKey):
        validate_key(key)


def test_invalid_object_key_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        validate_key("../etc/passwd")


# --- local storage ----------------------------------------------------------------------------


def test_local_files_stay_under_root(tmp_path: Path, local_storage: LocalStorage) -> None:
    local_storage.put("images/1/a.png", b"png", "image/png")
    for key in ("../escaped.txt", "/tmp/escaped.txt", "images/../../escaped.txt"):
        with pytest.raises(InvalidObjectKey):
            local_storage.put(key, b"nope", "text/plain")

    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written
    assert all(p.is_relative_to(local_storage.root) for p in written)
    assert (local_storage.root / "images" / "1" / "a.png").read_bytes() == b"png"


def test_local_path_and_content_type_serve_the_stored_file(local_storage: LocalStorage) -> None:
    local_storage.put("outputs/7/result.webp", b"RIFF....WEBP", "image/webp")

    assert local_storage.local_path("outputs/7/result.webp").read_bytes() == b"RIFF....WEBP"
    assert local_storage.content_type("outputs/7/result.webp") == "image/webp"


def test_local_path_of_a_missing_key_raises_object_not_found(
    local_storage: LocalStorage,
) -> None:
    with pytest.raises(ObjectNotFound):
        local_storage.local_path("missing.png")
    with pytest.raises(ObjectNotFound):
        local_storage.content_type("missing.png")


def test_local_content_type_is_guessed_for_a_file_placed_by_hand(
    local_storage: LocalStorage,
) -> None:
    (local_storage.root / "seed").mkdir(parents=True)
    (local_storage.root / "seed" / "photo.jpg").write_bytes(b"jpeg")

    assert local_storage.get("seed/photo.jpg") == b"jpeg"
    assert local_storage.content_type("seed/photo.jpg") == "image/jpeg"


def test_local_key_that_runs_through_an_object_is_rejected(local_storage: LocalStorage) -> None:
    local_storage.put("a", b"file", "text/plain")

    with pytest.raises(InvalidObjectKey):
        local_storage.put("a/b", b"nested", "text/plain")
    with pytest.raises(ObjectNotFound):
        local_storage.get("a/b")
    assert not local_storage.exists("a/b")
    assert local_storage.get("a") == b"file"


def test_local_get_of_a_directory_is_not_found(local_storage: LocalStorage) -> None:
    local_storage.put("dir/file.txt", b"x", "text/plain")

    with pytest.raises(ObjectNotFound):
        local_storage.get("dir")
    assert not local_storage.exists("dir")
    local_storage.delete("dir")
    assert local_storage.get("dir/file.txt") == b"x"


def test_local_delete_removes_the_content_type_too(local_storage: LocalStorage) -> None:
    local_storage.put("a.bin", b"x", "application/x-custom")
    local_storage.delete("a.bin")

    assert [p for p in local_storage.root.rglob("*") if p.is_file()] == []


def test_local_check_passes_and_creates_the_root(local_storage: LocalStorage) -> None:
    local_storage.check()

    assert local_storage.root.is_dir()
    assert list(local_storage.root.iterdir()) == []


def test_local_check_raises_when_root_is_unusable(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_bytes(b"")
    storage = LocalStorage(blocker, signing_key=SIGNING_KEY, base_url=BASE_URL)

    with pytest.raises(StorageUnavailable):
        storage.check()


def test_local_signing_key_is_required(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        LocalStorage(tmp_path, signing_key=b"", base_url=BASE_URL)


# --- local signed URLs ------------------------------------------------------------------------


def test_local_signed_url_shape_and_verification(local_storage: LocalStorage) -> None:
    local_storage.put("images/1/a.png", PNG_BYTES, "image/png")

    url = local_storage.signed_url("images/1/a.png", 300)

    assert url.startswith(f"{BASE_URL}/storage/images/1/a.png?expires=")
    path, expires, signature = signed_params(url)
    assert path == "/storage/images/1/a.png"
    assert "=" not in signature  # unpadded urlsafe base64
    assert local_storage.verify_signature("images/1/a.png", expires, signature) is (
        SignatureCheck.OK
    )


def test_local_signed_url_honours_base_url_and_prefix(tmp_path: Path) -> None:
    storage = LocalStorage(
        tmp_path, signing_key=SIGNING_KEY, base_url="https://cdn.example/", url_prefix="/files/"
    )

    url = storage.signed_url("a.png", 60)

    assert url.startswith("https://cdn.example/files/a.png?expires=")


def test_local_tampered_signature_is_invalid(local_storage: LocalStorage) -> None:
    _, expires, signature = signed_params(local_storage.signed_url("a.png", 300))
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]

    assert local_storage.verify_signature("a.png", expires, flipped) is SignatureCheck.INVALID
    assert local_storage.verify_signature("a.png", expires, signature[:-1]) is (
        SignatureCheck.INVALID
    )


def test_local_extended_expiry_is_invalid(local_storage: LocalStorage) -> None:
    _, expires, signature = signed_params(local_storage.signed_url("a.png", 300))

    later = str(int(expires) + 3600)

    assert local_storage.verify_signature("a.png", later, signature) is SignatureCheck.INVALID


def test_local_signature_for_another_key_is_invalid(local_storage: LocalStorage) -> None:
    _, expires, signature = signed_params(local_storage.signed_url("mine.png", 300))

    assert local_storage.verify_signature("yours.png", expires, signature) is (
        SignatureCheck.INVALID
    )


def test_local_signature_from_another_signing_key_is_invalid(
    tmp_path: Path, local_storage: LocalStorage
) -> None:
    other = LocalStorage(tmp_path, signing_key=b"some-other-signing-key", base_url=BASE_URL)
    _, expires, signature = signed_params(other.signed_url("a.png", 300))

    assert local_storage.verify_signature("a.png", expires, signature) is SignatureCheck.INVALID


@pytest.mark.parametrize(
    ("expires", "signature"),
    [(None, None), (None, "abc"), ("123", None), ("", ""), ("123", "")],
)
def test_local_missing_parameters(
    local_storage: LocalStorage, expires: str | None, signature: str | None
) -> None:
    assert local_storage.verify_signature("a.png", expires, signature) is SignatureCheck.MISSING


def test_local_expired_signature(local_storage: LocalStorage) -> None:
    _, expires, signature = signed_params(local_storage.signed_url("a.png", 60))

    assert local_storage.verify_signature("a.png", expires, signature, now=int(expires) - 1) is (
        SignatureCheck.OK
    )
    assert local_storage.verify_signature("a.png", expires, signature, now=int(expires)) is (
        SignatureCheck.EXPIRED
    )
    assert local_storage.verify_signature("a.png", expires, signature, now=int(expires) + 1) is (
        SignatureCheck.EXPIRED
    )


@pytest.mark.parametrize(
    ("key", "expires", "signature"),
    [
        ("a.png", "soon", "abc"),
        ("a.png", "-1", "abc"),
        ("a.png", "1e12", "abc"),
        ("a.png", " 9999999999", "abc"),
        ("a.png", "9_999_999_999", "abc"),
        ("a.png", "\u0661\u0662\u0663", "abc"),  # Arabic-Indic digits: int() accepts them
        ("a.png", "9" * 400, "abc"),
        ("a.png", "9999999999", "!!!not base64!!!"),
        ("a.png", "9999999999", "\u00e9\u00e8\u4e2d"),
        ("a.png", "9999999999", "\ud800"),  # lone surrogate
        ("a.png", "9999999999", "A" * 10_000),
        ("a.png", "9999999999", "\x00"),
        ("../etc/passwd", "9999999999", "abc"),
        ("", "9999999999", "abc"),
    ],
)
def test_local_garbage_is_invalid_not_an_exception(
    local_storage: LocalStorage, key: str, expires: str, signature: str
) -> None:
    assert local_storage.verify_signature(key, expires, signature) is SignatureCheck.INVALID


def test_local_garbage_expiry_with_a_real_signature_is_invalid(
    local_storage: LocalStorage,
) -> None:
    _, expires, signature = signed_params(local_storage.signed_url("a.png", 60))

    assert local_storage.verify_signature("a.png", f" {expires}", signature) is (
        SignatureCheck.INVALID
    )
    assert local_storage.verify_signature("a.png", f"+{expires}", signature) is (
        SignatureCheck.INVALID
    )


# --- S3 ---------------------------------------------------------------------------------------


@pytest.mark.s3
def test_s3_signed_urls_are_krevs_own_not_presigned_bucket_urls(
    s3_endpoint: str, bucket: str, s3_client: Any, tmp_path: Path
) -> None:
    # The API serves them (a client may add &format=png, which a SigV4 query cannot take), so
    # the same secret signs the same URL whichever the backend.
    storage = make_s3_storage(s3_endpoint, bucket, prefix="tenant-a", client=s3_client)
    local = LocalStorage(tmp_path, signing_key=SIGNING_KEY, base_url=BASE_URL)

    url = storage.signed_url("images/1/a.png", 120)

    assert url.startswith(f"{BASE_URL}/storage/images/1/a.png?expires=")
    assert "X-Amz" not in url and s3_endpoint not in url
    _, expires, signature = signed_params(url)
    assert storage.verify_signature("images/1/a.png", expires, signature) is SignatureCheck.OK
    assert local.verify_signature("images/1/a.png", expires, signature) is SignatureCheck.OK
    assert storage.verify_signature("images/1/b.png", expires, signature) is (
        SignatureCheck.INVALID
    )
    assert storage.verify_signature("images/1/a.png", expires, signature, now=int(expires)) is (
        SignatureCheck.EXPIRED
    )
    # No week-long cap: the lifetime is ours, not SigV4's.
    assert storage.signed_url("images/1/a.png", 30 * 24 * 3600)


@pytest.mark.s3
def test_s3_signing_key_is_required(s3_endpoint: str, bucket: str) -> None:
    with pytest.raises(ValueError):
        S3Storage(bucket, signing_key=b"", base_url=BASE_URL, endpoint_url=s3_endpoint)


@pytest.mark.s3
def test_s3_describe_tells_size_type_and_validators(
    s3_endpoint: str, bucket: str, s3_client: Any
) -> None:
    storage = make_s3_storage(s3_endpoint, bucket, prefix="tenant-a", client=s3_client)
    storage.put("images/1/a.png", PNG_BYTES, "image/png")

    info = storage.describe("images/1/a.png")

    head = s3_client.head_object(Bucket=bucket, Key="tenant-a/images/1/a.png")
    assert (info.size, info.content_type) == (len(PNG_BYTES), "image/png")
    assert info.etag is not None and info.etag == head["ETag"] and info.etag.startswith('"')
    assert info.last_modified is not None and info.last_modified.endswith(" GMT")
    assert storage.content_type("images/1/a.png") == "image/png"
    with pytest.raises(ObjectNotFound):
        storage.describe("images/1/missing.png")
    with pytest.raises(ObjectNotFound):
        storage.content_type("images/1/missing.png")


@pytest.mark.s3
def test_s3_describe_guesses_a_type_the_object_does_not_carry(
    s3_endpoint: str, bucket: str, s3_client: Any
) -> None:
    # Put there by other means, without a type: S3 calls it binary/octet-stream.
    s3_client.put_object(Bucket=bucket, Key="seed/photo.jpg", Body=b"jpeg")
    storage = make_s3_storage(s3_endpoint, bucket, client=s3_client)

    assert storage.describe("seed/photo.jpg").content_type == "image/jpeg"


@pytest.mark.s3
def test_s3_open_range_streams_the_whole_object_or_one_range(
    s3_endpoint: str, bucket: str, s3_client: Any
) -> None:
    storage = make_s3_storage(s3_endpoint, bucket, prefix="tenant-a", client=s3_client)
    data = bytes(range(256)) * (3 * storage_module.S3_CHUNK_SIZE // 256) + b"end"  # 4 chunks
    storage.put("videos/1/clip.mp4", data, "video/mp4")

    chunks = list(storage.open_range("videos/1/clip.mp4"))

    assert len(chunks) > 1
    assert b"".join(chunks) == data
    assert b"".join(storage.open_range("videos/1/clip.mp4", (1000, 1999))) == data[1000:2000]
    assert (
        b"".join(storage.open_range("videos/1/clip.mp4", (len(data) - 1, len(data) - 1)))
        == (data[-1:])
    )
    with pytest.raises(ObjectNotFound):  # at once, before a byte is read
        storage.open_range("videos/1/gone.mp4")


@pytest.mark.s3
def test_s3_objects_live_under_the_prefix(s3_endpoint: str, bucket: str, s3_client: Any) -> None:
    make_s3_storage(s3_endpoint, bucket, prefix="/tenant-a/", client=s3_client).put(
        "images/1/a.png", b"png", "image/png"
    )

    listing = s3_client.list_objects_v2(Bucket=bucket)
    assert [obj["Key"] for obj in listing["Contents"]] == ["tenant-a/images/1/a.png"]
    head = s3_client.head_object(Bucket=bucket, Key="tenant-a/images/1/a.png")
    assert head["ContentType"] == "image/png"
    other_tenant = make_s3_storage(s3_endpoint, bucket, prefix="tenant-b", client=s3_client)
    assert not other_tenant.exists("images/1/a.png")


@pytest.mark.s3
def test_s3_check_passes_for_an_existing_bucket(s3_endpoint: str, bucket: str) -> None:
    make_s3_storage(s3_endpoint, bucket).check()


@pytest.mark.s3
def test_s3_check_raises_for_a_missing_bucket(s3_endpoint: str) -> None:
    storage = make_s3_storage(s3_endpoint, f"krev-missing-{uuid.uuid4().hex[:12]}")

    with pytest.raises(StorageUnavailable):
        storage.check()


@pytest.mark.s3
def test_s3_operations_on_a_missing_bucket_raise_storage_unavailable(
    s3_endpoint: str, s3_client: Any
) -> None:
    storage = make_s3_storage(
        s3_endpoint, f"krev-missing-{uuid.uuid4().hex[:12]}", client=s3_client
    )

    with pytest.raises(StorageUnavailable):
        storage.put("a.png", b"x", "image/png")


def test_s3_check_raises_when_the_endpoint_is_down() -> None:
    # A port that is bound but not listening refuses connections at once, and nobody else can
    # start listening on it while the test runs.
    with socket.socket() as reserved:
        reserved.bind(("127.0.0.1", 0))
        port = reserved.getsockname()[1]
        storage = make_s3_storage(f"http://127.0.0.1:{port}", "krev-nowhere")

        with pytest.raises(StorageUnavailable):
            storage.check()


def test_s3_prefix_must_be_a_valid_key() -> None:
    with pytest.raises(InvalidObjectKey):
        make_s3_storage("http://127.0.0.1:9", "krev-nowhere", prefix="../other")


# --- storage URLs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("s3://krev-media", ("s3", "krev-media", "")),
        ("s3://krev-media/", ("s3", "krev-media", "")),
        ("s3://krev-media/prod/media/", ("s3", "krev-media", "prod/media")),
        ("file:///var/lib/krev/storage", ("local", "/var/lib/krev/storage", "")),
        ("file://localhost/var/lib/krev", ("local", "/var/lib/krev", "")),
        ("file:///srv/my%20files", ("local", "/srv/my files", "")),
        ("/var/lib/krev/storage", ("local", "/var/lib/krev/storage", "")),
        ("./data/storage", ("local", "./data/storage", "")),
        ("data", ("local", "data", "")),
    ],
)
def test_parse_storage_url(url: str, expected: tuple[str, str, str]) -> None:
    parsed = parse_storage_url(url)

    assert parsed == expected
    assert isinstance(parsed, StorageLocation)


@pytest.mark.parametrize(
    "url", ["", "s3://", "s3:///prefix", "http://example.com/x", "gs://bucket", "file://host/x"]
)
def test_parse_storage_url_rejects(url: str) -> None:
    with pytest.raises(ValueError):
        parse_storage_url(url)


# --- public surface ---------------------------------------------------------------------------


def test_public_surface() -> None:
    assert storage_module.__all__ == sorted(storage_module.__all__)
    assert all(hasattr(storage_module, name) for name in storage_module.__all__)
    assert set(storage_module.__all__) == {
        "InvalidObjectKey",
        "LocalStorage",
        "ObjectInfo",
        "ObjectNotFound",
        "S3Storage",
        "SignatureCheck",
        "Storage",
        "StorageError",
        "StorageLocation",
        "StorageUnavailable",
        "StoredObject",
        "UrlSigner",
        "parse_storage_url",
        "validate_key",
    }
