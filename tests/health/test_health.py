"""Liveness, readiness and metrics, as an operator's probes and scraper see them."""

from __future__ import annotations

import socket
from collections.abc import Callable

from fastapi.testclient import TestClient

from krev.composition import build_runtime
from krev.platform.config import Settings
from tests.conftest import Account, build_app


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"success": True, "status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "queue", "storage", "rate_limits"}
    assert all(check["ok"] for check in body["checks"].values())


def test_readyz_reports_an_unreachable_store(make_settings: Callable[..., Settings]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    settings = make_settings(
        storage_url="s3://missing-bucket",
        s3_endpoint_url=f"http://127.0.0.1:{closed_port}",
        s3_access_key_id="test",
        s3_secret_access_key="test",
        s3_region="us-east-1",
    )
    with TestClient(build_app(build_runtime(settings))) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503
    body = ready.json()
    assert body["success"] is False and body["status"] == "unavailable"
    assert body["checks"]["storage"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_metrics_count_requests_by_route(client: TestClient, account: Account) -> None:
    for _ in range(3):
        assert client.get("/api/v1/credits", headers=account.headers).status_code == 200
    client.get("/api/v1/generations/not-a-uuid", headers=account.headers)
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    text = metrics.text
    assert 'krev_http_requests_total{method="GET",route="/api/v1/credits",status="200"} 3.0' in text
    assert 'route="/api/v1/generations/{id}",status="404"' in text
    assert "krev_http_request_duration_seconds_bucket" in text
    assert "krev_queue_pending" in text
    # Keys never appear in metrics labels.
    assert account.key not in text


def test_openapi_is_served_with_stable_operation_ids(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    operations = {
        op["operationId"]
        for path in spec["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "operationId" in op
    }
    assert {
        "keys-create",
        "keys-list",
        "keys-revoke",
        "credits-get",
        "generations-get",
    } <= operations
    credits = spec["paths"]["/api/v1/credits"]["get"]["responses"]["200"]
    assert "application/json" in credits["content"]
    assert client.get("/api/v1/docs").status_code == 200
