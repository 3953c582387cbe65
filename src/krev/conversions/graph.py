"""A small client for Meta's Graph API events endpoint, and how to read its failures.

    POST {graph_url}/{version}/{pixel_id}/events
    {"data": [...], "access_token": "...", "test_event_code"?: "..."}

The token travels in the JSON body, never the URL, so it cannot end up in access logs.
Failures are one ``GraphError`` that says whether trying again later can help
(timeouts, connection errors, 429, 5xx, and the error codes Meta marks transient) and how
long Meta asked us to wait (``Retry-After``).
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

# Graph API error codes that mean "later": unknown/temporary errors and the rate limits.
# https://developers.facebook.com/docs/graph-api/guides/error-handling
TRANSIENT_CODES = frozenset({1, 2, 4, 17, 32, 341, 613, 80004})


@dataclass(frozen=True)
class GraphResult:
    events_received: int
    fbtrace_id: str | None
    messages: list[str] = field(default_factory=list)


class GraphError(Exception):
    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        status: int | None = None,
        fbtrace_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status
        self.fbtrace_id = fbtrace_id


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


def encode_event(event: dict[str, Any]) -> bytes:
    """One event as the request body carries it. ``ValueError`` when JSON cannot carry it:
    NaN and the infinities, which Python's JSON writer would put out as bare words that Meta's
    parser refuses (and the whole request with them)."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


class GraphClient:
    """One keep-alive connection pool per process (httpx's client is thread-safe): a
    request that delivers its own events pays no connection set-up."""

    def __init__(
        self,
        base_url: str,
        version: str,
        *,
        timeout: float,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.version = version.strip("/")
        self.timeout = timeout
        self._client = httpx.Client(
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=8),
        )

    def events_url(self, pixel_id: str) -> str:
        return f"{self.base_url}/{self.version}/{pixel_id}/events"

    def send_events(
        self,
        pixel_id: str,
        access_token: str,
        events: Sequence[bytes],
        test_event_code: str | None = None,
        *,
        timeout: float | None = None,
    ) -> GraphResult:
        """Send ``events``, each from ``encode_event``: the body is put together from them, so
        each event is encoded once and one JSON cannot carry never reaches the request."""
        body = b'{"data":[' + b",".join(events) + b'],"access_token":' + _encode(access_token)
        if test_event_code:
            body += b',"test_event_code":' + _encode(test_event_code)
        body += b"}"
        limit = self.timeout if timeout is None else timeout
        try:
            response = self._client.post(
                self.events_url(pixel_id),
                content=body,
                headers={"Content-Type": "application/json"},
                timeout=limit,
            )
        except httpx.TimeoutException as error:
            raise GraphError(f"Meta did not answer within {limit:g} s.", retryable=True) from error
        except httpx.TransportError as error:
            raise GraphError(
                f"Meta could not be reached: {type(error).__name__}.", retryable=True
            ) from error
        except httpx.RequestError as error:
            # A body that does not decode as its Content-Encoding says, say. Escaping as an
            # exception, it would leave the batch claimed, to be claimed again, untried, forever.
            raise GraphError(
                f"Meta's answer could not be read: {type(error).__name__}.", retryable=True
            ) from error
        return _read_response(response)

    def close(self) -> None:
        self._client.close()


def _encode(value: str) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def _read_response(response: httpx.Response) -> GraphResult:
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if response.status_code == 200 and isinstance(payload, dict) and "error" not in payload:
        received = payload.get("events_received")
        messages = payload.get("messages") or []
        return GraphResult(
            events_received=int(received) if isinstance(received, int) else 0,
            fbtrace_id=_text(payload.get("fbtrace_id")),
            messages=[str(m) for m in messages] if isinstance(messages, list) else [],
        )
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    status = response.status_code
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict):
        code = error.get("code")
        message = _meta_message(error, status)
        retryable = (
            status == 429
            or status >= 500
            or error.get("is_transient") is True
            or (isinstance(code, int) and code in TRANSIENT_CODES)
        )
        raise GraphError(
            message,
            retryable=retryable,
            retry_after=retry_after,
            status=status,
            fbtrace_id=_text(error.get("fbtrace_id")),
        )
    raise GraphError(
        f"Meta answered HTTP {status} without an error description.",
        retryable=status == 429 or status >= 500 or status == 200,
        retry_after=retry_after,
        status=status,
    )


def _meta_message(error: dict[str, Any], status: int) -> str:
    """Meta's own words: its message, the user-facing detail when it gives one, the code."""
    message = _text(error.get("message")) or f"HTTP {status}"
    detail = _text(error.get("error_user_msg"))
    if detail and detail not in message:
        message = f"{message} {detail}"
    parts = [f"{k} {error[k]}" for k in ("type", "code", "error_subcode") if error.get(k)]
    return f"{message} ({', '.join(parts)})" if parts else message


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
