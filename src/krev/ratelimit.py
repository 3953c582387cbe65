"""Per-user rate limits with the `limits` library (moving window), in memory or Redis."""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass
from typing import Any

import structlog
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, RedisStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from limits.util import WindowStats

log = structlog.get_logger("krev.ratelimit")


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


class RateLimiter:
    def __init__(self, storage_uri: str = "memory://") -> None:
        self.storage = (
            _MemoryStorage(storage_uri)
            if storage_uri.startswith("memory://")
            else storage_from_string(storage_uri)
        )
        self.strategy = MovingWindowRateLimiter(self.storage)
        self._redis = (
            _OneRoundTrip(self.storage) if isinstance(self.storage, RedisStorage) else None
        )

    def hit(self, rule: str, *identifiers: str, policy: str = "default") -> RateLimitState:
        """Count one request against ``rule`` (e.g. '120/minute') unless it is already spent.

        If the store cannot be reached the request is let through (and logged): a Redis blip
        should slow nobody's integration down to errors.
        """
        item = _parse(rule)
        try:
            if self._redis is not None:
                allowed, stats = self._redis.hit(item, identifiers)
            else:
                allowed = self.strategy.hit(item, *identifiers)
                stats = self.strategy.get_window_stats(item, *identifiers)
        except Exception:
            log.warning("rate_limit_store_unavailable", exc_info=True)
            return RateLimitState(True, item.amount, item.amount, 0, item.get_expiry(), policy)
        reset_after = max(0, math.ceil(stats.reset_time - time.time()))
        return RateLimitState(
            allowed=allowed,
            limit=item.amount,
            remaining=max(0, stats.remaining),
            reset_after=reset_after,
            window=item.get_expiry(),
            policy=policy,
        )

    def check(self) -> None:
        if not self.storage.check():
            raise ConnectionError("rate-limit storage is not reachable")

    def reset(self) -> None:
        self.storage.reset()


# limits' acquire_moving_window.lua then moving_window.lua as one script (amount is always
# 1 here): the same list per key, newest timestamp first, trimmed to the limit and expiring
# with the window, so limits' own strategy, `clear` and `reset` keep working on it.
_HIT_AND_STATS = """
local timestamp = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local expiry = tonumber(ARGV[3])
local acquired = 0
local entry = redis.call('lindex', KEYS[1], limit - 1)
if not (entry and tonumber(entry) >= timestamp - expiry) then
    redis.call('lpush', KEYS[1], timestamp)
    redis.call('ltrim', KEYS[1], 0, limit - 1)
    redis.call('expire', KEYS[1], expiry)
    acquired = 1
end
local low, high, index = 0, redis.call('llen', KEYS[1]) - 1, nil
while low <= high do
    local mid = math.floor((low + high) / 2)
    local value = tonumber(redis.call('lindex', KEYS[1], mid))
    if value and value >= timestamp - expiry then
        index = mid
        low = mid + 1
    else
        high = mid - 1
    end
end
if index then
    return {acquired, tostring(redis.call('lindex', KEYS[1], index)), index + 1}
end
return {acquired, tostring(timestamp), 0}
"""


class _OneRoundTrip:
    """``strategy.hit`` then ``strategy.get_window_stats`` in a single Redis script call.

    limits sends them as two scripts, i.e. two round trips and twice the client work on
    every request; this is the same moving window over the same key in one call.
    """

    def __init__(self, storage: RedisStorage) -> None:
        self.storage = storage
        self.script = storage.get_connection().register_script(_HIT_AND_STATS.encode())

    def hit(self, item: RateLimitItem, identifiers: tuple[str, ...]) -> tuple[bool, WindowStats]:
        key = self.storage.prefixed_key(item.key_for(*identifiers))
        expiry = item.get_expiry()
        acquired, start, count = self.script([key], [time.time(), item.amount, expiry])
        return bool(acquired), WindowStats(float(start) + expiry, item.amount - int(count))
