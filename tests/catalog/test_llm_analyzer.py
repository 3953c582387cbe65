"""Uploads with ``KREV_PRODUCT_ANALYZER=openai``: the vision LLM (a local OpenAI-compatible
server) names the product; when it fails, the studio analyzer answers and the job says so."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from krev.platform.config import Settings
from krev.providers import registry
from krev.providers.registry import ConfigurationError
from tests.catalog.conftest import data_url, photo_bytes, upload_json
from tests.conftest import Account
from tests.generations.stack import JOB_PLANS
from tests.support.fake_openai import FakeOpenAI
from tests.support.product_photos import make_photo

KEY = "sk-llm-secret-5f1e2d3c4b5a"


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=KEY) as server:
        yield server


@pytest.fixture
def settings(
    request: pytest.FixtureRequest, make_settings: Callable[..., Settings], llm: FakeOpenAI
) -> Settings:
    overrides: dict[str, Any] = getattr(request, "param", {})
    return make_settings(
        **overrides,
        plans=JOB_PLANS,
        embedded_workers=2,
        sync_wait_seconds=60.0,
        product_analyzer="openai",
        llm_base_url=llm.base_url,
        llm_api_key=KEY,
        llm_model="vision-test",
        llm_timeout_seconds=30.0,
    )


def _analysis_job(client: TestClient, account: Account) -> dict[str, Any]:
    response = client.get("/api/v1/generations", headers=account.headers)
    assert response.status_code == 200, response.text
    [job] = [g for g in response.json()["data"] if g["kind"] == "product_analysis"]
    return dict(job)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_the_vision_llm_names_the_product(
    client: TestClient, account: Account, llm: FakeOpenAI
) -> None:
    llm.answer(
        {
            "brandName": "Vysionary",
            "productName": "Day Shift",
            "productType": "capsules",
            "category": "supplement",
            "materials": ["plastic bottle", "moon dust"],
        }
    )

    response = upload_json(client, account, {"image_url": data_url(photo_bytes(0))})

    assert response.status_code == 200, response.text
    product = response.json()["data"]
    assert product["name"] == "Day Shift by Vysionary"
    assert product["category"] == "supplement"
    metadata = product["metadata"]
    assert (metadata["brandName"], metadata["productName"]) == ("Vysionary", "Day Shift")
    assert metadata["productType"] == "capsules"
    assert metadata["materials"] == ["plastic"], "only vocabulary materials are kept"
    assert metadata["colors"], "colors still come from the product's pixels"
    assert product["segmented_image_url"] is not None
    [seen] = llm.requests
    assert seen.authorization == f"Bearer {KEY}"
    assert seen.body["model"] == "vision-test"
    assert seen.image_format == "JPEG"
    assert _analysis_job(client, account)["output"]["analyzer"] == "openai"


@pytest.mark.parametrize("failure", ["server-error", "not-json", "wrong-key"])
def test_a_failing_llm_falls_back_to_the_studio_analyzer(
    client: TestClient, make_account: Callable[..., Account], llm: FakeOpenAI, failure: str
) -> None:
    account = make_account()
    if failure == "server-error":
        llm.fail(500)
    elif failure == "not-json":
        llm.reply_text("I think this is a bottle of something.")
    else:
        llm.api_key = "sk-the-server-expects-another-key"
    photo = make_photo(5, 512)
    assert photo.label_text, "the studio analyzer has a label to read"

    response = upload_json(client, account, {"image_url": data_url(photo_bytes(5, size=512))})

    assert response.status_code == 200, response.text
    product = response.json()["data"]
    assert product["status"] == "ready"
    assert (product["metadata"]["brandName"] or "").lower() == photo.label_text.lower()
    output = _analysis_job(client, account)["output"]
    assert output["analyzer"] == "studio"
    assert output["fallback_from"] == "openai"
    assert output["fallback_reason"].startswith("The vision LLM")
    assert KEY not in output["fallback_reason"]
    assert len(llm.requests) + len(llm.rejected) >= 1


@pytest.mark.parametrize("settings", [{"analyze_fallback": None}], indirect=True)
def test_without_a_fallback_a_failing_llm_fails_the_upload(
    client: TestClient, make_account: Callable[..., Account], llm: FakeOpenAI
) -> None:
    account = make_account()
    llm.fail(500)

    response = upload_json(client, account, {"image_url": data_url(photo_bytes(5, size=512))})

    assert response.status_code == 500, response.text
    body = response.json()
    assert body["success"] is False and "The vision LLM answered HTTP 500" in body["error"]
    product = client.get(
        "/api/v1/products", params={"id": body["product_id"]}, headers=account.headers
    ).json()["data"]
    assert product["status"] == "failed"
    assert product["error"].startswith("The vision LLM")
    job = _analysis_job(client, account)
    assert (job["status"], job["error_code"]) == ("failed", "analyzer_unavailable")


def test_the_server_refuses_the_llm_analyzer_without_a_usable_base_url(
    make_settings: Callable[..., Settings],
) -> None:
    with pytest.raises(ConfigurationError, match="KREV_LLM_BASE_URL is required"):
        registry.check(make_settings(product_analyzer="openai", llm_base_url=None))
    with pytest.raises(ValidationError, match="must be an http"):
        make_settings(analyze_engine="openai", llm_base_url="ftp://models.local/v1")
    configured = make_settings(product_analyzer="openai", llm_base_url="http://127.0.0.1:9/v1")
    registry.check(configured)
    assert configured.analyze_engine == "openai"
    assert KEY not in repr(make_settings(llm_api_key=KEY)), "the key stays out of reprs"
    assert configured.llm_api_key is None
