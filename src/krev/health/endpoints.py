"""GET /healthz, GET /readyz (database, queue, storage, rate limits) and GET /metrics."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select, text

from krev.errors import NotFound
from krev.models import Generation
from krev.platform.deps import RuntimeDep
from krev.platform.observability import CallbackCollector, Metrics
from krev.platform.queue import queue_length
from krev.platform.runtime import Runtime

router = APIRouter(tags=["health"])


@router.get("/healthz", name="live")
async def healthz() -> dict[str, Any]:
    """The process is up."""
    return {"success": True, "status": "ok"}


def _probe(check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        check()
    except Exception as error:  # a readiness probe reports, it does not raise
        return {"ok": False, "error": f"{type(error).__name__}: {error}"[:300]}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 2)}


def _check_database(runtime: Runtime) -> None:
    with runtime.db.transaction(write=False) as session:
        session.execute(text("SELECT 1"))


@router.get("/readyz", name="ready")
def readyz(runtime: RuntimeDep) -> JSONResponse:
    """Ready to serve: database, queue, storage and rate-limit store all answer."""
    checks = {
        "database": _probe(lambda: _check_database(runtime)),
        "queue": _probe(lambda: queue_length(runtime.huey)),
        "storage": _probe(runtime.storage.check),
        "rate_limits": _probe(runtime.limiter.check),
    }
    ready = all(c["ok"] for c in checks.values())
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


def register_runtime_gauges(metrics: Metrics, runtime: Runtime) -> None:
    def generations_by_status() -> dict[str, float]:
        with runtime.db.transaction(write=False) as session:
            rows = session.execute(
                select(Generation.status, func.count()).group_by(Generation.status)
            ).all()
        return {status: float(count) for status, count in rows}

    def queue_depth() -> dict[str, float]:
        return {"krev": float(queue_length(runtime.huey))}

    metrics.registry.register(
        CallbackCollector(
            "krev_generations", "Generations by status.", "status", generations_by_status
        )
    )

    def read_cache() -> dict[str, float]:
        return {"enabled": float(runtime.cache.enabled), "entries": float(len(runtime.cache))}

    metrics.registry.register(
        CallbackCollector("krev_queue_pending", "Tasks waiting in the queue.", "queue", queue_depth)
    )
    metrics.registry.register(
        CallbackCollector(
            "krev_read_cache",
            "This API process's read cache: enabled (1 while subscribed to the change feed) "
            "and entries kept.",
            "measure",
            read_cache,
        )
    )
