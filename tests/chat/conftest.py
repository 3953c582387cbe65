"""Fixtures for chat runs: the real app with worker threads, and helpers that start a run
through HTTP and poll it to its end as a client would."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from krev.platform.config import Settings
from tests.conftest import Account
from tests.generations.stack import JOB_PLANS

CHAT = "/api/v1/chat"
QUEUED_KEYS = {
    "conversation_id",
    "user_message_id",
    "assistant_message_id",
    "run_id",
    "job_id",
    "status",
    "poll_url",
}
RUN_KEYS = {
    "run_id",
    "conversation_id",
    "status",
    "progress",
    "agent",
    "agent_used",
    "job",
    "assistant_text",
    "messages",
    "artifacts",
    "generation_ids",
    "generations",
    "media",
    "credits_used",
    "error",
    "created_at",
    "completed_at",
}
TERMINAL = {"succeeded", "failed", "cancelled"}
WAIT_SECONDS = 240.0


@pytest.fixture
def settings(request: pytest.FixtureRequest, make_settings: Callable[..., Settings]) -> Settings:
    overrides: dict[str, Any] = getattr(request, "param", {})
    return make_settings(
        **{
            "plans": JOB_PLANS,
            "embedded_workers": 2,
            "sync_wait_seconds": 120.0,
            "fetch_allowlist": ["127.0.0.1"],
            "chat_poll_seconds": 0.2,
            **overrides,
        }
    )


def start(client: TestClient, account: Account, body: dict[str, Any], **headers: str) -> Any:
    """POST /api/v1/chat: the 202's data, shaped as the reference's."""
    response = client.post(CHAT, json=body, headers={**account.headers, **headers})
    assert response.status_code == 202, response.text
    payload = response.json()
    assert payload["success"] is True
    data = payload["data"]
    assert set(data) == QUEUED_KEYS
    assert data["status"] == "queued"
    assert data["poll_url"].endswith(f"/api/v1/chat/runs/{data['run_id']}")
    return data


def poll(client: TestClient, account: Account, run_id: str) -> Any:
    response = client.get(f"{CHAT}/runs/{run_id}", headers=account.headers)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert set(data) == RUN_KEYS
    return data


def finished(client: TestClient, account: Account, run_id: str) -> Any:
    """Poll the run until it ends, as a client would; its last view."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        data = poll(client, account, run_id)
        if data["status"] in TERMINAL:
            return data
        assert time.monotonic() < deadline, f"run still {data['status']}: {data}"
        time.sleep(0.1)


def run_to_end(client: TestClient, account: Account, body: dict[str, Any]) -> Any:
    return finished(client, account, start(client, account, body)["run_id"])


def artifacts(run: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [a for a in run["artifacts"] if a["type"] == kind]
