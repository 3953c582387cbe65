"""The OpenAPI document as clients fetch it: every ``$ref`` resolves, and the whole document is
valid OpenAPI 3.1, so code generators and validators can read it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.testclient import TestClient
from openapi_spec_validator import OpenAPIV31SpecValidator

OPENAPI = "/api/v1/openapi.json"


def references(node: Any, where: str = "#") -> Iterator[tuple[str, str]]:
    """(where, target) of every ``$ref`` in the document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield where, value
            else:
                yield from references(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from references(value, f"{where}/{index}")


def resolve(document: dict[str, Any], target: str) -> Any:
    """What a reference within the document (RFC 6901 JSON pointer) points at."""
    assert target.startswith("#/"), f"{target} points outside the document"
    node: Any = document
    for token in target[2:].split("/"):
        key = token.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and key in node, f"{target} does not resolve"
        node = node[key]
    return node


def test_every_reference_resolves_and_the_document_is_valid_openapi_3_1(
    client: TestClient,
) -> None:
    response = client.get(OPENAPI)
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["openapi"].startswith("3.1.")

    found = list(references(document))
    assert len(found) > 100  # the walk reached the document's body
    dangling = []
    for where, target in found:
        try:
            resolve(document, target)
        except AssertionError:
            dangling.append(f"{where} -> {target}")
    assert dangling == []
    # Every schema lives under components/schemas, none in a local $defs.
    assert not [target for _, target in found if not target.startswith("#/components/")]

    errors = [error.message for error in OpenAPIV31SpecValidator(document).iter_errors()]
    assert errors == []


def test_bodies_handlers_read_themselves_are_documented_by_reference(client: TestClient) -> None:
    document = client.get(OPENAPI).json()
    schemas = document["components"]["schemas"]
    paths = document["paths"]

    send = paths["/api/v1/conversions/meta"]["post"]["requestBody"]["content"]
    assert send["application/json"]["schema"] == {
        "oneOf": [
            {"$ref": "#/components/schemas/ConversionEventBody"},
            {"$ref": "#/components/schemas/ConversionBatchBody"},
        ]
    }
    items = schemas["ConversionBatchBody"]["properties"]["data"]["items"]
    assert items == {"$ref": "#/components/schemas/ConversionEventBody"}
    upload = paths["/api/v1/products"]["post"]["requestBody"]["content"]["application/json"]
    assert upload["schema"] == {"$ref": "#/components/schemas/ProductUpload"}
    assert "image_url" in schemas["ProductUpload"]["properties"]
