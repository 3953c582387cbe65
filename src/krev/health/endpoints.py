"""GET /healthz, GET /readyz (database, queue, storage, rate limits) and GET /metrics."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from krev.errors import NotFound
from krev.health import service
from krev.platform.deps import RuntimeDep
from krev.platform.observability import Metrics
from krev.platform.routing import api_router

router = api_router(tags=["health"])


@router.get("/healthz", name="live")
async def healthz() -> dict[str, Any]:
    """The process is up."""
    return {"success": True, "status": "ok"}


@router.get("/readyz", name="ready")
def readyz(runtime: RuntimeDep) -> JSONResponse:
    """Ready to serve: database, queue, storage and rate-limit store all answer."""
    ready, checks = service.readiness(runtime)
    return JSONResponse(
        {"success": ready, "status": "ready" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )


@router.get("/metrics", name="metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    registry: Metrics | None = request.app.state.metrics
    if registry is None:
        raise NotFound("Metrics are disabled.")
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)
