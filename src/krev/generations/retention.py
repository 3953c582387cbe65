"""Output retention: finished generations older than ``KREV_OUTPUT_RETENTION_DAYS`` are deleted
as ``DELETE /api/v1/generations/{id}`` deletes them (outputs and renditions removed, their bytes
un-counted, the record gone, the credit history kept).

A janitor duty (``krev.platform.janitor``), so it runs in every worker and in the embedded API
process. Each generation is deleted in its own transaction under its row lock, re-checked there:
several janitors at once, or a user's own DELETE at the same moment, delete it once.
"""

from __future__ import annotations

from datetime import timedelta

import structlog

from krev.generations import service
from krev.generations.repository import GenerationRepository
from krev.kit.clock import utcnow
from krev.platform.runtime import Runtime

log = structlog.get_logger("krev.retention")

# Generations deleted per janitor round at most: a first round after retention is switched on
# over a long history is spread over several rounds instead of holding one janitor for long.
BATCH = 100


def expire_outputs(runtime: Runtime, batch: int = BATCH) -> int:
    """Delete up to ``batch`` generations that finished more than the retention ago; how many
    were deleted (0 when retention is off)."""
    days = runtime.settings.output_retention_days
    if days is None:
        return 0
    before = utcnow() - timedelta(days=days)
    with runtime.db.transaction(write=False) as session:
        expired = GenerationRepository(session).finished_before(before, batch)
    deleted = freed = 0
    for generation_id in expired:
        with runtime.db.transaction() as session:
            gone = service.delete_finished_before(session, runtime.storage, generation_id, before)
        if gone is not None:
            deleted += 1
            freed += gone
    if deleted:
        log.info("outputs_expired", generations=deleted, freed_bytes=freed, days=days)
    return deleted
