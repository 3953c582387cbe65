"""Fixtures for the MCP server: live API servers (real sockets, each its own app and runtime)
and the `mcp` package's own client, talking to them as an MCP client application would.

``LoadBalancer`` stands in for one in front of several API processes: it sends each HTTP
request of a client to the next server in turn, so a client's initialize, tool listing and
calls land on different processes; only a stateless server answers that.
"""

from __future__ import annotations

import base64
import io
import json
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult, ImageContent, TextContent
from PIL import Image

from krev.composition import build_runtime
from krev.mcp.media import THUMBNAIL_PX
from krev.platform.config import Settings
from krev.platform.runtime import Runtime
from tests.conftest import build_app
from tests.generations.stack import JOB_PLANS
from tests.support.live_server import LiveServer, bound_socket

CALL_TIMEOUT = httpx2.Timeout(30.0, read=180.0)


@pytest.fixture
def listening() -> Iterator[socket.socket]:
    """The first API process's socket, bound before its settings are made: the signed URLs it
    hands out then point at it, and a stdio server, which fetches them as given, reaches it."""
    sock = bound_socket()
    yield sock
    sock.close()


@pytest.fixture
def settings(make_settings: Callable[..., Settings], listening: socket.socket) -> Settings:
    """One worker thread in each API process, and the public base URL of the first."""
    host, port = listening.getsockname()
    return make_settings(
        plans=JOB_PLANS,
        embedded_workers=1,
        public_base_url=f"http://{host}:{port}",
        chat_poll_seconds=0.2,
    )


@pytest.fixture
def server(runtime: Runtime, listening: socket.socket) -> Iterator[LiveServer]:
    """One API process."""
    with LiveServer(build_app(runtime), sock=listening) as live:
        yield live


@pytest.fixture
def servers(
    runtime: Runtime, settings: Settings, listening: socket.socket
) -> Iterator[list[LiveServer]]:
    """Two API processes of one deployment: the same database, queue and Redis, each its own
    runtime and app (and so its own MCP session manager); the first runs the job threads."""
    second_settings = settings.model_copy(update={"embedded_workers": 0})
    with (
        LiveServer(build_app(runtime), sock=listening) as first,
        LiveServer.for_runtime(build_runtime(second_settings)) as second,
    ):
        yield [first, second]


@dataclass
class LoadBalancer(httpx2.AsyncBaseTransport):
    """Each request to the next server in turn; ``served`` records which server got what (the
    JSON-RPC method, or the tool a call named)."""

    urls: list[str]
    served: list[tuple[str, str]] = field(default_factory=list)
    _inner: httpx2.AsyncHTTPTransport = field(default_factory=httpx2.AsyncHTTPTransport)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        url = self.urls[len(self.served) % len(self.urls)]
        self.served.append((url, _what(request)))
        target = httpx2.URL(url)
        request.url = request.url.copy_with(host=target.host, port=target.port)
        return await self._inner.handle_async_request(request)

    def server_of(self, what: str) -> list[str]:
        """The servers that answered each request for ``what``, in order."""
        return [url for url, named in self.served if named == what]

    async def aclose(self) -> None:
        await self._inner.aclose()


def _what(request: httpx2.Request) -> str:
    try:
        message = json.loads(request.content)
    except ValueError:
        return request.method
    if message.get("method") == "tools/call":
        return str(message["params"]["name"])
    return str(message.get("method", request.method))


@asynccontextmanager
async def mcp_client(
    url: str, key: str | None, *, balancer: LoadBalancer | None = None, mode: str = "legacy"
) -> AsyncIterator[Client]:
    """The SDK's client over streamable HTTP at ``url``/mcp, with the key as a bearer."""
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=CALL_TIMEOUT, transport=balancer) as http,
        Client(
            streamable_http_client(f"{url}/mcp", http_client=http),
            mode=mode,
            raise_exceptions=True,
        ) as client,
    ):
        yield client


def data(result: CallToolResult) -> Any:
    """A successful result's JSON (the first content block), checked against its
    structured copy."""
    assert not result.is_error, result.content
    first = result.content[0]
    assert isinstance(first, TextContent)
    parsed = json.loads(first.text)
    assert parsed == result.structured_content
    return parsed


def refusal(result: CallToolResult) -> dict[str, Any]:
    """A tool error's body: the API's error sentence and code (and HTTP status)."""
    assert result.is_error, result.content
    assert isinstance(result.structured_content, dict), result.content
    body: dict[str, Any] = result.structured_content
    first = result.content[0]
    assert isinstance(first, TextContent) and body["error"] in first.text
    return body


def thumbnails(result: CallToolResult) -> list[Image.Image]:
    """The result's image blocks, decoded: small WebP thumbnails, never the full image."""
    images: list[Image.Image] = []
    for block in result.content[1:]:
        assert isinstance(block, ImageContent), block
        assert block.mime_type == "image/webp"
        image = Image.open(io.BytesIO(base64.b64decode(block.data)))
        image.load()
        assert image.format == "WEBP"
        assert max(image.size) <= THUMBNAIL_PX
        images.append(image)
    return images
