"""The per-user count of fetches in flight, in each store: what a process that died while
holding slots leaves behind (Redis), and what happens when Redis cannot be reached."""

from __future__ import annotations

import socket
import time
import uuid

import pytest
import redis

from krev.platform.fetchpool import FetchConcurrencyExceeded, MemoryFetchSlots, RedisFetchSlots


@pytest.fixture
def prefix() -> str:
    return f"krev-test-{uuid.uuid4().hex[:12]}"


def test_memory_slots_are_counted_per_user_and_come_back_when_released() -> None:
    slots = MemoryFetchSlots(limit=2)
    first = slots.acquire("ann", 2, seconds=15)
    slots.acquire("bob", 2, seconds=15)

    with pytest.raises(FetchConcurrencyExceeded) as refused:
        slots.acquire("ann", 1, seconds=15)
    assert 1 <= int(refused.value.headers["Retry-After"]) <= 15

    first[0].release()
    first[0].release()  # a second release gives nothing back twice
    assert slots.in_flight("ann") == 1
    slots.acquire("ann", 1, seconds=15)
    with pytest.raises(FetchConcurrencyExceeded):
        slots.acquire("ann", 1, seconds=15)


def test_redis_slots_are_shared_by_every_process(redis_url: str, prefix: str) -> None:
    one, other = (RedisFetchSlots(redis_url, prefix, limit=3) for _ in range(2))
    held = one.acquire("ann", 2, seconds=15)

    # Asked for more than is left, a request gets none of them.
    with pytest.raises(FetchConcurrencyExceeded) as refused:
        other.acquire("ann", 2, seconds=15)
    assert 1 <= int(refused.value.headers["Retry-After"]) <= 15
    assert other.in_flight("ann") == 2

    other.acquire("ann", 1, seconds=15)
    held[0].release()
    assert one.in_flight("ann") == 2
    # The key never outlives its members' budget plus the grace.
    ttl = redis.Redis.from_url(redis_url).ttl(one.key("ann"))
    assert 0 < ttl <= 15 + one.stale_grace_seconds


def test_slots_left_by_a_dead_process_come_back_once_stale(redis_url: str, prefix: str) -> None:
    dead = RedisFetchSlots(redis_url, prefix, limit=1, stale_grace_seconds=0.0)
    dead.acquire("ann", 1, seconds=0.05)  # never released: its process died
    living = RedisFetchSlots(redis_url, prefix, limit=1, stale_grace_seconds=0.0)

    for _ in range(500):  # until the dead fetch's budget has run out on Redis's clock
        try:
            living.acquire("ann", 1, seconds=15)
            break
        except FetchConcurrencyExceeded:
            time.sleep(0.02)
    else:
        pytest.fail("the dead process's slot never came back")

    assert living.in_flight("ann") == 1


def test_without_redis_each_process_keeps_its_own_count() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    slots = RedisFetchSlots(f"redis://127.0.0.1:{port}/0", "krev-test", limit=2)

    held = slots.acquire("ann", 2, seconds=15)
    with pytest.raises(FetchConcurrencyExceeded):
        slots.acquire("ann", 1, seconds=15)
    held[0].release()
    slots.acquire("ann", 1, seconds=15)
