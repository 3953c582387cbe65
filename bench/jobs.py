"""Queue throughput with ``bench_noop`` jobs, submitted through the real generation service
(credits reserved, record written, task enqueued after commit) and run by the
deployment's workers (claim, heartbeat thread, settle). Two measures:

- accepting: jobs submitted one transaction each, back to back, as requests would, while
  the workers run them;
- draining: a backlog of jobs accepted in one transaction, then run.

Both are timed from the first record's creation to the last one's completion, as the
records tell it.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.pipelines import KIND
from krev.generations import service
from krev.models import Cause, Generation
from krev.models.generation import TERMINAL_STATUSES
from krev.platform.runtime import Runtime

COST = 40  # a standard image's price, so every job reserves and settles credits


@dataclass(frozen=True)
class QueueResult:
    jobs: int
    statuses: dict[str, int]
    seconds: float
    p50_job_seconds: float  # created → completed, per job (includes waiting in the queue)

    @property
    def jobs_per_second(self) -> float:
        return self.jobs / self.seconds if self.seconds else 0.0

    @property
    def all_succeeded(self) -> bool:
        return self.statuses.get("succeeded", 0) == self.jobs


def _submit(
    session: Session, runtime: Runtime, user_id: uuid.UUID, params: dict[str, Any]
) -> uuid.UUID:
    generation = service.submit(
        session,
        runtime.settings,
        runtime.queue,
        user_id=user_id,
        kind=KIND,
        params=params,
        cost=COST,
        cause=Cause.admin(),  # an operator's benchmark, not a client's request
    )
    return generation.id


def submit(runtime: Runtime, user_id: uuid.UUID, params: dict[str, Any]) -> uuid.UUID:
    """One job, accepted in a transaction of its own as a request would."""
    with runtime.db.transaction() as session:
        return _submit(session, runtime, user_id, params)


def _statuses(runtime: Runtime, ids: list[uuid.UUID]) -> dict[str, int]:
    with runtime.db.transaction(write=False) as session:
        rows = session.execute(
            select(Generation.status, func.count())
            .where(Generation.id.in_(ids))
            .group_by(Generation.status)
        ).all()
    return {status: int(count) for status, count in rows}


def wait_terminal(runtime: Runtime, ids: list[uuid.UUID], timeout: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while True:
        statuses = _statuses(runtime, ids)
        if sum(statuses.get(s, 0) for s in TERMINAL_STATUSES) == len(ids):
            return statuses
        if time.monotonic() > deadline:
            raise TimeoutError(f"jobs not finished after {timeout} s: {statuses}")
        time.sleep(0.05)


def run_fixture_job(runtime: Runtime, user_id: uuid.UUID, timeout: float = 60) -> uuid.UUID:
    """One succeeded generation with a stored output, for the poll endpoint to render.

    It also proves the deployment's workers are up before anything is timed.
    """
    generation_id = submit(runtime, user_id, {"store": True})
    statuses = wait_terminal(runtime, [generation_id], timeout)
    if statuses != {"succeeded": 1}:
        raise RuntimeError(f"the fixture job did not succeed: {statuses}")
    return generation_id


def _timings(runtime: Runtime, ids: list[uuid.UUID]) -> list[tuple[datetime, datetime]]:
    with runtime.db.transaction(write=False) as session:
        rows = session.execute(
            select(Generation.created_at, Generation.completed_at).where(Generation.id.in_(ids))
        ).all()
    return [(created, completed) for created, completed in rows if completed is not None]


def _result(runtime: Runtime, ids: list[uuid.UUID], statuses: dict[str, int]) -> QueueResult:
    timings = _timings(runtime, ids)
    per_job = sorted((completed - created).total_seconds() for created, completed in timings)
    span = max(c for _, c in timings) - min(c for c, _ in timings)
    return QueueResult(
        jobs=len(ids),
        statuses=statuses,
        seconds=span.total_seconds(),
        p50_job_seconds=per_job[len(per_job) // 2],
    )


def accepting(runtime: Runtime, user_id: uuid.UUID, jobs: int, timeout: float = 180) -> QueueResult:
    ids = [submit(runtime, user_id, {}) for _ in range(jobs)]
    return _result(runtime, ids, wait_terminal(runtime, ids, timeout))


def draining(runtime: Runtime, user_id: uuid.UUID, jobs: int, timeout: float = 180) -> QueueResult:
    with runtime.db.transaction() as session:
        ids = [_submit(session, runtime, user_id, {}) for _ in range(jobs)]
    return _result(runtime, ids, wait_terminal(runtime, ids, timeout))
