"""Fixtures for the Python SDK (krev_client): a live server per test module (the real app on
a real socket, with worker threads), accounts on it, clients of it, and the OpenAPI document.

The function-scoped fixtures of tests/conftest.py give each test a fresh database; here one
server serves a whole module and each test makes its own account, which keeps the SDK's tests
about the client rather than about start-up.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from krev.composition import build_runtime
from krev.platform.config import Settings
from krev.platform.runtime import Runtime
from krev_client import Krev
from tests.conftest import TEST_SECRET, Account
from tests.generations.stack import JOB_PLANS
from tests.support.fake_graph import FakeGraph
from tests.support.live_server import LiveServer

PIXEL_ID = "1234567890123456"
ACCESS_TOKEN = "EAAGtestaccesstokenXYZ9"


def live_settings(data_dir: Path, database_url: str, **overrides: Any) -> Settings:
    """Settings as tests/conftest.py's ``make_settings`` makes them, with worker threads, a
    loopback fetch allowlist and no wait window: every job-creating POST answers 202 at once,
    so each ``generate(...)`` follows its poll URL."""
    values: dict[str, Any] = {
        "env": "test",
        "secret_key": TEST_SECRET,
        "data_dir": data_dir,
        "database_url": database_url,
        "queue_name": f"krev-test-{uuid.uuid4().hex[:12]}",
        "embedded_workers": 2,
        "sync_wait_seconds": 0.0,
        "video_sync_wait_seconds": 0.0,
        "job_heartbeat_seconds": 0.2,
        "sweep_interval_seconds": 3600.0,
        "pipeline_modules": ["tests.support.pipelines"],
        "log_level": "WARNING",
        "password_hash_time_cost": 1,
        "password_hash_memory_kib": 1024,
        "plans": JOB_PLANS,
        "fetch_allowlist": ["127.0.0.1"],
        "chat_poll_seconds": 0.2,
        **overrides,
    }
    return Settings(**values)


@dataclass
class Live:
    """A running server, and what a test needs of it."""

    server: LiveServer
    runtime: Runtime

    @property
    def url(self) -> str:
        return self.server.url

    def account(
        self, plan: str = "pro", credits: int | None = None, scopes: list[str] | None = None
    ) -> Account:
        """A new user with a key (every scope unless told), as tests/conftest.py makes them."""
        from krev.accounts import service
        from krev.accounts.keys import SCOPES
        from krev.billing.service import grant_credits
        from krev.models import Cause

        email = f"user-{uuid.uuid4().hex[:10]}@example.com"
        password = "correct horse battery"
        with self.runtime.db.transaction() as session:
            user = service.create_user(session, self.runtime.settings, email, password, plan)
            if credits is not None and credits != user.credits_balance:
                delta = credits - user.credits_balance
                grant_credits(session, user.id, delta, "test setup", cause=Cause.admin())
            _, key = service.create_key(
                session, self.runtime.settings, user.id, "test", scopes or list(SCOPES)
            )
        return Account(user.id, email, password, key)

    def client(self, account: Account, **options: Any) -> Krev:
        return Krev(api_key=account.key, base_url=self.url, **options)

    def configure_meta(self, account: Account) -> None:
        """The account's Meta pixel, set as the dashboard sets it."""
        from krev.conversions import service

        with self.runtime.db.transaction() as session:
            service.put_config(
                session,
                self.runtime.settings,
                account.user_id,
                pixel_id=PIXEL_ID,
                access_token=ACCESS_TOKEN,
                test_event_code=None,
            )


@pytest.fixture(scope="module")
def graph() -> Iterator[FakeGraph]:
    with FakeGraph(tokens={PIXEL_ID: ACCESS_TOKEN}) as fake:
        yield fake


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, graph: FakeGraph
) -> Iterator[Live]:
    data_dir = tmp_path_factory.mktemp("client") / "data"
    data_dir.mkdir()
    shutil.copy(sqlite_template, data_dir / "krev.db")
    settings = live_settings(
        data_dir,
        f"sqlite:///{data_dir / 'krev.db'}",
        meta_graph_url=graph.url,
        conversions_wait_seconds=5.0,
    )
    runtime = build_runtime(settings)
    with LiveServer.for_runtime(runtime) as server:
        yield Live(server, runtime)


@pytest.fixture(scope="session")
def openapi(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> dict[str, Any]:
    """The server's OpenAPI document, as ``GET /api/v1/openapi.json`` serves it."""
    from krev.app import create_app

    data_dir = tmp_path_factory.mktemp("openapi") / "data"
    data_dir.mkdir()
    shutil.copy(sqlite_template, data_dir / "krev.db")
    settings = live_settings(data_dir, f"sqlite:///{data_dir / 'krev.db'}", embedded_workers=0)
    runtime = build_runtime(settings)
    try:
        document: dict[str, Any] = create_app(runtime=runtime).openapi()
    finally:
        runtime.close()
    return document


@pytest.fixture
def account(live: Live) -> Account:
    return live.account()


@pytest.fixture
def client(live: Live, account: Account) -> Iterator[Krev]:
    with live.client(account) as sdk:
        yield sdk
