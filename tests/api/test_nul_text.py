"""Text holding the NUL character (JSON's \\u0000), which PostgreSQL's text and JSONB cannot
store: every request body refuses it with a 400 naming the field, on either database, before
anything is stored, and the OpenAPI document says so."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from sqlalchemy import func, select

from krev.models import ApiKey, ConversionEvent, Generation, MetaPixelConfig, Product
from krev.platform.runtime import Runtime
from tests.accounts.dashboard import assert_error, login
from tests.catalog.conftest import data_url, photo_bytes
from tests.conftest import Account
from tests.conversions.conftest import configure, website_event

NUL = "order\x00 42"

CASES = [
    pytest.param(
        "POST", "/api/v1/auth/login", {"email": NUL, "password": "x"}, "email", id="login email"
    ),
    pytest.param("POST", "/api/v1/keys", {"name": NUL}, "name", id="key name"),
    pytest.param(
        "PUT",
        "/api/v1/conversions/meta/config",
        {"pixel_id": "1234567890", "test_event_code": NUL},
        "test_event_code",
        id="test event code",
    ),
    pytest.param(
        "PUT",
        "/api/v1/conversions/meta/config",
        {"pixel_id": "1234567890", "access_token": f"EAAG{NUL}xyz"},
        "access_token",
        id="access token",
    ),
    pytest.param("POST", "/api/v1/images", {"prompt": NUL}, "prompt", id="prompt"),
    pytest.param(
        "POST",
        "/api/v1/products",
        {"image_url": data_url(photo_bytes()), "name": NUL},
        "name",
        id="product name",
    ),
    pytest.param(
        "POST",
        "/api/v1/conversions/meta",
        website_event(event_id=NUL),
        "data[0].event_id",
        id="event id",
    ),
    pytest.param(
        "POST",
        "/api/v1/conversions/meta",
        {"data": [website_event(), website_event(custom_data={"contents": [{NUL: 1}]})]},
        "data[1].custom_data.contents[0].order",
        id="custom data key",
    ),
    pytest.param(
        "POST",
        "/api/v1/conversions/meta",
        {"data": [website_event()], "test_event_code": NUL},
        "test_event_code",
        id="batch test code",
    ),
]


def stored(runtime: Runtime) -> dict[str, int]:
    with runtime.db.transaction(write=False) as session:
        return {
            model.__name__: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (ApiKey, ConversionEvent, Generation, MetaPixelConfig, Product)
        }


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
@pytest.mark.parametrize(("method", "path", "body", "field"), CASES)
def test_text_with_nul_is_a_400_naming_the_field(
    client: TestClient,
    runtime: Runtime,
    account: Account,
    method: str,
    path: str,
    body: Any,
    field: str,
) -> None:
    configure(client, account)
    dashboard = login(client, account)  # the session covers key and dashboard operations
    before = stored(runtime)

    response = client.request(method, path, json=body, headers={"X-CSRF-Token": dashboard.csrf})

    sentence = assert_error(response, 400, "invalid_request")
    assert field in sentence
    assert "NUL" in sentence
    assert stored(runtime) == before


@pytest.mark.parametrize(("method", "path", "body", "field"), CASES[:5])
def test_the_document_says_text_holds_no_nul(
    client: TestClient, method: str, path: str, body: Any, field: str
) -> None:
    document = client.get("/api/v1/openapi.json").json()
    content = document["paths"][path][method.lower()]["requestBody"]["content"]
    schema = {**content["application/json"]["schema"], "components": document["components"]}

    assert not Draft202012Validator(schema).is_valid(body)
    assert Draft202012Validator(schema).is_valid({**body, field: "order424242"})
