"""Rate-limit hits that reach Redis in the same turn of the event loop share one script call,
and every answer is still the one a lone hit would get: each hit counted atomically, in call
order, in its own budget, on a window that holds only the hits still in it."""

from __future__ import annotations

import asyncio
import random
import socket
import threading
import time
import uuid
from collections.abc import Awaitable
from typing import Any, cast

import pytest
import redis
from redis.commands.core import Script

from krev.platform.ratelimit import RateLimiter, RateLimitState


class _CountingScript:
    """The limiter's real Redis script, counting the calls made to it."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.calls = 0

    def __call__(self, keys: list[str], args: list[float]) -> Any:
        self.calls += 1
        return self.script(keys, args)


def count_script_calls(limiter: RateLimiter) -> _CountingScript:
    assert limiter._redis is not None
    counting = _CountingScript(limiter._redis.script)
    limiter._redis.script = cast(Script, counting)  # called the way the script is
    return counting


def _run(*hits: Awaitable[RateLimitState]) -> list[RateLimitState]:
    """The hits all started in one turn of a fresh event loop, answers in call order."""

    async def together() -> list[RateLimitState]:
        return list(await asyncio.gather(*hits))

    return asyncio.run(together())


def _user() -> str:
    return uuid.uuid4().hex


def unique_prefix() -> str:
    """A deployment of its own on the shared Redis, so that ``reset`` touches only the test's."""
    return f"krev-test-{uuid.uuid4().hex[:12]}"


class DrivenClock:
    """The time the limiter reads, set by the test: ``time()`` (Redis) and ``monotonic()``
    (memory); everything else is the real ``time`` module. It starts at a whole second and a
    half, so that the tests' steps add up exactly in binary floating point."""

    def __init__(self) -> None:
        self.now = float(int(time.time())) + 0.5

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def drive_clock(monkeypatch: pytest.MonkeyPatch) -> DrivenClock:
    clock = DrivenClock()
    monkeypatch.setattr("krev.platform.ratelimit.time", clock)
    return clock


def test_concurrent_hits_of_one_user_are_counted_exactly_in_call_order(redis_url: str) -> None:
    limiter = RateLimiter(redis_url)
    who = _user()

    states = _run(*(limiter.hit_async("20/minute", "user", who, policy="p") for _ in range(60)))

    assert [s.allowed for s in states] == [True] * 20 + [False] * 40
    assert [s.remaining for s in states[:20]] == list(range(19, -1, -1))
    assert all(s.remaining == 0 and s.reset_after >= 1 for s in states[20:])
    assert all(s.limit == 20 and s.window == 60 and s.policy == "p" for s in states)
    assert 1 <= int(states[-1].headers()["Retry-After"]) <= 60


def test_concurrent_hits_share_one_redis_call_and_sequential_ones_do_not(redis_url: str) -> None:
    limiter = RateLimiter(redis_url)
    calls = count_script_calls(limiter)

    _run(*(limiter.hit_async("20/minute", "user", _user()) for _ in range(60)))
    concurrent_calls = calls.calls

    async def one_after_another() -> list[RateLimitState]:
        who = _user()
        return [await limiter.hit_async("20/minute", "user", who) for _ in range(5)]

    sequential = asyncio.run(one_after_another())

    assert concurrent_calls == 1
    assert calls.calls - concurrent_calls == 5
    assert [s.remaining for s in sequential] == [19, 18, 17, 16, 15]


def test_a_batch_over_the_cap_is_split_in_order(redis_url: str) -> None:
    limiter = RateLimiter(redis_url)
    calls = count_script_calls(limiter)
    who = _user()

    states = _run(*(limiter.hit_async("280/minute", "user", who) for _ in range(300)))

    assert calls.calls == 2  # 256, then the 44 after them
    assert [s.allowed for s in states] == [True] * 280 + [False] * 20
    assert [s.remaining for s in states[:280]] == list(range(279, -1, -1))


def test_two_api_processes_mixing_many_users_give_each_user_exactly_their_limit(
    redis_url: str,
) -> None:
    """Two limiters on one Redis (two API processes), hits of many users shuffled together."""
    instances = [RateLimiter(redis_url), RateLimiter(redis_url)]
    users = [_user() for _ in range(12)]
    shuffle = random.Random(7)

    async def rounds() -> list[list[tuple[str, RateLimitState]]]:
        answers = []
        for _ in range(3):  # three turns of the loop, each a batch per instance
            order = [who for who in users for _ in range(6)]
            shuffle.shuffle(order)
            states = await asyncio.gather(
                *(
                    instances[n % 2].hit_async("7/minute", "user", who)
                    for n, who in enumerate(order)
                )
            )
            answers.append(list(zip(order, states, strict=True)))
        return answers

    turns = asyncio.run(rounds())

    for who in users:
        mine = [[state for user, state in turn if user == who] for turn in turns]
        # 6 hits a turn: all 6 fit, then 1 of the next 6, then none.
        assert [sum(state.allowed for state in states) for states in mine] == [6, 1, 0]
        # Each process's batch goes in whole, one after the other, so within a turn the
        # order is by process; every remaining count is still given out exactly once.
        allowed = [state for states in mine for state in states if state.allowed]
        assert sorted(state.remaining for state in allowed) == list(range(7))
        assert all(state.remaining == 0 for states in mine for state in states if not state.allowed)


def test_users_on_different_plans_in_one_batch_each_get_their_own_answer(
    redis_url: str,
) -> None:
    limiter = RateLimiter(redis_url)
    calls = count_script_calls(limiter)
    trickle, pro = _user(), _user()
    hits = []
    for _ in range(6):
        hits.append(limiter.hit_async("3/minute", "user", trickle, policy="trickle"))
        hits.append(limiter.hit_async("5/second", "user", pro, policy="pro"))

    states = _run(*hits)
    trickle_states, pro_states = states[0::2], states[1::2]

    assert calls.calls == 1
    assert [s.allowed for s in trickle_states] == [True] * 3 + [False] * 3
    assert [s.remaining for s in trickle_states] == [2, 1, 0, 0, 0, 0]
    assert {(s.limit, s.window, s.policy) for s in trickle_states} == {(3, 60, "trickle")}
    assert [s.allowed for s in pro_states] == [True] * 5 + [False]
    assert [s.remaining for s in pro_states] == [4, 3, 2, 1, 0, 0]
    assert {(s.limit, s.window, s.policy) for s in pro_states} == {(5, 1, "pro")}
    assert all(0 <= s.reset_after <= 1 for s in pro_states)


def test_reset_forgets_every_budget_of_its_prefix_and_no_other(redis_url: str) -> None:
    prefix = unique_prefix()
    # A prefix that is also a glob pattern matching the other one: reset must not read it so.
    mine = RateLimiter(redis_url, prefix=f"{prefix}-*")
    same_deployment = RateLimiter(redis_url, prefix=f"{prefix}-*")
    elsewhere = RateLimiter(redis_url, prefix=f"{prefix}-x")
    client = redis.Redis.from_url(redis_url)
    who, other = _user(), _user()

    batch = _run(
        *(mine.hit_async("3/minute", "user", who) for _ in range(4)),
        *(mine.hit_async("3/minute", "user", other) for _ in range(2)),
    )
    their_own = [elsewhere.hit("3/minute", "user", who) for _ in range(3)]
    shared = same_deployment.hit("3/minute", "user", other)
    keys = sorted(client.scan_iter(match=f"{prefix}*"))

    mine.reset()

    assert [s.allowed for s in batch] == [True, True, True, False, True, True]
    assert all(s.allowed for s in their_own)
    assert (shared.allowed, shared.remaining) == (True, 0)
    # Every budget lives under its deployment's prefix, one key each.
    assert [key.decode().split(":ratelimit:")[0] for key in keys] == [
        f"{prefix}-*",
        f"{prefix}-*",
        f"{prefix}-x",
    ]
    assert sorted(client.scan_iter(match=f"{prefix}*")) == [keys[-1]]
    assert same_deployment.hit("3/minute", "user", who).remaining == 2
    assert _run(mine.hit_async("3/minute", "user", other))[0].remaining == 2
    assert elsewhere.hit("3/minute", "user", who).allowed is False
    elsewhere.reset()
    mine.reset()


def test_hits_that_left_the_window_are_dropped_so_a_high_limit_costs_no_more(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = unique_prefix()
    limiter = RateLimiter(redis_url, prefix=prefix)
    rule, who = "1000000/second", _user()
    client = redis.Redis.from_url(redis_url)
    clock = drive_clock(monkeypatch)

    _run(*(limiter.hit_async(rule, "user", who) for _ in range(5)))
    clock.now += 0.5
    _run(*(limiter.hit_async(rule, "user", who) for _ in range(5)))
    clock.now += 0.5  # the first five have left the one-second window, the next five not
    state = _run(limiter.hit_async(rule, "user", who))[0]

    # The budget's list holds the window only, not every hit the budget has seen.
    [key] = client.scan_iter(match=f"{prefix}:ratelimit:*")
    assert client.llen(key) == 6
    assert state.allowed and state.remaining == 1_000_000 - 6
    assert state.reset_after == 1  # the oldest hit left was made half a second ago
    limiter.reset()


def test_event_loops_in_different_threads_batch_apart_and_share_the_budget(
    redis_url: str,
) -> None:
    """One limiter serves several loops at once (TestClient, tests, threads): each loop keeps
    its own batch, and the budget is still exact across them."""
    limiter = RateLimiter(redis_url)
    who = _user()
    answers: list[list[RateLimitState]] = []
    start = threading.Barrier(4)

    def loop_in_a_thread() -> None:
        async def burst() -> list[RateLimitState]:
            start.wait()
            return list(
                await asyncio.gather(
                    *(limiter.hit_async("50/minute", "user", who) for _ in range(30))
                )
            )

        answers.append(asyncio.run(burst()))

    threads = [threading.Thread(target=loop_in_a_thread) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(answers) == 4
    allowed = [state for states in answers for state in states if state.allowed]
    assert len(allowed) == 50
    assert sorted(state.remaining for state in allowed) == list(range(50))
    assert all(sum(s.allowed for s in states) <= 30 for states in answers)
    assert limiter._batches is not None and len(limiter._batches.pending) == 0


def test_a_request_cancelled_while_waiting_leaves_the_others_their_answers(
    redis_url: str,
) -> None:
    limiter = RateLimiter(redis_url)
    who = _user()

    async def one_client_leaves() -> list[Any]:
        tasks = [
            asyncio.ensure_future(limiter.hit_async("5/minute", "user", who)) for _ in range(5)
        ]
        await asyncio.sleep(0)  # every task now waits on the batch, not yet flushed
        tasks[1].cancel()
        return list(await asyncio.gather(*tasks, return_exceptions=True))

    answers = asyncio.run(one_client_leaves())

    assert isinstance(answers[1], asyncio.CancelledError)
    # The cancelled hit had already reached Redis's queue, as a lone hit would have.
    assert [answers[n].remaining for n in (0, 2, 3, 4)] == [4, 2, 1, 0]
    assert _run(limiter.hit_async("5/minute", "user", who))[0].allowed is False


def test_concurrent_hits_are_let_through_when_redis_is_down() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    limiter = RateLimiter(f"redis://127.0.0.1:{port}/0")  # nothing listens there

    states = _run(*(limiter.hit_async("2/minute", "user", _user()) for _ in range(10)))

    assert all(s.allowed and s.remaining == 2 and s.reset_after == 0 for s in states)
    assert "Retry-After" not in states[0].headers()


def test_after_the_store_fails_requests_pass_without_trying_it_for_a_while() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    limiter = RateLimiter(f"redis://127.0.0.1:{port}/0")  # nothing listens there
    calls = count_script_calls(limiter)

    first = limiter.hit("2/minute", "user", _user())
    later = [limiter.hit("2/minute", "user", _user()) for _ in range(5)]
    later += _run(*(limiter.hit_async("2/minute", "user", _user()) for _ in range(5)))

    # One failed call; the rest were let through without waiting on a dead store again.
    assert calls.calls == 1
    assert all(s.allowed and s.remaining == 2 for s in [first, *later])

    limiter._down_until = 0.0  # the backoff is over: the store is tried again
    limiter.hit("2/minute", "user", _user())
    assert calls.calls == 2


def test_the_memory_limiter_answers_hit_async_like_hit() -> None:
    limiter = RateLimiter("memory://")
    who = _user()

    states = _run(*(limiter.hit_async("2/minute", "user", who, policy="p") for _ in range(3)))

    assert [s.allowed for s in states] == [True, True, False]
    assert [s.remaining for s in states] == [1, 0, 0]
    assert limiter.hit("2/minute", "user", who, policy="p").allowed is False


@pytest.mark.parametrize("rule", ["1/second", "3/hour"])
def test_sync_and_async_hits_count_against_one_budget(redis_url: str, rule: str) -> None:
    limiter = RateLimiter(redis_url)
    who = _user()
    amount = int(rule.split("/")[0])

    first = limiter.hit(rule, "user", who)
    rest = _run(*(limiter.hit_async(rule, "user", who) for _ in range(amount)))

    assert first.remaining == amount - 1
    assert [s.allowed for s in rest] == [True] * (amount - 1) + [False]


def test_batching_works_on_uvloop_which_uvicorn_serves_with(redis_url: str) -> None:
    uvloop = pytest.importorskip("uvloop")
    limiter = RateLimiter(redis_url)
    calls = count_script_calls(limiter)
    who = _user()

    async def burst() -> list[RateLimitState]:
        return list(
            await asyncio.gather(*(limiter.hit_async("5/minute", "user", who) for _ in range(8)))
        )

    states = uvloop.run(burst())

    assert calls.calls == 1
    assert [s.remaining for s in states] == [4, 3, 2, 1, 0, 0, 0, 0]
    assert [s.allowed for s in states] == [True] * 5 + [False] * 3
