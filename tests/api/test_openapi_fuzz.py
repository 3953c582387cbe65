"""Schemathesis generates requests from our OpenAPI document and checks every answer against
it: no 5xx, documented status codes and content types, response bodies matching schemas."""

from __future__ import annotations

import collections
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import positive_data_acceptance

from krev.app import create_app
from krev.composition import build_runtime
from krev.platform.config import DEFAULT_PLANS, Settings
from krev.platform.runtime import Runtime
from tests.accounts.dashboard import login
from tests.conftest import Account
from tests.conversions.conftest import ACCESS_TOKEN, PIXEL_ID, configure
from tests.support.fake_graph import FakeGraph

# Schema-valid yet meaningless input is rightly refused here: a URL that serves no image, an
# opaque cursor this API never issued, a product or preset that does not exist, an event_time
# outside Meta's 7 days, an inspiration image that is not one, a video prompt naming a subject
# the studio engine cannot draw, a chat reference image that is not one.
CONTENT_DEPENDENT_OPERATIONS = {
    "POST /api/v1/products",
    "GET /api/v1/products",
    "PATCH /api/v1/products",
    "POST /api/v1/images",
    "POST /api/v1/ads",
    "POST /api/v1/videos",
    "POST /api/v1/chat",
    "GET /api/v1/chat",
    "POST /api/v1/conversions/meta",
    "GET /api/v1/generations",
    "GET /api/v1/credits/history",
    "GET /api/v1/conversions/meta/events",
}
# Per operation; bounded so the whole API is fuzzed in CI in well under a minute.
EXAMPLES = 25


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with FakeGraph(tokens={PIXEL_ID: ACCESS_TOKEN}) as fake:
        yield fake


# PostgreSQL too: it refuses what SQLite stores (NUL in text), and found a 500 SQLite did not.
@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_every_operation_conforms_to_the_schema(
    make_settings: Callable[..., Settings],
    make_account: Callable[..., Account],
    graph: FakeGraph,
) -> None:
    # No workers and a short wait: job-creating POSTs answer 202 at once instead of waiting.
    # A rate limit no fuzzer reaches, so every operation is exercised past it.
    # No cap on queued jobs either (none runs here): the fuzzer's accepted jobs pile up.
    unlimited = DEFAULT_PLANS["pro"].model_copy(
        update={"rate_limit": "1000000/minute", "max_active_jobs": 1_000_000}
    )
    runtime = build_runtime(
        make_settings(
            sync_wait_seconds=0.1,
            video_sync_wait_seconds=0.1,
            conversions_wait_seconds=0.5,
            meta_graph_url=graph.url,
            plans={**DEFAULT_PLANS, "pro": unlimited},
            login_rate_limit="1000000/minute",
            # Schemathesis checks every operation refuses requests without a key (401),
            # hundreds of them from one address: the failure limit is tested in tests/accounts.
            auth_failure_rate_limit="1000000/minute",
        )
    )
    app = create_app(runtime=runtime)
    account = make_account(credits=1_000_000)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:  # closes the runtime
        configure(client, account)  # conversions reach the fake Graph API
        schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
        statuses: dict[str, collections.Counter[int]] = {}
        for result in schema.get_all_operations():
            if isinstance(result, Err):
                raise result.err()
            operation = result.ok()
            security = operation.definition.raw.get("security", [])
            if security == [{"dashboardSession": []}]:
                # A session of its own: a fuzzed logout ends it.
                dashboard = login(client, account)
                headers = {
                    "Cookie": f"krev_session={dashboard.session_token}",
                    "X-CSRF-Token": dashboard.csrf,
                }
                client.cookies.clear()
            else:
                headers = {"Authorization": f"Bearer {account.key}"}
            excluded = (
                [positive_data_acceptance]
                if operation.label in CONTENT_DEPENDENT_OPERATIONS
                else []
            )
            statuses[operation.label] = _fuzz(operation, headers, excluded)

    documented = {
        f"{method.upper()} {path}"
        for path, methods in app.openapi()["paths"].items()
        for method in methods
    }
    assert set(statuses) == documented
    # Each operation was reached past authentication and rate limiting at least once (but
    # the login and the password change, whose made-up passwords are rightly refused).
    refused = {401, 403, 429}
    unreached = [label for label, seen in statuses.items() if not set(seen) - refused]
    assert set(unreached) == {"POST /api/v1/auth/login", "POST /api/v1/auth/password"}, statuses
    assert not any(429 in seen for seen in statuses.values()), statuses


def _fuzz(operation: Any, headers: dict[str, str], excluded: list[Any]) -> collections.Counter[int]:
    seen: collections.Counter[int] = collections.Counter()

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        if case.headers and "Idempotency-Key" in case.headers:
            # A key the fuzzer reuses for another body is rightly a 422; each case is a new
            # request, so it gets a key of its own (the header's format is tested elsewhere).
            case.headers["Idempotency-Key"] = str(uuid.uuid4())
        response = case.call_and_validate(headers=headers, excluded_checks=excluded)
        seen[response.status_code] += 1

    run()
    return seen


def test_validation_errors_are_documented_as_400_not_422(runtime: Runtime) -> None:
    spec = create_app(runtime=runtime).openapi()
    unprocessable = [
        operation["responses"]["422"]["description"]
        for path in spec["paths"].values()
        for operation in path.values()
        if "422" in operation["responses"]
    ]
    # The one 422 is the IETF idempotency draft's: a key reused for another request.
    assert unprocessable and all("Idempotency-Key" in text for text in unprocessable)
    assert spec["paths"]["/api/v1/keys"]["post"]["responses"]["400"]


def test_api_key_posts_document_the_idempotency_key(runtime: Runtime) -> None:
    spec = create_app(runtime=runtime).openapi()
    header = {"$ref": "#/components/parameters/IdempotencyKey"}
    assert spec["components"]["parameters"]["IdempotencyKey"]["in"] == "header"
    for path in ("/api/v1/images", "/api/v1/products", "/api/v1/conversions/meta"):
        operation = spec["paths"][path]["post"]
        assert header in operation["parameters"]
        assert {"409", "422"} <= set(operation["responses"])
    # Session-only writes (the middleware needs an API key to scope the key) do not offer it.
    assert header not in spec["paths"]["/api/v1/keys"]["post"].get("parameters", [])


def test_the_document_says_how_each_operation_authenticates(runtime: Runtime) -> None:
    spec = create_app(runtime=runtime).openapi()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["apiKey"] == {**schemes["apiKey"], "type": "http", "scheme": "bearer"}
    assert schemes["dashboardSession"]["in"] == "cookie"
    paths = spec["paths"]

    images = paths["/api/v1/images"]["post"]
    assert images["security"] == [{"apiKey": []}, {"dashboardSession": []}]
    assert images["x-krev-scope"] == "images"
    assert paths["/api/v1/credits"]["get"]["x-krev-scope"] == "credits"
    assert paths["/api/v1/keys"]["post"]["security"] == [{"dashboardSession": []}]
    assert "x-krev-scope" not in paths["/api/v1/keys"]["post"]
    assert "security" not in paths["/healthz"]["get"]
    assert "security" not in paths["/api/v1/auth/login"]["post"]
