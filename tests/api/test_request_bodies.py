"""Every JSON request body the API documents is a ``StrictBody``: values of another JSON type
are refused, never converted (a converted one can cost credits), and so are unknown fields."""

from __future__ import annotations

from fastapi.testclient import TestClient

from krev.app import create_app
from krev.kit.body import StrictBody
from krev.platform.runtime import Runtime

# Checked field by field by krev.conversions.events (Meta's rules name each event's index); the
# documented models only describe it.
CHECKED_BY_HAND = {"POST /api/v1/conversions/meta"}


def _strict_models() -> set[str]:
    found, pending = set(), [StrictBody]
    while pending:
        for model in pending.pop().__subclasses__():
            found.add(model.__name__)
            pending.append(model)
    return found


def test_every_json_request_body_is_a_strict_body(runtime: Runtime) -> None:
    # The app as served (the test fixture's adds a test-only router).
    with TestClient(create_app(runtime.settings, runtime=runtime)) as client:
        document = client.get("/api/v1/openapi.json").json()
    bodies = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                schema = content["application/json"]["schema"]
                name = (
                    schema["$ref"].rsplit("/", 1)[-1] if "$ref" in schema else schema.get("title")
                )
                bodies[f"{method.upper()} {path}"] = name
    assert {"POST /api/v1/images", "POST /api/v1/products", "POST /api/v1/keys"} <= set(bodies)

    strict = _strict_models()
    loose = {
        where: name
        for where, name in bodies.items()
        if name not in strict and where not in CHECKED_BY_HAND
    }
    assert loose == {}
