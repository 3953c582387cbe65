"""Claiming a key, completing it with the response, or letting it go.

The rules (IETF draft-ietf-httpapi-idempotency-key-header, as Stripe applies them): the
first response is kept for the key, per user, for ``idempotency_ttl_hours``; a retry with
the same key and the same request gets that response again; the same key with a different
request is a 422; a retry while the first is still running is a 409. A request refused
before it did anything (invalid, unauthorised, out of credits, rate limited) is not kept,
so once the cause is fixed the same key runs it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from krev.idempotency.repository import IdempotencyRepository
from krev.kit.clock import utcnow
from krev.models import IdempotencyRecord
from krev.platform.config import Settings


@dataclass(frozen=True)
class Claimed:
    record_id: uuid.UUID


@dataclass(frozen=True)
class Replay:
    status: int
    headers: list[list[str]]
    body: bytes


@dataclass(frozen=True)
class Mismatch:
    """The key was used for a different request."""


@dataclass(frozen=True)
class InProgress:
    """The first request with this key has not answered yet."""


Claim = Claimed | Replay | Mismatch | InProgress


def claim(
    session: Session,
    settings: Settings,
    *,
    user_id: uuid.UUID,
    key: str,
    fingerprint: str,
    method: str,
    path: str,
) -> Claim:
    repository = IdempotencyRepository(session)
    now = utcnow()
    record = IdempotencyRecord(
        user_id=user_id,
        key=key,
        fingerprint=fingerprint,
        method=method,
        path=path[:512],
        status="in_progress",
        created_at=now,
        expires_at=now + timedelta(hours=settings.idempotency_ttl_hours),
    )
    if repository.insert_new(record):
        return Claimed(record.id)
    existing = repository.find(user_id, key)
    if existing is None:  # expired and purged between the insert and this read
        return InProgress()
    if existing.expires_at <= now:  # expired, not yet purged: the key is free again
        return _take_over(repository, existing, record)
    if existing.fingerprint != fingerprint:
        return Mismatch()
    if existing.status == "completed":
        return Replay(
            existing.response_status or 200,
            list(existing.response_headers or []),
            existing.response_body or b"",
        )
    abandoned = now - existing.created_at > timedelta(seconds=settings.idempotency_lock_seconds)
    return _take_over(repository, existing, record) if abandoned else InProgress()


def _take_over(
    repository: IdempotencyRepository, existing: IdempotencyRecord, fresh: IdempotencyRecord
) -> Claim:
    """A record whose request died without answering (or that expired) is claimed anew."""
    taken = repository.take_over(
        existing.id,
        existing.created_at,
        {
            "fingerprint": fresh.fingerprint,
            "method": fresh.method,
            "path": fresh.path,
            "status": "in_progress",
            "created_at": fresh.created_at,
            "expires_at": fresh.expires_at,
            "response_status": None,
            "response_headers": None,
            "response_body": None,
        },
    )
    return Claimed(existing.id) if taken else InProgress()


def complete(
    session: Session, record_id: uuid.UUID, status: int, headers: list[list[str]], body: bytes
) -> None:
    IdempotencyRepository(session).complete(record_id, status, headers, body)


def release(session: Session, record_id: uuid.UUID) -> None:
    IdempotencyRepository(session).remove(record_id)


def purge_expired(session: Session) -> int:
    return IdempotencyRepository(session).purge_expired(utcnow())
