"""Meta Conversions rules: each account's pixel configuration, taking events into the outbox
(deduplicated, in the request's transaction), and what the account sees of deliveries.
No HTTP types here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from krev.conversions.crypto import decrypt_token, encrypt_token, token_hint
from krev.conversions.events import ConversionBatchIn
from krev.conversions.repository import ConversionEventRepository, MetaPixelConfigRepository
from krev.errors import BadRequest
from krev.kit.clock import isoformat, utcnow
from krev.kit.pagination import Page, PageRequest
from krev.models import ConversionEvent, MetaPixelConfig
from krev.platform.config import Settings

# Meta counts an (event_name, event_id) pair once within 48 hours; we send it once too.
DEDUP_WINDOW = timedelta(hours=48)


class MetaNotConfigured(BadRequest):
    code = "meta_not_configured"
    default_message = (
        "No Meta pixel is configured for this account. Set your pixel id and Conversions API "
        "access token in the dashboard (PUT /api/v1/conversions/meta/config) or with "
        "`krev admin meta-config EMAIL --pixel-id ID --access-token TOKEN`."
    )


class MetaRejected(BadRequest):
    """Meta refused the events for good (an invalid token or parameter); they are recorded as
    failed with Meta's message, which the error repeats."""

    code = "meta_rejected"


# --- the pixel configuration ---------------------------------------------------------------


def config_view(config: MetaPixelConfig | None) -> dict[str, Any]:
    """What the dashboard sees: never the token, only its last four characters."""
    if config is None:
        return {
            "configured": False,
            "pixel_id": None,
            "access_token_hint": None,
            "test_event_code": None,
            "updated_at": None,
        }
    return {
        "configured": True,
        "pixel_id": config.pixel_id,
        "access_token_hint": config.access_token_hint,
        "test_event_code": config.test_event_code,
        "updated_at": isoformat(config.updated_at),
    }


def get_config(session: Session, user_id: uuid.UUID) -> MetaPixelConfig | None:
    return MetaPixelConfigRepository(session).get(user_id)


def put_config(
    session: Session,
    settings: Settings,
    user_id: uuid.UUID,
    *,
    pixel_id: str,
    access_token: str | None,
    test_event_code: str | None,
) -> MetaPixelConfig:
    """Create or replace the configuration; without ``access_token`` the stored one is kept."""
    repo = MetaPixelConfigRepository(session)
    config = repo.get(user_id)
    if config is None and access_token is None:
        raise BadRequest("The field 'access_token' is required to configure a Meta pixel.")
    now = utcnow()
    if config is None:
        assert access_token is not None
        config = MetaPixelConfig(
            user_id=user_id,
            pixel_id=pixel_id,
            access_token_encrypted=encrypt_token(settings.secret, access_token),
            access_token_hint=token_hint(access_token),
            test_event_code=test_event_code,
            created_at=now,
            updated_at=now,
        )
        return repo.add(config)
    config.pixel_id = pixel_id
    config.test_event_code = test_event_code
    config.updated_at = now
    if access_token is not None:
        config.access_token_encrypted = encrypt_token(settings.secret, access_token)
        config.access_token_hint = token_hint(access_token)
    session.flush()
    return config


def delete_config(session: Session, user_id: uuid.UUID) -> bool:
    return MetaPixelConfigRepository(session).remove(user_id)


def access_token_of(settings: Settings, config: MetaPixelConfig) -> str:
    return decrypt_token(settings.secret, config.access_token_encrypted)


# --- taking events in -------------------------------------------------------------------------


@dataclass(frozen=True)
class AcceptedEvents:
    events_received: int
    event_ids: list[uuid.UUID]  # the rows this request stands for: new ones and originals
    new_ids: list[uuid.UUID]
    claim_token: uuid.UUID | None  # set when the new rows are held for delivery right away


def accept_events(
    session: Session,
    user_id: uuid.UUID,
    batch: ConversionBatchIn,
    *,
    claim_seconds: float | None,
) -> AcceptedEvents:
    """Write the batch to the outbox; a repeat of a live (event_name, event_id) is not stored
    again. With ``claim_seconds`` the new rows are claimed for the caller, who delivers them
    after commit (and they fall to the worker if it never does)."""
    configs = MetaPixelConfigRepository(session)
    configured, default_test_code = configs.test_event_code_of(user_id)
    if not configured:
        raise MetaNotConfigured()
    repo = ConversionEventRepository(session)
    now = utcnow()
    token = uuid.uuid4() if claim_seconds is not None else None
    claimed_until = now + timedelta(seconds=claim_seconds) if claim_seconds is not None else None
    test_event_code = batch.test_event_code or default_test_code

    rows: list[dict[str, Any]] = []
    referenced: list[uuid.UUID] = []  # per event: its own row, or the one it repeats
    by_key: dict[str, uuid.UUID] = {}
    for index, event in enumerate(batch.events):
        key = event.dedup_key
        if key is not None and key in by_key:  # repeated within this request
            referenced.append(by_key[key])
            continue
        row_id = uuid.uuid4()
        if key is not None:
            by_key[key] = row_id
        referenced.append(row_id)
        rows.append(
            {
                "id": row_id,
                "user_id": user_id,
                "event_name": event.event_name,
                "event_id": event.event_id,
                "dedup_key": key,
                "payload": event.payload,
                "test_event_code": test_event_code,
                "status": "queued",
                "attempts": 0,
                "next_attempt_at": now,
                "claim_token": token,
                "claimed_until": claimed_until,
                "last_error": None,
                "fbtrace_id": None,
                # A microsecond apart, so the outbox keeps the request's order.
                "created_at": now + timedelta(microseconds=index),
                "completed_at": None,
            }
        )
    # The common case is one INSERT: the unique index turns away the keys already held.
    stored = repo.insert_new(rows)
    refused = [row for row in rows if row["id"] not in stored]
    if refused:
        stored |= _store_past_holders(repo, user_id, refused, now)
        key_of = {row["id"]: row["dedup_key"] for row in refused}
        holders = {
            key: row_id
            for key, row_id, _status, _created in repo.holders_of(user_id, list(key_of.values()))
        }
        # A repeat stands for the event that holds its key (None: lost a race to a request
        # still in flight, which reports it).
        resolved = (
            row_id if row_id in stored else holders.get(key_of[row_id]) for row_id in referenced
        )
        referenced = [row_id for row_id in resolved if row_id is not None]
    new_ids = [row["id"] for row in rows if row["id"] in stored]
    return AcceptedEvents(
        events_received=len(batch.events),
        event_ids=list(dict.fromkeys(referenced)),
        new_ids=new_ids,
        claim_token=token if new_ids else None,
    )


def _store_past_holders(
    repo: ConversionEventRepository,
    user_id: uuid.UUID,
    refused: list[dict[str, Any]],
    now: datetime,
) -> set[uuid.UUID]:
    """Rows refused because an earlier event holds their key: the key is freed and the row
    stored after all when that event is past Meta's 48 h window, or failed (Meta never saw
    it). The ids stored."""
    keys = [row["dedup_key"] for row in refused]
    expired = [
        row_id
        for _key, row_id, status, created_at in repo.holders_of(user_id, keys)
        if created_at < now - DEDUP_WINDOW or status == "failed"
    ]
    if not expired:
        return set()
    repo.release_dedup_keys(expired)
    return repo.insert_new(refused)


@dataclass(frozen=True)
class RequestOutcome:
    status: str  # sent | queued | failed
    error: str | None


def request_outcome(session: Session, event_ids: list[uuid.UUID]) -> RequestOutcome:
    """Where a request's events stand: failed if any failed, queued while any waits, else sent.
    (A row that lost a dedup race to a concurrent request is that request's to report.)"""
    states = ConversionEventRepository(session).statuses(event_ids)
    failed = [error for status, error in states.values() if status == "failed"]
    if failed:
        return RequestOutcome("failed", failed[0])
    if any(status == "queued" for status, _error in states.values()):
        return RequestOutcome("queued", None)
    return RequestOutcome("sent", None)


# --- reading deliveries ---------------------------------------------------------------------


def list_events(session: Session, user_id: uuid.UUID, page: PageRequest) -> Page[ConversionEvent]:
    return ConversionEventRepository(session).page_for_user(user_id, page)


def event_view(event: ConversionEvent) -> dict[str, Any]:
    payload = event.payload if isinstance(event.payload, dict) else {}
    event_time = payload.get("event_time")
    return {
        "id": str(event.id),
        "event_name": event.event_name,
        "event_id": event.event_id,
        "event_time": event_time,
        "event_time_iso": (
            isoformat(datetime.fromtimestamp(event_time, UTC))
            if isinstance(event_time, int)
            else None
        ),
        "action_source": payload.get("action_source"),
        "test_event_code": event.test_event_code,
        "status": event.status,
        "attempts": event.attempts,
        "error": event.last_error,
        "fbtrace_id": event.fbtrace_id,
        "created_at": isoformat(event.created_at),
        "completed_at": isoformat(event.completed_at),
    }
