"""Retries, timeouts and waiting, against a scripted server (tests/client/fake_api.py): what
is retried (429, a lost connection, 409 idempotency_in_progress, a 5xx with no
generation_id), with which delays and which Idempotency-Key, and what is never retried."""

from __future__ import annotations

import asyncio
import random
import time
import uuid

import pytest

from krev_client import (
    APIConnectionError,
    APITimeoutError,
    AsyncKrev,
    BadRequestError,
    GenerationFailed,
    ImageResult,
    InternalServerError,
    Krev,
    RateLimitError,
    Retries,
    ServiceUnavailableError,
    WaitTimeout,
)
from krev_client._retry import parse_retry_after
from tests.client.fake_api import KEY, Answer, FakeApi, error, generation, ok

CREDITS = {
    "plan": "pro",
    "plan_name": "Pro",
    "credits": {
        "current": 100,
        "limit": 2500,
        "current_formatted": "100",
        "limit_formatted": "2,500",
    },
    "storage": {"used_bytes": 0, "limit_bytes": 1, "used_formatted": "0", "limit_formatted": "1"},
    "resets_at": "2026-02-01T00:00:00Z",
}
IMAGES = {
    "generation_id": str(uuid.uuid4()),
    "images": ["http://127.0.0.1/storage/a.webp"],
    "image_count": 1,
    "credits_used": 40,
}
FAST = Retries(max_retries=3, initial_delay=0.01, max_delay=0.05)


def client(api: FakeApi, retries: Retries | int = FAST, **options: object) -> Krev:
    return Krev(api_key=KEY, base_url=api.url, retries=retries, **options)  # type: ignore[arg-type]


def test_429_waits_for_retry_after_then_answers() -> None:
    with FakeApi(error(429, "rate_limited", headers={"Retry-After": "1"}), ok(CREDITS)) as api:
        started = time.monotonic()
        assert client(api).credits.get().credits.current == 100
        assert time.monotonic() - started >= 1.0
    assert [r.path for r in api.requests] == ["/api/v1/credits"] * 2


def test_503_without_generation_id_is_retried_with_the_same_idempotency_key() -> None:
    with FakeApi(error(503, "service_unavailable"), error(502, "bad_gateway"), ok(IMAGES)) as api:
        result = client(api).images.generate("studio", product_id="p-1")
    assert isinstance(result, ImageResult) and result.generation_id == IMAGES["generation_id"]
    assert [r.method for r in api.requests] == ["POST"] * 3
    keys = {r.headers["idempotency-key"] for r in api.requests}
    assert len(keys) == 1 and uuid.UUID(keys.pop())
    assert len({r.body for r in api.requests}) == 1
    assert api.requests[0].json() == {"prompt": "studio", "product_id": "p-1"}


def test_a_failed_job_raises_generation_failed_and_is_never_retried() -> None:
    failed_id = str(uuid.uuid4())
    with (
        FakeApi(
            error(500, "generation_failed", generation_id=failed_id, status="failed"), ok(IMAGES)
        ) as api,
        pytest.raises(GenerationFailed) as failure,
    ):
        client(api).images.generate("studio")
    assert len(api.requests) == 1
    assert failure.value.generation_id == failed_id and failure.value.status_code == 500
    assert failure.value.code == "generation_failed" and failure.value.error


def test_a_lost_connection_is_retried_and_a_refused_one_raised() -> None:
    with FakeApi(Answer(200, hang_up=True), ok(CREDITS)) as api:
        assert client(api).credits.get().plan == "pro"
    assert len(api.requests) == 2

    with FakeApi(ok(CREDITS)) as api:
        closed = api.url
    with pytest.raises(APIConnectionError):
        Krev(api_key=KEY, base_url=closed, retries=FAST).credits.get()


def test_a_request_in_progress_under_its_key_is_retried() -> None:
    queued = {
        "conversation_id": str(uuid.uuid4()),
        "user_message_id": str(uuid.uuid4()),
        "assistant_message_id": str(uuid.uuid4()),
        "run_id": str(uuid.uuid4()),
        "job_id": str(uuid.uuid4()),
        "status": "queued",
        "poll_url": "http://127.0.0.1/api/v1/chat/runs/x",
    }
    with FakeApi(
        error(409, "idempotency_in_progress", headers={"Retry-After": "0"}), ok(queued, 202)
    ) as api:
        assert client(api).chat.send("three concepts").run_id == queued["run_id"]
    assert len({r.headers["idempotency-key"] for r in api.requests}) == 1


def test_what_is_not_retried() -> None:
    with FakeApi(error(400, "invalid_request"), ok(CREDITS)) as api, pytest.raises(BadRequestError):
        client(api).credits.get()
    assert len(api.requests) == 1

    with (
        FakeApi(error(429, "rate_limited", headers={"Retry-After": "3600"})) as api,
        pytest.raises(RateLimitError) as limited,
    ):
        client(api).credits.get()
    assert len(api.requests) == 1 and limited.value.retry_after == 3600

    with FakeApi(error(503, "service_unavailable")) as api, pytest.raises(ServiceUnavailableError):
        client(api, retries=2).credits.get()
    assert len(api.requests) == 3

    with (
        FakeApi(Answer(500, ["not", "an", "envelope"])) as api,
        pytest.raises(InternalServerError) as broken,
    ):
        client(api, retries=0).credits.get()
    assert broken.value.code == "http_error" and len(api.requests) == 1


def test_a_slow_answer_times_out() -> None:
    with (
        FakeApi(Answer(200, {"success": True, "data": CREDITS}, delay=1.0)) as api,
        pytest.raises(APITimeoutError),
    ):
        client(api, retries=0, timeout=0.2).credits.get()


def test_generate_returns_the_200_at_once_or_follows_the_202_from_its_own_base_url() -> None:
    with FakeApi(ok(IMAGES)) as api:
        assert client(api).images.generate("studio").generation_id == IMAGES["generation_id"]
    assert len(api.requests) == 1

    job = str(uuid.uuid4())
    # The poll URL names the server's public address; the client asks its own base URL.
    accepted = {
        "generation_id": job,
        "status": "queued",
        "poll_url": f"https://krev.example.com/api/v1/generations/{job}",
    }
    with FakeApi(
        ok(accepted, 202),
        ok(generation("processing", job)),
        ok(generation("succeeded", job)),
    ) as api:
        result = client(api).images.generate("studio", poll_interval=0.01)
    assert result.generation_id == job and result.images == ["http://127.0.0.1/storage/a.webp"]
    assert [r.path for r in api.requests] == ["/api/v1/images"] + [f"/api/v1/generations/{job}"] * 2
    assert "prefer" not in api.requests[0].headers

    with FakeApi(ok(accepted, 202)) as api:
        assert client(api).images.generate("studio", wait=False).generation_id == job
    assert api.requests[0].headers["prefer"] == "respond-async"


def test_a_wait_that_runs_out_raises_wait_timeout_with_the_last_view() -> None:
    job = str(uuid.uuid4())
    with FakeApi(ok(generation("processing", job))) as api, pytest.raises(WaitTimeout) as timed_out:
        client(api).generations.wait(job, timeout=0.2, poll_interval=0.05)
    assert timed_out.value.id == job and timed_out.value.last.status == "processing"
    assert isinstance(timed_out.value, TimeoutError) and len(api.requests) >= 3


def test_the_async_client_retries_the_same_way() -> None:
    async def main(url: str) -> ImageResult:
        async with AsyncKrev(api_key=KEY, base_url=url, retries=FAST) as sdk:
            result = await sdk.images.generate("studio")
            assert isinstance(result, ImageResult)
            return result

    with FakeApi(error(503, "service_unavailable"), Answer(200, hang_up=True), ok(IMAGES)) as api:
        assert asyncio.run(main(api.url)).image_count == 1
    assert len({r.headers["idempotency-key"] for r in api.requests}) == 1
    assert len(api.requests) == 3


def test_backoff_is_exponential_with_equal_jitter_and_retry_after_parses() -> None:
    policy = Retries(initial_delay=1.0, max_delay=8.0)
    rng = random.Random(7)
    for retry, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        delays = [policy.backoff(retry, rng) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert max(delays) - min(delays) > 0  # jittered
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("soon") is None
    with pytest.raises(ValueError, match="max_retries"):
        Retries(max_retries=-1)
