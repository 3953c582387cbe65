"""The fal adapter against a local fake of fal's queue API: what it submits for each model,
how it follows a request through the queue, and the typed error each failure becomes."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import httpx
import numpy as np
import pytest
from PIL import Image

from krev.engines.fal_images import FalImageGenerator
from krev.engines.providers import (
    ContentRefused,
    ImageGenerationRequest,
    InvalidRequest,
    ProductCanvas,
    ProviderTimeout,
    RateLimited,
    RemoteStatus,
    TemporarilyUnavailable,
)
from krev.platform.config import Settings
from krev.providers import registry
from krev.providers.registry import ConfigurationError
from tests.support.fake_fal import FILL_MODEL, T2I_MODEL, FakeFal

KEY = "fal-key-0123456789abcdef"


@pytest.fixture
def fal() -> Iterator[FakeFal]:
    with FakeFal(api_key=KEY) as server:
        yield server


def provider(
    fal: FakeFal, *, key: str = KEY, timeout: float = 30.0, **extra: object
) -> FalImageGenerator:
    return FalImageGenerator(key, base_url=fal.base_url, timeout=timeout, extra=extra or None)


def text_request(**changes: object) -> ImageGenerationRequest:
    fields: dict[str, object] = {
        "prompt": "Premium leather wallet on dark marble surface, studio lighting",
        "width": 1216,
        "height": 832,
        "count": 2,
        "seed": 42,
    }
    fields.update(changes)
    return ImageGenerationRequest(**fields)  # type: ignore[arg-type]


def scene_request(width: int = 1024, height: int = 1024) -> ImageGenerationRequest:
    image = np.full((height, width, 3), 200, np.uint8)
    mask = np.ones((height, width), np.float32)
    image[400:700, 300:600] = (180, 40, 30)  # the product
    mask[400:700, 300:600] = 0.0
    canvas = ProductCanvas(image=image, mask=mask, boxes=[(300, 400, 300, 300)])
    return ImageGenerationRequest("a bottle on a beach", width, height, canvas=canvas, seed=7)


def until_done(generator: FalImageGenerator, job_id: str, limit: int = 10) -> list[RemoteStatus]:
    seen = [generator.poll(job_id)]
    while seen[-1].state == "pending" and len(seen) < limit:
        seen.append(generator.poll(job_id))
    return seen


def fetch_png(url: str) -> Image.Image:
    response = httpx.get(url)
    assert response.status_code == 200
    picture = Image.open(io.BytesIO(response.content))
    picture.load()
    return picture


def test_a_text_only_prompt_goes_to_flux_dev_and_polls_through_the_queue(fal: FakeFal) -> None:
    generator = provider(fal, num_inference_steps=28, prompt="not this one")
    request = text_request()

    job_id = generator.submit(request)

    [job] = fal.submissions
    assert job.model == T2I_MODEL
    assert job.inputs["prompt"] == request.prompt, "extra inputs never replace Krev's"
    assert job.inputs["image_size"] == {"width": 1216, "height": 832}
    assert (job.inputs["num_images"], job.inputs["seed"]) == (2, 42)
    assert job.inputs["output_format"] == "png"
    assert job.inputs["num_inference_steps"] == 28, "KREV_FAL_EXTRA_INPUT is merged in"
    assert json.loads(job_id) == {"model": T2I_MODEL, "request_id": job.id, "count": 2}

    states = until_done(generator, job_id)
    assert [status.state for status in states] == ["pending", "pending", "succeeded"]
    images = states[-1].images
    assert len(images) == 2
    for image in images:
        assert image.url is not None and image.url.startswith(fal.address)
        assert fetch_png(image.url).size == (1216, 832)
    assert fal.rejected == []


def test_a_product_scene_goes_to_flux_fill_with_the_canvas_and_a_white_paint_mask(
    fal: FakeFal,
) -> None:
    generator = provider(fal)
    job_id = generator.submit(scene_request())

    [job] = fal.submissions
    assert job.model == FILL_MODEL
    assert job.mask is not None and job.canvas is not None
    assert job.mask[10, 10] and not job.mask[500, 400], "white where the model paints"
    assert tuple(job.canvas[500, 400]) == (180, 40, 30)
    [done] = until_done(generator, job_id)[-1:]
    assert done.state == "succeeded"
    assert done.images[0].url is not None
    painted = np.asarray(fetch_png(done.images[0].url).convert("RGB"))
    assert tuple(painted[500, 400]) == (180, 40, 30), "what was not masked comes back unpainted"


def test_a_restarted_worker_polls_the_same_request_without_submitting_again(
    fal: FakeFal,
) -> None:
    job_id = provider(fal).submit(text_request(count=1))
    assert provider(fal).poll(job_id).state == "pending"

    restarted = provider(fal)  # a new process: nothing but the stored job id
    assert until_done(restarted, job_id)[-1].state == "succeeded"
    assert len(fal.submissions) == 1


def test_a_model_with_a_sub_path_is_polled_under_its_app(fal: FakeFal) -> None:
    # fal serves the status of fal-ai/flux/dev under /fal-ai/flux/requests/...; the fake
    # answers 404 anywhere else.
    job_id = provider(fal).submit(text_request())
    assert provider(fal).poll(job_id).state == "pending"
    assert fal.rejected == []


@pytest.mark.parametrize("operation", ["submit", "status"])
def test_429_is_rate_limited_with_the_providers_retry_after(fal: FakeFal, operation: str) -> None:
    generator = provider(fal)
    job_id = generator.submit(text_request()) if operation == "status" else None
    fal.fail_next(operation, 429, retry_after=7)

    with pytest.raises(RateLimited) as raised:
        generator.poll(job_id) if job_id else generator.submit(text_request())

    assert raised.value.retry_after == 7
    assert raised.value.transient
    assert len(fal.submissions) == (1 if job_id else 0)


@pytest.mark.parametrize("operation", ["submit", "status", "result"])
def test_5xx_is_temporarily_unavailable(fal: FakeFal, operation: str) -> None:
    generator = provider(fal)
    fal.fail_next(operation, 503)
    if operation == "submit":
        with pytest.raises(TemporarilyUnavailable, match="HTTP 503"):
            generator.submit(text_request())
        return
    job_id = generator.submit(text_request())
    if operation == "status":
        with pytest.raises(TemporarilyUnavailable, match="HTTP 503"):
            generator.poll(job_id)
        return
    states = until_done(generator, job_id)
    # A result answered with fal's error body is the request's own failure: the job failed,
    # with a transient error (the pipeline may submit it again).
    assert states[-1].state == "failed"
    assert isinstance(states[-1].error, TemporarilyUnavailable)
    assert states[-1].error.transient


def test_a_refused_connection_is_temporarily_unavailable() -> None:
    with FakeFal(api_key=KEY) as gone:
        base_url = gone.base_url
    generator = FalImageGenerator(KEY, base_url=base_url, timeout=5)
    with pytest.raises(TemporarilyUnavailable, match="could not be reached"):
        generator.submit(text_request())


@pytest.mark.parametrize("operation", ["submit", "status"])
def test_no_answer_in_time_is_a_provider_timeout(fal: FakeFal, operation: str) -> None:
    generator = provider(fal, timeout=0.3)
    job_id = generator.submit(text_request()) if operation == "status" else None
    fal.slow_down(operation, 3.0)
    with pytest.raises(ProviderTimeout, match=r"within 0.3 s"):
        generator.poll(job_id) if job_id else generator.submit(text_request())


def test_a_prompt_the_safety_checker_flags_fails_the_job_as_content_refused(
    fal: FakeFal,
) -> None:
    generator = provider(fal)
    job_id = generator.submit(text_request(prompt="something forbidden"))
    done = until_done(generator, job_id)[-1]
    assert done.state == "failed"
    assert isinstance(done.error, ContentRefused)
    assert not done.error.transient
    assert done.images == []


def test_a_content_policy_violation_at_submit_is_content_refused(fal: FakeFal) -> None:
    fal.fail_next("submit", 422, kind="content_policy_violation")
    with pytest.raises(ContentRefused, match="flagged"):
        provider(fal).submit(text_request())


def test_a_size_the_model_refuses_is_an_invalid_request_naming_it(fal: FakeFal) -> None:
    with pytest.raises(InvalidRequest, match=r"HTTP 422.*multiple of 16"):
        provider(fal).submit(text_request(width=1000, height=1000))


def test_a_refused_key_is_said_without_repeating_it(fal: FakeFal) -> None:
    wrong = "fal-wrong-key-999"
    with pytest.raises(InvalidRequest) as raised:
        provider(fal, key=wrong).submit(text_request())
    assert "refused this server's API key (HTTP 401)" in raised.value.message
    assert wrong not in raised.value.message
    assert wrong not in repr(provider(fal, key=wrong))


def test_cancel_reaches_fal_midway_and_is_quiet_once_the_request_ended(fal: FakeFal) -> None:
    generator = provider(fal)
    fal.hold()
    running = generator.submit(text_request())
    assert [generator.poll(running).state for _ in range(3)] == ["pending"] * 3

    generator.cancel(running)

    assert fal.cancelled == [json.loads(running)["request_id"]]
    assert fal.jobs[fal.cancelled[0]].state == "cancelled"
    fal.release()
    finished = generator.submit(text_request())
    until_done(generator, finished)
    generator.cancel(finished)  # 400 ALREADY_COMPLETED: nothing to stop, no error
    assert len(fal.cancelled) == 2


def test_a_failed_result_and_an_unknown_request_are_failed_jobs(fal: FakeFal) -> None:
    generator = provider(fal)
    job_id = generator.submit(text_request())
    fal.fail_next("result", 422, kind="image_load_error")
    done = until_done(generator, job_id)[-1]
    assert done.state == "failed"
    assert isinstance(done.error, InvalidRequest)

    unknown = json.dumps({"model": T2I_MODEL, "request_id": "no-such-request"})
    gone = generator.poll(unknown)
    assert gone.state == "failed" and isinstance(gone.error, InvalidRequest)
    with pytest.raises(InvalidRequest, match="not one this provider issued"):
        generator.poll("not json")


def test_the_server_refuses_fal_without_its_key_and_builds_it_from_the_settings(
    fal: FakeFal, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigurationError, match="KREV_FAL_API_KEY is required"):
        registry.check(Settings(image_engine="fal", fal_api_key=None))
    monkeypatch.setenv("KREV_FAL_EXTRA_INPUT", '{"num_inference_steps": 12}')
    settings = Settings(image_engine="fal", fal_api_key=KEY, fal_base_url=fal.base_url)
    registry.check(settings)
    assert KEY not in repr(settings)
    built = registry.provider(settings, "image", "fal")
    assert isinstance(built, FalImageGenerator)
    assert registry.image_capabilities("fal").text_only
    until_done(built, built.submit(text_request()))
    assert fal.submissions[0].inputs["num_inference_steps"] == 12
    assert fal.rejected == [], "the key from the settings is the one sent"
