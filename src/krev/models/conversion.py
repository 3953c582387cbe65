"""Meta Conversions: each account's pixel configuration, and the outbox of events that doubles
as the delivery log (queued → sent | failed)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from krev.kit.clock import utcnow
from krev.models.base import Base

CONVERSION_STATUSES = ("queued", "sent", "failed")


class MetaPixelConfig(Base):
    __tablename__ = "meta_pixel_configs"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    pixel_id: Mapped[str] = mapped_column(String(32))
    # Fernet token of the access token (see krev.conversions.secrets); never the token itself.
    access_token_encrypted: Mapped[str] = mapped_column(Text)
    access_token_hint: Mapped[str] = mapped_column(String(8))
    test_event_code: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConversionEvent(Base):
    """One event as it will be (or was) sent to Meta, already normalised and hashed."""

    __tablename__ = "conversion_events"
    __table_args__ = (
        # Deduplication: one live row per (account, event_name, event_id); the key is cleared
        # once the 48 h window has passed (or the delivery failed), so NULLs never collide.
        Index("uq_conversion_events_user_dedup", "user_id", "dedup_key", unique=True),
        Index("ix_conversion_events_due", "status", "next_attempt_at"),
        Index("ix_conversion_events_user_created", "user_id", "created_at", "id"),
        Index("ix_conversion_events_claim", "claim_token"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event_name: Mapped[str] = mapped_column(String(255))
    event_id: Mapped[str | None] = mapped_column(String(255), default=None)
    dedup_key: Mapped[str | None] = mapped_column(String(64), default=None)
    payload: Mapped[dict[str, Any]] = mapped_column()
    test_event_code: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claim_token: Mapped[uuid.UUID | None] = mapped_column(default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    fbtrace_id: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
