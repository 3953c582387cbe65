"""The MCPServer, for either transport: the same tools, told where their API calls go.

``build_server(source)`` makes a server whose lifespan state is the ``ApiSource`` the tools
open (``krev.mcp.tools``): in-process for ``/mcp`` (``krev.mcp.http``), a remote base URL for
stdio (``run_stdio``). The tools' schemas are built once a process and shared by servers.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp.server.mcpserver import MCPServer

from krev import __version__
from krev.mcp.api import ApiSource, RemoteSource
from krev.mcp.tools import tools

NAME = "krev"
INSTRUCTIONS = """Krev makes product images, videos and ads from a product catalog, and runs
creative agent chats. Products first: list_products, or upload_product from an image URL. Then
generate_images, generate_video or generate_ads with product ids (list_presets and
list_ad_styles give the styling ids), or start_chat for concepts and copy. Renders cost credits
(get_credits); get_capabilities says what this server's engines can draw. Long tools wait up to
wait_seconds and otherwise return an id for get_generation or get_chat_run. Media come back as
signed links (they expire) with small thumbnails."""

DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def build_server(source: ApiSource) -> MCPServer[Any]:
    @asynccontextmanager
    async def lifespan(_server: MCPServer[Any]) -> AsyncIterator[ApiSource]:
        async with source.serving():
            yield source

    return MCPServer(
        NAME,
        title="Krev",
        instructions=INSTRUCTIONS,
        version=__version__,
        tools=list(tools()),
        lifespan=lifespan,
        log_level="WARNING",
    )


class MissingApiKey(Exception):
    pass


def stdio_source(environ: dict[str, str] | None = None) -> RemoteSource:
    """The API a stdio server calls: KREV_BASE_URL (default http://127.0.0.1:8000) with
    KREV_API_KEY, both from the environment (a key on a command line is in the process list)."""
    environ = dict(os.environ) if environ is None else environ
    key = environ.get("KREV_API_KEY", "").strip()
    if not key:
        raise MissingApiKey(
            "Set KREV_API_KEY to an API key (sk_live_…) of the Krev server to call; "
            "create one in the dashboard or with .venv/bin/krev admin create-key."
        )
    base_url = environ.get("KREV_BASE_URL", "").strip() or DEFAULT_BASE_URL
    return RemoteSource(base_url, key)


def run_stdio(source: RemoteSource) -> None:
    """Serve MCP on standard input and output until the client closes them."""
    build_server(source).run("stdio")
