"""A running Krev stack for job tests: the real app behind a TestClient (with or without its
embedded workers) and `krev worker` / `krev sweep` processes sharing its settings.

Everything here talks to the app over HTTP and to workers through the real queue; waiting
loops are bounded by generous timeouts so a slow machine fails with the job's history.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from pydantic import SecretStr

from krev.platform.config import Plan, Settings
from krev.platform.runtime import Runtime
from tests.conftest import Account
from tests.support.http_types import AnyResponse

REPO_ROOT = Path(__file__).resolve().parents[2]
KREV_COMMAND = Path(sys.executable).with_name("krev")
BASE_URL = "http://127.0.0.1:8000"
WAIT_SECONDS = 60.0  # generous: only a broken job ever waits this long
POLL_SECONDS = 0.05

# Polling is many requests; the plans keep their credits but never rate-limit a test.
JOB_PLANS = {
    "free": Plan(
        name="Free", monthly_credits=200, storage_bytes=500 * 1024**2, rate_limit="100000/minute"
    ),
    "pro": Plan(
        name="Pro", monthly_credits=2500, storage_bytes=2 * 1024**3, rate_limit="100000/minute"
    ),
    # Room for a few hundred bytes of outputs: one small image fits, a large one does not.
    "tiny": Plan(name="Tiny", monthly_credits=500, storage_bytes=400, rate_limit="100000/minute"),
}

ACTIVE = ("queued", "processing")


@dataclass
class Api:
    """One API process: its runtime (for the sweeper and the queue) and an HTTP client."""

    runtime: Runtime
    client: TestClient
    stop: Callable[[], None]  # ends the app's lifespan: its worker threads finish and stop

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    def submit(
        self,
        account: Account,
        params: dict[str, Any] | None = None,
        *,
        cost: int = 40,
        respond_async: bool = False,
    ) -> AnyResponse:
        headers = dict(account.headers)
        if respond_async:
            headers["Prefer"] = "respond-async"
        response: AnyResponse = self.client.post(
            "/api/v1/test-jobs", json={"params": params or {}, "cost": cost}, headers=headers
        )
        return response

    def submit_async(
        self, account: Account, params: dict[str, Any] | None = None, *, cost: int = 40
    ) -> str:
        response = self.submit(account, params, cost=cost, respond_async=True)
        assert response.status_code == 202, response.text
        return str(response.json()["data"]["generation_id"])

    def generation(self, account: Account, generation_id: str) -> dict[str, Any]:
        response = self.client.get(f"/api/v1/generations/{generation_id}", headers=account.headers)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def cancel(self, account: Account, generation_id: str) -> AnyResponse:
        response: AnyResponse = self.client.post(
            f"/api/v1/generations/{generation_id}/cancel", headers=account.headers
        )
        return response

    def wait_until(
        self,
        account: Account,
        generation_id: str,
        done: Callable[[dict[str, Any]], bool],
        *,
        timeout: float = WAIT_SECONDS,
    ) -> list[dict[str, Any]]:
        """Poll until ``done(view)``; returns every view seen, the last one satisfying it."""
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while True:
            view = self.generation(account, generation_id)
            seen.append(view)
            if done(view):
                return seen
            if view["status"] not in ACTIVE or time.monotonic() > deadline:
                states = [(v["status"], v["progress"]) for v in seen[-20:]]
                raise AssertionError(f"generation {generation_id} never got there: {states}")
            time.sleep(POLL_SECONDS)

    def wait_for_status(
        self, account: Account, generation_id: str, *statuses: str
    ) -> dict[str, Any]:
        return self.wait_until(account, generation_id, lambda v: v["status"] in statuses)[-1]

    def wait_until_finished(self, account: Account, generation_id: str) -> dict[str, Any]:
        return self.wait_until(account, generation_id, lambda v: v["status"] not in ACTIVE)[-1]

    def credits(self, account: Account) -> dict[str, Any]:
        response = self.client.get("/api/v1/credits", headers=account.headers)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def balance(self, account: Account) -> int:
        return int(self.credits(account)["credits"]["current"])

    def storage_used(self, account: Account) -> int:
        return int(self.credits(account)["storage"]["used_bytes"])

    def credit_moves(self, account: Account, generation_id: str) -> list[tuple[str, int]]:
        """(kind, delta) of the account's ledger entries for one generation, oldest first."""
        response = self.client.get(
            "/api/v1/credits/history", params={"limit": 100}, headers=account.headers
        )
        assert response.status_code == 200, response.text
        entries = [e for e in response.json()["data"] if e["generation_id"] == generation_id]
        return [(e["kind"], e["delta"]) for e in reversed(entries)]


def settings_environment(settings: Settings) -> dict[str, str]:
    """The settings as KREV_* variables, so another process runs with exactly these."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("KREV_")}
    for name, value in settings.model_dump(mode="json").items():
        secret = getattr(settings, name)
        if isinstance(secret, SecretStr):  # dumped masked; the child needs the real value
            value = secret.get_secret_value()
        if value is None:
            continue
        text = json.dumps(value) if isinstance(value, dict | list) else str(value)
        env[f"KREV_{name.upper()}"] = text
    # Children may cache bytecode (git ignores it): each start then imports in half the time.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # The pipelines in tests.support must import in the child.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


class KrevProcess:
    """A `krev …` command in its own process; only ever signalled through its own pid."""

    def __init__(self, settings: Settings, args: list[str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            [str(KREV_COMMAND), *args],
            env=settings_environment(settings),
            cwd=REPO_ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: the worker dies mid-job with no chance to clean up."""
        if self.running:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.running:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self._log.close()

    def wait(self, timeout: float = WAIT_SECONDS) -> int:
        return self.process.wait(timeout=timeout)

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")
