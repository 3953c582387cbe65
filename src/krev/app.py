"""create_app(settings): routers, middleware, error handlers, and the embedded workers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from krev import __version__
from krev.composition import build_janitor, build_runtime, routers
from krev.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    KrevError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ServiceUnavailable,
    Unauthorized,
    UnsupportedMediaType,
)
from krev.idempotency.middleware import IdempotencyMiddleware
from krev.kit.validation import describe_validation_error
from krev.platform.config import Settings
from krev.platform.middleware import (
    BodySizeLimitMiddleware,
    HeadAsGetMiddleware,
    RequestContextMiddleware,
)
from krev.platform.observability import Metrics, configure_logging
from krev.platform.routing import add_routes, operation_id
from krev.platform.runtime import Runtime

log = structlog.get_logger("krev.app")

DESCRIPTION = """Generate studio-quality product images, videos, ads, and async chat runs
programmatically. Authenticate every request with `Authorization: Bearer sk_live_…`.
Responses always include a `success` boolean; failures carry an `error` sentence and a
machine-readable `code`."""


def _error_response(error: KrevError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers or None)


_HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path. Starlette's own 405 names only the
    methods of the first route that matched, and FastAPI has one route per method."""
    routes = request.app.router.routes
    allowed = [
        method
        for method in _HTTP_METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes
        )
    ]
    if "GET" in allowed and "HEAD" not in allowed:  # HeadAsGetMiddleware serves it
        allowed.insert(allowed.index("GET") + 1, "HEAD")
    return ", ".join(allowed)


_HTTP_ERROR_KINDS: tuple[type[KrevError], ...] = (
    BadRequest,
    Unauthorized,
    Forbidden,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimited,
    ServiceUnavailable,
)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(KrevError)
    async def _krev_error(_request: Request, error: KrevError) -> JSONResponse:
        return _error_response(error)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        return _error_response(BadRequest(describe_validation_error(error.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 404:
            return _error_response(NotFound(f"No endpoint at {request.url.path}."))
        if error.status_code == 405:
            allowed = _allowed_methods(request) or (error.headers or {}).get("Allow", "")
            return _error_response(
                MethodNotAllowed(
                    f"{request.method} is not allowed on {request.url.path}."
                    + (f" Allowed: {allowed}." if allowed else ""),
                    headers={"Allow": allowed} if allowed else None,
                )
            )
        # Framework errors (e.g. an unreadable body) keep the code that matches their status.
        detail = str(error.detail)
        detail += "" if detail.endswith(".") else "."
        headers = dict(error.headers) if error.headers else None
        kind = next((k for k in _HTTP_ERROR_KINDS if k.status == error.status_code), None)
        if kind is not None:
            return _error_response(kind(detail, headers=headers))
        generic = KrevError(detail)
        generic.status = error.status_code  # type: ignore[misc]
        return _error_response(generic)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        request_id = request.scope.get("state", {}).get("request_id")
        log.exception("unhandled_error", path=request.url.path, request_id=request_id)
        message = "Unexpected internal error."
        if request_id:
            message += f" Quote request id {request_id} if you contact support."
        # This handler answers from outside RequestContextMiddleware, so the id header is
        # not added for it.
        headers = {"X-Request-ID": request_id} if request_id else None
        return _error_response(KrevError(message, headers=headers))


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or (runtime.settings if runtime else Settings())
    configure_logging(settings.log_level, settings.log_format)
    runtime = runtime or build_runtime(settings)
    # Imported here: processes that serve no HTTP (workers, admin commands) never load the SDK.
    from krev.mcp.http import McpEndpoint

    mcp = McpEndpoint()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from krev.platform.workers import EmbeddedWorkers

        workers = (
            EmbeddedWorkers(runtime, build_janitor(runtime)).start()
            if settings.embedded_workers
            else None
        )
        if runtime.changes is not None:
            runtime.changes.listen()  # serve hot reads from memory, kept true by the feed
        try:
            async with mcp.running():
                yield
        finally:
            if workers is not None:
                workers.stop()
            runtime.close()

    # FastAPI's own docs page loads Swagger UI from a CDN and is blank offline; this one
    # serves the Swagger UI files that the fastapi-offline package ships.
    app = FastAPIOffline(
        title="Krev API",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        static_url="/api/v1/docs/static",
        # Nor may the page show Swagger's online validator badge, which sends the document's
        # URL to a third party.
        swagger_ui_parameters={"validatorUrl": None},
        generate_unique_id_function=operation_id,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    metrics = Metrics() if settings.metrics_enabled else None
    app.state.metrics = metrics
    _install_error_handlers(app)
    _include_routers(app)
    app.router.routes.append(mcp.route())  # /mcp: the API's tools for MCP clients (krev.mcp)
    _use_api_error_statuses_in_openapi(app)
    app.add_middleware(IdempotencyMiddleware, runtime=runtime)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(HeadAsGetMiddleware)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    if metrics is not None:
        from krev.health.service import register_runtime_gauges

        register_runtime_gauges(metrics, runtime)
    return app


def _include_routers(app: FastAPI) -> None:
    from krev.dashboard.endpoints import static_files

    add_routes(app, routers())
    app.mount("/dashboard/static", static_files, name="dashboard-static")


_ERROR_SCHEMA = "#/components/schemas/ErrorEnvelope"


def _use_api_error_statuses_in_openapi(app: FastAPI) -> None:
    """Document what clients really get: invalid input is a 400 envelope, never FastAPI's 422."""
    from fastapi.openapi.utils import get_openapi

    from krev.kit.openapi import add_documented_schemas

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        spec = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        error_ref = {"$ref": _ERROR_SCHEMA}
        for path in spec.get("paths", {}).values():
            for operation in path.values():
                responses = operation.get("responses", {})
                if responses.pop("422", None) is not None or operation.get("parameters"):
                    responses.setdefault(
                        "400",
                        {
                            "description": "Missing or invalid parameters.",
                            "content": {"application/json": {"schema": error_ref}},
                        },
                    )
        add_documented_schemas(spec)
        schemas = spec.get("components", {}).get("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        _document_security(app, spec)
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def _document_security(app: FastAPI, spec: dict[str, Any]) -> None:
    """Bearer API keys and the dashboard's session cookie as security schemes, each operation
    marked with what it takes, and the key scope it needs as ``x-krev-scope``."""
    from krev.accounts.auth import SESSION_COOKIE, auth_of

    spec.setdefault("components", {})["securitySchemes"] = {
        "apiKey": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "sk_live_…",
            "description": "An API key: Authorization: Bearer sk_live_…",
        },
        "dashboardSession": {
            "type": "apiKey",
            "in": "cookie",
            "name": SESSION_COOKIE,
            "description": "The dashboard's login session (POST /api/v1/auth/login); writes "
            "also need the X-CSRF-Token header.",
        },
    }
    by_operation = {operation_id(route): auth_of(route.dependant) for route in _api_routes(app)}
    for path in spec.get("paths", {}).values():
        for method, operation in path.items():
            auth = by_operation.get(operation.get("operationId", ""))
            if auth is None:
                continue
            kind, scope = auth
            # Key endpoints also take the dashboard's session (which holds every scope).
            operation["security"] = (
                [{"apiKey": []}, {"dashboardSession": []}]
                if kind == "bearer"
                else [{"dashboardSession": []}]
            )
            if scope is not None:
                operation["x-krev-scope"] = scope
            if kind == "bearer" and method == "post":
                _document_idempotency(spec, operation)


def _document_idempotency(spec: dict[str, Any], operation: dict[str, Any]) -> None:
    """The Idempotency-Key header every API-key POST takes (``krev.idempotency``)."""
    spec["components"].setdefault("parameters", {})["IdempotencyKey"] = {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
        "description": "Any unique string (a UUID, say). A retry with the same key and the same "
        "request gets the first answer again (header Idempotent-Replayed: true) and pays "
        "nothing; kept 24 hours per user.",
    }
    operation.setdefault("parameters", []).append(
        {"$ref": "#/components/parameters/IdempotencyKey"}
    )
    error = {"content": {"application/json": {"schema": {"$ref": _ERROR_SCHEMA}}}}
    responses = operation.setdefault("responses", {})
    responses.setdefault(
        "409", {"description": "A request with this Idempotency-Key is still running.", **error}
    )
    responses.setdefault(
        "422", {"description": "This Idempotency-Key was used for another request.", **error}
    )


def _api_routes(app: FastAPI) -> Iterator[APIRoute]:
    """Every endpoint, through the routers FastAPI keeps nested when they are included."""
    pending: list[Any] = list(app.routes)
    while pending:
        route = pending.pop()
        if isinstance(route, APIRoute):
            yield route
        elif (nested := getattr(route, "original_router", None)) is not None:
            pending.extend(nested.routes)


def app_factory() -> Any:
    """Entry point for ``uvicorn --factory krev.app:app_factory``."""
    return create_app(Settings())
