"""Jobs that wait (for a hosted provider's result, or to retry a provider that is busy) hold no
worker thread: the pipeline raises ``JobWaiting``, the job stays processing with what it
remembered, and a scheduled task runs it again. A wake-up that is lost is found by the sweeper,
which gives the job to a new attempt that starts from what the first one remembered; a cancel
or the deadline ends a waiting job, refunded."""

from __future__ import annotations

import time
from typing import Any

import pytest

from krev.generations.sweeper import sweep
from tests.generations.conftest import StartApi, StartWorkers
from tests.generations.stack import WAIT_SECONDS

BOTH_MODES = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


def test_a_waiting_job_holds_no_worker_thread(start_api: StartApi, make_account: Any) -> None:
    api = start_api(embedded_workers=1)  # one thread: a job holding it would block the other
    account = make_account()
    waiting = api.submit_async(account, {"waits": 40, "wait_seconds": 0.25, "size": 16})
    api.wait_until(account, waiting, lambda v: v["progress"] >= 10)

    quick = api.submit_async(account, {"size": 16})
    done = api.wait_until_finished(account, quick)

    assert done["status"] == "succeeded"
    assert api.generation(account, waiting)["status"] == "processing", "still waiting meanwhile"
    api.cancel(account, waiting)
    assert api.wait_until_finished(account, waiting)["status"] == "cancelled"


def test_a_waiting_job_runs_again_with_what_it_remembered(
    start_api: StartApi, make_account: Any
) -> None:
    api = start_api(embedded_workers=2)
    account = make_account()
    generation_id = api.submit_async(account, {"waits": 3, "wait_seconds": 0.05, "size": 16})

    final = api.wait_until_finished(account, generation_id)

    assert final["status"] == "succeeded", final
    assert final["output"]["runs"] == 4
    assert final["output"]["attempts"] == [1, 1, 1, 1], "one attempt, woken three times"
    assert final["credits_used"] == 40
    assert len(final["output"]["urls"]) == 1


def test_a_job_whose_wait_is_over_when_recorded_runs_again_at_once(
    start_api: StartApi, make_account: Any
) -> None:
    # Its wake-up came while it was still running (a chat run whose last render ended
    # before the run began to wait): its next look, 10 minutes on, is not waited for.
    api = start_api(embedded_workers=1)
    account = make_account()
    generation_id = api.submit_async(
        account, {"waits": 1, "wait_seconds": 600, "ready": True, "size": 16}
    )

    final = api.wait_until_finished(account, generation_id)

    assert final["status"] == "succeeded", final
    assert final["output"]["runs"] == 2 and final["output"]["attempts"] == [1, 1]


@BOTH_MODES
def test_a_wait_recorded_with_the_jobs_own_work_runs_again(
    start_api: StartApi, make_account: Any
) -> None:
    # As a chat run does: the wait committed with the renders it waits for, so none of them
    # can end before the run waits, and no second write records it.
    api = start_api(embedded_workers=1)
    account = make_account()
    generation_id = api.submit_async(
        account, {"waits": 2, "wait_seconds": 0.05, "wait_in": True, "size": 16}
    )

    final = api.wait_until_finished(account, generation_id)

    assert final["status"] == "succeeded", final
    assert final["output"]["runs"] == 3 and final["output"]["attempts"] == [1, 1, 1]
    assert final["credits_used"] == 40


def test_a_wait_recorded_past_the_deadline_fails_and_refunds(
    start_api: StartApi, make_account: Any
) -> None:
    api = start_api(embedded_workers=2, job_deadline_seconds=5)
    account = make_account()
    start = api.balance(account)
    generation_id = api.submit_async(
        account, {"waits": 1, "wait_seconds": 30, "wait_in": True, "size": 16}
    )

    final = api.wait_until_finished(account, generation_id)

    assert final["status"] == "failed" and final["error_code"] == "deadline_exceeded"
    assert api.balance(account) == start


@BOTH_MODES
def test_a_lost_wake_up_is_found_and_the_next_attempt_resumes_from_memory(
    start_api: StartApi, start_workers: StartWorkers, make_account: Any
) -> None:
    api = start_api(embedded_workers=0, job_stale_after_seconds=0.5, job_max_attempts=2)
    account = make_account()
    start = api.balance(account)
    workers = start_workers(api)
    generation_id = api.submit_async(account, {"waits": 1, "wait_seconds": 4.0, "size": 16})
    api.wait_until(account, generation_id, lambda v: v["progress"] >= 10)
    workers.stop()
    time.sleep(1.0)  # silent for twice the stale time, but its wake-up is not yet due
    assert sweep(api.runtime).requeued == 0, "a job waiting on time is not taken as lost"
    api.runtime.queue.huey.flush()  # the scheduled wake-up is gone (a wiped queue)

    deadline = time.monotonic() + WAIT_SECONDS
    while sweep(api.runtime).requeued == 0:
        assert time.monotonic() < deadline, "the sweeper never took the waiting job back"
        time.sleep(0.2)
    start_workers(api)
    final = api.wait_until_finished(account, generation_id)

    assert final["status"] == "succeeded", final
    assert final["output"]["attempts"] == [1, 2], "the new attempt read what the first kept"
    assert final["output"]["runs"] == 2
    assert api.balance(account) == start - 40, "charged once"


def test_a_wait_past_the_deadline_fails_and_refunds(start_api: StartApi, make_account: Any) -> None:
    api = start_api(embedded_workers=2, job_deadline_seconds=5)
    account = make_account()
    start = api.balance(account)
    generation_id = api.submit_async(account, {"waits": 1, "wait_seconds": 30, "size": 16})

    final = api.wait_until_finished(account, generation_id)

    assert final["status"] == "failed"
    assert final["error_code"] == "deadline_exceeded"
    assert api.balance(account) == start
