"""A worker process killed mid-job: the sweeper gives the job back to the queue while it has
attempts left, else fails it and refunds it once; a cancel it never saw still ends it. The
workers are real `krev worker` processes sharing the test's database and queue (SQLite + Huey's
SQLite queue file, or PostgreSQL + Redis); a stopped worker finishes its job first."""

from __future__ import annotations

import time
from typing import Any

import pytest

from krev.generations.sweeper import SweepReport, sweep
from tests.generations.conftest import StartApi, StartProcess, StartWorkers
from tests.generations.stack import WAIT_SECONDS, Api

BOTH_MODES = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
# Long enough to kill its worker mid-run, short enough to rerun quickly.
SLOW = {"steps": 20, "step_seconds": 0.1, "size": 32}
STALE_AFTER = 1.0


def sweep_until(api: Api, done: Any) -> SweepReport:
    """Run the sweeper (as every worker does on a timer) until it has acted."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        report = sweep(api.runtime)
        if done(report):
            return report
        assert time.monotonic() < deadline, "the sweeper never took the job back"
        time.sleep(0.1)


@BOTH_MODES
def test_a_job_whose_worker_dies_is_finished_by_another_worker_and_charged_once(
    start_api: StartApi,
    start_process: StartProcess,
    start_workers: StartWorkers,
    make_account: Any,
) -> None:
    api = start_api(embedded_workers=0, job_stale_after_seconds=STALE_AFTER, job_max_attempts=2)
    account = make_account()
    start = api.balance(account)
    worker = start_process(api.settings, "worker", "--threads", "1")
    generation_id = api.submit_async(account, SLOW)
    api.wait_until(
        account, generation_id, lambda v: v["status"] == "processing" and v["progress"] > 0
    )

    worker.kill()
    # Any worker on the queue may take it over: here the API's own worker threads.
    start_workers(api)
    report = sweep_until(api, lambda r: r.requeued == 1)

    assert report.failed == 0
    final = api.wait_until_finished(account, generation_id)
    assert final["status"] == "succeeded", final
    assert final["progress"] == 100
    assert final["error"] is None
    assert final["credits_used"] == 40
    download = api.client.get(final["output"]["urls"][0])
    assert download.status_code == 200
    assert download.content[8:12] == b"WEBP"
    assert api.balance(account) == start - 40
    assert api.credit_moves(account, generation_id) == [("reservation", -40)]
    assert api.storage_used(account) == len(download.content)
    assert not worker.running
    # Sweeping again finds nothing to do: the job is settled.
    assert sweep(api.runtime) == SweepReport()


@BOTH_MODES
def test_a_job_whose_worker_dies_with_no_attempts_left_fails_and_is_refunded_once(
    start_api: StartApi, start_process: StartProcess, make_account: Any
) -> None:
    api = start_api(embedded_workers=0, job_stale_after_seconds=STALE_AFTER, job_max_attempts=1)
    account = make_account()
    start = api.balance(account)
    worker = start_process(api.settings, "worker", "--threads", "1")
    generation_id = api.submit_async(account, SLOW)
    api.wait_until(
        account, generation_id, lambda v: v["status"] == "processing" and v["progress"] > 0
    )

    worker.kill()
    report = sweep_until(api, lambda r: r.failed == 1)

    assert report.requeued == 0
    final = api.generation(account, generation_id)
    assert final["status"] == "failed"
    assert final["error_code"] == "worker_lost"
    assert "refunded" in final["error"]
    assert final["credits_used"] == 0
    assert final["output"] is None
    assert api.balance(account) == start
    assert api.credit_moves(account, generation_id) == [
        ("reservation", -40),
        ("refund", 40),
    ]
    # However often the sweeper runs afterwards, the refund stays single.
    assert sweep(api.runtime) == SweepReport()
    assert api.balance(account) == start


def test_a_job_cancelled_while_its_worker_is_dead_ends_cancelled(
    start_api: StartApi,
    start_process: StartProcess,
    start_workers: StartWorkers,
    make_account: Any,
) -> None:
    api = start_api(embedded_workers=0, job_stale_after_seconds=STALE_AFTER, job_max_attempts=2)
    account = make_account()
    start = api.balance(account)
    worker = start_process(api.settings, "worker", "--threads", "1")
    generation_id = api.submit_async(account, SLOW)
    api.wait_until(
        account, generation_id, lambda v: v["status"] == "processing" and v["progress"] > 0
    )
    worker.kill()

    # Nobody is left to see the request at a next step; the sweeper must honour it.
    cancelled = api.cancel(account, generation_id)
    assert cancelled.status_code == 200, cancelled.text
    start_workers(api)
    sweep_until(api, lambda r: r.requeued or r.failed)

    final = api.wait_until_finished(account, generation_id)
    assert final["status"] == "cancelled", final
    assert final["error_code"] == "cancelled"
    assert api.balance(account) == start
    assert api.credit_moves(account, generation_id) == [
        ("reservation", -40),
        ("refund", 40),
    ]


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_worker_process_serves_the_api_and_finishes_its_job_when_stopped(
    start_api: StartApi, start_process: StartProcess, make_account: Any
) -> None:
    # Scale-out: the API runs no job threads; a `krev worker` takes jobs off the shared queue.
    api = start_api(embedded_workers=0, sync_wait_seconds=60.0, job_stale_after_seconds=30.0)
    account = make_account()
    start = api.balance(account)
    worker = start_process(api.settings, "worker", "--threads", "1")

    answered = api.submit(account, {"size": 32})

    assert answered.status_code == 200, answered.text
    download = api.client.get(answered.json()["data"]["images"][0])
    assert download.status_code == 200
    assert download.content[8:12] == b"WEBP"

    # SIGTERM is how deployments stop a worker (rolling restarts); its job must not be lost.
    generation_id = api.submit_async(account, SLOW)
    api.wait_until(
        account, generation_id, lambda v: v["status"] == "processing" and v["progress"] > 0
    )
    worker.process.terminate()

    assert worker.wait() == 0, worker.output()
    final = api.generation(account, generation_id)
    assert final["status"] == "succeeded", final
    assert api.balance(account) == start - 80
    assert api.credit_moves(account, generation_id) == [("reservation", -40)]
