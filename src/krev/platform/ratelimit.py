"""Per-user rate limits: a moving window per budget, in this process's memory or in Redis.

A budget is named by its policy, its rule and the caller's identifiers (``hit("120/minute",
"user", id, policy="pro")``); a hit is counted if fewer than the rule's amount were counted
in the window before it, and each counted hit stays in the window for exactly the window's
length. Rules are parsed with the `limits` package's notation (``limits.parse``); the
counting is ours.

In memory (embedded mode) each budget is a deque of its hits' times under one lock, pruned
as it is read; a budget nobody has hit for a whole window is forgotten, so memory holds only
the budgets hit within their last window.

In Redis (scale-out mode) each budget is a list under ``<prefix>:ratelimit:``, its hits'
timestamps newest first, holding only the window, kept by one small script (``_HIT``).
Every authenticated request has to be counted there, and a script call costs the event loop
a round trip plus about 50 µs of client work. Under load many requests reach their
rate-limit check in the same turn of the event loop, so ``hit_async`` gathers those hits and
sends them as one script call: the per-request cost falls as the load rises. Batching
changes no answer: Redis runs the script atomically and the script takes the hits one by
one in arrival order, each doing exactly what a lone hit does.
"""

from __future__ import annotations

import asyncio
import functools
import math
import threading
import time
import weakref
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import redis
import structlog
from limits import RateLimitItem, parse
from redis.backoff import NoBackoff
from redis.retry import Retry

log = structlog.get_logger("krev.platform.ratelimit")


class Rule(NamedTuple):
    amount: int  # hits allowed in the window
    window: int  # seconds


@functools.lru_cache(maxsize=64)
def _parse(rule: str) -> Rule:
    # Rules come from the plans and settings: a handful of strings, parsed once each.
    item: RateLimitItem = parse(rule)
    return Rule(item.amount, item.get_expiry())


class Window(NamedTuple):
    """A budget's window right after a hit: whether the hit counted, how many hits the
    window holds (that one included), and when the oldest of them was made."""

    counted: bool
    held: int
    oldest: float


@dataclass(frozen=True)
class RateLimitState:
    allowed: bool
    limit: int
    remaining: int
    reset_after: int  # seconds until the window frees a request
    window: int  # seconds
    policy: str

    @classmethod
    def of_window(cls, rule: Rule, policy: str, window: Window, now: float) -> RateLimitState:
        return cls(
            allowed=window.counted,
            limit=rule.amount,
            remaining=max(0, rule.amount - window.held),
            reset_after=max(0, math.ceil(window.oldest + rule.window - now)),
            window=rule.window,
            policy=policy,
        )

    @classmethod
    def store_unavailable(cls, rule: Rule, policy: str) -> RateLimitState:
        """The answer when the store cannot be reached: allowed, with the whole budget left."""
        return cls(True, rule.amount, rule.amount, 0, rule.window, policy)

    def headers(self) -> dict[str, str]:
        """IETF draft-ietf-httpapi-ratelimit-headers, plus Retry-After when refused."""
        headers = {
            "RateLimit-Policy": f'"{self.policy}";q={self.limit};w={self.window}',
            "RateLimit": f'"{self.policy}";r={self.remaining};t={self.reset_after}',
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, self.reset_after))
        return headers


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
    """Counts hits against budgets in memory (``memory://``) or in Redis (a redis:// URL).

    ``prefix`` names the deployment in Redis: limiters with the same prefix on one Redis
    share every budget, and ``reset`` deletes only that prefix's.
    """

    # After the store fails, requests are let through without trying it for this long, so
    # an outage costs one timeout a second rather than one per request.
    OUTAGE_BACKOFF_SECONDS = 1.0

    def __init__(self, storage_uri: str = "memory://", *, prefix: str = "krev") -> None:
        self._memory = _MemoryWindows() if storage_uri.startswith("memory://") else None
        self._redis = _RedisWindows(storage_uri, prefix) if self._memory is None else None
        self._batches = (
            _Batches(self._redis, self._store_failed) if self._redis is not None else None
        )
        self._down_until = 0.0

    def hit(self, rule: str, *identifiers: str, policy: str = "default") -> RateLimitState:
        """Count one request against ``rule`` (e.g. '120/minute') unless it is already spent.

        If the store cannot be reached the request is let through (and logged): a Redis blip
        should slow nobody's integration down to errors.
        """
        parsed = _parse(rule)
        if self._memory is not None:
            now = time.monotonic()
            window = self._memory.hit((policy, *parsed, *identifiers), parsed, now)
            return RateLimitState.of_window(parsed, policy, window, now)
        assert self._redis is not None
        if self._store_down():
            return RateLimitState.store_unavailable(parsed, policy)
        now = time.time()
        try:
            [window] = self._redis.hit_many(
                [self._redis.key(policy, parsed, identifiers)], [parsed], now
            )
        except Exception:
            log.warning("rate_limit_store_unavailable", exc_info=True)
            self._store_failed()
            return RateLimitState.store_unavailable(parsed, policy)
        return RateLimitState.of_window(parsed, policy, window, now)

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
        if self._redis is not None:
            self._redis.client.ping()

    def reset(self) -> None:
        """Forget every budget (in Redis: every budget under this limiter's prefix)."""
        if self._memory is not None:
            self._memory.reset()
        if self._redis is not None:
            self._redis.reset()


class _MemoryWindows:
    """Every budget's hits in its window, oldest first, for one process.

    Budgets are grouped by window length, each group in order of last use. A budget's hits
    have all left the window one window after its last use at the latest, so each hit
    forgets the idle budgets at the front of its group (stopping at the first that is not):
    memory holds only the budgets used within about their last window, however many
    users, addresses or emails come and go.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()  # sync hits run on request threads as well
        self._groups: dict[int, OrderedDict[tuple[Any, ...], deque[float]]] = {}

    def hit(self, key: tuple[Any, ...], rule: Rule, now: float) -> Window:
        with self._lock:
            group = self._groups.get(rule.window)
            if group is None:
                group = self._groups[rule.window] = OrderedDict()
            hits = group.get(key)
            if hits is None:
                hits = group[key] = deque()
            else:
                group.move_to_end(key)
            while hits and now - hits[0] >= rule.window:
                hits.popleft()
            counted = len(hits) < rule.amount
            if counted:
                hits.append(now)
            window = Window(counted, len(hits), hits[0] if hits else now)
            while group:
                oldest_key = next(iter(group))
                held = group[oldest_key]
                if held and now - held[-1] < rule.window:
                    break
                del group[oldest_key]
            return window

    def budgets(self) -> int:
        """How many budgets are held (tests check that idle ones are forgotten)."""
        with self._lock:
            return sum(len(group) for group in self._groups.values())

    def reset(self) -> None:
        with self._lock:
            self._groups.clear()


# One budget per key: a list of its hits' timestamps (seconds, as the caller sent them),
# newest first, holding only the window. For each hit in turn: drop the hits that have left
# the window from the old end (each is dropped once), count the rest (the list's length),
# and add this one if there is room: a few list operations per hit, whatever the limit. A
# key may come many times in one call (one busy user): each hit sees the ones before it.
#
# A list rather than a sorted set: hits arrive in time order (a batch shares one
# timestamp), so the oldest is always at the end; and a list costs Redis less (5-11 against
# 8-15 µs a hit in a micro-benchmark, 1-50 budgets) and a fifth to three quarters of the
# memory; a sorted set would also need a unique member for each hit. The timestamps are
# the API processes' clocks, so those should agree (NTP): where they differ, the window's
# edge moves by the difference, and a hit stamped earlier than the one before it leaves the
# window with that one.
#
# KEYS: the budget of each hit, in arrival order. ARGV: now, then each hit's limit and
# window (seconds). Reply, for each hit: 1 if counted else 0, the hits in the window, the
# oldest of them.
_HIT = """
local stamp = ARGV[1]
local now = tonumber(stamp)
local replies = {}
for i, key in ipairs(KEYS) do
    local limit = tonumber(ARGV[2 * i])
    local window = tonumber(ARGV[2 * i + 1])
    local oldest = redis.call('lindex', key, -1)
    while oldest and now - tonumber(oldest) >= window do
        redis.call('rpop', key)
        oldest = redis.call('lindex', key, -1)
    end
    local count = redis.call('llen', key)
    local counted = 0
    if count < limit then
        redis.call('lpush', key, stamp)
        redis.call('pexpire', key, math.ceil(window * 1000))
        count = count + 1
        counted = 1
        oldest = oldest or stamp
    end
    replies[#replies + 1] = counted
    replies[#replies + 1] = count
    replies[#replies + 1] = oldest or stamp
end
return replies
"""


def _key_part(text: str) -> str:
    # Identifiers may hold ':' (an IPv6 address): escaped, no two budgets share a key.
    return text.replace("%", "%25").replace(":", "%3A")


def _glob_escaped(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


class _RedisWindows:
    """The budgets of one prefix in Redis, hit through ``_HIT``."""

    def __init__(self, url: str, prefix: str) -> None:
        self.client = redis.Redis.from_url(url, **REDIS_OPTIONS)
        self.script = self.client.register_script(_HIT)
        self.namespace = f"{prefix}:ratelimit:"

    def key(self, policy: str, rule: Rule, identifiers: tuple[str, ...]) -> str:
        parts = [_key_part(policy), f"{rule.amount}/{rule.window}s"]
        parts += map(_key_part, identifiers)
        return self.namespace + ":".join(parts)

    def hit_many(self, keys: list[str], rules: list[Rule], now: float) -> list[Window]:
        """Each hit in order, all at one time, in one call."""
        args: list[float | int] = [now]
        for rule in rules:
            args += rule
        reply = self.script(keys, args)
        if len(reply) != 3 * len(keys):
            raise RuntimeError(f"rate-limit script answered {len(reply)} values for {len(keys)}")
        return [
            Window(bool(reply[n]), int(reply[n + 1]), float(reply[n + 2]))
            for n in range(0, len(reply), 3)
        ]

    def reset(self) -> None:
        match = _glob_escaped(self.namespace) + "*"
        batch: list[bytes] = []
        for key in self.client.scan_iter(match=match, count=1000):
            batch.append(key)
            if len(batch) == 1000:
                self.client.unlink(*batch)
                batch.clear()
        if batch:
            self.client.unlink(*batch)


@dataclass(eq=False)
class _Batch:
    """The hits waiting, on one event loop, for the flush that turn has scheduled."""

    keys: list[str] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
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

    def __init__(self, redis: _RedisWindows, on_failure: Callable[[], None]) -> None:
        self.redis = redis
        self.on_failure = on_failure
        # The dict holds only a weak reference to each batch: the batch's futures refer to
        # their loop, so a strong one would keep a loop that closed before flushing alive
        # for good. The batch itself lives in the loop's scheduled flush.
        self.pending: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, weakref.ref[_Batch]] = (
            weakref.WeakKeyDictionary()
        )

    def add(
        self, rule: Rule, identifiers: tuple[str, ...], policy: str
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
        batch.keys.append(self.redis.key(policy, rule, identifiers))
        batch.rules.append(rule)
        batch.policies.append(policy)
        batch.futures.append(future)
        return future

    def flush(self, loop: asyncio.AbstractEventLoop, batch: _Batch) -> None:
        found = self.pending.get(loop)
        if found is not None and found() is batch:
            del self.pending[loop]
        now = time.time()
        try:
            states = [
                RateLimitState.of_window(rule, policy, window, now)
                for rule, policy, window in zip(
                    batch.rules,
                    batch.policies,
                    self.redis.hit_many(batch.keys, batch.rules, now),
                    strict=True,
                )
            ]
        except Exception:
            # The same fail-open policy as ``RateLimiter.hit``, logged once for the batch.
            log.warning("rate_limit_store_unavailable", hits=len(batch.futures), exc_info=True)
            self.on_failure()
            states = [
                RateLimitState.store_unavailable(rule, policy)
                for rule, policy in zip(batch.rules, batch.policies, strict=True)
            ]
        for future, state in zip(batch.futures, states, strict=True):
            # A request whose client went away has cancelled its future; the rest still wait.
            if not future.done():
                future.set_result(state)
