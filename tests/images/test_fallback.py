"""``KREV_IMAGE_FALLBACK``: a job whose engine keeps failing transiently moves, once, to the
fallback engine and says so; one whose engine refuses it fails at once, without falling back.
A local server speaking OpenAI's Images API plays the primary engine."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from krev.platform.config import Settings
from tests.conftest import Account
from tests.generations.stack import JOB_PLANS
from tests.images.conftest import balance, download, generate, generation
from tests.support.fake_openai_images import Fail, FakeOpenAIImages, Refuse

KEY = "sk-images-api-test-fallback"
SET_ONLY = "Dark marble surface, soft window light"


@pytest.fixture
def images_api() -> Iterator[FakeOpenAIImages]:
    with FakeOpenAIImages(api_key=KEY) as fake:
        yield fake


@pytest.fixture
def settings(make_settings: Callable[..., Settings], images_api: FakeOpenAIImages) -> Settings:
    return make_settings(
        plans=JOB_PLANS,
        embedded_workers=2,
        sync_wait_seconds=120.0,
        image_engine="openai",
        image_fallback="studio",
        openai_images_base_url=images_api.base_url,
        openai_images_api_key=KEY,
        provider_retry_base_seconds=0.05,
        provider_max_retries=1,
    )


def test_an_engine_that_stays_down_hands_the_job_to_the_fallback(
    client: TestClient, account: Account, images_api: FakeOpenAIImages
) -> None:
    images_api.always(Fail(503))
    start = balance(client, account)

    response = generate(client, account, {"prompt": SET_ONLY, "aspect_ratio": "16:9"})

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert download(client, data["images"][0]).shape == (768, 1344, 3)
    output = generation(client, account, data["generation_id"])["output"]
    assert output["engine"] == "studio"
    assert output["fallback_from"] == "openai"
    assert output["fallback_reason"]
    assert len(images_api.requests) == 2, "the first call and its one retry, then the fallback"
    assert balance(client, account) == start - 40


def test_a_refusal_is_not_handed_to_the_fallback(
    client: TestClient, account: Account, images_api: FakeOpenAIImages
) -> None:
    images_api.always(Refuse())
    start = balance(client, account)

    response = generate(client, account, {"prompt": SET_ONLY})

    assert response.status_code == 500, response.text
    body = response.json()
    assert body["success"] is False and "refunded" in body["error"]
    view = generation(client, account, body["generation_id"])
    assert view["status"] == "failed"
    assert view["error_code"] == "content_refused"
    assert len(images_api.requests) == 1
    assert balance(client, account) == start


def test_a_subject_the_fallback_cannot_draw_fails_the_job_refunded(
    client: TestClient, account: Account, images_api: FakeOpenAIImages
) -> None:
    images_api.always(Fail(503))
    start = balance(client, account)

    response = generate(client, account, {"prompt": "A ceramic teapot on a wooden table"})

    assert response.status_code == 500, response.text
    body = response.json()
    assert "teapot" in body["error"] and "refunded" in body["error"]
    view = generation(client, account, body["generation_id"])
    assert (view["status"], view["error_code"]) == ("failed", "subject_not_renderable")
    assert balance(client, account) == start, "never delivered without its subject"
