"""The generation task: a thin wrapper that hands the id to the runner."""

from __future__ import annotations

import uuid

from krev.generations.runner import execute_generation, resume_generation
from krev.generations.service import RESUME_GENERATION, RUN_GENERATION
from krev.platform.runtime import Runtime


def register(runtime: Runtime) -> None:
    """Every process can run generations (embedded API, ``krev worker``)."""
    runtime.queue.register(
        RUN_GENERATION, lambda generation_id: _run(runtime, uuid.UUID(generation_id))
    )
    runtime.queue.register(
        RESUME_GENERATION,
        lambda generation_id: resume_generation(runtime, uuid.UUID(generation_id)),
    )


def _run(runtime: Runtime, generation_id: uuid.UUID) -> None:
    execute_generation(runtime, generation_id)
