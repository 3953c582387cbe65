"""The lean dispatcher for GET /credits and GET /generations/{id} answers exactly as the
FastAPI routes do (the same app with the dispatcher taken out is the reference), for every
kind of answer: success, refused keys and scopes, someone else's job, a malformed id, rate
limits; and it really is what serves those requests."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from krev.hotpath import HotPathMiddleware
from krev.platform.config import Plan
from krev.platform.runtime import Runtime, build_runtime
from tests.conftest import Account, build_app
from tests.generations.stack import BASE_URL, JOB_PLANS

BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
# What legitimately differs between two answers a moment apart.
VOLATILE_HEADERS = {"x-request-id", "ratelimit", "date", "content-length"}
SIGNED_QUERY = re.compile(r"\?expires=\d+&signature=[^\"]+")


@pytest.fixture
def settings(make_settings: Callable[..., Any]) -> Any:
    plans = {
        **JOB_PLANS,
        "tight": Plan(
            name="Tight", monthly_credits=1000, storage_bytes=1024**3, rate_limit="12/minute"
        ),
    }
    return make_settings(plans=plans, embedded_workers=2)


def _without_hot_path(app: FastAPI) -> FastAPI:
    app.user_middleware = [m for m in app.user_middleware if m.cls is not HotPathMiddleware]
    return app


@pytest.fixture
def clients(settings: Any) -> Iterator[tuple[TestClient, TestClient, Runtime]]:
    runtime = build_runtime(settings)
    hot = build_app(runtime)
    plain = _without_hot_path(build_app(runtime))
    assert any(m.cls is HotPathMiddleware for m in hot.user_middleware)
    with (
        TestClient(hot, base_url=BASE_URL, raise_server_exceptions=False) as fast,
        TestClient(plain, base_url=BASE_URL, raise_server_exceptions=False) as reference,
    ):
        yield fast, reference, runtime
    runtime.close()


def _same(fast: httpx.Response, reference: httpx.Response) -> None:
    assert fast.status_code == reference.status_code, (fast.text, reference.text)
    assert SIGNED_QUERY.sub("", fast.text) == SIGNED_QUERY.sub("", reference.text)
    headers = {k: v for k, v in fast.headers.items() if k not in VOLATILE_HEADERS}
    expected = {k: v for k, v in reference.headers.items() if k not in VOLATILE_HEADERS}
    assert headers == expected
    assert ("ratelimit" in fast.headers) == ("ratelimit" in reference.headers)


@BOTH
def test_every_kind_of_answer_matches_the_fastapi_route(
    clients: tuple[TestClient, TestClient, Runtime], make_account: Callable[..., Account]
) -> None:
    fast, reference, _runtime = clients
    owner = make_account(plan="pro")
    stranger = make_account(plan="pro")
    no_credits_scope = make_account(plan="pro", scopes=["images"])
    job = fast.post(
        "/api/v1/test-jobs", json={"params": {"size": 16}}, headers=owner.headers
    ).json()["data"]["generation_id"]

    cases: list[tuple[str, dict[str, str]]] = [
        ("/api/v1/credits", owner.headers),
        ("/api/v1/credits", {}),
        ("/api/v1/credits", {"Authorization": "Bearer sk_live_nope"}),
        ("/api/v1/credits", {"Authorization": "Basic abc"}),
        ("/api/v1/credits", no_credits_scope.headers),
        (f"/api/v1/generations/{job}", owner.headers),
        (f"/api/v1/generations/{job.upper()}", owner.headers),
        (f"/api/v1/generations/{job}", stranger.headers),
        (f"/api/v1/generations/{job}", {}),
        ("/api/v1/generations/not-a-uuid", owner.headers),
        (f"/api/v1/generations/{job[:-1]}", owner.headers),
        ("/api/v1/generations/1", owner.headers),
        ("/api/v1/generations/not-a-uuid", {}),
    ]
    for path, headers in cases:
        _same(fast.get(path, headers=headers), reference.get(path, headers=headers))
    for malformed in ("not-a-uuid", job[:-1], "1"):  # no such generation: 404 on both paths
        answer = fast.get(f"/api/v1/generations/{malformed}", headers=owner.headers)
        assert (answer.status_code, answer.json()["code"]) == (404, "not_found"), answer.text


def test_rate_limits_apply_and_read_the_same(
    clients: tuple[TestClient, TestClient, Runtime], make_account: Callable[..., Account]
) -> None:
    fast, reference, _runtime = clients
    account = make_account(plan="tight")
    answers = [
        client.get("/api/v1/credits", headers=account.headers)
        for _ in range(7)
        for client in (fast, reference)
    ]  # one budget: 12 allowed, then refused on both paths
    statuses = [answer.status_code for answer in answers]
    assert statuses == [200] * 12 + [429, 429]
    _same(answers[-2], answers[-1])
    assert answers[-2].headers["retry-after"] == answers[-1].headers["retry-after"]


def test_the_dispatcher_serves_them_and_labels_metrics_by_route(
    clients: tuple[TestClient, TestClient, Runtime], make_account: Callable[..., Account]
) -> None:
    fast, _reference, _runtime = clients
    account = make_account(plan="pro")
    for _ in range(2):
        assert fast.get("/api/v1/credits", headers=account.headers).status_code == 200
    assert fast.head("/api/v1/credits", headers=account.headers).status_code == 200

    text = fast.get("/metrics").text

    assert 'route="/api/v1/credits",status="200"} 2.0' in text
    assert 'method="HEAD",route="/api/v1/credits",status="200"} 1.0' in text
