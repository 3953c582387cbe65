"""Text-only prompts with a generative engine (KREV_IMAGE_ENGINE=openai, against a local server
speaking OpenAI's Images API): the prompt is text-to-image, as on the hosted API; the catalog is
not consulted, even when a product there has the subject's name."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from krev.platform.config import Settings
from tests.conftest import Account
from tests.generations.stack import JOB_PLANS
from tests.images.conftest import BLUE_BOX, create_product, generated, generation
from tests.support.fake_openai_images import FakeOpenAIImages

KEY = "sk-images-api-subjects-0a1b2c3d"


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
        openai_images_base_url=images_api.base_url,
        openai_images_api_key=KEY,
    )


def test_the_prompt_is_drawn_from_text_and_the_catalog_is_not_consulted(
    client: TestClient, account: Account, images_api: FakeOpenAIImages
) -> None:
    create_product(client, account, BLUE_BOX, name="Premium Leather Wallet")
    prompt = "Premium leather wallet on dark marble surface, studio lighting"

    data = generated(client, account, {"prompt": prompt})

    output = generation(client, account, data["generation_id"])["output"]
    assert output["engine"] == "openai"
    assert output["product_ids"] == []
    assert (output["subject"], output["subject_source"]) == ("leather wallet", "prompt")
    assert output["scene"]["ignored"] == []
    assert [seen.endpoint for seen in images_api.requests] == ["generations"]
    assert prompt in str(images_api.requests[0].fields["prompt"])


def test_a_subject_no_catalog_holds_is_drawn_too(
    client: TestClient, account: Account, images_api: FakeOpenAIImages
) -> None:
    data = generated(client, account, {"prompt": "cafe with latte and croissant"})

    output = generation(client, account, data["generation_id"])["output"]
    assert (output["subject"], output["subject_source"]) == ("cafe, latte, croissant", "prompt")
    assert [seen.endpoint for seen in images_api.requests] == ["generations"]
