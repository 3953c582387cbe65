"""Per-user rate limits with the `limits` library (moving window), in memory or Redis."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import structlog
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = structlog.get_logger("krev.ratelimit")


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


class RateLimiter:
    def __init__(self, storage_uri: str = "memory://") -> None:
        self.storage = storage_from_string(storage_uri)
        self.strategy = MovingWindowRateLimiter(self.storage)

    def hit(self, rule: str, *identifiers: str, policy: str = "default") -> RateLimitState:
        """Count one request against ``rule`` (e.g. '120/minute') unless it is already spent.

        If the store cannot be reached the request is let through (and logged): a Redis blip
        should slow nobody's integration down to errors.
        """
        item = parse(rule)
        try:
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
