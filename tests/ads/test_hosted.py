"""An ad whose scenes come from a hosted queue (fal) and whose copy comes from an LLM: the job
runs once per poll of the queue without holding a worker, and the copy is written once, not
once per run, so the LLM is asked (and paid) once."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from krev.composition import build_runtime
from krev.platform.config import Settings
from tests.ads.conftest import download, generated_ad
from tests.conftest import Account, build_app
from tests.generations.stack import JOB_PLANS
from tests.images.conftest import BLUE_BOX, create_product, generation
from tests.support.fake_fal import FakeFal
from tests.support.fake_openai import FakeOpenAI

FAL_KEY = "fal-key-for-the-ads-tests"
LLM_KEY = "sk-llm-key-for-the-ads-tests"
COPIES = [
    {
        "hook": "Built for long days",
        "headline": "Storage that keeps up",
        "body_copy": "A sturdy box for busy homes.",
        "cta": "Shop now",
    },
    {
        "hook": "Tidy in a minute",
        "headline": "One box, every corner",
        "body_copy": "Keep the clutter in one place.",
        "cta": "Learn more",
    },
]


@pytest.fixture
def fal() -> Iterator[FakeFal]:
    with FakeFal(api_key=FAL_KEY) as fake:
        yield fake


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=LLM_KEY) as fake:
        yield fake


def test_a_hosted_image_queue_and_an_llm_copywriter(
    make_settings: Callable[..., Settings],
    make_account: Callable[..., Account],
    fal: FakeFal,
    llm: FakeOpenAI,
) -> None:
    settings = make_settings(
        plans=JOB_PLANS,
        embedded_workers=2,
        sync_wait_seconds=120.0,
        image_engine="fal",
        fal_api_key=FAL_KEY,
        fal_base_url=fal.address,
        provider_poll_seconds=0.05,
        fetch_allowlist=["127.0.0.1"],
        copy_engine="openai",
        llm_base_url=llm.base_url,
        llm_api_key=LLM_KEY,
        llm_copy_model="copy-model",
    )
    runtime = build_runtime(settings)
    account = make_account()
    llm.answer({"variants": COPIES})
    with TestClient(build_app(runtime), base_url="http://127.0.0.1:8000") as client:
        product = create_product(client, account, BLUE_BOX)
        body = {"brief": "Direct response", "product_ids": [product["id"]], "image_count": 2}

        data = generated_ad(client, account, body)

        assert [{k: v for k, v in c.items() if k != "style_name"} for c in data["ad_copies"]] == (
            COPIES
        )
        assert data["ad_copy"]["style_name"] == "Performance Master"
        output = generation(client, account, data["generation_id"])["output"]
        assert output["engine"] == {"image": "fal", "copy": "openai"}
        assert output["fallbacks"] == []
        assert all(download(client, url).shape == (1350, 1080, 3) for url in data["images"])
        # The queue was polled across several runs of the job; the copy was asked for once.
        [job] = fal.submissions  # both scenes in one hosted job
        assert job.count == 2 and job.polls >= 2
        assert len(llm.requests) == 1
