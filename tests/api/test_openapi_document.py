"""The OpenAPI document as clients fetch it: every ``$ref`` resolves, the whole document is
valid OpenAPI 3.1, so code generators and validators can read it, and the request bodies it
describes are the ones the API takes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator

from tests.accounts.dashboard import KEYS, login
from tests.conftest import Account

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


def documented_body(document: dict[str, Any], method: str, path: str) -> Draft202012Validator:
    """A validator of the JSON request body the document describes for this operation."""
    content = document["paths"][path][method.lower()]["requestBody"]["content"]
    schema = content["application/json"]["schema"]
    return Draft202012Validator({**schema, "components": document["components"]})


def call(client: TestClient, method: str, path: str, body: Any, csrf: str) -> int:
    response = client.request(method, path, json=body, headers={"X-CSRF-Token": csrf})
    return response.status_code


META_CONFIG = "/api/v1/conversions/meta/config"
IMAGES = "/api/v1/images"
PIXEL = {"pixel_id": "1234567890"}
TOKEN = "EAAGtoken4242"

# Bodies the API refuses (400) that the document once called valid: a client that checks its
# requests against the document must learn of the refusal there. Each against one that passes.
REFUSED = [
    pytest.param("POST", KEYS, {"name": "ci", "scopes": [""]}, id="unknown scope"),
    pytest.param("POST", KEYS, {"name": "ci", "scopes": []}, id="no scope"),
    pytest.param("POST", KEYS, {"name": " \x85\u3000", "scopes": ["images"]}, id="blank key name"),
    pytest.param(
        "PUT", META_CONFIG, {**PIXEL, "access_token": "EAAG token 42 42"}, id="token with a space"
    ),
    pytest.param(
        "PUT",
        META_CONFIG,
        {**PIXEL, "access_token": TOKEN, "test_event_code": "TEST\x8542"},
        id="test code with a space",
    ),
    pytest.param("POST", IMAGES, {"prompt": ""}, id="empty prompt"),
    pytest.param("POST", IMAGES, {"prompt": "\t\u2028 "}, id="blank prompt"),
    pytest.param(
        "PUT", META_CONFIG, {**PIXEL, "access_token": TOKEN, "test_event_code": "\x1c"}, id="blank"
    ),
]
ACCEPTED = [
    pytest.param("POST", KEYS, {"name": " ci ", "scopes": ["images", "images"]}, id="key"),
    pytest.param(
        "PUT",
        META_CONFIG,
        {**PIXEL, "access_token": f" {TOKEN}\n", "test_event_code": "\ufeffTEST42"},
        id="pixel",
    ),
]


@pytest.mark.parametrize(("method", "path", "body"), REFUSED)
def test_what_the_api_refuses_the_document_calls_invalid(
    client: TestClient, account: Account, method: str, path: str, body: Any
) -> None:
    dashboard = login(client, account)
    document = client.get(OPENAPI).json()

    assert call(client, method, path, body, dashboard.csrf) == 400
    assert not documented_body(document, method, path).is_valid(body)


@pytest.mark.parametrize(("method", "path", "body"), ACCEPTED)
def test_what_the_api_takes_the_document_calls_valid(
    client: TestClient, account: Account, method: str, path: str, body: Any
) -> None:
    dashboard = login(client, account)
    document = client.get(OPENAPI).json()

    assert call(client, method, path, body, dashboard.csrf) in (200, 201, 202)
    assert documented_body(document, method, path).is_valid(body)


def test_revoking_a_key_that_is_not_yours_is_a_documented_404(
    client: TestClient, account: Account
) -> None:
    dashboard = login(client, account)
    document = client.get(OPENAPI).json()

    response = dashboard.revoke(str(uuid.uuid4()))

    assert response.status_code == 404
    documented = document["paths"][KEYS]["delete"]["responses"]["404"]
    assert documented["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorEnvelope"
    }
