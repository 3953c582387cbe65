"""The Replicate adapter against a local fake of Replicate's predictions API: what it creates
for each model, how it follows a prediction, and the typed error each failure becomes."""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pytest

from krev.engines.hosted import FLUX_ASPECT_RATIOS
from krev.engines.providers import (
    ContentRefused,
    InvalidRequest,
    ProviderTimeout,
    RateLimited,
    RemoteStatus,
    TemporarilyUnavailable,
)
from krev.engines.replicate_images import ReplicateImageGenerator
from krev.platform.config import Settings
from krev.providers import registry
from krev.providers.registry import ConfigurationError
from tests.engines.test_fal_images import fetch_png, scene_request, text_request
from tests.support.fake_replicate import ASPECT_RATIOS, FILL_MODEL, T2I_MODEL, FakeReplicate

TOKEN = "r8_0123456789abcdefghij"


@pytest.fixture
def replicate() -> Iterator[FakeReplicate]:
    with FakeReplicate(api_token=TOKEN, versions={"5f24084160c9": T2I_MODEL}) as server:
        yield server


def provider(
    replicate: FakeReplicate,
    *,
    token: str = TOKEN,
    timeout: float = 30.0,
    wait_seconds: int = 0,
    t2i_model: str = T2I_MODEL,
    **extra: object,
) -> ReplicateImageGenerator:
    return ReplicateImageGenerator(
        token,
        base_url=replicate.base_url,
        timeout=timeout,
        wait_seconds=wait_seconds,
        t2i_model=t2i_model,
        extra=extra or None,
    )


def until_done(generator: ReplicateImageGenerator, job_id: str) -> list[RemoteStatus]:
    seen = [generator.poll(job_id)]
    while seen[-1].state == "pending" and len(seen) < 10:
        seen.append(generator.poll(job_id))
    return seen


def test_the_sizes_declared_are_the_models_own() -> None:
    for ratio, size in FLUX_ASPECT_RATIOS.items():
        assert ASPECT_RATIOS[ratio] == size


def test_a_text_only_prompt_creates_a_flux_dev_prediction_at_the_sizes_aspect_ratio(
    replicate: FakeReplicate,
) -> None:
    generator = provider(replicate, go_fast=False, num_outputs=4)
    job_id = generator.submit(text_request())  # 1216 x 832, two images

    [job] = replicate.submissions
    assert job.model == T2I_MODEL
    assert job.inputs["aspect_ratio"] == "3:2"
    assert job.inputs["megapixels"] == "1"
    assert (job.inputs["num_outputs"], job.inputs["seed"]) == (2, 42), "Krev's inputs win"
    assert job.inputs["output_format"] == "png"
    assert job.inputs["go_fast"] is False, "KREV_REPLICATE_EXTRA_INPUT is merged in"
    assert json.loads(job_id) == {"id": job.id, "count": 2}
    assert replicate.prefer_headers == [None]

    states = until_done(generator, job_id)
    assert [status.state for status in states] == ["pending", "pending", "succeeded"]
    for image in states[-1].images:
        assert image.url is not None
        assert fetch_png(image.url).size == (1216, 832)


def test_a_size_flux_dev_does_not_render_is_refused_before_anything_is_paid(
    replicate: FakeReplicate,
) -> None:
    with pytest.raises(InvalidRequest, match="1000x1000"):
        provider(replicate).submit(text_request(width=1000, height=1000))
    assert replicate.submissions == []


def test_a_product_scene_creates_a_fill_prediction_of_the_canvas_size(
    replicate: FakeReplicate,
) -> None:
    generator = provider(replicate)
    job_id = generator.submit(scene_request(896, 1152))

    [job] = replicate.submissions
    assert job.model == FILL_MODEL
    assert job.inputs["megapixels"] == "match_input"
    assert job.mask is not None and job.mask[10, 10] and not job.mask[500, 400]
    done = until_done(generator, job_id)[-1]
    assert done.state == "succeeded" and done.images[0].url is not None
    painted = np.asarray(fetch_png(done.images[0].url).convert("RGB"))
    assert painted.shape == (1152, 896, 3)
    assert tuple(painted[500, 400]) == (180, 40, 30)


def test_prefer_wait_may_bring_it_back_finished_and_the_first_poll_reads_it(
    replicate: FakeReplicate,
) -> None:
    replicate.finish_while_waiting = True
    generator = provider(replicate, wait_seconds=5)
    job_id = generator.submit(text_request(count=1))
    assert replicate.prefer_headers == ["wait=5"]
    done = generator.poll(job_id)
    assert done.state == "succeeded" and len(done.images) == 1


def test_a_model_version_is_created_through_predictions(replicate: FakeReplicate) -> None:
    generator = provider(replicate, t2i_model=f"{T2I_MODEL}:5f24084160c9")
    job_id = generator.submit(text_request(count=1))
    assert replicate.submissions[0].model == T2I_MODEL
    assert until_done(generator, job_id)[-1].state == "succeeded"


def test_a_restarted_worker_polls_the_same_prediction_without_creating_another(
    replicate: FakeReplicate,
) -> None:
    job_id = provider(replicate).submit(text_request())
    assert provider(replicate).poll(job_id).state == "pending"
    assert until_done(provider(replicate), job_id)[-1].state == "succeeded"
    assert len(replicate.submissions) == 1


@pytest.mark.parametrize("operation", ["submit", "status"])
def test_429_is_rate_limited_with_retry_after(replicate: FakeReplicate, operation: str) -> None:
    generator = provider(replicate)
    job_id = generator.submit(text_request()) if operation == "status" else None
    replicate.fail_next(operation, 429, retry_after=4)
    with pytest.raises(RateLimited, match="throttled") as raised:
        generator.poll(job_id) if job_id else generator.submit(text_request())
    assert raised.value.retry_after == 4


@pytest.mark.parametrize("operation", ["submit", "status"])
def test_5xx_is_temporarily_unavailable(replicate: FakeReplicate, operation: str) -> None:
    generator = provider(replicate)
    job_id = generator.submit(text_request()) if operation == "status" else None
    replicate.fail_next(operation, 502)
    with pytest.raises(TemporarilyUnavailable, match="HTTP 502"):
        generator.poll(job_id) if job_id else generator.submit(text_request())


@pytest.mark.parametrize("operation", ["submit", "status"])
def test_no_answer_in_time_is_a_provider_timeout(replicate: FakeReplicate, operation: str) -> None:
    generator = provider(replicate, timeout=0.3)
    job_id = generator.submit(text_request()) if operation == "status" else None
    replicate.slow_down(operation, 3.0)
    with pytest.raises(ProviderTimeout):
        generator.poll(job_id) if job_id else generator.submit(text_request())


def test_a_prediction_failed_for_nsfw_content_is_content_refused(
    replicate: FakeReplicate,
) -> None:
    generator = provider(replicate)
    job_id = generator.submit(text_request(prompt="a forbidden scene"))
    done = until_done(generator, job_id)[-1]
    assert done.state == "failed"
    assert isinstance(done.error, ContentRefused)
    assert "NSFW" in done.error.message


def test_images_the_safety_checker_withheld_are_content_refused(
    replicate: FakeReplicate,
) -> None:
    replicate.withheld = 1  # cog-flux drops flagged images and succeeds with the rest
    generator = provider(replicate)
    done = until_done(generator, generator.submit(text_request(count=2)))[-1]
    assert done.state == "failed" and isinstance(done.error, ContentRefused)
    assert "1 image(s) where 2" in done.error.message


def test_an_input_the_model_refuses_is_an_invalid_request(replicate: FakeReplicate) -> None:
    replicate.fail_next("submit", 422)
    with pytest.raises(InvalidRequest, match=r"HTTP 422.*input.prompt"):
        provider(replicate).submit(text_request())


def test_a_refused_token_is_said_without_repeating_it(replicate: FakeReplicate) -> None:
    wrong = "r8_wrong_token_999"
    with pytest.raises(InvalidRequest) as raised:
        provider(replicate, token=wrong).submit(text_request())
    assert "refused this server's API key (HTTP 401)" in raised.value.message
    assert wrong not in raised.value.message


def test_cancel_reaches_replicate_midway(replicate: FakeReplicate) -> None:
    generator = provider(replicate)
    replicate.hold()
    job_id = generator.submit(text_request())
    assert [generator.poll(job_id).state for _ in range(3)] == ["pending"] * 3

    generator.cancel(job_id)

    assert replicate.cancelled == [json.loads(job_id)["id"]]
    assert generator.poll(job_id).state == "cancelled"
    generator.cancel(json.dumps({"id": "gone"}))  # 404: nothing to stop, no error


def test_the_server_refuses_replicate_without_its_token_and_builds_it_from_the_settings(
    replicate: FakeReplicate, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigurationError, match="KREV_REPLICATE_API_TOKEN is required"):
        registry.check(Settings(image_engine="replicate", replicate_api_token=None))
    monkeypatch.setenv("KREV_REPLICATE_EXTRA_INPUT", '{"guidance": 2.5}')
    settings = Settings(
        image_engine="replicate",
        replicate_api_token=TOKEN,
        replicate_base_url=replicate.base_url,
        replicate_wait_seconds=3,
    )
    registry.check(settings)
    built = registry.provider(settings, "image", "replicate")
    assert isinstance(built, ReplicateImageGenerator)
    until_done(built, built.submit(text_request()))
    assert replicate.submissions[0].inputs["guidance"] == 2.5
    assert replicate.prefer_headers == ["wait=3"]
