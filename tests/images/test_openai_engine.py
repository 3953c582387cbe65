"""POST /api/v1/images with ``KREV_IMAGE_ENGINE=openai``: the real app, queue and workers, and a
local server speaking OpenAI's Images API in place of the hosted one. Text-only prompts are
drawn by the provider; product scenes are edits that keep the product; rate limits are waited
out; refusals and broken answers fail the generation, refund it and leave nothing stored."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageOps

from krev.platform.config import Settings
from tests.conftest import Account
from tests.generations.stack import JOB_PLANS
from tests.images.conftest import (
    BLUE_BOX,
    balance,
    create_product,
    cutout_color,
    download,
    generate,
    generated,
    generation,
    image_generations,
    share_near,
    stored_outputs,
)
from tests.support.fake_openai_images import (
    ExpiredURL,
    Fail,
    FakeOpenAIImages,
    NotAnImage,
    Outcome,
    RateLimit,
    Refuse,
    Truncated,
    WrongSize,
    pattern,
)

KEY = "sk-images-api-test-1f2e3d4c5b6a"
BOTH_MODES = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


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
        fetch_allowlist=["127.0.0.1"],  # images the provider hands over as URLs
        provider_retry_base_seconds=0.05,
        provider_max_retries=2,
    )


def expected_pixels(prompt: str, asked: str, index: int, size: tuple[int, int]) -> Any:
    """What the fake drew for ``prompt`` at the size asked, centre-cropped to the output."""
    width, height = (int(side) for side in asked.split("x"))
    drawn = Image.fromarray(pattern(prompt, width, height, index), "RGB")
    return np.asarray(ImageOps.fit(drawn, size, Image.Resampling.LANCZOS), dtype=np.float64)


def mean_difference(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> float:
    return float(np.abs(a.astype(np.float64) - b.astype(np.float64)).mean())


# --- text-only prompts ------------------------------------------------------------------------


@BOTH_MODES
@pytest.mark.parametrize("deliver", ["b64_json", "url"])
def test_a_text_only_prompt_is_drawn_by_the_provider(
    client: TestClient, account: Account, images_api: FakeOpenAIImages, deliver: str
) -> None:
    images_api.deliver = deliver  # type: ignore[assignment]
    before = balance(client, account)
    prompt = "A ceramic teapot on a walnut table, morning light"

    data = generated(client, account, {"prompt": prompt, "aspect_ratio": "16:9", "image_count": 2})

    assert (data["image_count"], data["credits_used"]) == (2, 80)
    assert balance(client, account) == before - 80
    assert [seen.endpoint for seen in images_api.requests] == ["generations"] * 2
    assert all(seen.fields["size"] == "1536x1024" for seen in images_api.requests), (
        "the provider's size nearest 16:9"
    )
    assert all(prompt in seen.fields["prompt"] for seen in images_api.requests)
    outputs = [download(client, url) for url in data["images"]]
    assert [image.shape for image in outputs] == [(768, 1344, 3)] * 2
    # Each output is what the provider drew, centre-cropped: never a studio set.
    sent = [str(seen.fields["prompt"]) for seen in images_api.requests]
    drawn = [expected_pixels(p, "1536x1024", 0, (1344, 768)) for p in sent]
    for output in outputs:
        assert min(mean_difference(output, picture) for picture in drawn) < 12
    if deliver == "url":
        assert len([p for p in images_api.fetched if p.startswith("/files/")]) == 2
    record = generation(client, account, data["generation_id"])
    assert record["status"] == "succeeded"
    assert record["output"]["engine"] == "openai"
    assert KEY not in str(record)


# --- product scenes ---------------------------------------------------------------------------


@BOTH_MODES
def test_a_product_scene_is_an_edit_that_keeps_the_product(
    client: TestClient, account: Account, images_api: FakeOpenAIImages
) -> None:
    product = create_product(client, account, BLUE_BOX)

    data = generated(
        client, account, {"prompt": "on a marble counter", "product_id": product["id"]}
    )

    [seen] = images_api.requests
    assert seen.endpoint == "edits"
    assert seen.fields["size"] == "1024x1024"
    assert (seen.image_format, seen.mask_format, seen.mask_mode) == ("PNG", "PNG", "RGBA")
    assert seen.mask_alpha is not None and seen.image is not None
    painted = seen.mask_alpha == 0
    assert 0.3 < painted.mean() < 0.98, "the background is painted, the product is kept"
    blue = cutout_color(client, product)
    kept = ~painted
    assert share_near(seen.image[kept], blue) > 0.5, "the opaque part of the mask is the product"
    [output] = [download(client, url) for url in data["images"]]
    assert output.shape == (1024, 1024, 3)
    # The product's pixels survive where the mask kept them (fidelity), and the rest is what
    # the provider painted.
    inner = kept & ~np.roll(painted, 8, 0) & ~np.roll(painted, -8, 0)
    inner &= ~np.roll(painted, 8, 1) & ~np.roll(painted, -8, 1)
    assert mean_difference(output[inner], seen.image[inner]) < 20
    drawn = expected_pixels(str(seen.fields["prompt"]), "1024x1024", 0, (1024, 1024))
    far = painted & np.roll(painted, 40, 0) & np.roll(painted, -40, 0)
    far &= np.roll(painted, 40, 1) & np.roll(painted, -40, 1)
    assert mean_difference(output[far], drawn[far]) < 20
    record = generation(client, account, data["generation_id"])
    assert record["output"]["engine"] == "openai"
    assert record["output"]["product_ids"] == [product["id"]]


# --- the provider's failures --------------------------------------------------------------------


@BOTH_MODES
def test_a_rate_limited_call_is_retried_and_delivered(
    client: TestClient, account: Account, images_api: FakeOpenAIImages
) -> None:
    images_api.script(RateLimit(retry_after=0), Fail(503))
    before = balance(client, account)

    data = generated(client, account, {"prompt": "A glass vase of tulips", "image_count": 1})

    assert [seen.outcome for seen in images_api.requests] == ["RateLimit", "Fail", "ok"]
    [output] = [download(client, url) for url in data["images"]]
    assert output.shape == (1024, 1024, 3)
    assert balance(client, account) == before - 40
    assert generation(client, account, data["generation_id"])["status"] == "succeeded"


def _failed_and_refunded(
    client: TestClient, account: Account, response: Any, before: int
) -> dict[str, Any]:
    assert response.status_code >= 400, response.text
    body = response.json()
    assert body["success"] is False
    assert body["error"].strip()
    assert KEY not in response.text
    assert balance(client, account) == before, "every credit comes back"
    [record] = image_generations(client, account)
    assert record["status"] == "failed"
    assert record["credits_used"] == 0
    assert record["output"] is None
    assert stored_outputs(client, record["id"]) == [], "nothing orphaned in storage"
    return dict(record)


@pytest.mark.parametrize("code", ["moderation_blocked", "content_policy_violation"])
def test_a_refused_prompt_fails_at_once_and_refunds(
    client: TestClient, account: Account, images_api: FakeOpenAIImages, code: str
) -> None:
    images_api.always(Refuse(code))
    before = balance(client, account)

    response = generate(client, account, {"prompt": "Something the provider refuses"})

    record = _failed_and_refunded(client, account, response, before)
    assert record["error_code"] == "content_refused"
    assert "safety system" in record["error"]
    assert len(images_api.requests) == 1, "a refusal is not retried"


@pytest.mark.parametrize(
    "outcome",
    [NotAnImage(), Truncated(), WrongSize(), ExpiredURL()],
    ids=["not-an-image", "truncated", "wrong-size", "expired-url"],
)
def test_a_broken_image_fails_the_generation_and_refunds(
    client: TestClient, account: Account, images_api: FakeOpenAIImages, outcome: Outcome
) -> None:
    images_api.always(outcome)
    before = balance(client, account)

    response = generate(client, account, {"prompt": "A leather notebook", "image_count": 2})

    record = _failed_and_refunded(client, account, response, before)
    assert record["error"].strip()


def test_a_provider_that_stays_down_fails_after_its_retries_and_refunds(
    client: TestClient, account: Account, images_api: FakeOpenAIImages
) -> None:
    images_api.always(Fail(500))
    before = balance(client, account)

    response = generate(client, account, {"prompt": "A brass desk lamp"})

    _failed_and_refunded(client, account, response, before)
    assert len(images_api.requests) == 3, "the first call and KREV_PROVIDER_MAX_RETRIES=2"


def test_a_refused_key_fails_with_a_sentence_for_the_operator(
    client: TestClient, account: Account, images_api: FakeOpenAIImages
) -> None:
    images_api.api_key = "sk-the-provider-expects-another-key"
    before = balance(client, account)

    response = generate(client, account, {"prompt": "A wool scarf"})

    record = _failed_and_refunded(client, account, response, before)
    assert "KREV_OPENAI_IMAGES_API_KEY" in record["error"]
