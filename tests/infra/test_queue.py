"""The task queue's two promptness rules: an idle worker starts a task this process enqueued at
once, not after its polling back-off; and work submitted step by step inside ``holding()`` is
enqueued together when the block ends, however it ends. And the embedded queue's SQLite file is
as durable as the database, no more: a commit is not an fsync."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from huey import SqliteHuey

from krev.platform.config import Settings
from krev.platform.queue import EmbeddedConsumer, TaskQueue, create_huey

# Far longer than the wait below: a worker that slept out its back-off could not pass.
BACK_OFF_SECONDS = 120.0
WAIT_SECONDS = 30.0


@pytest.fixture
def queue(tmp_path: Path) -> Iterator[TaskQueue]:
    queue = TaskQueue(SqliteHuey("test-queue", filename=str(tmp_path / "queue.db"), results=False))
    yield queue
    queue.huey.flush()


def test_an_idle_worker_starts_a_task_enqueued_here_without_waiting_out_its_back_off(
    queue: TaskQueue,
) -> None:
    ran = threading.Event()
    queue.register("mark", lambda _argument: ran.set())
    consumer = EmbeddedConsumer(
        queue,
        workers=1,
        periodic=False,
        initial_delay=0.01,
        max_delay=BACK_OFF_SECONDS,
        backoff=1e6,
    )
    consumer.start()
    try:
        threading.Event().wait(0.5)  # its first empty look puts it to sleep for the back-off
        assert queue.pending() == 0

        queue.enqueue("mark", "now")

        assert ran.wait(WAIT_SECONDS), "the task waited for the worker's back-off"
    finally:
        consumer.stop(graceful=False)


def test_work_enqueued_inside_holding_is_enqueued_together_when_the_block_ends(
    queue: TaskQueue,
) -> None:
    queue.register("render", lambda _argument: None)
    seen = queue.arrivals.count

    with queue.holding():
        queue.enqueue("render", "first")
        with queue.holding():  # an inner block leaves them to the outer one
            queue.enqueue("render", "second")
        assert queue.pending() == 0 and queue.arrivals.count == seen

    assert queue.pending() == 2
    assert [task.args for task in queue.huey.pending()] == [("first",), ("second",)]
    assert queue.arrivals.count > seen  # idle workers are told


def test_work_held_back_is_still_enqueued_when_the_block_raises(queue: TaskQueue) -> None:
    queue.register("render", lambda _argument: None)

    def steps() -> None:
        with queue.holding():
            queue.enqueue("render", "committed before the error")
            raise RuntimeError("a later step failed")

    with pytest.raises(RuntimeError):
        steps()

    assert queue.pending() == 1
    queue.enqueue("render", "after the block")  # no longer held
    assert queue.pending() == 2


def test_an_unknown_task_is_refused_even_while_held(queue: TaskQueue) -> None:
    with queue.holding(), pytest.raises(LookupError):
        queue.enqueue("no-such-task", "x")
    assert queue.pending() == 0


def test_what_is_scheduled_inside_holding_is_sent_after_what_runs_now(queue: TaskQueue) -> None:
    """A run records its fallback look (in ten seconds) after the renders it submits; the
    renders, which it waits for, must reach the queue first."""
    queue.register("render", lambda _argument: None)
    queue.register("look", lambda _argument: None)

    with queue.holding():
        queue.enqueue("render", "first")
        queue.schedule("look", "the run", 60.0)
        queue.enqueue("render", "second")
        assert queue.pending() == 0

    # Huey queues a task with an ETA like any other; its consumer sets it aside until then.
    sent = [(task.name, task.args, task.eta is not None) for task in queue.huey.pending()]
    assert sent == [
        ("render", ("first",), False),
        ("render", ("second",), False),
        ("look", ("the run",), True),
    ]


def test_the_embedded_queue_commits_without_an_fsync_each(tmp_path: Path) -> None:
    settings = Settings(
        env="test",
        secret_key="test-secret-key-with-enough-entropy-0123456789",
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'krev.db'}",
    )
    huey = create_huey(settings)
    connection = huey.storage.conn
    assert connection.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert connection.execute("pragma synchronous").fetchone()[0] == 1  # NORMAL, not FULL (2)
