"""Delivery claims under PostgreSQL row locks: a claimer never waits on rows another
transaction holds, and a batch's outcome survives PostgreSQL breaking a deadlock by rolling
the write back. Nobody consumes the queue here (no embedded workers), so each test decides
exactly which deliverer runs when."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session
from tests.conftest import Account
from tests.conversions.conftest import send, stored_events, website_event
from tests.support.fake_graph import FakeGraph

from krev.conversions.delivery import deliver_claimed, deliver_pending
from krev.conversions.repository import ConversionEventRepository
from krev.kit.clock import utcnow
from krev.models import ConversionEvent
from krev.platform.config import Settings
from krev.platform.runtime import Runtime

pytestmark = pytest.mark.parametrize("backend", ["postgres"], indirect=True)

# Only keeps a broken build from hanging the suite; nothing asserts on time.
HANG_GUARD_SECONDS = 60


@pytest.fixture
def settings(make_settings: Callable[..., Settings], graph: FakeGraph) -> Settings:
    return make_settings(embedded_workers=0, meta_graph_url=graph.url)


def queue_events(
    client: TestClient, runtime: Runtime, account: Account, *names: str
) -> dict[str, uuid.UUID]:
    """Queue events by their event_id; the stored row of each, by name."""
    data = [website_event(event_id=name) for name in names]
    response = send(client, account, {"data": data}, Prefer="respond-async")
    assert response.status_code == 202, response.text
    with runtime.db.transaction(write=False) as session:
        rows = session.execute(select(ConversionEvent.id, ConversionEvent.payload))
        return {row.payload["event_id"]: row.id for row in rows}


def in_thread(work: Callable[[], object]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # handed to the test's thread
            errors.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, errors


def finished(thread: threading.Thread, errors: list[BaseException]) -> None:
    thread.join(HANG_GUARD_SECONDS)
    assert not thread.is_alive(), "the deliverer is stuck waiting on a row lock"
    if errors:
        raise errors[0]


def lock_rows(connection: Connection, ids: list[uuid.UUID]) -> None:
    connection.execute(
        select(ConversionEvent.id).where(ConversionEvent.id.in_(ids)).with_for_update()
    ).all()


def test_a_claim_passes_over_events_another_transaction_holds(
    client: TestClient, runtime: Runtime, configured: Account, graph: FakeGraph
) -> None:
    ids = queue_events(client, runtime, configured, "held", "free-1", "free-2")

    with runtime.db.engine.connect() as other:
        lock_rows(other, [ids["held"]])  # say, a batch being finished elsewhere
        thread, errors = in_thread(lambda: deliver_pending(runtime, configured.user_id))
        finished(thread, errors)
        assert sorted(e["event_id"] for e in graph.events()) == ["free-1", "free-2"]
        other.rollback()

    deliver_pending(runtime, configured.user_id)
    assert sorted(e["event_id"] for e in graph.events()) == ["free-1", "free-2", "held"]
    assert stored_events(runtime, "sent") == 3


def test_a_claim_takes_no_more_than_its_limit_whatever_plan_postgres_picks(
    client: TestClient, runtime: Runtime, configured: Account
) -> None:
    queue_events(client, runtime, configured, *(f"e{i}" for i in range(6)))
    token = uuid.uuid4()
    now = utcnow()

    with runtime.db.engine.connect() as connection:
        # The plan a loaded machine once got: a nested loop that runs the candidates' subquery
        # again for each row it looks at, each run taking ``limit`` rows not yet written.
        for method in ("hashjoin", "mergejoin", "material", "hashagg", "sort"):
            connection.execute(text(f"SET LOCAL enable_{method} = off"))
        with Session(connection) as session:
            claimed = ConversionEventRepository(session).claim_due(
                configured.user_id, token, now, now + timedelta(minutes=5), 2
            )
            held = session.scalars(
                select(ConversionEvent.payload).where(ConversionEvent.claim_token == token)
            ).all()
        connection.rollback()

    assert claimed == 2
    assert sorted(payload["event_id"] for payload in held) == ["e0", "e1"]


def test_a_sent_batch_is_recorded_even_when_postgres_breaks_a_deadlock(
    client: TestClient,
    runtime: Runtime,
    configured: Account,
    graph: FakeGraph,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    queue_events(client, runtime, configured, "first", "second")
    token = uuid.uuid4()
    now = utcnow()
    with runtime.db.transaction() as session:
        claimed = ConversionEventRepository(session).claim_due(
            configured.user_id, token, now, now + timedelta(minutes=5), 1000
        )
    assert claimed == 2
    # The order the recording UPDATE visits the rows in: physical order, on either plan.
    with runtime.db.engine.connect() as connection:
        order = list(connection.scalars(text("SELECT id FROM conversion_events ORDER BY ctid")))

    # A spy, not a stand-in: counts the recording's tries and runs each for real.
    tries: list[uuid.UUID] = []
    record = ConversionEventRepository.finish_claimed

    def counted(self: ConversionEventRepository, token: uuid.UUID, **values: Any) -> int:
        tries.append(token)
        return record(self, token, **values)

    monkeypatch.setattr(ConversionEventRepository, "finish_claimed", counted)

    with runtime.db.engine.connect() as other:
        # Ours must be the transaction PostgreSQL rolls back, so the other waits longer
        # before it looks for a cycle.
        other.execute(text("SET deadlock_timeout = '30s'"))
        lock_rows(other, order[1:])
        thread, errors = in_thread(lambda: deliver_claimed(runtime, token, timeout=5.0))
        wait_for_lock_wait(runtime, other)  # the recording holds the first row, waits on the second
        other.execute(
            text("UPDATE conversion_events SET last_error = 'touched' WHERE id = :id"),
            {"id": order[0]},
        )  # waits on the recording: a cycle, which PostgreSQL breaks by rolling it back
        other.commit()
        finished(thread, errors)

    # PostgreSQL did roll the recording back (else this test proves nothing); it ran again.
    assert tries == [token, token]
    assert sorted(e["event_id"] for e in graph.events()) == ["first", "second"]
    assert stored_events(runtime, "sent") == 2
    with runtime.db.transaction(write=False) as session:
        rows = session.execute(select(ConversionEvent.claim_token, ConversionEvent.attempts))
        assert [tuple(row) for row in rows] == [(None, 1), (None, 1)]


def wait_for_lock_wait(runtime: Runtime, holder: Connection) -> None:
    """Until another backend waits on a lock ``holder`` holds. Watched from a connection of
    its own: a transaction sees pg_stat_activity as it was when it first looked."""
    pid = holder.execute(text("SELECT pg_backend_pid()")).scalar_one()
    query = text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))")
    with runtime.db.engine.connect() as watcher:
        for _ in range(HANG_GUARD_SECONDS * 20):
            waiting = watcher.execute(query, {"pid": pid}).scalar_one()
            watcher.rollback()
            if waiting:
                return
            threading.Event().wait(0.05)
    raise AssertionError("the recording never waited on the held row")
