"""One keyset pagination for every list: newest first, a page at a time, an opaque cursor.

A list is ordered newest first on a key whose last column is unique (``created_at, id`` for
most), so rows created in the same instant still have one place each in the order, and a page
boundary between them neither skips nor repeats one (an OFFSET would, as rows are added).

The cursor is the key of the page's last row, as versioned JSON naming its list, followed by
an HMAC of it under the server secret, all base64url without padding. Clients pass it back as
given; anything else (a timestamp typed by hand, an edited cursor, another list's, one signed
with a secret since rotated) is a 400 ``invalid_cursor``, never a 500 nor a guess. The JSON
is readable by whoever holds the cursor: it holds the position of a row of theirs, nothing
else, and the signature is what makes it ours.

A feed read in the order it was written (the generations' event outbox) declares its keyset
``ascending``: oldest first, the cursor then being the key of the last row read.

A new list (chat conversations, say) declares a ``Keyset`` in its repository, returns
``self.paginate(stmt, KEYSET, page)``, and takes ``page: PageDep`` (krev.platform.deps) in its
endpoint, which answers the returned ``Page``'s items as ``data`` and its ``meta``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import DateTime, Integer, TypeDecorator, Uuid
from sqlalchemy.orm import InstrumentedAttribute

from krev.errors import BadRequest

T = TypeVar("T")

DEFAULT_LIMIT = 50  # the reference's default for GET /products, used by every list
MAX_LIMIT = 100

CURSOR_VERSION = 1
_MAC_BYTES = 16
# Far above any cursor we issue (~150 characters); longer text is refused before decoding.
_MAX_CURSOR_CHARS = 512


class InvalidCursor(BadRequest):
    code = "invalid_cursor"
    default_message = (
        "cursor is not a next_cursor this API returned for this list: pass next_cursor as "
        "given, or leave cursor out for the first page."
    )


@dataclass(frozen=True)
class Keyset:
    """How one list is ordered: its name in cursors and its key, newest first (oldest first
    when ``ascending``). The last column is unique, so the key names one row."""

    listing: str
    columns: tuple[InstrumentedAttribute[Any], ...]
    ascending: bool = False


class CursorSigner:
    """Issues and reads cursors, signed with a key derived from the server secret."""

    def __init__(self, secret: bytes) -> None:
        self._key = hmac.new(secret, b"krev list cursor", hashlib.sha256).digest()

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_MAC_BYTES]

    def issue(self, keyset: Keyset, row: Any) -> str:
        key = [_to_json(getattr(row, column.key)) for column in keyset.columns]
        payload = json.dumps(
            {"v": CURSOR_VERSION, "list": keyset.listing, "key": key}, separators=(",", ":")
        ).encode()
        return base64.urlsafe_b64encode(payload + self._mac(payload)).decode().rstrip("=")

    def read(self, keyset: Keyset, cursor: str) -> tuple[Any, ...]:
        """The key of the row the cursor was issued after; InvalidCursor if it is not ours."""
        if len(cursor) > _MAX_CURSOR_CHARS:
            raise InvalidCursor()
        try:
            raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        except (binascii.Error, ValueError) as error:  # ValueError: not ASCII
            raise InvalidCursor() from error
        if len(raw) <= _MAC_BYTES:
            raise InvalidCursor()
        payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
        if not hmac.compare_digest(mac, self._mac(payload)):
            raise InvalidCursor()
        try:
            content = json.loads(payload)
            if content["v"] != CURSOR_VERSION or content["list"] != keyset.listing:
                raise ValueError("another version or list")
            values = content["key"]
            if not isinstance(values, list) or len(values) != len(keyset.columns):
                raise ValueError("another key")
            return tuple(
                _from_json(column, value)
                for column, value in zip(keyset.columns, values, strict=True)
            )
        except (KeyError, TypeError, ValueError) as error:
            # Signed by us yet unreadable here: issued by another version of this server.
            raise InvalidCursor() from error


@functools.lru_cache(maxsize=8)
def cursor_signer(secret: bytes) -> CursorSigner:
    return CursorSigner(secret)


@dataclass(frozen=True)
class PageRequest:
    """What the client asked for: how many, and after which row (its cursor, unread)."""

    limit: int
    cursor: str | None
    signer: CursorSigner

    def after(self, keyset: Keyset) -> tuple[Any, ...] | None:
        return None if self.cursor is None else self.signer.read(keyset, self.cursor)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None  # None on the last page

    @property
    def meta(self) -> dict[str, Any]:
        """The list envelope's ``meta``."""
        return {"count": len(self.items), "next_cursor": self.next_cursor}


def _kind(column: InstrumentedAttribute[Any]) -> Any:
    type_ = column.type
    return type_.impl if isinstance(type_, TypeDecorator) else type_


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, int):
        return value
    raise TypeError(f"no cursor form for {type(value).__name__}")


def _from_json(column: InstrumentedAttribute[Any], value: Any) -> Any:
    kind = _kind(column)
    if isinstance(kind, DateTime) and isinstance(value, str):
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("naive datetime")
        return moment
    if isinstance(kind, Uuid) and isinstance(value, str):
        return uuid.UUID(value)
    if isinstance(kind, Integer) and type(value) is int:
        return value
    raise ValueError(f"{value!r} does not fit {column.key}")
