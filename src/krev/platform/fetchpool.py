"""Where user-supplied URLs are fetched: on threads of their own, at most so many per user.

A fetch waits on someone else's server for up to its whole time budget. Run on the event
loop's default executor, a handful of slow origins held every thread that uploads, sync waits
and thumbnails need, and stalled every user. Here fetches run on a bounded pool that nothing
else uses, and each user has at most ``fetch_max_per_user`` URLs being fetched at once; a
request that would go past that is refused (429 ``fetch_concurrency``, with Retry-After)
before anything is fetched or stored.

Where the count lives:

- In-process (no Redis): a dict under a lock. A crashed process takes its count with it.
- Redis (scale-out): one sorted set per user, each fetch in flight a member scored with the
  Redis server's time by which that fetch must have ended (its budget). Taking slots is one
  script: drop members more than ten seconds past their end, count the rest, refuse or add.
  A fetch removes its member when it ends; a member whose process died before it could is
  dropped by the next script that looks, once stale, and the key expires with its last
  member. Scores use the server's clock, so API processes with skewed clocks agree. If Redis
  cannot be reached, the process falls back to its own count (logged) rather than refusing
  everyone.

The budget (``fetch_timeout_seconds``) starts when the request asks for its fetches, so time
spent waiting for a pool thread counts against it: a slot is never held longer than the
budget, and a request never waits on fetching for longer than that either.
"""

from __future__ import annotations

import asyncio
import functools
import math
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

import redis
import structlog

from krev.errors import RateLimited
from krev.platform.config import Settings
from krev.platform.fetch import FetchError, SafeFetcher
from krev.platform.ratelimit import REDIS_OPTIONS

log = structlog.get_logger("krev.platform.fetchpool")

__all__ = [
    "FetchConcurrencyExceeded",
    "FetchPool",
    "FetchSlot",
    "FetchSlots",
    "MemoryFetchSlots",
    "RedisFetchSlots",
    "build_fetch_pool",
]


class FetchConcurrencyExceeded(RateLimited):
    code = "fetch_concurrency"


class FetchSlot(Protocol):
    def release(self) -> None:
        """Give the slot back; calling it again does nothing."""


class FetchSlots(Protocol):
    def acquire(self, user: str, count: int, seconds: float) -> list[FetchSlot]:
        """``count`` slots of ``user``'s, each held for at most ``seconds``, or
        FetchConcurrencyExceeded when fewer are free."""


def _refusal(limit: int, retry_after: float) -> FetchConcurrencyExceeded:
    return FetchConcurrencyExceeded(
        f"Too many of your image URLs are being fetched at once (at most {limit}); "
        "retry once one has finished.",
        headers={"Retry-After": str(max(1, math.ceil(retry_after)))},
    )


# --- in-process ----------------------------------------------------------------------------


@dataclass(eq=False)
class _MemorySlot:
    owner: MemoryFetchSlots
    user: str
    ends: float  # time.monotonic() by which its fetch has ended
    released: bool = False

    def release(self) -> None:
        self.owner._release(self)


class MemoryFetchSlots:
    """Slots counted in this process (embedded mode, or Redis unreachable)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._held: dict[str, list[_MemorySlot]] = {}

    def acquire(self, user: str, count: int, seconds: float) -> list[FetchSlot]:
        now = time.monotonic()
        with self._lock:
            held = self._held.get(user, [])
            if len(held) + count > self.limit:
                raise _refusal(self.limit, min((slot.ends for slot in held), default=now) - now)
            taken = [_MemorySlot(self, user, now + seconds) for _ in range(count)]
            self._held[user] = held + taken
        return list[FetchSlot](taken)

    def in_flight(self, user: str) -> int:
        with self._lock:
            return len(self._held.get(user, ()))

    def _release(self, slot: _MemorySlot) -> None:
        with self._lock:
            if slot.released:
                return
            slot.released = True
            held = self._held.get(slot.user, [])
            held.remove(slot)
            if not held:
                self._held.pop(slot.user, None)


# --- across processes ----------------------------------------------------------------------

# KEYS[1]: the user's sorted set. ARGV: seconds a slot is held at most, seconds past that
# after which a member is taken as left by a dead process, the limit, then one token per slot
# wanted. Replies {1} when added, or {0, seconds until the earliest member's fetch ends}.
_ACQUIRE = """
local clock = redis.call('time')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local seconds = tonumber(ARGV[1])
local grace = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('zremrangebyscore', KEYS[1], '-inf', now - grace)
local wanted = #ARGV - 3
if redis.call('zcard', KEYS[1]) + wanted > limit then
    local first = redis.call('zrange', KEYS[1], 0, 0, 'WITHSCORES')
    return {0, tostring(tonumber(first[2] or now) - now)}
end
for i = 4, #ARGV do
    redis.call('zadd', KEYS[1], now + seconds, ARGV[i])
end
redis.call('expire', KEYS[1], math.ceil(seconds + grace))
return {1}
"""


@dataclass(eq=False)
class _RedisSlot:
    owner: RedisFetchSlots
    key: str
    token: str
    released: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def release(self) -> None:
        with self._lock:
            if self.released:
                return
            self.released = True
        self.owner._release(self)


class RedisFetchSlots:
    """Slots counted in Redis, shared by every API process of one deployment (see the module
    docstring for how a dead process's slots come back)."""

    OUTAGE_BACKOFF_SECONDS = 1.0

    def __init__(
        self, redis_url: str, prefix: str, limit: int, *, stale_grace_seconds: float = 10.0
    ) -> None:
        self.limit = limit
        self.prefix = prefix
        # A fetch ends at its deadline give or take the time to shut its socket and for its
        # thread to run again; a member this long past its end was left by a dead process.
        self.stale_grace_seconds = stale_grace_seconds
        self.client = redis.Redis.from_url(redis_url, **REDIS_OPTIONS)
        self._script = self.client.register_script(_ACQUIRE)
        self.fallback = MemoryFetchSlots(limit)
        self._down_until = 0.0

    def key(self, user: str) -> str:
        return f"{self.prefix}:fetch-slots:{user}"

    def acquire(self, user: str, count: int, seconds: float) -> list[FetchSlot]:
        if time.monotonic() < self._down_until:
            return self.fallback.acquire(user, count, seconds)
        key = self.key(user)
        tokens = [uuid.uuid4().hex for _ in range(count)]
        try:
            reply = self._script([key], [seconds, self.stale_grace_seconds, self.limit, *tokens])
        except redis.RedisError:
            log.warning("fetch_slots_store_unavailable", exc_info=True)
            self._down_until = time.monotonic() + self.OUTAGE_BACKOFF_SECONDS
            return self.fallback.acquire(user, count, seconds)
        if not int(reply[0]):
            raise _refusal(self.limit, float(reply[1]))
        return [_RedisSlot(self, key, token) for token in tokens]

    def in_flight(self, user: str) -> int:
        return int(self.client.zcard(self.key(user)))

    def _release(self, slot: _RedisSlot) -> None:
        try:
            self.client.zrem(slot.key, slot.token)
        except redis.RedisError:
            # The member stays until it is stale: the user has one slot fewer until then.
            log.warning("fetch_slot_not_released", exc_info=True)

    def close(self) -> None:
        self.client.close()


# --- the pool ------------------------------------------------------------------------------


class FetchPool:
    """Fetches users' URLs on threads of its own, within each user's share.

    Built by the runtime; its threads and fetcher start on first use, and ``close`` ends them
    (a later fetch starts new ones, so a runtime may outlive an app's lifespan, as in tests).
    """

    def __init__(
        self,
        new_fetcher: Callable[[], SafeFetcher],
        slots: FetchSlots,
        *,
        timeout: float,
        threads: int,
        max_per_user: int,
    ) -> None:
        self.slots = slots
        self.timeout = timeout
        self.threads = threads
        self.max_per_user = max_per_user
        self._new_fetcher = new_fetcher
        self._lock = threading.Lock()
        self._started: tuple[ThreadPoolExecutor, SafeFetcher] | None = None

    async def fetch(self, user_id: uuid.UUID, urls: Sequence[str]) -> list[bytes | FetchError]:
        """Each URL's body, or why it could not be fetched, in the order given.

        Raises FetchConcurrencyExceeded, before fetching anything, when the user has no room
        for them. The URLs run side by side, up to the user's limit at a time, and share one
        time budget that starts now.
        """
        if not urls:
            return []
        deadline = time.monotonic() + self.timeout
        lanes = min(len(urls), self.max_per_user)
        # On the loop, like the rate limiter's hit: one short Redis call (fast to fail, and
        # skipped for a second after a failure), cheaper than a hop to a thread and back.
        slots = self.slots.acquire(str(user_id), lanes, self.timeout)
        futures: list[asyncio.Future[list[tuple[int, bytes | FetchError]]]] = []
        try:
            executor, fetcher = self._start()
            for lane, slot in enumerate(slots):
                indices = range(lane, len(urls), lanes)
                work = executor.submit(_fetch_lane, fetcher, urls, indices, deadline)
                # Released when the thread is done with it (or the work is cancelled before
                # it starts), not when the request ends: a client hanging up ends no fetch.
                work.add_done_callback(functools.partial(_release, slot))
                futures.append(asyncio.wrap_future(work))
        except BaseException:
            for slot in slots[len(futures) :]:
                slot.release()
            raise
        outcomes: dict[int, bytes | FetchError] = {}
        for lane_outcomes in await asyncio.gather(*futures):
            outcomes.update(lane_outcomes)
        return [outcomes[index] for index in range(len(urls))]

    def _start(self) -> tuple[ThreadPoolExecutor, SafeFetcher]:
        with self._lock:
            if self._started is None:
                executor = ThreadPoolExecutor(
                    max_workers=self.threads, thread_name_prefix="krev-fetch"
                )
                self._started = (executor, self._new_fetcher())
            return self._started

    def close(self) -> None:
        with self._lock:
            started, self._started = self._started, None
        if started is not None:
            executor, fetcher = started
            # A fetch under way ends by its deadline on its own; nothing waits for it.
            executor.shutdown(wait=False, cancel_futures=True)
            fetcher.close()
        if isinstance(self.slots, RedisFetchSlots):
            self.slots.close()


def _fetch_lane(
    fetcher: SafeFetcher, urls: Sequence[str], indices: range, deadline: float
) -> list[tuple[int, bytes | FetchError]]:
    outcomes: list[tuple[int, bytes | FetchError]] = []
    for index in indices:
        try:
            outcomes.append((index, fetcher.fetch(urls[index], deadline=deadline).content))
        except FetchError as error:
            outcomes.append((index, error))
    return outcomes


def _release(slot: FetchSlot, _work: Future[object]) -> None:
    slot.release()


def build_fetch_pool(settings: Settings) -> FetchPool:
    slots: FetchSlots = (
        RedisFetchSlots(settings.redis_url, settings.queue_name, settings.fetch_max_per_user)
        if settings.redis_url
        else MemoryFetchSlots(settings.fetch_max_per_user)
    )
    new_fetcher = functools.partial(
        SafeFetcher,
        max_bytes=settings.max_image_bytes,
        timeout=settings.fetch_timeout_seconds,
        allow_loopback=settings.fetch_allow_loopback,
        allowlist=settings.fetch_allowlist,
    )
    return FetchPool(
        new_fetcher,
        slots,
        timeout=settings.fetch_timeout_seconds,
        threads=settings.fetch_threads,
        max_per_user=settings.fetch_max_per_user,
    )
