"""The HTTP calls the MCP tools make: Krev's own public API, with the caller's bearer key.

Two ways to reach it, one interface (``ApiSource.open`` gives a ``KrevApi`` for one tool call):

- ``InProcessSource``, in an API process serving ``/mcp``: the request goes through the same
  FastAPI app in-process (httpx's ``ASGITransport``), with the MCP request's own
  ``Authorization`` header, client address and request id, so the API's middleware, scopes,
  rate limits, validation and ownership apply to it unchanged and its access log line carries
  the request id the MCP request was given;
- ``RemoteSource``, for ``krev mcp --stdio``: a Krev server at a base URL, with the key the
  process was started with.

Media (thumbnails' sources) are fetched from signed URLs the API handed out: in-process only
those under the server's own public base URL (a server fetches no one else's URLs on a
caller's behalf), remotely any http(s) URL, without the key.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import httpx

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context
    from starlette.requests import Request

Envelope = dict[str, Any]
"""The API's answer: ``{"success": true, "data": …}`` (and ``meta`` for a list)."""

MAX_MEDIA_BYTES = 64 * 1024 * 1024  # a 4096 px HD image is a few MB; anything this big is odd
REMOTE_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
# In-process answers are quick: job-creating calls are sent with ``Prefer: respond-async``.
IN_PROCESS_TIMEOUT = httpx.Timeout(120.0)


class ApiError(Exception):
    """The API refused a call (its envelope's ``error`` and ``code``), or could not be reached."""

    def __init__(self, message: str, code: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


@dataclass
class KrevApi:
    """One caller's API for one tool call: requests carry ``headers`` (their key)."""

    client: httpx.AsyncClient
    headers: dict[str, str]
    media_target: MediaTarget

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        respond_async: bool = False,
    ) -> Envelope:
        """The envelope of a 2xx answer; ``ApiError`` with the API's message otherwise."""
        headers = dict(self.headers)
        if respond_async:
            headers["Prefer"] = "respond-async"
        query = {name: value for name, value in (params or {}).items() if value is not None}
        try:
            response = await self.client.request(
                method, path, params=query, json=body, headers=headers
            )
        except httpx.HTTPError as error:
            raise ApiError(
                f"Could not reach the Krev API at {self.client.base_url}: {error}",
                "api_unreachable",
            ) from error
        return _envelope(response)

    async def media(self, url: str) -> bytes | None:
        """The bytes behind a signed media URL, or None when it is not one to fetch (another
        server's URL in-process) or cannot be read: a thumbnail is a courtesy, never an error."""
        target = self.media_target(url)
        if target is None:
            return None
        try:
            response = await self.client.get(target)
        except httpx.HTTPError:
            return None
        if response.status_code != 200 or len(response.content) > MAX_MEDIA_BYTES:
            return None
        return response.content


class MediaTarget(Protocol):
    def __call__(self, url: str) -> str | None:
        """What to GET for a media URL with the source's client; None to leave it."""


def _envelope(response: httpx.Response) -> Envelope:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise ApiError(
            f"The Krev API answered HTTP {response.status_code} without a JSON envelope.",
            "unexpected_response",
            response.status_code,
        )
    if response.is_success and body.get("success") is True:
        return body
    message = body.get("error")
    code = body.get("code")
    raise ApiError(
        message if isinstance(message, str) else f"HTTP {response.status_code}",
        code if isinstance(code, str) else "unexpected_response",
        response.status_code,
    )


class ApiSource(Protocol):
    """Where a tool call's API requests go."""

    def serving(self) -> AbstractAsyncContextManager[object]:
        """What the source holds while its MCP server runs (a connection pool)."""

    def open(self, ctx: Context) -> AbstractAsyncContextManager[KrevApi]:
        """The caller's API for the tool call ``ctx`` belongs to."""


class InProcessSource:
    """The API of the app that serves ``/mcp``, called in-process as the MCP request's caller."""

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[InProcessSource]:
        yield self  # a client per tool call: each has its caller's address and transport

    @asynccontextmanager
    async def open(self, ctx: Context) -> AsyncIterator[KrevApi]:
        request = _http_request(ctx)
        app = request.scope["app"]
        client_address = request.scope.get("client") or ("127.0.0.1", 0)
        headers = {"Authorization": request.headers.get("authorization", "")}
        forwarded = request.headers.getlist("x-forwarded-for")
        if forwarded:
            # The address rules (KREV_TRUSTED_PROXIES) then see what the MCP request showed.
            headers["X-Forwarded-For"] = ", ".join(forwarded)
        request_id = request.scope.get("state", {}).get("request_id")
        if request_id:
            headers["X-Request-ID"] = request_id
        public_base = app.state.runtime.settings.base_url
        transport = httpx.ASGITransport(
            app=app, raise_app_exceptions=False, client=(client_address[0], client_address[1])
        )
        async with httpx.AsyncClient(
            transport=transport, base_url=str(request.base_url), timeout=IN_PROCESS_TIMEOUT
        ) as client:
            yield KrevApi(client, headers, _under(public_base))


def _http_request(ctx: Context) -> Request:
    from starlette.requests import Request

    request = ctx.request_context.request
    if not isinstance(request, Request):
        raise RuntimeError("the in-process API serves MCP requests that came over HTTP")
    return request


def _under(public_base: str) -> MediaTarget:
    """Media under the server's public base URL, as paths of the in-process app."""
    prefix = public_base.rstrip("/") + "/"

    def target(url: str) -> str | None:
        return "/" + url[len(prefix) :] if url.startswith(prefix) else None

    return target


def _any_http_url(url: str) -> str | None:
    return url if url.startswith(("https://", "http://")) else None


class RemoteSource:
    """A Krev server at ``base_url``, called with one API key (``krev mcp --stdio``)."""

    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self._client: httpx.AsyncClient | None = None

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[RemoteSource]:
        """One connection pool for the server's life."""
        async with httpx.AsyncClient(base_url=self.base_url, timeout=REMOTE_TIMEOUT) as client:
            self._client = client
            try:
                yield self
            finally:
                self._client = None

    @asynccontextmanager
    async def open(self, ctx: Context) -> AsyncIterator[KrevApi]:
        if self._client is None:
            raise RuntimeError("RemoteSource.open outside serving()")
        yield KrevApi(self._client, {"Authorization": f"Bearer {self.api_key}"}, _any_http_url)
