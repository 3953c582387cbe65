"""A lean dispatcher for the two GETs clients call in loops, ahead of FastAPI's router.

Clients poll ``GET /api/v1/generations/{id}`` until their job is done, and dashboards read
``GET /api/v1/credits`` all the time. On those requests FastAPI's routing, request plumbing and
dependency solving took about a third of the CPU (py-spy on a served process; see
docs/performance.md). Here the same endpoint code runs after a regular-expression match and
the same authentication, and errors render through the same envelope; the FastAPI routes stay
registered, so the OpenAPI document, HEAD (turned into GET further out) and anything this
dispatcher does not recognise (a path its pattern does not match, say) go through FastAPI as
before.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from krev.accounts.auth import Principal, authorize
from krev.errors import KrevError

# The endpoint's own code: the request, the authenticated caller, the converted path values.
HotHandler = Callable[[Request, Principal, Mapping[str, Any]], Awaitable[Response]]


@dataclass(frozen=True)
class HotRoute:
    path: str  # the route's template, e.g. "/api/v1/generations/{id}" (also the metrics label)
    pattern: re.Pattern[str]
    scope: str | None  # the key scope it needs; None when the endpoint checks it itself
    handler: HotHandler
    # Turns the path's groups into the handler's values; ValueError hands the request to
    # FastAPI, whose validation answers it.
    convert: Callable[[Mapping[str, str]], Mapping[str, Any]] = dict


class HotPathMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        routes: Sequence[HotRoute],
        render_error: Callable[[KrevError], Response],
    ) -> None:
        self.app = app
        self.routes = tuple(routes)
        self.render_error = render_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self._match(scope) if scope["type"] == "http" and scope["method"] == "GET" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        route, values = found
        scope["route"] = route  # what the request-context middleware labels metrics with
        request = Request(scope, receive)
        try:
            principal = await authorize(request, route.scope)
            response = await route.handler(request, principal, values)
        except KrevError as error:
            response = self.render_error(error)
        await response(scope, receive, send)

    def _match(self, scope: Scope) -> tuple[HotRoute, Mapping[str, Any]] | None:
        path = scope["path"]
        for route in self.routes:
            match = route.pattern.fullmatch(path)
            if match is None:
                continue
            try:
                return route, route.convert(match.groupdict())
            except ValueError:
                return None
        return None
