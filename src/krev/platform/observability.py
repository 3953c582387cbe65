"""Structured logs with a request id, Prometheus metrics, and the middleware that ties
both to every request. Pure ASGI middleware: Starlette's BaseHTTPMiddleware costs too much
on the hot path.
"""

from __future__ import annotations

import itertools
import logging
import re
import secrets
import sys
import time
from collections.abc import Iterable
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from krev.errors import PayloadTooLarge

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
access_log = structlog.get_logger("krev.access")


def configure_logging(level: str = "INFO", fmt: str = "console") -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=level.upper(), stream=sys.stderr, format="%(name)s %(message)s")


class Metrics:
    """The API's Prometheus metrics, in a registry of its own (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "krev_http_requests_total",
            "HTTP requests by method, route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "krev_http_request_duration_seconds",
            "HTTP request latency by route.",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
        )


class CallbackCollector:
    """Gauges read at scrape time (job states, queue length) from a callable."""

    def __init__(self, name: str, documentation: str, label: str, read: Any) -> None:
        self.name, self.documentation, self.label, self.read = name, documentation, label, read

    def describe(self) -> Iterable[Metric]:
        # Without this the registry calls collect() at registration, i.e. at app start.
        yield GaugeMetricFamily(self.name, self.documentation, labels=[self.label])

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily(self.name, self.documentation, labels=[self.label])
        try:
            values = self.read()
        except Exception:  # a scrape must not fail because one backend is down
            structlog.get_logger("krev.metrics").warning("gauge_unavailable", metric=self.name)
            values = {}
        for value_label, value in values.items():
            family.add_metric([value_label], value)
        yield family


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
                self.metrics.requests.labels(scope["method"], route, str(status)).inc()
                self.metrics.latency.labels(scope["method"], route).observe(elapsed)
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


class HeadAsGetMiddleware:
    """HEAD answered as the GET at the same path would be, without the body (RFC 9110 9.3.2).

    FastAPI registers GET routes for GET only; clients and CDNs check signed file URLs and
    endpoints with HEAD. The GET runs in full (its headers, Content-Length included, are
    the truth), and only the body is dropped on the way out.
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

        as_get = {**scope, "method": "GET"}
        try:
            await self.app(as_get, receive, without_body)
        finally:
            if "route" in as_get:  # the matched route labels the HEAD's metrics too
                scope["route"] = as_get["route"]
