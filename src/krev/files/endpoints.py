"""GET /storage/{key}: serves stored objects to holders of a valid signed URL, and an image
as PNG or JPEG on request (``?format=png|jpeg``, krev.files.renditions).

Every URL the API hands out for an object is one of these, whichever the storage: with local
storage the bytes come from the file, with S3 they are streamed from the bucket through this
process. The bucket's own presigned URLs would spare the API the bytes, but SigV4 signs their
whole query, so no ``&format=`` could be added to them, and a redirect to one is a step that
clients such as httpx do not take by default.

Byte ranges follow RFC 9110 section 14: a ``Range`` this route cannot read (another unit,
bad syntax, too many ranges) is ignored and the whole object served, as the RFC allows; a
range set none of whose ranges overlaps the object is a 416 in the error envelope, with
``Content-Range: bytes */<size>``. Starlette's FileResponse sends a local file, and is handed
only ranges already checked here, so its own plain-text 400 and 416 never reach a client.
From S3, one range is read from the bucket as asked; several are answered with the whole
object (a multipart answer would cost a read from the bucket per part).
"""

from __future__ import annotations

import os
import re
import stat
import time
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import FileResponse
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from krev.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    RangeNotSatisfiable,
    ServiceUnavailable,
)
from krev.files.renditions import Format, rendition, requested_format
from krev.platform.deps import RuntimeDep
from krev.platform.middleware import HEAD_ONLY
from krev.platform.routing import api_router
from krev.platform.storage import (
    InvalidObjectKey,
    LocalStorage,
    ObjectInfo,
    ObjectNotFound,
    S3Storage,
    SignatureCheck,
    StorageUnavailable,
)

router = api_router(tags=["storage"])

_REFUSALS = {
    SignatureCheck.MISSING: "This storage URL is not signed. Use the signed URL from the API.",
    SignatureCheck.INVALID: "This storage URL's signature is invalid.",
    SignatureCheck.EXPIRED: "This storage URL has expired. Fetch a fresh one from the API.",
}

# More ranges than this in one request is not a player or a download manager; the whole
# object is cheaper to send than a multipart answer of hundreds of parts.
MAX_RANGES = 100
_RANGE_SPEC = re.compile(r"([0-9]+)-([0-9]*)|-([0-9]+)")
# Past any object's size, and short enough for int() (Python refuses very long digit strings).
_HUGE = 10**18


@router.get("/storage/{key:path}", name="get_object", include_in_schema=False)
def get_object(
    key: str,
    request: Request,
    runtime: RuntimeDep,
    expires: Annotated[str | None, Query()] = None,
    signature: Annotated[str | None, Query()] = None,
    output_format: Annotated[
        str | None,
        Query(alias="format", description="png or jpeg: the image converted (once, then kept)."),
    ] = None,
) -> Response:
    # FastAPI hands over the last of repeated values; a URL that carries two is not one we
    # signed, and which of them a cache or proxy in between would read is anyone's guess.
    for name in ("expires", "signature"):
        if len(request.query_params.getlist(name)) > 1:
            raise BadRequest(
                f"This storage URL carries '{name}' more than once. "
                "Use the signed URL exactly as the API returned it."
            )
    storage = runtime.storage
    check = storage.verify_signature(key, expires, signature)
    if check is not SignatureCheck.OK:
        raise Forbidden(_REFUSALS[check])
    if len(request.query_params.getlist("format")) > 1:
        raise BadRequest("Ask for one format (?format=png or ?format=jpeg), not several.")
    # The format is checked before the object is looked up: a URL that can never work says so.
    wanted = requested_format(output_format) if output_format is not None else None
    max_age = max(0, int(expires or 0) - int(time.time()))
    cache_control = {"Cache-Control": f"private, max-age={max_age}"}
    try:
        if isinstance(storage, LocalStorage):
            return _from_file(storage, key, wanted, request, cache_control)
        if isinstance(storage, S3Storage):
            return _from_bucket(storage, key, wanted, request, cache_control)
    except (InvalidObjectKey, ObjectNotFound, FileNotFoundError):
        # e.g. an object deleted since the URL was signed
        raise NotFound("Object not found.") from None
    except StorageUnavailable:
        raise ServiceUnavailable("Object storage is unavailable. Try again shortly.") from None
    raise NotFound("This storage serves no objects here.")


def _from_file(
    storage: LocalStorage,
    key: str,
    wanted: Format | None,
    request: Request,
    headers: dict[str, str],
) -> Response:
    media_type = storage.content_type(key)
    if wanted is not None:
        # The signature covers the object; a rendition is only another encoding of it.
        converted = rendition(storage, key, media_type, wanted)
        key, media_type = converted.key, converted.content_type
    path = storage.local_path(key)
    found = os.stat(path)
    if not stat.S_ISREG(found.st_mode):
        raise NotFound("Object not found.")
    ranges = _checked_ranges(request, found.st_size)
    return _ObjectResponse(
        path, ranges=ranges or None, stat_result=found, media_type=media_type, headers=headers
    )


def _from_bucket(
    storage: S3Storage,
    key: str,
    wanted: Format | None,
    request: Request,
    headers: dict[str, str],
) -> Response:
    info = storage.describe(key)
    if wanted is not None:
        converted = rendition(storage, key, info.content_type, wanted)
        if converted.key != key:
            key, info = converted.key, storage.describe(converted.key)
    ranges = _checked_ranges(request, info.size)
    if_range = request.headers.get("if-range")
    if if_range is not None and not _validator_matches(if_range, info):
        ranges = None  # the client's copy is not this one: it gets the whole object
    one_range = ranges[0] if ranges and len(ranges) == 1 else None
    headers = {**headers, "Accept-Ranges": "bytes"}
    if info.etag:
        headers["ETag"] = info.etag
    if info.last_modified:
        headers["Last-Modified"] = info.last_modified
    if one_range is None:
        status, headers["Content-Length"] = 200, str(info.size)
    else:
        first, last = one_range
        status, headers["Content-Length"] = 206, str(last - first + 1)
        headers["Content-Range"] = f"bytes {first}-{last}/{info.size}"
    if request.scope.get(HEAD_ONLY):
        # The headers are all a HEAD gets: no need to read the object from the bucket.
        return Response(status_code=status, headers=headers, media_type=info.content_type)
    return StreamingResponse(
        storage.open_range(key, one_range),
        status_code=status,
        headers=headers,
        media_type=info.content_type,
    )


def _checked_ranges(request: Request, size: int) -> list[tuple[int, int]] | None:
    """The request's byte ranges (``_requested_ranges``); 416 when none can be served."""
    ranges = _requested_ranges(request.headers.getlist("range"), size)
    if ranges == [] and "if-range" not in request.headers:
        raise RangeNotSatisfiable(
            f"The requested range is outside the object, which is {size} bytes long.",
            headers={"Content-Range": f"bytes */{size}"},
        )
    return ranges


def _validator_matches(if_range: str, info: ObjectInfo) -> bool:
    """Whether ``If-Range`` names this object, as Starlette's FileResponse decides it for a
    file: a strong comparison, so a weak validator never matches (RFC 9110 section 13.1.5)."""
    if if_range.startswith("W/"):
        return False
    return if_range in (info.etag, info.last_modified)


def _requested_ranges(headers: list[str], size: int) -> list[tuple[int, int]] | None:
    """The ranges of a ``Range`` header that overlap an object of ``size`` bytes, as
    (first, last) byte positions clamped to the object; [] when none does; None when the
    whole object is to be served: no header, or one to ignore (RFC 9110 section 14.2).

    An int-range is satisfiable when it starts inside the object, a suffix-range when it
    asks for at least one byte; an empty object satisfies none (section 14.1.2).
    """
    if len(headers) != 1:  # none, or several (the field is not a list)
        return None
    unit, equals, range_set = headers[0].partition("=")
    if not equals or unit.strip().lower() != "bytes":  # a unit we do not know is ignored
        return None
    specs = [spec.strip() for spec in range_set.split(",") if spec.strip()]
    if not specs or len(specs) > MAX_RANGES:
        return None
    ranges = []
    for spec in specs:
        match = _RANGE_SPEC.fullmatch(spec)
        if match is None:
            return None
        first_digits, last_digits, suffix_digits = match.groups()
        if suffix_digits is not None:
            suffix = _position(suffix_digits)
            if suffix > 0 and size > 0:
                ranges.append((max(0, size - suffix), size - 1))
            continue
        first = _position(first_digits)
        last = _position(last_digits) if last_digits else None
        if last is not None and last < first:  # invalid syntax: the whole header is ignored
            return None
        if first < size:
            ranges.append((first, size - 1 if last is None else min(last, size - 1)))
    return ranges


def _position(digits: str) -> int:
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) < 18 else _HUGE


class _ObjectResponse(FileResponse):
    """A FileResponse that serves the ranges this route has checked, not the raw header.

    Starlette reads ``Range`` from the request itself and answers what it cannot serve with
    plain text; handing it the checked ranges in canonical form (``bytes=0-99,200-299``)
    leaves it only the sending. ``If-Range`` stays as sent: when the client's validator no
    longer matches, Starlette serves the whole object, as RFC 9110 section 13.1.5 says.
    """

    def __init__(
        self,
        path: os.PathLike[str],
        *,
        ranges: list[tuple[int, int]] | None,
        stat_result: os.stat_result,
        media_type: str,
        headers: dict[str, str],
    ) -> None:
        super().__init__(path, stat_result=stat_result, media_type=media_type, headers=headers)
        self.byte_ranges = ranges

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(name, value) for name, value in scope["headers"] if name != b"range"]
        if self.byte_ranges:
            spec = ",".join(f"{first}-{last}" for first, last in self.byte_ranges)
            headers.append((b"range", f"bytes={spec}".encode("ascii")))
        await super().__call__({**scope, "headers": headers}, receive, send)
