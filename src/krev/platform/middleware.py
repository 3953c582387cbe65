"""The ASGI middleware every request passes, outermost first: its request id, access log,
metrics and rate-limit headers; HEAD served as GET; the body size limit. Pure ASGI middleware:
Starlette's BaseHTTPMiddleware costs too much on every request.
"""

from __future__ import annotations

import itertools
import re
import secrets
import time

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from krev.errors import PayloadTooLarge
from krev.platform.observability import Metrics

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
access_log = structlog.get_logger("krev.access")


class RequestContextMiddleware:
    """Request id, access log, metrics and rate-limit headers for every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: Metrics | None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                ratelimit = scope.get("state", {}).get("ratelimit")
                if ratelimit is not None and status != 429:
                    for name, value in ratelimit.headers().items():
                        headers.append((name.lower().encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            if self.metrics is not None:
                self.metrics.observe_request(scope["method"], route, status, elapsed)
            access_log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round(elapsed * 1000, 2),
            )
            structlog.contextvars.unbind_contextvars("request_id")


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = bytes(value).decode("latin-1")
            if _VALID_REQUEST_ID.match(candidate):
                return candidate
    # Unique without a system call each: 64 random bits per process, then a counter
    # (itertools.count is atomic under the GIL, so threads may share it).
    return f"{_REQUEST_ID_PREFIX}{next(_REQUEST_COUNTER):012x}"


_REQUEST_ID_PREFIX = secrets.token_hex(8)
_REQUEST_COUNTER = itertools.count(1)


class BodySizeLimitMiddleware:
    """413 for bodies over the limit: early from Content-Length, else while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        has_body = False
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                if value.isdigit() and int(value) > self.max_bytes:
                    await _send_too_large(send, self.max_bytes)
                    return
                has_body = value != b"0"
            elif name == b"transfer-encoding":
                has_body = True
        if not has_body:  # most GETs: nothing to count, so no wrapping on the hot path
            await self.app(scope, receive, send)
            return
        received = 0
        too_large = replaced = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    raise PayloadTooLarge(_too_large_message(self.max_bytes))
            return message

        async def guarded_send(message: Message) -> None:
            # FastAPI turns any error raised while it reads the body into its own 400;
            # whatever the app answers after the limit was crossed, the client gets the 413.
            nonlocal replaced
            if too_large and message["type"] == "http.response.start":
                replaced = True
                await _send_too_large(send, self.max_bytes)
            elif not replaced:
                await send(message)

        await self.app(scope, limited_receive, guarded_send)


def _too_large_message(max_bytes: int) -> str:
    unit, size = next(
        (u, s) for u, s in (("MB", 1024**2), ("KB", 1024), ("bytes", 1)) if max_bytes >= s
    )
    return f"The request body is larger than the {round(max_bytes / size, 1):g} {unit} limit."


async def _send_too_large(send: Send, max_bytes: int) -> None:
    import json

    body = json.dumps(PayloadTooLarge(_too_large_message(max_bytes)).body()).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# A scope key: set on the GET a HEAD is answered with.
HEAD_ONLY = "krev.head_only"


class HeadAsGetMiddleware:
    """HEAD answered as the GET at the same path would be, without the body (RFC 9110 9.3.2).

    FastAPI registers GET routes for GET only; clients and CDNs check signed file URLs and
    endpoints with HEAD. The GET runs in full (its headers, Content-Length included, are
    the truth), and only the body is dropped on the way out. A route whose body costs more
    than its headers (an object streamed from S3) reads ``HEAD_ONLY`` in the scope and
    sends the headers alone.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b""})
                return
            await send(message)

        as_get = {**scope, "method": "GET", HEAD_ONLY: True}
        try:
            await self.app(as_get, receive, without_body)
        finally:
            if "route" in as_get:  # the matched route labels the HEAD's metrics too
                scope["route"] = as_get["route"]
