"""Object storage for product images and generated outputs: a local directory or an
S3-compatible bucket, both handed out as Krev's own HMAC-signed ``/storage/{key}`` URLs
(``UrlSigner``) that the API serves (krev.files.endpoints).

With S3 the bytes pass through the API process rather than coming from the bucket's own
presigned URLs: SigV4 signs a presigned URL's whole query, so a client could not add
``&format=png`` to one, and the route answers with the bytes rather than a redirect, which
clients such as httpx do not follow by default.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import email.utils
import hashlib
import hmac
import mimetypes
import os
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol
from urllib.parse import unquote, urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from krev.platform.private_files import private_dir

if TYPE_CHECKING:
    from botocore.response import StreamingBody
    from mypy_boto3_s3 import S3Client

__all__ = [
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
]

MAX_KEY_LENGTH = 512
# Filesystems cap a name at 255 bytes and LocalStorage adds a suffix for its sidecar and temp
# files; capping segments for both backends keeps every key portable between them.
MAX_SEGMENT_LENGTH = 200
# What one read from the bucket hands the response at a time. Each read is a hop to a thread;
# streaming 20 MB over loopback took 150 ms in 64 KiB chunks, 105 ms in 256 KiB and 72 ms in
# 1 MiB (moto's own GET: 44 ms). 256 KiB keeps a hundred downloads at once near 25 MB of buffers.
S3_CHUNK_SIZE = 256 * 1024

_SEGMENT = re.compile(r"[A-Za-z0-9._-]+")
_EXPIRES = re.compile(r"[0-9]{1,15}")
_CONTENT_TYPE = re.compile(r"[\x21-\x7e][\x20-\x7e]{0,254}")
# "~" is outside the key alphabet, so these names can never collide with an object's file.
_CONTENT_TYPE_SUFFIX = "~content-type"
_TEMP_MARK = "~tmp-"
_DEFAULT_CONTENT_TYPE = "application/octet-stream"
# What S3 says of an object stored without a type.
_S3_DEFAULT_CONTENT_TYPE = "binary/octet-stream"
_S3_NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


class StorageError(Exception):
    """Base class of every error this module raises."""


# The names below are the API's agreed vocabulary, so they skip the "Error" suffix.
class ObjectNotFound(StorageError):
    """No object is stored under the key."""


class StorageUnavailable(StorageError):
    """The backend cannot be reached or used (missing bucket, no permission, disk error)."""


class InvalidObjectKey(StorageError, ValueError):
    """The key is not a relative, slash-separated path of safe segments."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    content_type: str


@dataclass(frozen=True)
class ObjectInfo:
    """What serving an object needs to know before its bytes: ``etag`` and ``last_modified``
    are the validators an ``If-Range`` header is compared with."""

    size: int
    content_type: str
    etag: str | None = None
    last_modified: str | None = None  # an HTTP date


class SignatureCheck(StrEnum):
    OK = "ok"
    MISSING = "missing"
    INVALID = "invalid"
    EXPIRED = "expired"


class StorageLocation(NamedTuple):
    kind: Literal["local", "s3"]
    location: str  # a directory path for local storage, a bucket name for S3
    prefix: str


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        """Store `data` under `key`, replacing any previous object."""
        ...

    def get(self, key: str) -> bytes:
        """Return the object's bytes; raise ObjectNotFound when there is none."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object; a missing key is not an error."""
        ...

    def exists(self, key: str) -> bool: ...

    def content_type(self, key: str) -> str:
        """The content type given at `put`; raise ObjectNotFound when there is no object."""
        ...

    def signed_url(self, key: str, expires_in: int) -> str:
        """An absolute URL that lets anyone download the object for `expires_in` seconds."""
        ...

    def verify_signature(
        self, key: str, expires: str | None, signature: str | None, now: float | None = None
    ) -> SignatureCheck:
        """Check the query parameters of a URL `signed_url` made; never raises."""
        ...

    def check(self) -> None:
        """Readiness probe: raise StorageUnavailable when the backend cannot be used."""
        ...


def validate_key(key: str) -> None:
    """Raise InvalidObjectKey unless `key` is safe to use as a relative path on any backend."""
    if not key:
        raise InvalidObjectKey("object key is empty")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidObjectKey(f"object key is longer than {MAX_KEY_LENGTH} characters")
    for segment in key.split("/"):
        if not _SEGMENT.fullmatch(segment) or segment in {".", ".."}:
            raise InvalidObjectKey(
                f"object key {key!r} must be '/'-separated segments of letters, digits, '.', "
                "'_' and '-', without empty, '.' or '..' segments"
            )
        if len(segment) > MAX_SEGMENT_LENGTH:
            raise InvalidObjectKey(
                f"object key segments must be at most {MAX_SEGMENT_LENGTH} characters"
            )


def parse_storage_url(url: str) -> StorageLocation:
    """Split a storage setting: `s3://bucket/optional/prefix`, `file:///abs/path` or a path."""
    if not url:
        raise ValueError("storage URL is empty")
    parts = urlsplit(url)
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ValueError(f"storage URL {url!r} names no bucket")
        return StorageLocation("s3", parts.netloc, parts.path.strip("/"))
    if parts.scheme == "file":
        if parts.netloc not in {"", "localhost"}:
            raise ValueError(f"storage URL {url!r} names a remote host")
        if not parts.path:
            raise ValueError(f"storage URL {url!r} names no directory")
        return StorageLocation("local", unquote(parts.path), "")
    if parts.scheme == "":
        return StorageLocation("local", url, "")
    raise ValueError(
        f"unsupported storage URL scheme {parts.scheme!r} (use s3://, file:// or a path)"
    )


def _check_content_type(content_type: str) -> None:
    # The type is sent back verbatim as a response header, so nothing that could split a header.
    if not _CONTENT_TYPE.fullmatch(content_type):
        raise ValueError(f"invalid content type {content_type!r}")


class UrlSigner:
    """Krev's signed storage URLs, ``<base_url>/storage/<key>?expires=<unix time>&signature=…``:
    the signature is an HMAC-SHA256 of the key and the expiry under the server secret, so the
    URL alone is the credential, for that object, until then. Parameters it does not sign
    (``format``) can be added to it."""

    def __init__(self, signing_key: bytes, base_url: str, url_prefix: str = "/storage") -> None:
        if not signing_key:
            raise ValueError("signing_key must not be empty")
        self._signing_key = signing_key
        self._base_url = base_url.rstrip("/")
        stripped_prefix = url_prefix.strip("/")
        self._url_prefix = f"/{stripped_prefix}" if stripped_prefix else ""

    def url(self, key: str, expires_in: int) -> str:
        validate_key(key)
        if expires_in <= 0:
            raise ValueError("a signed URL's lifetime must be positive")
        expires = str(int(time.time()) + expires_in)
        signature = self._sign(key, expires)
        # Keys and urlsafe base64 only use characters that need no percent-encoding.
        return f"{self._base_url}{self._url_prefix}/{key}?expires={expires}&signature={signature}"

    def verify(
        self,
        key: str,
        expires: str | None,
        signature: str | None,
        now: float | None = None,
    ) -> SignatureCheck:
        """Check a signed URL's query parameters; never raises, whatever the input."""
        if not expires or not signature:
            return SignatureCheck.MISSING
        try:
            validate_key(key)
        except InvalidObjectKey:
            return SignatureCheck.INVALID
        if not _EXPIRES.fullmatch(expires):
            return SignatureCheck.INVALID
        expected = self._sign(key, expires).encode("ascii")
        # Garbage (non-ASCII, lone surrogates) must compare unequal, not raise.
        offered = signature.encode("utf-8", "replace")
        if not hmac.compare_digest(expected, offered):
            return SignatureCheck.INVALID
        if (time.time() if now is None else now) >= int(expires):
            return SignatureCheck.EXPIRED
        return SignatureCheck.OK

    def _sign(self, key: str, expires: str) -> str:
        digest = hmac.new(
            self._signing_key, f"{key}\n{expires}".encode("ascii"), hashlib.sha256
        ).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class LocalStorage:
    """Objects as files under `root`; each object's content type sits in a sidecar file."""

    def __init__(
        self, root: Path, *, signing_key: bytes, base_url: str, url_prefix: str = "/storage"
    ) -> None:
        self._root = Path(root)
        self._signer = UrlSigner(signing_key, base_url, url_prefix)

    @property
    def root(self) -> Path:
        return self._root

    def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        path = self._path(key)
        _check_content_type(content_type)
        try:
            private_dir(self._root)
            path.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            raise InvalidObjectKey(f"object key {key!r} runs through an existing object") from exc
        except OSError as exc:
            raise StorageUnavailable(f"cannot create the directory for {key!r}: {exc}") from exc
        try:
            # The sidecar goes first: the object's file appearing is what makes the put visible.
            self._write_atomically(_sidecar(path), content_type.encode("ascii"))
            self._write_atomically(path, data)
        except IsADirectoryError as exc:
            raise InvalidObjectKey(f"object key {key!r} is a prefix of other objects") from exc
        except OSError as exc:
            raise StorageUnavailable(f"cannot write {key!r}: {exc}") from exc
        return StoredObject(key=key, size=len(data), content_type=content_type)

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise ObjectNotFound(key) from exc
        except OSError as exc:
            raise StorageUnavailable(f"cannot read {key!r}: {exc}") from exc

    def delete(self, key: str) -> None:
        path = self._path(key)
        # Empty directories are left behind on purpose: removing them races with a concurrent
        # put that has just created them.
        for target in (path, _sidecar(path)):
            try:
                target.unlink(missing_ok=True)
            except (NotADirectoryError, IsADirectoryError):
                pass
            except OSError as exc:
                raise StorageUnavailable(f"cannot delete {key!r}: {exc}") from exc

    def exists(self, key: str) -> bool:
        path = self._path(key)
        try:
            return path.is_file()
        except OSError as exc:
            raise StorageUnavailable(f"cannot look up {key!r}: {exc}") from exc

    def local_path(self, key: str) -> Path:
        """The object's file, for streaming it; raise ObjectNotFound when there is none."""
        path = self._path(key)
        if not self.exists(key):
            raise ObjectNotFound(key)
        return path

    def content_type(self, key: str) -> str:
        """The content type given at `put`; raise ObjectNotFound when there is no object."""
        path = self.local_path(key)
        try:
            stored = _sidecar(path).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError):
            stored = ""
        if _CONTENT_TYPE.fullmatch(stored):
            return stored
        # A file placed by hand (or a lost sidecar) still gets a sensible type.
        guessed, _ = mimetypes.guess_type(path.name)
        return guessed or _DEFAULT_CONTENT_TYPE

    def signed_url(self, key: str, expires_in: int) -> str:
        return self._signer.url(key, expires_in)

    def verify_signature(
        self, key: str, expires: str | None, signature: str | None, now: float | None = None
    ) -> SignatureCheck:
        return self._signer.verify(key, expires, signature, now)

    def check(self) -> None:
        probe = self._root / f"{_TEMP_MARK}probe-{secrets.token_hex(8)}"
        try:
            private_dir(self._root)
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise StorageUnavailable(
                f"storage directory {self._root} is not writable: {exc}"
            ) from exc

    def _path(self, key: str) -> Path:
        validate_key(key)
        return self._root / key

    @staticmethod
    def _write_atomically(path: Path, data: bytes) -> None:
        temp = path.with_name(f".{path.name}{_TEMP_MARK}{secrets.token_hex(8)}")
        # os.open rather than mkstemp so the file gets the usual umask-based permissions.
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + _CONTENT_TYPE_SUFFIX)


class S3Storage:
    """Objects in an S3-compatible bucket, under an optional key prefix; served by the API
    (``describe`` and ``open_range``) behind the same signed URLs as local storage."""

    def __init__(
        self,
        bucket: str,
        *,
        signing_key: bytes,
        base_url: str,
        url_prefix: str = "/storage",
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        client: Any | None = None,
    ) -> None:
        if not bucket:
            raise ValueError("bucket must not be empty")
        self._signer = UrlSigner(signing_key, base_url, url_prefix)
        self._bucket = bucket
        self._prefix = prefix.strip("/")
        if self._prefix:
            validate_key(self._prefix)
        self._client: S3Client
        if client is not None:
            self._client = client
        else:
            config = Config(
                signature_version="s3v4",
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
                # MinIO, Ceph and friends usually serve no per-bucket virtual hosts.
                s3={"addressing_style": "path"} if endpoint_url else {},
            )
            # A private session: boto3's default session is not safe to share between threads.
            self._client = boto3.session.Session().client(
                "s3",
                endpoint_url=endpoint_url,
                region_name=region,
                aws_access_key_id=access_key_id,
                aws_secret_access_key=secret_access_key,
                config=config,
            )

    @property
    def bucket(self) -> str:
        return self._bucket

    def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        _check_content_type(content_type)
        try:
            self._client.put_object(
                Bucket=self._bucket, Key=self._object_key(key), Body=data, ContentType=content_type
            )
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(f"cannot write {key!r}: {exc}") from exc
        return StoredObject(key=key, size=len(data), content_type=content_type)

    def get(self, key: str) -> bytes:
        try:
            response = self._client.get_object(Bucket=self._bucket, Key=self._object_key(key))
            with contextlib.closing(response["Body"]) as body:
                return body.read()
        except ClientError as exc:
            if _error_code(exc) in _S3_NOT_FOUND_CODES:
                raise ObjectNotFound(key) from exc
            raise StorageUnavailable(f"cannot read {key!r}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"cannot read {key!r}: {exc}") from exc

    def delete(self, key: str) -> None:
        try:
            self._client.delete_object(Bucket=self._bucket, Key=self._object_key(key))
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(f"cannot delete {key!r}: {exc}") from exc

    def exists(self, key: str) -> bool:
        try:
            self._client.head_object(Bucket=self._bucket, Key=self._object_key(key))
        except ClientError as exc:
            if _error_code(exc) in _S3_NOT_FOUND_CODES:
                return False
            raise StorageUnavailable(f"cannot look up {key!r}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"cannot look up {key!r}: {exc}") from exc
        return True

    def describe(self, key: str) -> ObjectInfo:
        """The object's size, type and validators (one HEAD); ObjectNotFound when there is none."""
        try:
            head = self._client.head_object(Bucket=self._bucket, Key=self._object_key(key))
        except ClientError as exc:
            if _error_code(exc) in _S3_NOT_FOUND_CODES:
                raise ObjectNotFound(key) from exc
            raise StorageUnavailable(f"cannot look up {key!r}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"cannot look up {key!r}: {exc}") from exc
        content_type = head.get("ContentType") or ""
        if content_type == _S3_DEFAULT_CONTENT_TYPE or not _CONTENT_TYPE.fullmatch(content_type):
            # An object put there by other means, as LocalStorage does for a file placed by hand.
            content_type = mimetypes.guess_type(key)[0] or _DEFAULT_CONTENT_TYPE
        modified = head.get("LastModified")
        return ObjectInfo(
            size=head["ContentLength"],
            content_type=content_type,
            etag=head.get("ETag") or None,
            last_modified=_http_date(modified) if modified is not None else None,
        )

    def content_type(self, key: str) -> str:
        return self.describe(key).content_type

    def open_range(self, key: str, byte_range: tuple[int, int] | None = None) -> Iterator[bytes]:
        """The object's bytes (positions ``first`` to ``last`` of ``byte_range``, both included,
        when given), read from the bucket as they are consumed. The request is made now, so a
        missing object is ObjectNotFound here, before anything is sent; close the iterator
        (or read it to the end) to hand the connection back."""
        params: dict[str, Any] = {"Bucket": self._bucket, "Key": self._object_key(key)}
        if byte_range is not None:
            first, last = byte_range
            params["Range"] = f"bytes={first}-{last}"
        try:
            response = self._client.get_object(**params)
        except ClientError as exc:
            if _error_code(exc) in _S3_NOT_FOUND_CODES:
                raise ObjectNotFound(key) from exc
            raise StorageUnavailable(f"cannot read {key!r}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"cannot read {key!r}: {exc}") from exc
        return _read_chunks(response["Body"], key)

    def signed_url(self, key: str, expires_in: int) -> str:
        return self._signer.url(key, expires_in)

    def verify_signature(
        self, key: str, expires: str | None, signature: str | None, now: float | None = None
    ) -> SignatureCheck:
        return self._signer.verify(key, expires, signature, now)

    def check(self) -> None:
        try:
            self._client.head_bucket(Bucket=self._bucket)
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(f"bucket {self._bucket!r} is not usable: {exc}") from exc

    def _object_key(self, key: str) -> str:
        validate_key(key)
        return f"{self._prefix}/{key}" if self._prefix else key


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _http_date(moment: dt.datetime) -> str:
    return email.utils.format_datetime(moment.astimezone(dt.UTC), usegmt=True)


def _read_chunks(body: StreamingBody, key: str) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(S3_CHUNK_SIZE)
    except BotoCoreError as exc:  # the bucket stopped answering midway
        raise StorageUnavailable(f"cannot read {key!r}: {exc}") from exc
    finally:
        body.close()
