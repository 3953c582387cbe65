"""A restart loses nothing: events a stopped process left queued (its queue gone too, or its
claim never released) are delivered by the next process, found by the sweeper."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from tests.conftest import Account, build_app
from tests.conversions.conftest import (
    all_status,
    configure,
    list_events,
    send,
    wait_for_events,
    website_event,
)
from tests.support.fake_graph import FakeGraph

from krev.composition import build_runtime
from krev.conversions import service
from krev.conversions.events import parse_body
from krev.platform.config import Settings
from krev.platform.runtime import Runtime


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_queued_events_survive_a_restart(
    runtime: Runtime,
    make_settings: Callable[..., Settings],
    account: Account,
    graph: FakeGraph,
) -> None:
    graph.stop()  # Meta is unreachable while the first process runs
    with TestClient(build_app(runtime), base_url="http://127.0.0.1:8000") as first:
        configure(first, account)
        batch = {"data": [website_event(event_id=f"r{i}") for i in range(3)]}
        assert send(first, account, batch).status_code == 202
        assert send(first, account, website_event(event_id="r3")).status_code == 202
        # A process that dies between its commit and its delivery leaves its claim behind.
        with runtime.db.transaction() as session:
            service.accept_events(
                session,
                account.user_id,
                parse_body(website_event(event_id="r4"), time.time()),
                claim_seconds=0.5,
            )
        assert {e["status"] for e in list_events(first, account, 10)} == {"queued"}

    graph.start()
    # The new process has a fresh queue: only the database remembers the events.
    restarted = build_runtime(
        make_settings(
            embedded_workers=2,
            meta_graph_url=graph.url,
            sweep_interval_seconds=0.2,
            job_requeue_after_seconds=0.5,
        )
    )
    assert restarted.settings.queue_name != runtime.settings.queue_name
    try:
        with TestClient(build_app(restarted), base_url="http://127.0.0.1:8000") as second:
            wait_for_events(second, account, all_status("sent", 5))
    finally:
        restarted.queue.huey.flush()
        restarted.close()
    assert sorted(e["event_id"] for e in graph.events()) == [f"r{i}" for i in range(5)]
    assert graph.problems == []
