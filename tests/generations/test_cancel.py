"""Cancelling: a queued job stops at once and is refunded; a running one stops at its next
step and is refunded; a finished one cannot be cancelled."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.generations.conftest import StartApi, StartWorkers
from tests.generations.stack import WAIT_SECONDS

BOTH_MODES = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


@BOTH_MODES
def test_cancelling_a_queued_job_refunds_it_at_once_and_it_never_runs(
    start_api: StartApi, start_workers: StartWorkers, make_account: Any
) -> None:
    api = start_api(embedded_workers=0)
    account = make_account()
    start = api.balance(account)
    generation_id = api.submit_async(account, cost=80)
    assert api.balance(account) == start - 80

    response = api.cancel(account, generation_id)

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["status"] == "cancelled"
    assert data["error_code"] == "cancelled"
    assert data["credits_used"] == 0
    assert data["output"] is None
    assert data["completed_at"] is not None
    assert api.balance(account) == start
    assert api.credit_moves(account, generation_id) == [("reservation", -80), ("refund", 80)]

    # Its message is still on the queue; a worker that takes it must leave it cancelled.
    start_workers(api)
    deadline = time.monotonic() + WAIT_SECONDS
    while api.runtime.queue.pending():
        assert time.monotonic() < deadline, "the workers never drained the queue"
        time.sleep(0.05)
    after = api.generation(account, generation_id)
    assert after["status"] == "cancelled"
    assert after["progress"] == 0
    assert api.balance(account) == start
    assert api.credit_moves(account, generation_id) == [("reservation", -80), ("refund", 80)]


@BOTH_MODES
def test_cancelling_a_running_job_stops_it_and_refunds_it_once(
    start_api: StartApi, make_account: Any
) -> None:
    api = start_api()
    account = make_account()
    start = api.balance(account)
    generation_id = api.submit_async(account, {"steps": 60, "step_seconds": 0.05})
    api.wait_until(
        account, generation_id, lambda v: v["status"] == "processing" and v["progress"] > 0
    )

    response = api.cancel(account, generation_id)

    assert response.status_code == 200, response.text
    assert response.json()["data"]["status"] in ("processing", "cancelled")
    final = api.wait_until_finished(account, generation_id)
    assert final["status"] == "cancelled"
    assert final["error_code"] == "cancelled"
    assert final["output"] is None
    assert final["credits_used"] == 0
    assert api.balance(account) == start
    assert api.storage_used(account) == 0
    assert api.credit_moves(account, generation_id) == [("reservation", -40), ("refund", 40)]
    assert api.cancel(account, generation_id).status_code == 409


@pytest.mark.parametrize("params", [{}, {"fail": True}], ids=["succeeded", "failed"])
def test_a_finished_job_cannot_be_cancelled(
    start_api: StartApi, make_account: Any, params: dict[str, Any]
) -> None:
    api = start_api()
    account = make_account()
    start = api.balance(account)
    finished = api.submit(account, params)
    body = finished.json()
    generation_id = body["data"]["generation_id"] if body["success"] else body["generation_id"]
    status = api.generation(account, generation_id)["status"]
    balance = api.balance(account)

    response = api.cancel(account, generation_id)

    assert response.status_code == 409, response.text
    body = response.json()
    assert body["success"] is False
    assert body["code"] == "conflict"
    assert status in body["error"]
    assert api.generation(account, generation_id)["status"] == status
    assert api.balance(account) == balance
    assert balance == (start if params else start - 40)


def test_a_client_waiting_on_a_job_hears_that_it_was_cancelled(
    start_api: StartApi, make_account: Any
) -> None:
    # One request waits for its job synchronously; another cancels it meanwhile.
    import concurrent.futures

    api = start_api()
    account = make_account()
    start = api.balance(account)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(api.submit, account, {"steps": 200, "step_seconds": 0.05})
        deadline = time.monotonic() + WAIT_SECONDS
        listed: list[dict[str, Any]] = []
        while not listed and time.monotonic() < deadline:
            page = api.client.get("/api/v1/generations", headers=account.headers).json()
            listed = [g for g in page["data"] if g["status"] == "processing"]
            time.sleep(0.05)
        assert listed, "the job never started"
        assert api.cancel(account, listed[0]["id"]).status_code == 200
        response = waiting.result(timeout=WAIT_SECONDS)

    assert response.status_code == 409, response.text
    body = response.json()
    assert body["code"] == "generation_cancelled"
    assert body["generation_id"] == listed[0]["id"]
    assert api.balance(account) == start
