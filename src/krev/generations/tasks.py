"""Huey tasks for generations: thin wrappers that pass ids to the runner."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from krev.generations.runner import execute_generation
from krev.platform.db import after_commit
from krev.platform.runtime import Runtime


@dataclass
class GenerationTasks:
    run_task: Any  # huey TaskWrapper

    def enqueue(self, generation_id: uuid.UUID) -> None:
        self.run_task(str(generation_id))

    def enqueue_after_commit(self, session: Session, generation_id: uuid.UUID) -> None:
        after_commit(session, lambda: self.enqueue(generation_id))


def register_tasks(runtime: Runtime) -> GenerationTasks:
    @runtime.huey.task(name="krev.run_generation")  # type: ignore[untyped-decorator]
    def run_generation(generation_id: str) -> None:
        execute_generation(runtime, uuid.UUID(generation_id))

    return GenerationTasks(run_task=run_generation)
