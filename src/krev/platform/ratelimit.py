"""Per-user rate limits with the `limits` library (moving window), in memory or Redis.

With Redis (scale-out mode) every authenticated request has to be counted in Redis, and a
script call costs the event loop a round trip plus about 50 µs of client work. Under load
many requests reach their rate-limit check in the same turn of the event loop, so
``hit_async`` gathers those hits and sends them as one script call: the per-request cost
falls as the load rises. Batching changes no answer: Redis runs the script atomically and
the script takes the hits one by one in arrival order, each doing exactly what a lone hit
does (acquire if the window allows, then read the window), on the same keys and list
layout as limits' own moving window, so ``clear``, ``reset`` and other processes' limiters
see the same counts.
"""

from __future__ import annotations

import asyncio
import functools
import math
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, RedisClusterStorage, RedisStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from limits.util import WindowStats
from redis.backoff import NoBackoff
from redis.retry import Retry

log = structlog.get_logger("krev.platform.ratelimit")


@functools.lru_cache(maxsize=64)
def _parse(rule: str) -> RateLimitItem:
    # Rules come from the plans: a handful of strings, parsed once instead of per request.
    return parse(rule)


@dataclass(frozen=True)
class RateLimitState:
    allowed: bool
    limit: int
    remaining: int
    reset_after: int  # seconds until the window frees a request
    window: int  # seconds
    policy: str

    @classmethod
    def of_window(
        cls, item: RateLimitItem, policy: str, allowed: bool, stats: WindowStats
    ) -> RateLimitState:
        return cls(
            allowed=allowed,
            limit=item.amount,
            remaining=max(0, stats.remaining),
            reset_after=max(0, math.ceil(stats.reset_time - time.time())),
            window=item.get_expiry(),
            policy=policy,
        )

    @classmethod
    def store_unavailable(cls, item: RateLimitItem, policy: str) -> RateLimitState:
        """The answer when the store cannot be reached: allowed, with the whole budget left."""
        return cls(True, item.amount, item.amount, 0, item.get_expiry(), policy)

    def headers(self) -> dict[str, str]:
        """IETF draft-ietf-httpapi-ratelimit-headers, plus Retry-After when refused."""
        headers = {
            "RateLimit-Policy": f'"{self.policy}";q={self.limit};w={self.window}',
            "RateLimit": f'"{self.policy}";r={self.remaining};t={self.reset_after}',
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, self.reset_after))
        return headers


class _MemoryStorage(MemoryStorage):
    """limits' in-memory storage, pruning old entries on the caller's thread once a second.

    The stock one starts a ``threading.Timer`` thread for its 10 ms pruning pass whenever the
    previous one has finished: under load, a new thread every few requests, and the caller
    (the event loop) waits for each to start, i.e. for the GIL to come round. Pruning only
    bounds memory (a moving window reads entry timestamps itself), so doing it inline once a
    second changes no answer.
    """

    PRUNE_INTERVAL = 1.0

    def __init__(self, uri: str | None = None, **options: Any) -> None:
        super().__init__(uri, **options)
        self._next_prune = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 (limits' private hook)
        now = time.monotonic()
        if now >= self._next_prune:
            self._next_prune = now + self.PRUNE_INTERVAL
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


# The rate-limit call runs on the event loop, so an unreachable Redis must fail fast:
# redis-py's defaults (three retries with backoff) held every request ~5.6 s when the
# server refused connections. One immediate retry still rides over a connection the server
# closed (a restart).
REDIS_OPTIONS: dict[str, Any] = {
    "socket_connect_timeout": 0.5,
    "socket_timeout": 0.5,
    "retry": Retry(NoBackoff(), 1),
}


class RateLimiter:
    # After the store fails, requests are let through without trying it for this long, so
    # an outage costs one timeout a second rather than one per request.
    OUTAGE_BACKOFF_SECONDS = 1.0

    def __init__(self, storage_uri: str = "memory://") -> None:
        self.storage = (
            _MemoryStorage(storage_uri)
            if storage_uri.startswith("memory://")
            else storage_from_string(storage_uri, **REDIS_OPTIONS)
        )
        self._down_until = 0.0
        self.strategy = MovingWindowRateLimiter(self.storage)
        self._redis = (
            _OneRoundTrip(self.storage) if isinstance(self.storage, RedisStorage) else None
        )
        # A cluster refuses a script whose keys live in different hash slots, and users'
        # keys do; there each hit keeps its own call.
        self._batches = (
            _Batches(self._redis, self._store_failed)
            if self._redis is not None and not isinstance(self.storage, RedisClusterStorage)
            else None
        )

    def hit(self, rule: str, *identifiers: str, policy: str = "default") -> RateLimitState:
        """Count one request against ``rule`` (e.g. '120/minute') unless it is already spent.

        If the store cannot be reached the request is let through (and logged): a Redis blip
        should slow nobody's integration down to errors.
        """
        item = _parse(rule)
        if self._store_down():
            return RateLimitState.store_unavailable(item, policy)
        try:
            if self._redis is not None:
                allowed, stats = self._redis.hit(item, identifiers)
            else:
                allowed = self.strategy.hit(item, *identifiers)
                stats = self.strategy.get_window_stats(item, *identifiers)
        except Exception:
            log.warning("rate_limit_store_unavailable", exc_info=True)
            self._store_failed()
            return RateLimitState.store_unavailable(item, policy)
        return RateLimitState.of_window(item, policy, allowed, stats)

    def _store_down(self) -> bool:
        return self._down_until > 0 and time.monotonic() < self._down_until

    def _store_failed(self) -> None:
        self._down_until = time.monotonic() + self.OUTAGE_BACKOFF_SECONDS

    async def hit_async(
        self, rule: str, *identifiers: str, policy: str = "default"
    ) -> RateLimitState:
        """``hit`` for code on an event loop: with Redis, the hits that reach this point in
        the same turn of the loop share one script call (see the module docstring)."""
        if self._batches is None or self._store_down():
            return self.hit(rule, *identifiers, policy=policy)
        return await self._batches.add(_parse(rule), identifiers, policy)

    def check(self) -> None:
        if not self.storage.check():
            raise ConnectionError("rate-limit storage is not reachable")

    def reset(self) -> None:
        self.storage.reset()


# limits' acquire_moving_window.lua then moving_window.lua as one script (amount is always
# 1 here), for each key in turn: the same list per key, newest timestamp first, at most the
# limit long and expiring with the window, so limits' own strategy, `clear` and `reset` keep
# working on it. ARGV is the timestamp, then the limit and expiry of each key; the reply is
# (acquired, oldest timestamp in the window, entries in the window) for each key. A key may
# come many times (one busy user): each hit sees the ones before it.
#
# Where limits counts the window by reading the list up to the limit, this first drops the
# entries that have left the window from the old end (each is dropped once), so what is
# left is the window and the count is its length: a few list operations per hit, however
# high the limit. limits never counts an entry older than the window, so dropping them
# changes nothing it reads; and with the list holding only the window, "the entry at
# limit - 1 is in the window" (limits' refusal) is "the list is limit long".
_HIT_AND_STATS = """
local timestamp = tonumber(ARGV[1])
local replies = {}
for i, key in ipairs(KEYS) do
    local limit = tonumber(ARGV[2 * i])
    local expiry = tonumber(ARGV[2 * i + 1])
    local count = redis.call('llen', key)
    local oldest = redis.call('lindex', key, -1)
    while oldest and tonumber(oldest) < timestamp - expiry do
        redis.call('rpop', key)
        count = count - 1
        oldest = redis.call('lindex', key, -1)
    end
    local acquired = 0
    if count < limit then
        redis.call('lpush', key, timestamp)
        redis.call('expire', key, expiry)
        count = count + 1
        oldest = oldest or timestamp
        acquired = 1
    end
    replies[#replies + 1] = acquired
    replies[#replies + 1] = tostring(oldest or timestamp)
    replies[#replies + 1] = count
end
return replies
"""


class _OneRoundTrip:
    """``strategy.hit`` then ``strategy.get_window_stats`` in a single Redis script call,
    for one hit or for a batch of them.

    limits sends them as two scripts, i.e. two round trips and twice the client work on
    every request; this is the same moving window over the same key in one call.
    """

    def __init__(self, storage: RedisStorage) -> None:
        self.storage = storage
        self.script = storage.get_connection().register_script(_HIT_AND_STATS.encode())

    def key(self, item: RateLimitItem, identifiers: tuple[str, ...]) -> str:
        return self.storage.prefixed_key(item.key_for(*identifiers))

    def hit(self, item: RateLimitItem, identifiers: tuple[str, ...]) -> tuple[bool, WindowStats]:
        return self.hit_many([item], [self.key(item, identifiers)])[0]

    def hit_many(
        self, items: list[RateLimitItem], keys: list[str]
    ) -> list[tuple[bool, WindowStats]]:
        """Each hit in order, all at one timestamp, in one call."""
        args: list[float] = [time.time()]
        for item in items:
            args += (item.amount, item.get_expiry())
        reply = self.script(keys, args)
        if len(reply) != 3 * len(items):
            raise RuntimeError(f"rate-limit script answered {len(reply)} values for {len(items)}")
        results = []
        for n, item in enumerate(items):
            acquired, start, count = reply[3 * n : 3 * n + 3]
            stats = WindowStats(float(start) + item.get_expiry(), item.amount - int(count))
            results.append((bool(acquired), stats))
        return results


@dataclass(eq=False)
class _Batch:
    """The hits waiting, on one event loop, for the flush that turn has scheduled."""

    items: list[RateLimitItem] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    policies: list[str] = field(default_factory=list)
    futures: list[asyncio.Future[RateLimitState]] = field(default_factory=list)


class _Batches:
    """Gathers the hits of one turn of an event loop into one script call per turn.

    Each loop has its own pending batch (tests and TestClient run loops in several threads),
    and only that loop's thread touches it, from its own callbacks, so it needs no lock.
    """

    # Hits in one script call. Redis runs nothing else while a script runs, and the loop
    # waits for the reply, so a very large batch would stall both; past this, the next hits
    # start a batch of their own, flushed right after this one.
    MAX_HITS = 256

    def __init__(self, redis: _OneRoundTrip, on_failure: Callable[[], None]) -> None:
        self.redis = redis
        self.on_failure = on_failure
        # The dict holds only a weak reference to each batch: the batch's futures refer to
        # their loop, so a strong one would keep a loop that closed before flushing alive
        # for good. The batch itself lives in the loop's scheduled flush.
        self.pending: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, weakref.ref[_Batch]] = (
            weakref.WeakKeyDictionary()
        )

    def add(
        self, item: RateLimitItem, identifiers: tuple[str, ...], policy: str
    ) -> asyncio.Future[RateLimitState]:
        loop = asyncio.get_running_loop()
        found = self.pending.get(loop)
        batch = found() if found is not None else None
        if batch is None or len(batch.futures) >= self.MAX_HITS:
            batch = _Batch()
            self.pending[loop] = weakref.ref(batch)
            # call_soon runs after every callback already due this turn, i.e. after every
            # request that reaches its rate-limit check now; they all join this batch.
            loop.call_soon(self.flush, loop, batch)
        future: asyncio.Future[RateLimitState] = loop.create_future()
        batch.items.append(item)
        batch.keys.append(self.redis.key(item, identifiers))
        batch.policies.append(policy)
        batch.futures.append(future)
        return future

    def flush(self, loop: asyncio.AbstractEventLoop, batch: _Batch) -> None:
        found = self.pending.get(loop)
        if found is not None and found() is batch:
            del self.pending[loop]
        try:
            states = [
                RateLimitState.of_window(item, policy, allowed, stats)
                for item, policy, (allowed, stats) in zip(
                    batch.items,
                    batch.policies,
                    self.redis.hit_many(batch.items, batch.keys),
                    strict=True,
                )
            ]
        except Exception:
            # The same fail-open policy as ``RateLimiter.hit``, logged once for the batch.
            log.warning("rate_limit_store_unavailable", hits=len(batch.futures), exc_info=True)
            self.on_failure()
            states = [
                RateLimitState.store_unavailable(item, policy)
                for item, policy in zip(batch.items, batch.policies, strict=True)
            ]
        for future, state in zip(batch.futures, states, strict=True):
            # A request whose client went away has cancelled its future; the rest still wait.
            if not future.done():
                future.set_result(state)
