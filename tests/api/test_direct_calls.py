"""``ApiRoute`` calls an endpoint itself when its inputs need no validation (the request,
request-only dependencies, text path parameters), instead of FastAPI's dependency solver. The
same app with every such route handled by FastAPI's solver is the reference: every kind of
answer is the same (success, refused keys and scopes, someone else's job, a malformed id,
rate limits), the endpoint's own code is what runs, and there is one declaration of each path.
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Callable, Iterator
from types import CodeType, FrameType
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, request_response
from fastapi.testclient import TestClient

from krev.billing.endpoints import get_credits
from krev.composition import build_runtime
from krev.generations.endpoints import get_generation
from krev.platform.config import Plan
from krev.platform.routing import ApiRoute, direct_call
from krev.platform.runtime import Runtime
from tests.conftest import Account, build_app
from tests.generations.stack import BASE_URL, JOB_PLANS
from tests.support.http_types import AnyResponse

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


def _solved_by_fastapi(app: FastAPI) -> FastAPI:
    """The app with each directly called route replaced by a copy FastAPI's solver handles."""
    routes = app.router.routes
    for index, route in enumerate(routes):
        if isinstance(route, ApiRoute) and direct_call(route.dependant) is not None:
            reference = copy.copy(route)
            reference.app = request_response(APIRoute.get_route_handler(reference))
            routes[index] = reference
    return app


@pytest.fixture
def clients(settings: Any) -> Iterator[tuple[TestClient, TestClient, Runtime]]:
    runtime = build_runtime(settings)
    direct = build_app(runtime)
    solved = _solved_by_fastapi(build_app(runtime))
    with (
        TestClient(direct, base_url=BASE_URL, raise_server_exceptions=False) as fast,
        TestClient(solved, base_url=BASE_URL, raise_server_exceptions=False) as reference,
    ):
        yield fast, reference, runtime
    runtime.close()


def _same(fast: AnyResponse, reference: AnyResponse) -> None:
    assert fast.status_code == reference.status_code, (fast.text, reference.text)
    assert SIGNED_QUERY.sub("", fast.text) == SIGNED_QUERY.sub("", reference.text)
    headers = {k: v for k, v in fast.headers.items() if k not in VOLATILE_HEADERS}
    expected = {k: v for k, v in reference.headers.items() if k not in VOLATILE_HEADERS}
    assert headers == expected
    assert ("ratelimit" in fast.headers) == ("ratelimit" in reference.headers)


def test_the_hot_gets_are_called_directly_and_endpoints_with_inputs_to_check_are_not(
    runtime: Runtime,
) -> None:
    declared = [
        ((route.path, method), route)
        for route in build_app(runtime).routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    ]
    # Each path is declared once: one route per path and method.
    assert len(declared) == len(dict(declared))
    called_directly = {key for key, route in declared if direct_call(route.dependant)}
    assert {("/api/v1/credits", "GET"), ("/api/v1/generations/{id}", "GET")} <= called_directly
    # A body, query parameters or the request's transaction go through FastAPI's solver.
    for solved in (
        ("/api/v1/images", "POST"),
        ("/api/v1/generations", "GET"),
        ("/api/v1/products", "GET"),
        ("/api/v1/generations/{id}/cancel", "POST"),
    ):
        assert solved not in called_directly


@BOTH
def test_every_kind_of_answer_matches_fastapis_solver(
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
        ("/healthz", {}),
    ]
    for path, headers in cases:
        _same(fast.get(path, headers=headers), reference.get(path, headers=headers))
    for malformed in ("not-a-uuid", job[:-1], "1"):  # no such generation: a 404
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
    ]  # one budget: 12 allowed, then refused on both
    statuses = [answer.status_code for answer in answers]
    assert statuses == [200] * 12 + [429, 429]
    _same(answers[-2], answers[-1])
    assert answers[-2].headers["retry-after"] == answers[-1].headers["retry-after"]


def test_the_endpoints_own_code_runs_and_metrics_name_its_route(
    settings: Any, make_account: Callable[..., Account]
) -> None:
    """What a breakpoint in the endpoint would show: its code object is called."""
    watched = {get_credits.__code__, get_generation.__code__}
    seen: list[CodeType] = []

    def profile(frame: FrameType, event: str, _arg: Any) -> None:
        if event == "call" and frame.f_code in watched:
            seen.append(frame.f_code)

    runtime = build_runtime(settings)
    account = make_account(plan="pro")
    threading.setprofile(profile)  # the test client's event loop runs in a thread of its own
    try:
        with TestClient(build_app(runtime), base_url=BASE_URL) as client:
            for _ in range(2):
                assert client.get("/api/v1/credits", headers=account.headers).status_code == 200
            assert client.head("/api/v1/credits", headers=account.headers).status_code == 200
            missing = client.get("/api/v1/generations/nothing", headers=account.headers)
            assert missing.status_code == 404
            text = client.get("/metrics").text
    finally:
        threading.setprofile(None)
        runtime.close()
    assert seen.count(get_credits.__code__) >= 3
    assert get_generation.__code__ in seen
    assert 'route="/api/v1/credits",status="200"} 2.0' in text
    assert 'method="HEAD",route="/api/v1/credits",status="200"} 1.0' in text
