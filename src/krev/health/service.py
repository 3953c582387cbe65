"""What the health endpoints report: each backing service probed, and the gauges /metrics
reads at scrape time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from krev.generations import service as generations
from krev.platform.observability import CallbackCollector, Metrics
from krev.platform.runtime import Runtime


def readiness(runtime: Runtime) -> tuple[bool, dict[str, dict[str, Any]]]:
    """Whether every backing service answers, and each one's probe."""
    checks = {
        "database": _probe(lambda: runtime.db.check()),
        "queue": _probe(runtime.queue.pending),
        "storage": _probe(runtime.storage.check),
        "rate_limits": _probe(runtime.limiter.check),
    }
    return all(check["ok"] for check in checks.values()), checks


def _probe(check: Callable[[], object]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        check()
    except Exception as error:  # a readiness probe reports, it does not raise
        return {"ok": False, "error": f"{type(error).__name__}: {error}"[:300]}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 2)}


def register_runtime_gauges(metrics: Metrics, runtime: Runtime) -> None:
    def generations_by_status() -> dict[str, float]:
        with runtime.db.transaction(write=False) as session:
            counts = generations.count_by_status(session)
        return {status: float(count) for status, count in counts.items()}

    def queue_depth() -> dict[str, float]:
        return {"krev": float(runtime.queue.pending())}

    def read_cache() -> dict[str, float]:
        return {"enabled": float(runtime.cache.enabled), "entries": float(len(runtime.cache))}

    for collector in (
        CallbackCollector(
            "krev_generations", "Generations by status.", "status", generations_by_status
        ),
        CallbackCollector(
            "krev_queue_pending", "Tasks waiting in the queue.", "queue", queue_depth
        ),
        CallbackCollector(
            "krev_read_cache",
            "This API process's read cache: enabled (1 while subscribed to the change feed) "
            "and entries kept.",
            "measure",
            read_cache,
        ),
    ):
        metrics.registry.register(collector)
