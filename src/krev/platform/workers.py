"""Job workers: Huey consumer threads plus the janitor, inside the API process
(embedded default) or as ``krev worker`` processes on any machine (scale-out).
"""

from __future__ import annotations

import structlog

from krev.platform.janitor import Janitor
from krev.platform.memory import limit_malloc_arenas
from krev.platform.queue import EmbeddedConsumer, WorkerConsumer
from krev.platform.runtime import Runtime

log = structlog.get_logger("krev.platform.workers")


class EmbeddedWorkers:
    def __init__(self, runtime: Runtime, janitor: Janitor, threads: int | None = None) -> None:
        self.runtime = runtime
        self.janitor = janitor
        self.threads = threads or runtime.settings.embedded_workers
        self.consumer: EmbeddedConsumer | None = None

    def start(self) -> EmbeddedWorkers:
        limit_malloc_arenas()
        self.consumer = EmbeddedConsumer(
            self.runtime.queue,
            workers=self.threads,
            periodic=False,
            initial_delay=0.01,
            max_delay=0.25,
            backoff=1.5,
        )
        self.consumer.start()
        self.janitor.start()
        log.info("workers_started", threads=self.threads)
        return self

    def stop(self) -> None:
        self.janitor.stop()
        if self.consumer is not None:
            self.consumer.stop(graceful=True)


def run_worker(runtime: Runtime, janitor: Janitor, threads: int) -> None:
    """The ``krev worker`` main loop: blocks, and stops gracefully on SIGINT/SIGTERM."""
    settings = runtime.settings
    limit_malloc_arenas()
    consumer = WorkerConsumer(
        runtime.queue,
        workers=threads,
        periodic=False,
        initial_delay=0.01,
        max_delay=0.25,
        backoff=1.5,
        graceful_signal="TERM",
        shutdown_timeout=settings.job_stale_after_seconds,
    )
    janitor.start()
    log.info("worker_started", threads=threads)
    try:
        consumer.run()
    finally:
        janitor.stop()
        runtime.close()
