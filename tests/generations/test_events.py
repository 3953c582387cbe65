"""The generations' outbox: one event per real status change, written in the change's own
transaction with the progress at that moment, through the real API, runner and sweeper on
both databases.

Each test installs a trigger that records every change of ``generations.status``, whoever
makes it (any repository method, ORM flush or hand-written UPDATE), and checks the events
against that history: a code path that changes a status without its event fails here.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from krev.accounts.keys import SCOPES
from krev.errors import NotFound
from krev.generations import service
from krev.generations.repository import GenerationRepository
from krev.generations.runner import execute_generation
from krev.generations.sweeper import SweepReport, sweep
from krev.kit.clock import utcnow
from krev.kit.pagination import PageRequest, cursor_signer
from tests.conftest import Account
from tests.generations.conftest import StartApi
from tests.generations.stack import WAIT_SECONDS, Api
from tests.support.pipelines import Gate, gate

BOTH_MODES = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
# The runner's own heartbeat never beats in these tests: a job is silent between its steps,
# so the sweeper can take it for lost exactly when a test lets it.
NO_BACKGROUND_BEAT = 3600.0
# Two steps: progress 33 after the first (where a gated job waits), 66 after the second.
GATED = {"steps": 2, "size": 16}

Event = tuple[str, int, str | None]  # (type, progress, error_code)
QUEUED: Event = ("generation.queued", 0, None)
PROCESSING: Event = ("generation.processing", 0, None)
SUCCEEDED: Event = ("generation.succeeded", 100, None)

_HISTORY_SQL = {
    "postgresql": [
        "CREATE TABLE test_status_history (seq bigserial PRIMARY KEY, generation_id uuid,"
        " status text, progress integer)",
        """CREATE FUNCTION test_record_status() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
                INSERT INTO test_status_history (generation_id, status, progress)
                VALUES (NEW.id, NEW.status, NEW.progress);
            END IF;
            RETURN NULL;
        END $$""",
        "CREATE TRIGGER test_record_status AFTER INSERT OR UPDATE ON generations"
        " FOR EACH ROW EXECUTE FUNCTION test_record_status()",
    ],
    "sqlite": [
        "CREATE TABLE test_status_history (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        " generation_id, status, progress)",
        """CREATE TRIGGER test_record_insert AFTER INSERT ON generations BEGIN
            INSERT INTO test_status_history (generation_id, status, progress)
            VALUES (NEW.id, NEW.status, NEW.progress);
        END""",
        """CREATE TRIGGER test_record_update AFTER UPDATE ON generations
        WHEN NEW.status IS NOT OLD.status BEGIN
            INSERT INTO test_status_history (generation_id, status, progress)
            VALUES (NEW.id, NEW.status, NEW.progress);
        END""",
    ],
}


def record_status_history(engine: Engine) -> None:
    with engine.begin() as connection:
        for statement in _HISTORY_SQL[engine.dialect.name]:
            connection.exec_driver_sql(statement)


@pytest.fixture
def start(start_api: StartApi) -> Callable[..., Api]:
    """An API without worker threads or sweeper: the test runs the runner and the sweeper."""

    def factory(**overrides: Any) -> Api:
        api = start_api(embedded_workers=0, job_heartbeat_seconds=NO_BACKGROUND_BEAT, **overrides)
        record_status_history(api.runtime.db.engine)
        return api

    return factory


@pytest.fixture
def api(start: Callable[..., Api]) -> Api:
    return start()


def events(api: Api, account: Account, generation_id: str) -> list[Event]:
    with api.runtime.db.transaction(write=False) as session:
        found = service.events_of(
            session, account.user_id, uuid.UUID(generation_id), frozenset(SCOPES)
        )
        return [(e.type, e.progress, e.error_code) for e in found]


def assert_every_status_change_has_its_event(api: Api) -> None:
    """Every generation's status history, as the trigger saw it, is its events, in order."""
    with api.runtime.db.engine.connect() as connection:
        changes = connection.execute(
            text("SELECT generation_id, status, progress FROM test_status_history ORDER BY seq")
        ).all()
        written = connection.execute(
            text("SELECT generation_id, type, status, progress FROM generation_events ORDER BY id")
        ).all()
    history: dict[Any, list[tuple[str, int]]] = {}
    for generation_id, status, progress in changes:
        history.setdefault(generation_id, []).append((status, progress))
    outbox: dict[Any, list[tuple[str, int]]] = {}
    for generation_id, type_, status, progress in written:
        assert type_ == f"generation.{status}"
        outbox.setdefault(generation_id, []).append((status, progress))
    assert history, "the trigger saw no generation at all"
    assert outbox == history


def run_job(api: Api, generation_id: str) -> str | None:
    """The runner, as a worker thread runs a job it took off the queue."""
    return execute_generation(api.runtime, uuid.UUID(generation_id))


class RunningJob:
    """``run_job`` on a thread of its own, for a job held at its gate."""

    def __init__(self, api: Api, generation_id: str, held: Gate) -> None:
        self.gate = held
        self.result: list[str | None] = []
        self._thread = threading.Thread(
            target=lambda: self.result.append(run_job(api, generation_id)), daemon=True
        )
        self._thread.start()
        assert held.reached.wait(WAIT_SECONDS), "the job never reached its gate"

    def release(self) -> None:
        self.gate.open()
        self._thread.join(WAIT_SECONDS)

    def finish(self) -> str | None:
        self.release()
        assert not self._thread.is_alive(), "the runner never returned"
        return self.result[0]


@pytest.fixture
def running(start: Callable[..., Api]) -> Iterator[Callable[..., RunningJob]]:
    """Starts ``RunningJob``s; depends on ``start`` so they are let go before the API stops."""
    jobs: list[RunningJob] = []

    def factory(api: Api, generation_id: str, held: Gate) -> RunningJob:
        jobs.append(RunningJob(api, generation_id, held))
        return jobs[-1]

    yield factory
    for job in jobs:  # a failed test still lets its runner finish before the database goes
        job.release()


def submit_gated(api: Api, account: Account) -> tuple[str, Gate]:
    held = gate()
    return api.submit_async(account, {**GATED, "gate": held.name}), held


def sweep_until(api: Api, done: Callable[[SweepReport], bool]) -> SweepReport:
    deadline = time.monotonic() + WAIT_SECONDS
    while not done(report := sweep(api.runtime)):
        assert time.monotonic() < deadline, "the sweeper never acted"
        time.sleep(0.01)
    return report


@BOTH_MODES
def test_a_job_that_succeeds_writes_queued_processing_succeeded_and_no_event_per_beat(
    api: Api, account: Account
) -> None:
    generation_id = api.submit_async(account, {"steps": 3, "size": 16})
    assert events(api, account, generation_id) == [QUEUED]

    assert run_job(api, generation_id) == "succeeded"

    # Three progress heartbeats (25, 50, 75) changed no status and wrote no event.
    assert events(api, account, generation_id) == [QUEUED, PROCESSING, SUCCEEDED]
    assert api.generation(account, generation_id)["progress"] == 100
    assert_every_status_change_has_its_event(api)


@BOTH_MODES
@pytest.mark.parametrize(
    ("params", "code"),
    [({"fail": True}, "test_failure"), ({"crash": True}, "internal_error")],
    ids=["pipeline-failure", "crash"],
)
def test_a_job_that_fails_writes_failed_with_its_code_and_progress(
    api: Api, account: Account, params: dict[str, Any], code: str
) -> None:
    generation_id = api.submit_async(account, {"steps": 1, **params})

    assert run_job(api, generation_id) == "failed"

    assert events(api, account, generation_id) == [
        QUEUED,
        PROCESSING,
        ("generation.failed", 50, code),  # the progress its one step reported
    ]
    assert_every_status_change_has_its_event(api)


@BOTH_MODES
def test_cancelling_a_queued_job_writes_cancelled_and_the_refused_claim_writes_nothing(
    api: Api, account: Account
) -> None:
    generation_id = api.submit_async(account)

    assert api.cancel(account, generation_id).status_code == 200
    assert run_job(api, generation_id) is None  # its message is still queued: a worker takes it

    assert events(api, account, generation_id) == [
        QUEUED,
        ("generation.cancelled", 0, "cancelled"),
    ]
    assert_every_status_change_has_its_event(api)


@BOTH_MODES
def test_cancelling_a_running_job_writes_cancelled_when_the_runner_stops(
    api: Api, account: Account, running: Callable[..., RunningJob]
) -> None:
    generation_id, held = submit_gated(api, account)
    job = running(api, generation_id, held)

    cancelled = api.cancel(account, generation_id)

    assert cancelled.json()["data"]["status"] == "processing"
    # Asking a running job to stop changes no status.
    assert events(api, account, generation_id) == [QUEUED, PROCESSING]
    assert job.finish() == "cancelled"
    assert events(api, account, generation_id) == [
        QUEUED,
        PROCESSING,
        ("generation.cancelled", 66, "cancelled"),  # seen at its second step's beat
    ]
    assert_every_status_change_has_its_event(api)


@BOTH_MODES
def test_a_lost_worker_s_job_is_queued_again_and_then_succeeds(
    start: Callable[..., Api],
    make_account: Callable[..., Account],
    running: Callable[..., RunningJob],
) -> None:
    api = start(job_stale_after_seconds=0.001, job_max_attempts=2)
    account = make_account()
    generation_id, held = submit_gated(api, account)
    first = running(api, generation_id, held)

    # Its worker is silent (as a dead one is): the sweeper gives the job back to the queue.
    assert sweep_until(api, lambda r: r.requeued == 1).failed == 0
    # The first worker comes back, finds the job no longer its own and writes nothing.
    assert first.finish() is None
    assert run_job(api, generation_id) == "succeeded"

    assert events(api, account, generation_id) == [
        QUEUED,
        PROCESSING,
        QUEUED,  # back in the queue with its progress reset
        PROCESSING,
        SUCCEEDED,
    ]
    assert_every_status_change_has_its_event(api)


@BOTH_MODES
@pytest.mark.parametrize(
    ("overrides", "cancel_first", "expected"),
    [
        (
            {"job_stale_after_seconds": 0.001, "job_max_attempts": 1},
            False,
            ("generation.failed", 33, "worker_lost"),
        ),
        (
            {"job_stale_after_seconds": 0.001, "job_max_attempts": 2},
            True,
            ("generation.cancelled", 33, "cancelled"),
        ),
        ({"job_deadline_seconds": 0.001}, False, ("generation.failed", 33, "deadline_exceeded")),
    ],
    ids=["worker-lost-no-attempts-left", "cancelled-while-its-worker-is-lost", "deadline"],
)
def test_the_sweeper_ending_a_running_job_writes_its_last_event(
    start: Callable[..., Api],
    make_account: Callable[..., Account],
    running: Callable[..., RunningJob],
    overrides: dict[str, Any],
    cancel_first: bool,
    expected: Event,
) -> None:
    api = start(**overrides)
    account = make_account()
    generation_id, held = submit_gated(api, account)
    job = running(api, generation_id, held)
    if cancel_first:
        assert api.cancel(account, generation_id).status_code == 200

    assert sweep_until(api, lambda r: r.failed == 1).requeued == 0
    assert job.finish() is None  # the worker finds its job ended and writes nothing

    assert events(api, account, generation_id) == [QUEUED, PROCESSING, expected]
    assert_every_status_change_has_its_event(api)


class Interrupted(Exception):
    pass


def cancel_then_fail_before_commit(api: Api, account: Account, generation_id: str) -> None:
    with api.runtime.db.transaction() as session:
        generation = service.get_owned(session, account.user_id, uuid.UUID(generation_id))
        service.cancel(session, generation)
        assert GenerationRepository(session).status_of(generation.id) == "cancelled"
        raise Interrupted()  # e.g. the process fails before COMMIT


@BOTH_MODES
def test_a_change_whose_transaction_rolls_back_leaves_no_event(
    api: Api, make_account: Callable[..., Account]
) -> None:
    account = make_account(credits=100)
    generation_id = api.submit_async(account, cost=40)

    with pytest.raises(Interrupted):
        cancel_then_fail_before_commit(api, account, generation_id)
    # Accepting a job the balance no longer covers: its record and its queued event were
    # written, then the 402 rolled the request back.
    assert api.submit(account, cost=80).status_code == 402

    assert api.generation(account, generation_id)["status"] == "queued"
    assert events(api, account, generation_id) == [QUEUED]
    with api.runtime.db.transaction(write=False) as session:
        page = service.events_for_user(session, account.user_id, first_page(api, 100))
    assert [e.generation_id for e in page.items] == [uuid.UUID(generation_id)]
    assert_every_status_change_has_its_event(api)


def first_page(api: Api, limit: int, cursor: str | None = None) -> PageRequest:
    return PageRequest(limit, cursor, cursor_signer(api.settings.secret))


@BOTH_MODES
def test_a_user_s_events_read_after_an_id_page_by_page_in_order_and_only_theirs(
    api: Api, make_account: Callable[..., Account]
) -> None:
    account, other = make_account(), make_account()
    done = api.submit_async(account, {"size": 16})
    theirs = api.submit_async(other)
    cancelled = api.submit_async(account)
    assert run_job(api, done) == "succeeded"
    assert api.cancel(account, cancelled).status_code == 200

    read: list[Any] = []
    cursor: str | None = None
    while True:
        with api.runtime.db.transaction(write=False) as session:
            page = service.events_for_user(session, account.user_id, first_page(api, 2, cursor))
        read += page.items
        cursor = page.next_cursor
        if cursor is None:
            break
    # A reader that remembers the last id it handled asks for what came after it.
    with api.runtime.db.transaction(write=False) as session:
        rest = service.events_for_user(
            session, account.user_id, first_page(api, 100), after_id=read[1].id
        ).items
        with pytest.raises(NotFound):  # another user's generation reads as missing
            service.events_of(session, account.user_id, uuid.UUID(theirs), frozenset(SCOPES))

    assert [(str(e.generation_id), e.type) for e in read] == [
        (done, "generation.queued"),
        (cancelled, "generation.queued"),
        (done, "generation.processing"),
        (done, "generation.succeeded"),
        (cancelled, "generation.cancelled"),
    ]
    assert [e.id for e in read] == sorted(e.id for e in read)
    assert {e.user_id for e in read} == {account.user_id}
    assert [e.id for e in rest] == [e.id for e in read[2:]]
    assert_every_status_change_has_its_event(api)


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_user_s_events_become_visible_in_id_order_under_concurrent_writers(
    api: Api, account: Account
) -> None:
    """A reader that remembers the last id it saw must never see an id above one that is
    still uncommitted. A transaction that wrote an event and has not committed holds back
    every later event of the same user: here a worker claiming the user's next job waits."""
    slow, fast = api.submit_async(account, {"size": 16}), api.submit_async(account, {"size": 16})
    results: list[str | None] = []
    worker = threading.Thread(target=lambda: results.append(run_job(api, fast)), daemon=True)

    def visible() -> list[str]:
        with api.runtime.db.transaction(write=False) as session:
            page = service.events_for_user(session, account.user_id, first_page(api, 100))
        names = {slow: "slow", fast: "fast"}
        return [f"{e.type}:{names[str(e.generation_id)]}" for e in page.items]

    with api.runtime.db.transaction() as session:
        # A claim whose transaction is slow to commit (its event already has its id).
        assert GenerationRepository(session).claim(uuid.UUID(slow), utcnow()) is not None
        worker.start()
        deadline = time.monotonic() + WAIT_SECONDS
        while worker.is_alive() and not _waiting_on_a_lock(api):
            assert time.monotonic() < deadline, "the worker neither finished nor waited"
            time.sleep(0.01)
        assert worker.is_alive(), "the other job's events committed before the earlier one's"
        assert visible() == ["generation.queued:slow", "generation.queued:fast"]
    worker.join(WAIT_SECONDS)

    assert results == ["succeeded"]
    assert visible() == [
        "generation.queued:slow",
        "generation.queued:fast",
        "generation.processing:slow",
        "generation.processing:fast",
        "generation.succeeded:fast",
    ]
    assert_every_status_change_has_its_event(api)


def _waiting_on_a_lock(api: Api) -> bool:
    with api.runtime.db.engine.connect() as connection:
        waiting = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar_one()
    return bool(waiting)
