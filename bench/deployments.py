"""The two deployments under test, each a context manager that sets everything up from
nothing and takes it all down again:

- embedded: ``krev serve`` alone, SQLite (WAL) + Huey's SQLite queue + in-memory rate
  limits, job worker threads inside the API process;
- scale-out: ``krev serve`` without workers, a fresh PostgreSQL database, Redis for the
  queue and rate limits, and ``krev worker`` processes.

Both get a bench user (made with ``krev admin``) on a plan whose rate limit is never
reached, its API key, and one succeeded generation for the poll endpoint.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.jobs import run_fixture_job
from bench.processes import KREV, ProcessGroup, clean_env, free_port, run_cli
from krev.composition import build_runtime
from krev.platform.config import DEFAULT_PLANS, Plan, Settings
from krev.platform.runtime import Runtime

EMAIL = "bench@krev.local"
PASSWORD = "bench-password-not-secret"  # a throwaway account on a throwaway database
SECRET = "krev-bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"
# A limit per second keeps the moving window as short as a real plan's, whatever the load.
BENCH_PLAN = Plan(
    name="Bench",
    monthly_credits=1_000_000_000,
    storage_bytes=10 * 1024**3,
    rate_limit="1000000/second",
    # The queue rows submit hundreds of jobs at once: what they measure is the queue, not the
    # plan's cap on one user's active jobs.
    max_active_jobs=1_000_000,
)


@dataclass
class Deployment:
    name: str
    description: str
    settings: Settings
    base_url: str
    api_pid: int
    api_key: str
    user_id: uuid.UUID
    generation_id: uuid.UUID
    runtime: Runtime  # this process's own, to submit jobs and read their records
    workers: str
    notes: list[str] = field(default_factory=list)
    worker_pids: list[int] = field(default_factory=list)  # `krev worker` processes, if any
    reference: bool = False  # a configuration shown for comparison (see HttpRow.reference)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


def setting_values(data_dir: Path, port: int, **extra: Any) -> dict[str, Any]:
    plans = {pid: plan.model_dump() for pid, plan in DEFAULT_PLANS.items()}
    plans["bench"] = BENCH_PLAN.model_dump()
    return {
        "env": "test",
        "secret_key": SECRET,
        "data_dir": str(data_dir),
        "host": "127.0.0.1",
        "port": port,
        "public_base_url": f"http://127.0.0.1:{port}",
        "queue_name": f"krev-bench-{uuid.uuid4().hex[:10]}",
        "log_level": "WARNING",
        "metrics_enabled": True,
        "plans": plans,
        "pipeline_modules": ["bench.pipelines"],
        **extra,
    }


def as_env(values: dict[str, Any]) -> dict[str, str]:
    def text(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list | dict):
            return json.dumps(value)
        return str(value)

    return {f"KREV_{name.upper()}": text(value) for name, value in values.items()}


def create_bench_user(env: dict[str, str]) -> str:
    """The bench user and its all-scope key, through the admin CLI a operator would use."""
    run_cli(["migrate"], env)
    run_cli(["admin", "create-user", EMAIL, "--password", PASSWORD, "--plan", "bench"], env)
    return run_cli(["admin", "create-key", EMAIL, "--name", "bench"], env).strip().splitlines()[-1]


def _bench_user_id(runtime: Runtime) -> uuid.UUID:
    from krev.accounts.service import find_user

    with runtime.db.transaction(write=False) as session:
        return find_user(session, EMAIL).id


@contextmanager
def embedded(workdir: Path) -> Iterator[Deployment]:
    data_dir = workdir / "embedded"
    data_dir.mkdir(parents=True)
    port = free_port()
    values = setting_values(data_dir, port, embedded_workers=2)
    env = clean_env(as_env(values))
    key = create_bench_user(env)
    with ProcessGroup(workdir) as processes:
        api = processes.start("embedded-api", [KREV, "serve"], env)
        base_url = f"http://127.0.0.1:{port}"
        processes.wait_healthy("embedded-api", base_url)
        runtime = build_runtime(Settings(**values))
        try:
            user_id = _bench_user_id(runtime)
            yield Deployment(
                name="embedded",
                description="SQLite (WAL), Huey SQLite queue, in-memory rate limits",
                settings=runtime.settings,
                base_url=base_url,
                api_pid=api.pid,
                api_key=key,
                user_id=user_id,
                generation_id=run_fixture_job(runtime, user_id),
                runtime=runtime,
                workers="2 worker threads inside the API process",
            )
        finally:
            runtime.close()


@contextmanager
def scale_out(
    workdir: Path,
    postgres_admin_url: str,
    redis_url: str,
    worker_processes: int,
    *,
    read_cache: bool = True,
) -> Iterator[Deployment]:
    """The scale-out stack; ``read_cache=False`` runs it with KREV_READ_CACHE_SECONDS=0, so
    every request reads PostgreSQL (a reference for what the cache saves)."""
    database = f"krev_bench_{uuid.uuid4().hex[:12]}"
    database_url = _create_database(postgres_admin_url, database)
    data_dir = workdir / ("scale-out" if read_cache else "scale-out-uncached")
    data_dir.mkdir(parents=True)
    port = free_port()
    values = setting_values(
        data_dir, port, database_url=database_url, redis_url=redis_url, embedded_workers=0
    )
    if not read_cache:
        values["read_cache_seconds"] = 0
    env = clean_env(as_env(values))
    runtime: Runtime | None = None
    user_id: uuid.UUID | None = None
    try:
        key = create_bench_user(env)
        with ProcessGroup(workdir) as processes:
            api = processes.start("scale-out-api", [KREV, "serve"], env)
            worker_pids = [
                processes.start(f"scale-out-worker-{number + 1}", [KREV, "worker"], env).pid
                for number in range(worker_processes)
            ]
            base_url = f"http://127.0.0.1:{port}"
            processes.wait_healthy("scale-out-api", base_url)
            runtime = build_runtime(Settings(**values))
            user_id = _bench_user_id(runtime)
            threads = runtime.settings.worker_threads
            yield Deployment(
                name="scale-out" if read_cache else "scale-out, read cache off (reference)",
                description="PostgreSQL, Huey Redis queue, Redis rate limits"
                + ("" if read_cache else ", KREV_READ_CACHE_SECONDS=0"),
                reference=not read_cache,
                settings=runtime.settings,
                base_url=base_url,
                api_pid=api.pid,
                api_key=key,
                user_id=user_id,
                generation_id=run_fixture_job(runtime, user_id),
                runtime=runtime,
                workers=f"{worker_processes} `krev worker` processes x {threads} threads",
                worker_pids=worker_pids,
            )
    finally:
        if runtime is not None:
            _clear_redis(runtime, user_id)
            runtime.close()
        _drop_database(postgres_admin_url, database)


def _create_database(admin_url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    _pg_execute(admin_url, f'CREATE DATABASE "{name}"')
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _drop_database(admin_url: str, name: str) -> None:
    _pg_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_execute(admin_url: str, statement: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def _clear_redis(runtime: Runtime, user_id: uuid.UUID | None) -> None:
    """Leave the shared Redis as found: this run's queue and the bench user's counters."""
    runtime.queue.huey.flush()
    if user_id is None or not runtime.settings.redis_url:
        return
    import redis

    client = redis.Redis.from_url(runtime.settings.redis_url)
    try:
        for key in client.scan_iter(match=f"*{user_id}*", count=1000):
            client.delete(key)
    finally:
        client.close()
