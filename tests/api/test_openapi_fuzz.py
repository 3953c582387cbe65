"""Schemathesis generates requests from our OpenAPI document and checks every answer against
it: no 5xx, documented status codes and content types, response bodies matching schemas."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from krev.app import create_app
from krev.runtime import Runtime
from tests.conftest import Account


def test_every_operation_conforms_to_the_schema(runtime: Runtime, account: Account) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(runtime=runtime))
    headers = {"Authorization": f"Bearer {account.key}"}
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            case.call_and_validate(headers=headers)

        run()
        checked.append(operation.label)
    assert "GET /api/v1/credits" in checked
    assert len(checked) >= 8


def test_validation_errors_are_documented_as_400_not_422(runtime: Runtime) -> None:
    spec = create_app(runtime=runtime).openapi()
    statuses = {
        status
        for path in spec["paths"].values()
        for operation in path.values()
        for status in operation["responses"]
    }
    assert "422" not in statuses
    assert spec["paths"]["/api/v1/keys"]["post"]["responses"]["400"]
