"""Chat runs in scale-out mode: PostgreSQL + Redis, the API running no job threads and a
separate `krev worker` working the runs; and a worker killed in the middle of a run's step,
whose run the next worker resumes where it stopped: nothing rendered or charged twice."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.chat.conftest import CHAT, QUEUED_KEYS, artifacts
from tests.generations.conftest import (  # noqa: F401 (fixtures)
    StartApi,
    StartProcess,
    StartWorkers,
    job_settings,
    start_api,
    start_process,
    start_workers,
)
from tests.generations.stack import Api
from tests.generations.test_worker_loss import sweep_until
from tests.images.conftest import BLUE_BOX, create_product
from tests.support.fake_openai import FakeOpenAI

SCALE_OUT = pytest.mark.parametrize("backend", ["postgres"], indirect=True)
LLM_KEY = "sk-chat-scale-out-llm-key"
COPY = {
    "hook": "Built for long days",
    "headline": "Storage that keeps up",
    "body_copy": "A sturdy box for busy homes.",
    "cta": "Shop now",
}
MESSAGE = "Write two ad concepts for this box and render them"


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=LLM_KEY) as fake:
        yield fake


def _start(api: Api, account: Any, product_id: str) -> dict[str, Any]:
    response = api.client.post(
        CHAT, json={"message": MESSAGE, "product_ids": [product_id]}, headers=account.headers
    )
    assert response.status_code == 202, response.text
    data: dict[str, Any] = response.json()["data"]
    assert set(data) == QUEUED_KEYS
    return data


def _finished_run(api: Api, account: Any, run: dict[str, Any]) -> dict[str, Any]:
    """The run once its job has ended, as a client polling it sees it."""
    api.wait_until_finished(account, run["job_id"])
    response = api.client.get(f"{CHAT}/runs/{run['run_id']}", headers=account.headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


@SCALE_OUT
def test_a_worker_process_works_the_run(
    start_api: StartApi,  # noqa: F811
    start_process: StartProcess,  # noqa: F811
    make_account: Any,
) -> None:
    api = start_api(embedded_workers=0, chat_poll_seconds=0.2)
    account = make_account()
    start_process(api.settings, "worker", "--threads", "2")
    product = create_product(api.client, account, BLUE_BOX)
    before = api.balance(account)

    queued = _start(api, account, product["id"])
    run = _finished_run(api, account, queued)

    assert run["status"] == "succeeded", run
    assert len(artifacts(run, "concept")) == 2 and len(run["media"]) == 2
    assert all(g["status"] == "succeeded" for g in run["generations"])
    assert api.balance(account) == before - 80
    assert api.generation(account, queued["job_id"])["kind"] == "chat"


@SCALE_OUT
def test_a_run_whose_worker_dies_mid_step_is_resumed_once(
    start_api: StartApi,  # noqa: F811
    start_process: StartProcess,  # noqa: F811
    start_workers: StartWorkers,  # noqa: F811
    make_account: Any,
    llm: FakeOpenAI,
) -> None:
    # The concepts' copy comes from an LLM that holds the first request: the worker is in the
    # middle of the run's first step when it is killed.
    api = start_api(
        embedded_workers=0,
        job_stale_after_seconds=1.0,
        job_max_attempts=2,
        chat_poll_seconds=0.2,
        copy_engine="openai",
        llm_base_url=llm.base_url,
        llm_api_key=LLM_KEY,
        llm_copy_model="copy-model",
    )
    account = make_account()
    worker = start_process(api.settings, "worker", "--threads", "1")
    product = create_product(api.client, account, BLUE_BOX)
    before = api.balance(account)
    llm.answer({"variants": [COPY]})
    llm.hold()

    queued = _start(api, account, product["id"])
    assert llm.wait_for_request(), "the worker never asked for the copy"
    assert api.generation(account, queued["job_id"])["status"] == "processing"

    worker.kill()
    llm.release()
    start_workers(api)  # any worker on the queue may take it over
    report = sweep_until(api, lambda r: r.requeued == 1)
    assert report.failed == 0

    run = _finished_run(api, account, queued)
    assert run["status"] == "succeeded", run
    assert [c["headline"] for c in artifacts(run, "concept")] == [COPY["headline"]] * 2
    # Each concept rendered once, charged once.
    assert len(run["generation_ids"]) == 2
    assert all(g["status"] == "succeeded" for g in run["generations"])
    assert api.balance(account) == before - 80
    for generation_id in run["generation_ids"]:
        assert api.credit_moves(account, generation_id) == [("reservation", -40)]
