"""FastAPI's route, calling an endpoint directly when its inputs need no validation.

Every request spends most of its framework time in FastAPI's generic dependency solver: for
each request it walks the endpoint's parameter tree, validates every value and builds the
call. For an endpoint whose inputs are only the request, dependencies that themselves take
only the request (authentication) and path parameters typed ``str``, there is nothing to
validate: ``ApiRoute`` sees that once, when the route is declared, and calls the endpoint
with those values itself. It is the same route (one declaration, one path, FastAPI's own
routing, OpenAPI document and error handling) and the same endpoint function: a breakpoint
in it is hit. Any other endpoint is handled by FastAPI as usual.

What the direct call skips is measured in ``make bench`` (docs/performance.md): about a third
of an authenticated GET's framework time.

Routers are declared with ``api_router`` (this route class, and operation ids "tag-name" that
read well in generated clients) and registered with ``add_routes``, which puts their routes
in the app's own route list. FastAPI keeps an included router nested and matches a request
through it twice; ours carry nothing at the router level that is not already part of each
route (prefix, tags, responses are merged into the route when it is declared), so nesting
bought nothing and cost a fifth of an authenticated GET's framework time.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

__all__ = ["ApiRoute", "add_routes", "api_router", "direct_call", "operation_id"]

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class ApiRoute(APIRoute):
    """The route class of every router (``api_router``)."""

    def get_route_handler(self) -> Handler:
        return direct_call(self.dependant) or super().get_route_handler()


def operation_id(route: APIRoute) -> str:
    """Stable OpenAPI operation ids, "tag-name" (``images-create``)."""
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}-{route.name}"


def api_router(**options: Any) -> APIRouter:
    """A domain's router: ``ApiRoute`` routes with "tag-name" operation ids."""
    return APIRouter(route_class=ApiRoute, generate_unique_id_function=operation_id, **options)


def add_routes(app: FastAPI, routers: list[APIRouter]) -> None:
    """Every router's routes, in order, at the head of the app's own route list (see the module
    docstring): Starlette tries routes in order, so the API's come before the framework's own
    (the OpenAPI document, the docs page). A router with dependencies of its own would need
    FastAPI's nesting."""
    routes = []
    for router in routers:
        if router.dependencies:
            raise ValueError("add_routes takes routers without router-level dependencies")
        routes.extend(router.routes)
    app.router.routes[0:0] = routes


def direct_call(dependant: Dependant) -> Handler | None:
    """A handler calling ``dependant``'s endpoint without FastAPI's solver, or None when the
    endpoint takes anything that needs validating or cleaning up."""
    call = dependant.call
    if (
        call is None
        or not inspect.iscoroutinefunction(call)
        or not _returns_response(call)
        or dependant.query_params
        or dependant.header_params
        or dependant.cookie_params
        or dependant.body_params
        or dependant.response_param_name
        or dependant.background_tasks_param_name
        or dependant.websocket_param_name
        or dependant.http_connection_param_name
        or dependant.security_scopes_param_name
    ):
        return None
    if any(field.field_info.annotation is not str for field in dependant.path_params):
        return None
    resolvers: list[tuple[str, Callable[[Request], Awaitable[Any]]]] = []
    for sub in dependant.dependencies:
        resolver = _request_only(sub)
        if resolver is None or sub.name is None:
            return None
        resolvers.append((sub.name, resolver))
    path_names = [field.name for field in dependant.path_params]
    request_name = dependant.request_param_name

    async def handler(request: Request) -> Response:
        values: dict[str, Any] = {name: await resolve(request) for name, resolve in resolvers}
        path = request.path_params
        for name in path_names:
            values[name] = path[name]
        if request_name is not None:
            values[request_name] = request
        response: Response = await call(**values)
        return response

    return handler


def _request_only(dependant: Dependant) -> Callable[[Request], Awaitable[Any]] | None:
    """The dependency's function if it is ``async def f(request)`` with nothing below it."""
    call = dependant.call
    if (
        call is None
        or not inspect.iscoroutinefunction(call)
        or dependant.request_param_name is None
        or dependant.dependencies
        or dependant.path_params
        or dependant.query_params
        or dependant.header_params
        or dependant.cookie_params
        or dependant.body_params
        or len(inspect.signature(call).parameters) != 1
    ):
        return None
    return call


def _returns_response(call: Callable[..., Any]) -> bool:
    """Whether the endpoint answers a ``Response`` itself (nothing for FastAPI to serialise)."""
    try:
        annotation = inspect.signature(call, eval_str=True).return_annotation
    except NameError:  # an annotation only importable for type checkers
        return False
    return inspect.isclass(annotation) and issubclass(annotation, Response)
