"""Finds jobs that would otherwise stay unfinished and settles them.

- A processing job whose heartbeat stopped (its worker died) is queued again while it has
  attempts left, else failed and refunded.
- A job still queued long after it was enqueued (the enqueue was lost, or the queue was
  wiped) is enqueued again; claiming is conditional, so a duplicate message is harmless.
- Any job past its deadline is failed and refunded.

It is the generations' duty for the janitor (``krev.platform.janitor``), which every worker
(and the embedded API process) runs; the writes are conditional, so several janitors at once
do each thing once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import structlog

from krev.generations import service
from krev.generations.repository import GenerationRepository
from krev.kit.clock import utcnow
from krev.platform.runtime import Runtime

log = structlog.get_logger("krev.sweeper")


@dataclass
class SweepReport:
    requeued: int = 0
    reenqueued: int = 0
    failed: int = 0

    @property
    def settled(self) -> int:
        return self.requeued + self.reenqueued + self.failed


def sweep(runtime: Runtime) -> SweepReport:
    settings = runtime.settings
    report = SweepReport()
    now = utcnow()
    with runtime.db.transaction(write=False) as session:
        repo = GenerationRepository(session)
        overdue = [(g.id, g.attempts) for g in repo.overdue(now)]
        silent_before = now - timedelta(seconds=settings.job_stale_after_seconds)
        silent = [(g.id, g.attempts, g.cancel_requested) for g in repo.silent_since(silent_before)]
        waiting_before = now - timedelta(seconds=settings.job_requeue_after_seconds)
        waiting = [g.id for g in repo.queued_since(waiting_before)]

    for generation_id, _attempts in overdue:
        with runtime.db.transaction() as session:
            if service.fail(
                session,
                generation_id,
                "The generation did not finish in time. Your credits were refunded.",
                "deadline_exceeded",
            ):
                report.failed += 1
    for generation_id, attempts, cancel_requested in silent:
        with runtime.db.transaction() as session:
            repo = GenerationRepository(session)
            if cancel_requested:
                # Its worker died before seeing the request; queued again, no worker could
                # claim it (claims skip cancelled jobs) and it would wait for its deadline.
                if service.fail(
                    session,
                    generation_id,
                    "Cancelled by the user.",
                    "cancelled",
                    attempt=attempts,
                    status="cancelled",
                ):
                    report.failed += 1
            elif attempts < settings.job_max_attempts:
                if repo.requeue(generation_id, attempts, utcnow()):
                    report.requeued += 1
                    runtime.queue.enqueue_after_commit(
                        session, service.RUN_GENERATION, str(generation_id)
                    )
            elif service.fail(
                session,
                generation_id,
                "The worker running this generation stopped, and retries ran out. "
                "Your credits were refunded.",
                "worker_lost",
                attempt=attempts,
            ):
                report.failed += 1
    for generation_id in waiting:
        with runtime.db.transaction() as session:
            if GenerationRepository(session).touch_queued(generation_id, utcnow()):
                report.reenqueued += 1
                runtime.queue.enqueue_after_commit(
                    session, service.RUN_GENERATION, str(generation_id)
                )
    if report.settled:
        log.info(
            "sweep", requeued=report.requeued, reenqueued=report.reenqueued, failed=report.failed
        )
    return report
