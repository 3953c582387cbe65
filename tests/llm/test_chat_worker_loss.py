"""An LLM-planned run whose worker dies mid-loop (PostgreSQL + Redis, a separate `krev worker`):
the model's reasoning went with the worker, so the run is not resumed half-way nor run twice;
the next attempt fails it cleanly, says why in its transcript, and its render is either
delivered (charged once) or cancelled and refunded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.chat.conftest import CHAT
from tests.generations.conftest import (  # noqa: F401 (fixtures)
    StartApi,
    StartProcess,
    StartWorkers,
    job_settings,
    start_api,
    start_process,
    start_workers,
)
from tests.generations.test_worker_loss import sweep_until
from tests.images.conftest import BLUE_BOX, create_product
from tests.support.fake_openai import FakeOpenAI

pytestmark = pytest.mark.llm

LLM_KEY = "sk-chat-worker-loss-llm-key"


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=LLM_KEY) as fake:
        yield fake


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_model_run_whose_worker_dies_fails_cleanly_and_is_not_run_twice(
    start_api: StartApi,  # noqa: F811
    start_process: StartProcess,  # noqa: F811
    start_workers: StartWorkers,  # noqa: F811
    make_account: Any,
    llm: FakeOpenAI,
) -> None:
    api = start_api(
        embedded_workers=0,
        job_stale_after_seconds=1.0,
        job_max_attempts=2,
        chat_poll_seconds=0.2,
        chat_engine="openai",
        llm_base_url=llm.base_url,
        llm_api_key=LLM_KEY,
        llm_chat_model="chat-model",
    )
    account = make_account()
    worker = start_process(api.settings, "worker", "--threads", "1")
    product = create_product(api.client, account, BLUE_BOX)
    before = api.balance(account)
    # The model renders once, then its next request is held: the worker is mid-loop.
    llm.queue_tool_calls(("generate_images", {"prompt": "the box", "product_id": product["id"]}))
    llm.queue_hold()
    llm.queue_text("Rendered.")

    response = api.client.post(CHAT, json={"message": "Render my box"}, headers=account.headers)
    assert response.status_code == 202, response.text
    queued = response.json()["data"]
    assert llm.wait_for_request(), "the worker never asked the model again"

    worker.kill()
    llm.release()
    start_workers(api)
    sweep_until(api, lambda r: r.requeued == 1)

    job = api.wait_until_finished(account, queued["job_id"])
    assert job["status"] == "failed" and job["error_code"] == "run_interrupted", job
    run = api.client.get(f"{CHAT}/runs/{queued['run_id']}", headers=account.headers).json()["data"]
    assert run["status"] == "failed"
    assert "interrupted" in run["assistant_text"] and "interrupted" in run["error"]
    (render_id,) = run["generation_ids"]  # rendered once, never again
    render = api.wait_until_finished(account, render_id)
    assert render["status"] in ("succeeded", "cancelled"), render
    spent = 40 if render["status"] == "succeeded" else 0
    assert api.balance(account) == before - spent
    assert len(llm.requests) == 2  # the model was not asked again after the restart
