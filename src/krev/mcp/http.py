"""``/mcp`` in every API process: MCP's streamable HTTP, stateless, behind the API's bearer keys.

Stateless (the SDK's ``stateless_http``): each POST carries a whole exchange, answered on its
own SSE stream (which carries the call's progress notifications too), and no session lives in
a process, so a load balancer may send each request to any API process. There is no GET
stream and no session id to keep.

Each request must carry a valid API key (``Authorization: Bearer sk_live_…``): without one it
is answered 401 in the API's error envelope before the MCP layer reads it, and a failure is
counted against the address as at every endpoint (``accounts.auth.authenticate_key``). The
key's scopes are checked where they are at the API: by the endpoint each tool calls, with the
same header (``krev.mcp.api.InProcessSource``). The request itself is not counted in the
user's rate-limit window; the API calls a tool makes are.

DNS-rebinding protection (the SDK's Host and Origin checks, meant for unauthenticated local
servers) is off: a browser page cannot send the key, and the public host of a deployment
behind a proxy is not known here.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from krev.accounts.auth import authenticate_key
from krev.errors import KrevError, ServiceUnavailable
from krev.mcp.api import InProcessSource
from krev.mcp.server import build_server

PATH = "/mcp"


class McpEndpoint:
    """The ASGI endpoint at ``/mcp``; ``running()`` must wrap the app's lifespan."""

    def __init__(self) -> None:
        # The SDK logs each stateless request's end at INFO ("Terminating session: None"),
        # which says nothing the access log does not.
        logging.getLogger("mcp.server.streamable_http").setLevel(logging.WARNING)
        self.server = build_server(InProcessSource())
        self.sessions: StreamableHTTPSessionManager | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Serve while the app runs: a session manager runs once, so each lifespan (an app
        may be started again, as tests do) gets its own."""
        # Builds the session manager; the SDK's own Starlette app it returns is not used,
        # because this endpoint authenticates first.
        self.server.streamable_http_app(
            stateless_http=True,
            json_response=False,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        sessions = self.server.session_manager
        async with sessions.run():
            self.sessions = sessions
            try:
                yield
            finally:
                self.sessions = None

    def route(self) -> Route:
        return Route(PATH, endpoint=self, methods=["GET", "POST", "DELETE"], name="mcp")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sessions = self.sessions
        try:
            await authenticate_key(Request(scope, receive))
            if sessions is None:  # the app's lifespan has not started it
                raise ServiceUnavailable("The MCP endpoint is not running.")
        except KrevError as error:
            response = JSONResponse(
                error.body(), status_code=error.status, headers=error.headers or None
            )
            await response(scope, receive, send)
            return
        await sessions.handle_request(scope, receive, send)
