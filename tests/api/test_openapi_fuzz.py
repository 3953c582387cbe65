"""Schemathesis generates requests from our OpenAPI document and checks every answer against
it: no 5xx, documented status codes and content types, response bodies matching schemas."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from krev.app import create_app
from krev.config import Settings
from krev.runtime import Runtime, build_runtime
from tests.conftest import Account

# Schema-valid yet meaningless input is rightly refused here: a URL that serves no image, an
# opaque cursor this API never issued.
CONTENT_DEPENDENT_OPERATIONS = {
    "POST /api/v1/products",
    "GET /api/v1/products",
    "GET /api/v1/generations",
    "GET /api/v1/credits/history",
    "GET /api/v1/conversions/meta/events",
}


def test_every_operation_conforms_to_the_schema(
    make_settings: Callable[..., Settings], make_account: Callable[..., Account]
) -> None:
    # No workers and a short wait: job-creating POSTs answer 202 at once instead of waiting.
    # Schemathesis checks every operation refuses requests without a key (401), hundreds of
    # them from one address: the failure limit (429 past it) is tested in tests/accounts.
    runtime = build_runtime(
        make_settings(sync_wait_seconds=0.1, auth_failure_rate_limit="100000/minute")
    )
    account = make_account()
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(runtime=runtime))
    headers = {"Authorization": f"Bearer {account.key}"}
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()

        excluded = (
            [positive_data_acceptance] if operation.label in CONTENT_DEPENDENT_OPERATIONS else []
        )
        _fuzz(operation, headers, excluded)
        checked.append(operation.label)
    assert "GET /api/v1/credits" in checked
    assert len(checked) >= 8


def _fuzz(operation: Any, headers: dict[str, str], excluded: list[Any]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, excluded_checks=excluded)

    run()


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
