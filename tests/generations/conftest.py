"""Fixtures for the job lifecycle: API stacks built from per-test settings, `krev worker`
processes sharing their database and queue, and teardown that stops every one of them."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from krev.composition import build_janitor, build_runtime
from krev.platform.config import Settings
from krev.platform.workers import EmbeddedWorkers
from tests.conftest import build_app
from tests.generations.stack import BASE_URL, JOB_PLANS, Api, KrevProcess

StartApi = Callable[..., Api]
StartProcess = Callable[..., KrevProcess]
StartWorkers = Callable[[Api], EmbeddedWorkers]


@pytest.fixture
def job_settings(make_settings: Callable[..., Settings]) -> Callable[..., Settings]:
    """Settings for one stack; every process of a test must share one queue name."""

    def factory(**overrides: Any) -> Settings:
        values: dict[str, Any] = {"plans": JOB_PLANS, "embedded_workers": 2}
        values.update(overrides)
        return make_settings(**values)

    return factory


@pytest.fixture
def settings(job_settings: Callable[..., Settings]) -> Settings:
    """What ``runtime`` and so ``make_account`` use: the job plans, no worker threads."""
    return job_settings(embedded_workers=0)


@pytest.fixture
def start_api(job_settings: Callable[..., Settings]) -> Iterator[StartApi]:
    """Start the real app (its lifespan runs the embedded workers unless told 0)."""
    with contextlib.ExitStack() as stacks:

        def factory(settings: Settings | None = None, **overrides: Any) -> Api:
            settings = settings or job_settings(**overrides)
            runtime = build_runtime(settings)
            stack = stacks.enter_context(contextlib.ExitStack())
            # Registered first so it runs last: the queue is emptied once the app has stopped.
            stack.callback(_flush_queue, runtime.queue.huey)
            client = stack.enter_context(
                TestClient(build_app(runtime), base_url=BASE_URL, raise_server_exceptions=False)
            )
            return Api(runtime=runtime, client=client, stop=stack.close)

        yield factory


@pytest.fixture
def start_workers(start_api: StartApi) -> Iterator[StartWorkers]:
    """Worker threads and sweeper started late inside an API that was started without them.

    Depends on ``start_api`` so the workers stop before their app does."""
    started: list[EmbeddedWorkers] = []

    def factory(api: Api) -> EmbeddedWorkers:
        workers = EmbeddedWorkers(api.runtime, build_janitor(api.runtime), threads=2).start()
        started.append(workers)
        return workers

    yield factory
    for workers in reversed(started):
        workers.stop()


@pytest.fixture
def start_process(tmp_path: Path, make_settings: Callable[..., Settings]) -> Iterator[StartProcess]:
    """`krev worker` / `krev sweep` in child processes; all stopped at teardown.

    Depends on ``make_settings`` so the processes stop before the test database is dropped."""
    processes: list[KrevProcess] = []

    def factory(settings: Settings, *args: str) -> KrevProcess:
        log_path = tmp_path / f"krev-{args[0]}-{len(processes) + 1}.log"
        process = KrevProcess(settings, list(args), log_path)
        processes.append(process)
        return process

    yield factory
    for process in processes:
        process.stop()


def _flush_queue(huey: Any) -> None:
    with contextlib.suppress(Exception):  # best effort: the database goes away next anyway
        huey.flush()
