"""POST /api/v1/images with a hosted FLUX provider (KREV_IMAGE_ENGINE=fal or replicate), each
against a local fake of its API on 127.0.0.1: text-only prompts come back as images, a provider
that rate-limits, fails, stalls or refuses is retried or fails the generation with every credit
back, a cancel reaches the provider, and a worker restarted while the provider's job runs polls
that job again instead of paying for a second one."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from krev.composition import build_runtime
from krev.generations.sweeper import sweep
from krev.platform.config import Settings
from tests.conftest import Account, build_app
from tests.generations.conftest import (  # noqa: F401 (fixtures)
    StartApi,
    StartProcess,
    StartWorkers,
    job_settings,
    start_api,
    start_process,
    start_workers,
)
from tests.generations.stack import JOB_PLANS, WAIT_SECONDS
from tests.images.conftest import (
    balance,
    download,
    generate,
    generation,
    image_generations,
    stored_outputs,
)
from tests.support.fake_fal import FakeFal
from tests.support.fake_flux import FluxFake
from tests.support.fake_replicate import FakeReplicate

PROMPT = "Premium leather wallet on dark marble surface, studio lighting"
FAL_KEY = "fal-key-for-the-api-tests"
REPLICATE_TOKEN = "r8_token_for_the_api_tests"
BOTH_MODES = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


@dataclass
class Hosted:
    engine: str
    fake: FluxFake

    def settings(self, **overrides: object) -> dict[str, object]:
        values: dict[str, object] = {
            "image_engine": self.engine,
            "provider_poll_seconds": 0.05,
            "provider_retry_base_seconds": 0.05,
            "provider_max_retries": 2,
            "fetch_allowlist": ["127.0.0.1"],
        }
        if self.engine == "fal":
            values.update(fal_api_key=FAL_KEY, fal_base_url=self.fake.address)
        else:
            values.update(
                replicate_api_token=REPLICATE_TOKEN, replicate_base_url=f"{self.fake.address}/v1"
            )
        for name, value in overrides.items():
            if name == "timeout_seconds":
                name = f"{self.engine}_timeout_seconds"
            values[name] = value
        return values

    def provider_job(self, submitted: int = 0) -> str:
        return self.fake.submissions[submitted].id


@pytest.fixture(params=["fal", "replicate"])
def hosted(request: pytest.FixtureRequest) -> Iterator[Hosted]:
    fake: FluxFake = (
        FakeFal(api_key=FAL_KEY) if request.param == "fal" else FakeReplicate(REPLICATE_TOKEN)
    )
    with fake:
        yield Hosted(request.param, fake)


@contextlib.contextmanager
def api(
    make_settings: Callable[..., Settings], hosted: Hosted, **overrides: object
) -> Iterator[TestClient]:
    settings = make_settings(
        plans=JOB_PLANS, embedded_workers=2, sync_wait_seconds=120.0, **hosted.settings(**overrides)
    )
    app = build_app(build_runtime(settings))
    with TestClient(app, base_url="http://127.0.0.1:8000", raise_server_exceptions=False) as c:
        yield c


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.02)


def finished(client: TestClient, account: Account, generation_id: str) -> Any:
    view: Any = None

    def done() -> bool:
        nonlocal view
        view = generation(client, account, generation_id)
        return view["status"] not in ("queued", "processing")

    wait_for(done, f"generation {generation_id} finished")
    return view


def assert_failed_and_refunded(
    client: TestClient, account: Account, response: Any, before: int, code: str
) -> Any:
    assert response.status_code >= 400, response.text
    body = response.json()
    assert body["success"] is False
    failed = generation(client, account, body["generation_id"])
    assert failed["status"] == "failed", failed
    assert failed["error_code"] == code, failed
    assert "refunded" in failed["error"]
    assert failed["credits_used"] == 0 and failed["output"] is None
    assert balance(client, account) == before
    assert stored_outputs(client, body["generation_id"]) == [], "nothing orphaned in storage"
    return failed


def test_a_text_only_prompt_comes_back_as_images(
    make_settings: Callable[..., Settings], account: Account, hosted: Hosted
) -> None:
    with api(make_settings, hosted) as client:
        before = balance(client, account)
        response = generate(client, account, {"prompt": PROMPT, "image_count": 2})

        assert response.status_code == 200, response.text
        data = response.json()["data"]
        assert data["image_count"] == 2
        record = generation(client, account, data["generation_id"])
        output = record["output"]
        assert output["engine"] == hosted.engine
        for url in data["images"]:
            pixels = download(client, url)
            assert pixels.shape[:2] == (output["height"], output["width"])
            assert pixels.std() > 5, "the provider's scene, not a blank"
        assert balance(client, account) == before - data["credits_used"]
        [job] = hosted.fake.submissions
        assert job.inputs["prompt"] == PROMPT
        assert len(stored_outputs(client, data["generation_id"])) == 2


def test_a_429_with_retry_after_is_waited_out_then_the_images_come(
    make_settings: Callable[..., Settings], account: Account, hosted: Hosted
) -> None:
    hosted.fake.fail_next("submit", 429, retry_after=0.3)
    with api(make_settings, hosted) as client:
        response = generate(client, account, {"prompt": PROMPT})

        assert response.status_code == 200, response.text
        assert ("submit", 429) in hosted.fake.rejected
        assert len(hosted.fake.submissions) == 1


def test_5xx_polls_are_retried_and_a_provider_that_stays_down_fails_and_refunds(
    make_settings: Callable[..., Settings], account: Account, hosted: Hosted
) -> None:
    with api(make_settings, hosted) as client:
        before = balance(client, account)
        hosted.fake.fail_next("status", 503, times=2)
        response = generate(client, account, {"prompt": PROMPT})
        assert response.status_code == 200, response.text
        assert hosted.fake.rejected.count(("status", 503)) == 2
        assert len(hosted.fake.submissions) == 1, "a failed poll never submits again"

        hosted.fake.fail_next("submit", 502, times=100)
        before = balance(client, account)
        response = generate(client, account, {"prompt": PROMPT})
        assert_failed_and_refunded(client, account, response, before, "provider_unavailable")


def test_a_poll_that_times_out_is_retried_and_one_that_never_answers_fails(
    make_settings: Callable[..., Settings], account: Account, hosted: Hosted
) -> None:
    with api(make_settings, hosted, timeout_seconds=0.5) as client:
        hosted.fake.slow_down("status", 3.0, times=1)
        response = generate(client, account, {"prompt": PROMPT})
        assert response.status_code == 200, response.text
        assert len(hosted.fake.submissions) == 1

        hosted.fake.slow_down("submit", 3.0)
        before = balance(client, account)
        response = generate(client, account, {"prompt": PROMPT})
        assert_failed_and_refunded(client, account, response, before, "provider_timeout")


def test_a_refused_prompt_fails_and_is_refunded(
    make_settings: Callable[..., Settings], account: Account, hosted: Hosted
) -> None:
    with api(make_settings, hosted) as client:
        before = balance(client, account)
        response = generate(client, account, {"prompt": "a forbidden wallet", "image_count": 2})
        failed = assert_failed_and_refunded(client, account, response, before, "content_refused")
        assert hosted.engine in failed["error"].lower() or "safety" in failed["error"].lower()
        assert len(hosted.fake.submissions) == 1, "a refusal is not retried"


def test_an_expired_result_url_fails_and_is_refunded_with_nothing_stored(
    make_settings: Callable[..., Settings], account: Account, hosted: Hosted
) -> None:
    hosted.fake.expire_results()
    with api(make_settings, hosted) as client:
        before = balance(client, account)
        response = generate(client, account, {"prompt": PROMPT, "image_count": 2})
        failed = assert_failed_and_refunded(
            client, account, response, before, "provider_invalid_request"
        )
        assert "expired" in failed["error"]
        assert hosted.fake.file_requests, "the worker did try to copy the result"


def test_a_generation_cancelled_midway_cancels_the_providers_job(
    make_settings: Callable[..., Settings], account: Account, hosted: Hosted
) -> None:
    hosted.fake.hold()
    with api(make_settings, hosted) as client:
        before = balance(client, account)
        response = generate(client, account, {"prompt": PROMPT}, Prefer="respond-async")
        assert response.status_code == 202, response.text
        generation_id = response.json()["data"]["generation_id"]
        wait_for(
            lambda: bool(hosted.fake.submissions) and hosted.fake.submissions[0].polls >= 2,
            "the provider's job was polled",
        )

        cancelled = client.post(
            f"/api/v1/generations/{generation_id}/cancel", headers=account.headers
        )
        assert cancelled.status_code == 200, cancelled.text
        final = finished(client, account, generation_id)

        assert final["status"] == "cancelled", final
        wait_for(lambda: bool(hosted.fake.cancelled), "the cancel reached the provider")
        assert hosted.fake.cancelled == [hosted.provider_job()]
        assert hosted.fake.jobs[hosted.provider_job()].state == "cancelled"
        assert balance(client, account) == before
        assert stored_outputs(client, generation_id) == []
        assert [g["status"] for g in image_generations(client, account)] == ["cancelled"]


@BOTH_MODES
def test_a_worker_restarted_while_the_providers_job_runs_polls_it_again(
    start_api: StartApi,  # noqa: F811
    start_process: StartProcess,  # noqa: F811
    start_workers: StartWorkers,  # noqa: F811
    make_account: Any,
    hosted: Hosted,
) -> None:
    api_ = start_api(
        embedded_workers=0,
        job_stale_after_seconds=1.0,
        job_max_attempts=3,
        **hosted.settings(),
    )
    account = make_account()
    before = api_.balance(account)
    worker = start_process(api_.settings, "worker", "--threads", "1")
    hosted.fake.hold()
    response = generate(api_.client, account, {"prompt": PROMPT}, Prefer="respond-async")
    assert response.status_code == 202, response.text
    generation_id = response.json()["data"]["generation_id"]
    wait_for(
        lambda: bool(hosted.fake.submissions) and hosted.fake.submissions[0].polls >= 2,
        "the first worker submitted the job and polled it",
    )

    worker.kill()
    start_workers(api_)
    hosted.fake.release()

    def done() -> bool:
        sweep(api_.runtime)  # as every worker does on a timer: takes back a dead worker's job
        return api_.generation(account, generation_id)["status"] not in ("queued", "processing")

    wait_for(done, "the generation finished on another worker")
    final = api_.generation(account, generation_id)
    assert final["status"] == "succeeded", final
    assert len(hosted.fake.submissions) == 1, "the provider was paid once"
    assert download(api_.client, final["output"]["urls"][0]).size > 0
    assert api_.balance(account) == before - final["credits_used"]
