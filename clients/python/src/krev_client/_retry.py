"""When a request is tried again, and after how long.

A request is retried only when trying it again cannot do a thing twice:

- no answer at all (connection refused or lost, a timeout): a GET is safe, and every POST
  carries an ``Idempotency-Key``, so the server answers a repeat with its first answer;
- 429 (rate limited, too many jobs, too many fetches): refused before anything was done;
- 409 ``idempotency_in_progress``: the first try of this very request is still running;
- a 5xx that names no ``generation_id``: the server stores an answer for a key only when
  the request did something (a job was accepted), so such a failure did nothing.

A 5xx that names a ``generation_id`` is a job that ran and failed: trying again would answer
the same failure, so it is raised (``GenerationFailed``) at once.

Delays grow exponentially with "equal jitter" (half fixed, half random), so many clients
failing together do not come back together, and are never shorter than the server's
``Retry-After``.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
from dataclasses import dataclass

import httpx

RETRYABLE_CONFLICT = "idempotency_in_progress"


@dataclass(frozen=True)
class Retries:
    """How the client retries (see the module docstring for what it retries).

    ``max_retries`` tries after the first; the n-th waits between half and all of
    ``min(max_delay, initial_delay * 2**(n-1))`` seconds, or the server's ``Retry-After`` when
    that is longer. A ``Retry-After`` over ``max_retry_after`` is not waited for: the error is
    raised at once (a quota that frees in an hour is the caller's to handle).
    """

    max_retries: int = 3
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        if self.initial_delay < 0 or self.max_delay < 0 or self.max_retry_after < 0:
            raise ValueError("delays must be 0 or more")

    def backoff(self, retry: int, rng: random.Random | None = None) -> float:
        """Seconds before retry number ``retry`` (1 for the first), without Retry-After."""
        ceiling = min(self.max_delay, self.initial_delay * 2.0 ** max(0, retry - 1))
        return ceiling / 2 + (rng or _rng).uniform(0, ceiling / 2)

    def delay(self, outcome: httpx.Response | httpx.TransportError, retry: int) -> float | None:
        """Seconds to wait before retry number ``retry``, or None: do not retry ``outcome``."""
        if retry > self.max_retries or not retryable(outcome):
            return None
        wait = self.backoff(retry)
        if isinstance(outcome, httpx.Response):
            asked = parse_retry_after(outcome.headers.get("retry-after"))
            if asked is not None:
                if asked > self.max_retry_after:
                    return None
                wait = max(wait, asked)
        return wait


NO_RETRIES = Retries(max_retries=0)
_rng = random.Random()


def retryable(outcome: httpx.Response | httpx.TransportError) -> bool:
    if isinstance(outcome, httpx.TransportError):
        # A URL or protocol the client cannot speak fails the same way every time.
        return isinstance(
            outcome, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError
        )
    status = outcome.status_code
    if status == 429:
        return True
    if status == 409:
        return _body(outcome).get("code") == RETRYABLE_CONFLICT
    if status >= 500:
        return "generation_id" not in _body(outcome)
    return False


def _body(response: httpx.Response) -> dict[str, object]:
    try:
        parsed = json.loads(response.content)
    except ValueError:  # a proxy's HTML page
        return {}
    return parsed if isinstance(parsed, dict) else {}


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN is no answer
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))
