"""Fixtures: a fresh database per test (SQLite, or PostgreSQL when asked), settings, the
real app behind TestClient, and factories for users and keys.

Service-backed tests run whenever PostgreSQL / Redis answer; with
KREV_TEST_REQUIRE_SERVICES=1 (set by .ci/run) an unreachable service fails the test.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from krev.composition import build_runtime
from krev.platform.config import Settings
from krev.platform.migrate import upgrade
from krev.platform.runtime import Runtime

REQUIRE_SERVICES = os.environ.get("KREV_TEST_REQUIRE_SERVICES") == "1"
POSTGRES_URL = os.environ.get(
    "KREV_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("KREV_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TEST_SECRET = "test-secret-key-with-enough-entropy-0123456789"


def service_missing(name: str, error: Exception) -> None:
    message = f"{name} is not reachable: {error}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (KREV_TEST_REQUIRE_SERVICES=1)")
    pytest.skip(message)


def _worker_suffix() -> str:
    # The pid keeps two pytest runs on one machine from sharing (and dropping) a template.
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


# --- databases -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "krev.db"
    upgrade(f"sqlite:///{path}")
    return path


def _pg_admin_url(database: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False)


def _pg_execute(statement: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(POSTGRES_URL, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    name = f"krev_template_{_worker_suffix()}"
    try:
        _pg_execute(f'DROP DATABASE IF EXISTS "{name}"')
        _pg_execute(f'CREATE DATABASE "{name}"')
    except Exception as error:
        service_missing("PostgreSQL", error)
    upgrade(_pg_admin_url(name))
    yield name
    _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    template = request.getfixturevalue("postgres_template")
    name = f"krev_t_{uuid.uuid4().hex[:16]}"
    _pg_execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield _pg_admin_url(name)
    _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as error:
        service_missing("Redis", error)
    return REDIS_URL


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """The database/queue mode; tests that must cover both parametrize it indirectly."""
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "sqlite":
        path = tmp_path / "data" / "krev.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    return str(request.getfixturevalue("postgres_url"))


# --- settings, runtime, app --------------------------------------------------------


@pytest.fixture
def make_settings(
    tmp_path: Path, database_url: str, backend: str, request: pytest.FixtureRequest
) -> Callable[..., Settings]:
    def factory(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "env": "test",
            "secret_key": TEST_SECRET,
            "data_dir": tmp_path / "data",
            "database_url": database_url,
            "queue_name": f"krev-test-{uuid.uuid4().hex[:12]}",
            "embedded_workers": 0,
            "sync_wait_seconds": 10.0,
            "job_heartbeat_seconds": 0.2,
            "sweep_interval_seconds": 3600.0,
            "pipeline_modules": ["tests.support.pipelines"],
            "log_level": "WARNING",
            # Cheap password hashes keep the suite fast; production keeps argon2's defaults.
            "password_hash_time_cost": 1,
            "password_hash_memory_kib": 1024,
        }
        if backend == "postgres":
            values["redis_url"] = request.getfixturevalue("redis_url")
        values.update(overrides)
        return Settings(**values)

    return factory


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    runtime = build_runtime(settings)
    yield runtime
    _clear_queue(runtime)
    runtime.close()


def _clear_queue(runtime: Runtime) -> None:
    with contextlib.suppress(Exception):  # the queue's own teardown is best effort
        runtime.queue.huey.flush()


def build_app(runtime: Runtime) -> FastAPI:
    from krev.app import create_app
    from tests.support.jobs_api import router as test_jobs_router

    app = create_app(runtime.settings, runtime=runtime)
    app.include_router(test_jobs_router)
    return app


def runtime_of(client: TestClient) -> Runtime:
    """The runtime serving ``client``'s app (TestClient types its app as any ASGI app)."""
    assert isinstance(client.app, FastAPI)
    runtime: Runtime = client.app.state.runtime
    return runtime


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return build_app(runtime)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1:8000", raise_server_exceptions=False) as c:
        yield c


# --- factories ---------------------------------------------------------------------


@dataclass
class Account:
    user_id: uuid.UUID
    email: str
    password: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@pytest.fixture
def make_account(runtime: Runtime) -> Callable[..., Account]:
    from krev.accounts import service
    from krev.accounts.keys import SCOPES
    from krev.billing.service import grant_credits
    from krev.models import Cause

    def factory(
        plan: str = "pro",
        credits: int | None = None,
        scopes: list[str] | None = None,
        email: str | None = None,
    ) -> Account:
        email = email or f"user-{uuid.uuid4().hex[:10]}@example.com"
        password = "correct horse battery"
        with runtime.db.transaction() as session:
            user = service.create_user(session, runtime.settings, email, password, plan)
            if credits is not None and credits != user.credits_balance:
                grant_credits(
                    session,
                    user.id,
                    credits - user.credits_balance,
                    "test setup",
                    cause=Cause.admin(),
                )
            _, key = service.create_key(
                session, runtime.settings, user.id, "test", scopes or list(SCOPES)
            )
        return Account(user.id, email, password, key)

    return factory


@pytest.fixture
def account(make_account: Callable[..., Account]) -> Account:
    return make_account()
