"""Jobs that would otherwise never finish: an enqueue lost after commit is sent again, and a
job past its deadline is failed and refunded, whatever its worker is doing."""

from __future__ import annotations

import time
from typing import Any

import pytest

from krev.generations.sweeper import sweep
from tests.generations.conftest import StartApi, StartProcess, StartWorkers
from tests.generations.stack import WAIT_SECONDS

BOTH_MODES = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


@BOTH_MODES
def test_a_job_whose_enqueue_was_lost_is_enqueued_again_and_completes(
    start_api: StartApi, start_workers: StartWorkers, make_account: Any
) -> None:
    # The API commits the record, then loses the queue message (a crash, a wiped Redis).
    api = start_api(embedded_workers=0, job_requeue_after_seconds=0.5, sweep_interval_seconds=0.1)
    account = make_account()
    start = api.balance(account)
    generation_id = api.submit_async(account, {"size": 32})
    api.runtime.queue.huey.flush()
    assert api.runtime.queue.pending() == 0
    assert api.generation(account, generation_id)["status"] == "queued"

    # Worker threads start with their sweeper, which finds the job still waiting.
    start_workers(api)
    final = api.wait_until_finished(account, generation_id)

    assert final["status"] == "succeeded", final
    assert len(final["output"]["urls"]) == 1
    assert api.client.get(final["output"]["urls"][0]).status_code == 200
    assert api.balance(account) == start - 40
    assert api.credit_moves(account, generation_id) == [("reservation", -40)]


def test_krev_sweep_sends_a_lost_job_to_the_queue_again(
    start_api: StartApi,
    start_process: StartProcess,
    start_workers: StartWorkers,
    make_account: Any,
) -> None:
    # `krev sweep` is the same sweep, run once from a shell or a cron job.
    api = start_api(embedded_workers=0, job_requeue_after_seconds=0.2)
    account = make_account()
    generation_id = api.submit_async(account, {"size": 32})
    api.runtime.queue.huey.flush()
    time.sleep(0.3)  # past the requeue delay, so the job has waited too long

    swept = start_process(api.settings, "sweep")

    assert swept.wait() == 0, swept.output()
    assert "generations: 1," in swept.output()  # one job settled: sent to the queue again
    assert api.runtime.queue.pending() == 1
    start_workers(api)
    assert api.wait_until_finished(account, generation_id)["status"] == "succeeded"


def wait_for_sweep_to_fail(api: Any, account: Any, generation_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_SECONDS
    while (report := sweep(api.runtime)).failed == 0:
        assert time.monotonic() < deadline, "the sweeper never failed the overdue job"
        time.sleep(0.1)
    assert report.failed == 1
    view: dict[str, Any] = api.generation(account, generation_id)
    return view


@BOTH_MODES
def test_a_running_job_past_its_deadline_is_failed_and_refunded(
    start_api: StartApi, make_account: Any
) -> None:
    api = start_api(job_deadline_seconds=0.5)
    account = make_account()
    start = api.balance(account)
    generation_id = api.submit_async(account, {"steps": 60, "step_seconds": 0.05})
    api.wait_for_status(account, generation_id, "processing")

    failed = wait_for_sweep_to_fail(api, account, generation_id)

    assert failed["status"] == "failed"
    assert failed["error_code"] == "deadline_exceeded"
    assert "refunded" in failed["error"]
    assert failed["credits_used"] == 0
    # The worker notices at its next step and gives up; stopping the app waits for it.
    api.stop()
    again = start_api(settings=api.settings)
    after = again.generation(account, generation_id)
    assert after["status"] == "failed"
    assert after["error_code"] == "deadline_exceeded"
    assert after["output"] is None
    assert again.balance(account) == start
    assert again.storage_used(account) == 0
    assert again.credit_moves(account, generation_id) == [
        ("reservation", -40),
        ("refund", 40),
    ]
    outputs = api.settings.data_dir / "storage" / "users" / str(account.user_id)
    assert not [path for path in outputs.rglob("*") if path.is_file()]


def test_a_job_never_picked_up_fails_at_its_deadline(
    start_api: StartApi, make_account: Any
) -> None:
    api = start_api(embedded_workers=0, job_deadline_seconds=0.3)
    account = make_account()
    start = api.balance(account)
    generation_id = api.submit_async(account)

    failed = wait_for_sweep_to_fail(api, account, generation_id)

    assert failed["status"] == "failed"
    assert failed["error_code"] == "deadline_exceeded"
    assert api.balance(account) == start


def test_a_queue_outage_at_submit_still_answers_202_and_the_job_runs_later(
    start_api: StartApi, start_workers: StartWorkers, make_account: Any
) -> None:
    # The queue (Redis) is down when the job is accepted: the record and its reservation are
    # committed, so the client must hear "accepted", not a 500 that invites a paid retry.
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    broken = start_api(embedded_workers=0, redis_url=f"redis://127.0.0.1:{closed_port}/0")
    account = make_account()
    start = broken.balance(account)
    response = broken.submit(account, {"size": 32}, respond_async=True)
    assert response.status_code == 202, response.text
    generation_id = response.json()["data"]["generation_id"]
    assert broken.balance(account) == start - 40

    # Another API process on the same database, with a working queue, finds the job waiting.
    healthy = start_api(
        embedded_workers=0, job_requeue_after_seconds=0.2, sweep_interval_seconds=0.1
    )
    start_workers(healthy)
    final = healthy.wait_until_finished(account, generation_id)
    assert final["status"] == "succeeded", final
    assert healthy.credit_moves(account, generation_id) == [("reservation", -40)]
