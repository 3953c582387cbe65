"""API processes keep hot reads in memory in scale-out mode, and every committed change
reaches all of them: a revoked key stops working on every instance, balances and job
progress read by one instance follow writes made by another, and an instance that loses
its Redis subscription stops serving from memory until it is back.

Two runtimes built from one settings object play two API processes sharing PostgreSQL
and Redis; a third plays a worker or the admin CLI.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import event, update

from krev.billing.service import grant_credits
from krev.chat.repository import MessageRepository, RunRepository
from krev.composition import build_runtime
from krev.generations import service as generations
from krev.generations.repository import GenerationRepository
from krev.kit.clock import utcnow
from krev.models import Cause, User
from krev.platform.config import Settings
from krev.platform.readcache import ChangeFeed, ReadCache
from krev.platform.runtime import Runtime
from tests.accounts.dashboard import login
from tests.conftest import Account, build_app

CREDITS = "/api/v1/credits"
PROPAGATION_SECONDS = 10.0  # a bound for a broken feed to fail on, not a speed target
T = TypeVar("T")

# PostgreSQL and Redis: the scale-out mode, the only one with a cache.
scale_out = pytest.mark.parametrize("backend", ["postgres"], indirect=True)


def _constant(value: T) -> Callable[..., T]:
    """A loader or tagger that gives ``value`` whatever it is asked."""
    return lambda *_: value


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PROPAGATION_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {PROPAGATION_SECONDS} s: {what}")
        time.sleep(0.01)


@pytest.fixture
def other_runtime(settings: Settings) -> Iterator[Runtime]:
    """A second API process: same settings, its own cache and subscription."""
    runtime = build_runtime(settings)
    yield runtime
    runtime.close()


@pytest.fixture
def other_client(other_runtime: Runtime) -> Iterator[TestClient]:
    app = build_app(other_runtime)
    with TestClient(app, base_url="http://127.0.0.1:8000", raise_server_exceptions=False) as c:
        _wait_for(lambda: other_runtime.cache.enabled, "the second instance subscribed")
        yield c


def _balance(client: TestClient, account: Account) -> int:
    response = client.get(CREDITS, headers=account.headers)
    assert response.status_code == 200, response.text
    current: int = response.json()["data"]["credits"]["current"]
    return current


def _set_balance_by_hand(runtime: Runtime, user_id: uuid.UUID, balance: int) -> None:
    """What an operator's psql would do: a change Krev never hears about."""
    with runtime.db.engine.begin() as connection:
        connection.execute(update(User).where(User.id == user_id).values(credits_balance=balance))


@scale_out
def test_repeat_reads_are_served_from_memory_until_the_ttl(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(read_cache_seconds=1.0)
    runtime = build_runtime(settings)
    try:
        with TestClient(build_app(runtime), base_url="http://127.0.0.1:8000") as client:
            _wait_for(lambda: runtime.cache.enabled, "subscribed")
            account = _make_account(runtime, credits=500)
            assert _balance(client, account) == 500  # its first use writes last_used_at
            assert _balance(client, account) == 500

            _set_balance_by_hand(runtime, account.user_id, 123)

            # Nothing announced the change: this process answers from memory...
            assert _balance(client, account) == 500
            # ...for at most read_cache_seconds.
            _wait_for(lambda: _balance(client, account) == 123, "the by-hand change after ttl")
    finally:
        runtime.close()


def _make_account(runtime: Runtime, credits: int) -> Account:
    from krev.accounts import service
    from krev.accounts.keys import SCOPES

    email = f"user-{uuid.uuid4().hex[:10]}@example.com"
    with runtime.db.transaction() as session:
        user = service.create_user(session, runtime.settings, email, "correct horse battery", "pro")
        grant_credits(
            session, user.id, credits - user.credits_balance, "test setup", cause=Cause.admin()
        )
        _, key = service.create_key(session, runtime.settings, user.id, "test", list(SCOPES))
    return Account(user.id, email, "correct horse battery", key)


@scale_out
def test_a_key_revoked_on_one_instance_stops_working_on_the_other(
    client: TestClient, other_client: TestClient, account: Account
) -> None:
    assert other_client.get(CREDITS, headers=account.headers).status_code == 200
    assert other_client.get(CREDITS, headers=account.headers).status_code == 200  # from memory

    dashboard = login(client, account)
    [key] = dashboard.key_list()
    assert dashboard.revoke(key["id"]).status_code == 200

    # The instance that revoked it refuses it at once; the other as soon as the change
    # arrives over Redis (well under a millisecond here; the bound is for a broken feed).
    refused = client.get(CREDITS, headers=account.headers)
    assert refused.status_code == 401
    assert "revoked" in refused.json()["error"]
    _wait_for(
        lambda: other_client.get(CREDITS, headers=account.headers).status_code == 401,
        "the revoked key refused by the second instance",
    )


@scale_out
def test_balances_follow_writes_made_by_other_processes_and_by_the_admin_cli(
    client: TestClient,
    other_client: TestClient,
    other_runtime: Runtime,
    runtime: Runtime,
    account: Account,
) -> None:
    start = _balance(other_client, account)
    _balance(other_client, account)  # now from memory

    # A job accepted by the first instance reserves credits...
    response = client.post(
        "/api/v1/test-jobs",
        json={"cost": 40},
        headers={**account.headers, "Prefer": "respond-async"},
    )
    assert response.status_code == 202, response.text
    _wait_for(lambda: _balance(other_client, account) == start - 40, "the reservation")

    # ...and an admin grant from a process of its own (krev admin grant-credits).
    with runtime.db.transaction() as session:
        grant_credits(session, account.user_id, 1000, "granted by admin", cause=Cause.admin())
    _wait_for(lambda: _balance(other_client, account) == start - 40 + 1000, "the grant")

    # A change made through an instance is visible to its own next request with no wait.
    with other_runtime.db.transaction() as session:
        grant_credits(session, account.user_id, 7, "granted by admin", cause=Cause.admin())
    assert _balance(other_client, account) == start - 40 + 1000 + 7


@scale_out
def test_a_refund_is_announced_when_its_transaction_commits_not_at_its_savepoint(
    client: TestClient,
    other_client: TestClient,
    runtime: Runtime,
    account: Account,
) -> None:
    """The probe once saw /credits answer the balance from before a refund for 30 s on both
    API processes (10 concurrent cancels of one queued job). A refund runs in a savepoint,
    and SQLAlchemy's after_commit fires when a savepoint is released: the change was
    announced before the transaction committed, a read in between stored the old balance
    with nothing left to drop it, and the real commit announced nothing."""
    generation_id = _queued_generation(runtime, account)
    reserved = _balance(client, account)
    assert _balance(other_client, account) == reserved

    with runtime.db.transaction() as session:  # this process (client's) cancels the job
        generation = generations.get_owned(session, account.user_id, generation_id)
        generations.cancel(session, generation)  # refunds inside a savepoint
        # Polls on both instances while the refund is not committed read the old balance.
        assert _balance(client, account) == reserved
        assert _balance(other_client, account) == reserved

    # The writer's own next request sees its commit at once; the other, as the feed arrives.
    assert _balance(client, account) == reserved + 40
    _wait_for(lambda: _balance(other_client, account) == reserved + 40, "the refund")


@scale_out
def test_a_write_through_any_session_reaches_every_instance_without_naming_anything(
    client: TestClient, other_client: TestClient, runtime: Runtime, account: Account
) -> None:
    """No write path announces by hand (a new repository method, a script, the admin CLI):
    the ORM's events name what any session writes, even by a column no index serves."""
    start = _balance(other_client, account)
    _balance(client, account)
    with runtime.db.transaction() as session:
        session.execute(
            update(User).where(User.email == account.email).values(credits_balance=start + 5)
        )
    _wait_for(lambda: _balance(other_client, account) == start + 5, "the write by email")
    assert _balance(client, account) == start + 5


@scale_out
def test_polls_follow_a_job_run_elsewhere_and_stay_private(
    other_client: TestClient,
    runtime: Runtime,
    account: Account,
    make_account: Callable[..., Account],
) -> None:
    stranger = make_account()
    generation_id = _queued_generation(runtime, account)  # the test plays the worker below
    url = f"/api/v1/generations/{generation_id}"

    poll = partial(_poll, other_client, url, account)

    assert poll()["status"] == "queued"

    # A worker (another process) claims the job and reports progress as it goes.
    attempt = _claim(runtime, generation_id)
    _wait_for(lambda: poll()["status"] == "processing", "the claim")

    def at_progress(expected: int) -> bool:
        return poll()["progress"] == expected

    for progress in (30, 70):
        with runtime.db.transaction() as session:
            GenerationRepository(session).heartbeat(generation_id, attempt, utcnow(), progress)
        _wait_for(partial(at_progress, progress), f"progress {progress}")
    assert poll()["progress"] == 70  # read again: from memory, still right

    # Another user's key never sees it, cached for its owner or not.
    assert other_client.get(url, headers=stranger.headers).status_code == 404

    with runtime.db.transaction() as session:
        assert generations.succeed(session, runtime.settings, generation_id, attempt, [], {}, None)
    _wait_for(lambda: poll()["status"] == "succeeded", "the success")
    assert poll()["progress"] == 100
    assert other_client.get(url, headers=stranger.headers).status_code == 404


@scale_out
def test_a_chat_run_is_polled_from_memory_until_a_row_it_shows_changes(
    other_client: TestClient,
    other_runtime: Runtime,
    runtime: Runtime,
    account: Account,
    make_account: Callable[..., Account],
) -> None:
    started = other_client.post(
        "/api/v1/chat", json={"message": "How many credits do I have?"}, headers=account.headers
    )
    assert started.status_code == 202, started.text
    accepted = started.json()["data"]
    run_id, job_id = uuid.UUID(accepted["run_id"]), uuid.UUID(accepted["job_id"])
    url = f"/api/v1/chat/runs/{run_id}"

    poll = partial(_poll, other_client, url, account)

    assert poll()["status"] == "queued"
    # A worker (another process) takes the run's job, names the agent, writes the reply and
    # ends the job: each row the view shows changes once, and each change shows.
    attempt = _claim(runtime, job_id)
    _wait_for(lambda: poll()["status"] == "processing", "the claim")
    poll()
    statements = _statements_on_the_loop(other_runtime)
    assert poll()["status"] == "processing"
    assert not [s for s in statements if "chat_runs" in s], "a repeat poll is served from memory"

    with runtime.db.transaction() as session:
        RunRepository(session).update_run(run_id, agent_used="asset")
    _wait_for(lambda: poll()["agent_used"] == "asset", "the run's own row")
    with runtime.db.transaction() as session:
        MessageRepository(session).set_content(
            uuid.UUID(accepted["assistant_message_id"]), "You have credits."
        )
    _wait_for(lambda: poll()["assistant_text"] == "You have credits.", "its assistant message")
    assert other_client.get(url, headers=make_account().headers).status_code == 404
    with runtime.db.transaction() as session:
        assert generations.succeed(session, runtime.settings, job_id, attempt, [], {}, 0)
    _wait_for(lambda: poll()["status"] == "succeeded", "its job's end")
    assert other_client.get(url, headers=make_account().headers).status_code == 404


@scale_out
def test_a_finished_generation_is_polled_from_memory_with_urls_that_keep_their_lifetime(
    make_settings: Callable[..., Settings], make_account: Callable[..., Account]
) -> None:
    # Signed URLs live 180 s here, so a view is reused for 3 s (1/60 of it).
    runtime = build_runtime(make_settings(signed_url_ttl_seconds=180))
    try:
        with TestClient(build_app(runtime), base_url="http://127.0.0.1:8000") as client:
            _wait_for(lambda: runtime.cache.enabled, "subscribed")
            account = _make_account(runtime, credits=500)
            generation_id = _started_generation(runtime, account)
            image = runtime.storage.put(f"outputs/{generation_id}/0.png", b"\x89PNG", "image/png")
            with runtime.db.transaction() as session:
                assert generations.succeed(
                    session, runtime.settings, generation_id, 1, [image], {}, None
                )
            url = f"/api/v1/generations/{generation_id}"

            def output_url(who: Account = account) -> str:
                response = client.get(url, headers=who.headers)
                assert response.status_code == 200, response.text
                found: str = response.json()["data"]["output"]["urls"][0]
                return found

            first = output_url()
            output_url()  # the key's first use wrote last_used_at: its owner is read again
            statements = _statements_on_the_loop(runtime)
            time.sleep(1.1)  # a view built now would sign with a later expiry
            assert output_url() == first  # the same view, from memory
            assert statements == []
            assert client.get(first).content == b"\x89PNG"

            # Others still get nothing from it: another user, a key without the scope.
            assert client.get(url, headers=make_account().headers).status_code == 404
            with runtime.db.transaction() as session:
                from krev.accounts import service

                _, narrow = service.create_key(
                    session, runtime.settings, account.user_id, "no images", ["credits"]
                )
            denied = client.get(url, headers={"Authorization": f"Bearer {narrow}"})
            assert denied.status_code == 403, denied.text

            # Past its share of the URLs' lifetime the view is built again, new URLs and all.
            fresh = first
            for _ in range(40):  # every 1/4 s, within the plan's rate limit
                time.sleep(0.25)
                if (fresh := output_url()) != first:
                    break
            assert _expires(fresh) > _expires(first)
    finally:
        runtime.close()


def _expires(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["expires"][0])


def _kill_subscription(settings: Settings) -> int:
    """Drops the second instance's subscriber connection the way a network blip would."""
    admin = redis.Redis.from_url(settings.redis_url or "")
    channel = f"{settings.queue_name}:changes"
    killed = 0
    for client in admin.client_list(_type="pubsub"):
        if client.get("name") == f"krev:{channel}":
            admin.client_kill_filter(_id=client["id"])
            killed += 1
    admin.close()
    return killed


@scale_out
def test_an_instance_that_loses_its_subscription_reads_the_database_until_it_is_back(
    other_client: TestClient, other_runtime: Runtime, runtime: Runtime, account: Account
) -> None:
    start = _balance(other_client, account)
    assert _balance(other_client, account) == start  # from memory now
    _set_balance_by_hand(runtime, account.user_id, start + 1)
    assert _balance(other_client, account) == start  # memory does not see by-hand SQL

    # Subscriptions are named after their channel: this kills both instances' (the test
    # watches the second).
    assert _kill_subscription(other_runtime.settings) >= 1

    # Changes announced while it was gone could be lost: it forgets everything it kept...
    _wait_for(lambda: _balance(other_client, account) == start + 1, "memory dropped")
    # ...and once subscribed again, serves from memory again, as its metrics tell.
    _wait_for(lambda: other_runtime.cache.enabled, "subscribed again")
    assert 'krev_read_cache{measure="enabled"} 1.0' in other_client.get("/metrics").text
    assert _balance(other_client, account) == start + 1
    _set_balance_by_hand(runtime, account.user_id, start + 2)
    assert _balance(other_client, account) == start + 1


# --- the cache itself, no services ---------------------------------------------------


def _enabled(ttl: float = 60.0, max_entries: int = 100) -> ReadCache:
    cache = ReadCache(ttl=ttl, max_entries=max_entries)
    cache.set_enabled(True)
    return cache


def test_a_read_that_overlaps_a_change_is_not_kept() -> None:
    cache = _enabled()

    def load() -> str:
        cache.drop(["u:1"])  # a change announced while the database read was in flight
        return "old"

    assert cache.fetch("k", load, lambda _v: "u:1") == "old"
    assert cache.get("k") is None
    assert cache.fetch("k", lambda: "new", lambda _v: "u:1") == "new"
    assert cache.get("k") == "new"


def test_a_change_drops_every_entry_it_names_and_nothing_else() -> None:
    cache = _enabled()
    for key, tag in (("key-a", "u:1"), ("key-b", "u:1"), ("gen", "g:9"), ("key-c", "u:2")):
        cache.fetch(key, _constant(key), _constant(tag))
    cache.drop(["u:1"])
    assert [cache.get(k) for k in ("key-a", "key-b", "gen", "key-c")] == [
        None,
        None,
        "gen",
        "key-c",
    ]


def test_an_entry_with_several_tags_is_dropped_by_a_change_to_any_of_them() -> None:
    cache = _enabled()
    cache.fetch("run-view", _constant("view"), _constant(("run:1", "g:7", "g:8")))
    cache.fetch("gen", _constant("gen"), _constant("g:8"))
    cache.drop(["g:7"])
    assert (cache.get("run-view"), cache.get("gen")) == (None, "gen")
    cache.fetch("run-view", _constant("view 2"), _constant(("run:1", "g:7", "g:8")))
    cache.drop(["g:8"])
    assert (cache.get("run-view"), cache.get("gen")) == (None, None)
    assert len(cache) == 0 and cache._by_tag == {}  # no tag keeps a key that is gone


def test_nothing_is_kept_while_disabled_and_values_not_tagged_are_never_kept() -> None:
    cache = ReadCache(ttl=60.0)
    assert cache.fetch("k", lambda: "v", lambda _v: "u:1") == "v"
    assert cache.get("k") is None and len(cache) == 0

    cache.set_enabled(True)
    cache.fetch("queued", lambda: "v", lambda _v: None)
    assert cache.get("queued") is None

    cache.fetch("k", lambda: "v", lambda _v: "u:1")
    cache.set_enabled(False)
    assert cache.get("k") is None and len(cache) == 0

    off = ReadCache(ttl=0)
    off.set_enabled(True)
    assert not off.enabled


def test_entries_expire_and_the_size_is_bounded() -> None:
    cache = _enabled(ttl=0.05, max_entries=3)
    for n in range(5):
        cache.fetch(n, _constant(n), lambda _v: "u:1")
    assert len(cache) == 3
    assert [cache.get(n) for n in range(5)] == [None, None, 2, 3, 4]
    time.sleep(0.06)
    assert cache.get(4) is None


def test_an_entry_can_be_kept_for_less_than_the_cache_ttl_never_more() -> None:
    cache = _enabled(ttl=0.2)
    cache.fetch("short", lambda: 1, lambda _v: "g:1", ttl=0.05)
    cache.fetch("long", lambda: 2, lambda _v: "g:2", ttl=60)
    time.sleep(0.06)
    assert (cache.get("short"), cache.get("long")) == (None, 2)
    time.sleep(0.15)
    assert cache.get("long") is None  # the cache's own ttl still bounds it


def test_without_a_reachable_redis_nothing_is_kept_and_announcing_does_not_fail() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cache = ReadCache(ttl=60.0)
    feed = ChangeFeed(f"redis://127.0.0.1:{port}/0", "krev-test:changes", cache)
    feed.listen()
    try:
        time.sleep(0.2)  # the listener has tried, and failed, to subscribe
        assert not cache.enabled
        assert cache.fetch("k", lambda: "v", lambda _v: "u:1") == "v"
        assert cache.get("k") is None
        feed.announce({"u:1"})  # logged, not raised: the change is committed already
    finally:
        feed.close()


# --- embedded mode: SQLite's change counter -------------------------------------------


def _statements_on_the_loop(runtime: Runtime) -> list[str]:
    """SQL the event loop's reads send from now on (the version check goes to the driver
    directly and is not listed)."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(runtime.db.loop_engine, "before_cursor_execute", record)
    return seen


def test_embedded_repeat_reads_send_no_sql_and_any_commit_is_seen_at_once(
    client: TestClient, runtime: Runtime, account: Account
) -> None:
    assert runtime.changes is None and runtime.cache.enabled
    generation_id = _finished_generation(runtime, account)
    url = f"/api/v1/generations/{generation_id}"
    _balance(client, account)  # the key's first use writes last_used_at
    assert client.get(url, headers=account.headers).status_code == 200
    start = _balance(client, account)

    statements = _statements_on_the_loop(runtime)
    for _ in range(5):
        assert _balance(client, account) == start
        assert client.get(url, headers=account.headers).json()["data"]["status"] == "succeeded"
    assert statements == []  # served from memory

    # A commit by any other connection (another process, the admin CLI, psql) is seen by
    # the very next request: SQLite's data_version moved, so the cache was emptied.
    _set_balance_by_hand(runtime, account.user_id, start + 5)
    assert _balance(client, account) == start + 5
    with runtime.db.transaction() as session:
        grant_credits(session, account.user_id, 10, "granted by admin", cause=Cause.admin())
    assert _balance(client, account) == start + 15


def test_embedded_revocation_and_job_progress_show_on_the_next_request(
    client: TestClient, runtime: Runtime, account: Account
) -> None:
    generation_id = _started_generation(runtime, account)
    url = f"/api/v1/generations/{generation_id}"
    for progress in (20, 60):
        with runtime.db.transaction() as session:
            GenerationRepository(session).heartbeat(generation_id, 1, utcnow(), progress)
        assert client.get(url, headers=account.headers).json()["data"]["progress"] == progress
        assert client.get(url, headers=account.headers).json()["data"]["progress"] == progress

    dashboard = login(client, account)
    [key] = dashboard.key_list()
    assert dashboard.revoke(key["id"]).status_code == 200
    assert client.get(CREDITS, headers=account.headers).status_code == 401
    assert client.get(url, headers=account.headers).status_code == 401


def _poll(client: TestClient, url: str, owner: Account, who: Account | None = None) -> Any:
    """GET ``url`` as ``who`` (the owner by default): its data."""
    response = client.get(url, headers=(who or owner).headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _claim(runtime: Runtime, generation_id: uuid.UUID) -> int:
    """Claim the job as a worker in another process would; its attempt."""
    with runtime.db.transaction() as session:
        claimed = GenerationRepository(session).claim(generation_id, utcnow())
        assert claimed is not None
        return claimed.attempts


def _queued_generation(runtime: Runtime, account: Account) -> uuid.UUID:
    """A job accepted and left queued: nothing consumes the queue, the test plays the worker."""
    with runtime.db.transaction() as session:
        generation_id = generations.submit(
            session,
            runtime.settings,
            runtime.queue,
            user_id=account.user_id,
            kind="test_render",
            params={},
            cost=40,
            cause=Cause.admin(),
        ).id
    return generation_id


def _started_generation(runtime: Runtime, account: Account) -> uuid.UUID:
    """A job accepted and claimed (attempt 1), as a worker in another process would."""
    generation_id = _queued_generation(runtime, account)
    _claim(runtime, generation_id)
    return generation_id


def _finished_generation(runtime: Runtime, account: Account) -> uuid.UUID:
    generation_id = _started_generation(runtime, account)
    with runtime.db.transaction() as session:
        assert generations.succeed(session, runtime.settings, generation_id, 1, [], {}, None)
    return generation_id
