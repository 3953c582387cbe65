"""Generation jobs: queued → processing → succeeded | failed | cancelled, and the event each
status change leaves behind."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, column_property, declared_attr, mapped_column

from krev.kit.clock import utcnow
from krev.models.base import Base
from krev.models.cause import CausedBy

GenerationStatus = Literal["queued", "processing", "succeeded", "failed", "cancelled"]
ACTIVE_STATUSES = ("queued", "processing")
TERMINAL_STATUSES = ("succeeded", "failed", "cancelled")
EVENT_TYPES = {status: f"generation.{status}" for status in (*ACTIVE_STATUSES, *TERMINAL_STATUSES)}
"""The type of the event a change to each status writes (``generation.queued``, …)."""


class Generation(CausedBy, Base):
    """A job, and what caused it (``CausedBy``: the key or session that submitted it)."""

    __tablename__ = "generations"
    __table_args__ = (
        Index("ix_generations_status_heartbeat", "status", "heartbeat_at"),
        # Listing is newest first per user, with (created_at, id) as the cursor.
        Index("ix_generations_user_created", "user_id", "created_at", "id"),
        # One client's generations (an agency runs a key per client).
        Index("ix_generations_user_api_key", "user_id", "api_key_id"),
        # The janitor's retention finds finished generations by age (KREV_OUTPUT_RETENTION_DAYS).
        Index("ix_generations_completed_at", "completed_at"),
        # Each accepted job counts the user's active ones against the plan's max_active_jobs.
        Index("ix_generations_user_status", "user_id", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[int] = mapped_column(default=0)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    output: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    error_code: Mapped[str | None] = mapped_column(String(64), default=None)
    credits_reserved: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_used: Mapped[int] = mapped_column(BigInteger, default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    # What the job remembers across runs (a hosted provider's job ids, retries of a transient
    # failure, the engine it fell back to), and when a job waiting on a provider runs next.
    provider_state: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    wake_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    deadline_at: Mapped[datetime]

    @declared_attr
    def prompt(cls) -> Mapped[str | None]:
        """The words the job was asked for: an image's or a video's prompt, an ad's brief.
        Read in SQL, so views and lists show it without loading the whole request (an image
        job's params carry its reference thumbnails)."""
        asked = func.coalesce(cls.params["prompt"].as_string(), cls.params["brief"].as_string())
        return column_property(asked.label("prompt"))


class GenerationProduct(Base):
    """A product a generation was submitted for (its analysis, or images made with it), so the
    generations of a product are found by index rather than by searching every job's params.

    The product's id is not a foreign key: the rows outlive the product. Deleting a product
    removes its photos, not what was made with it; those generations stay in the list and
    stay findable by the product's id (an id in their params too)."""

    __tablename__ = "generation_products"

    generation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("generations.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)


class GenerationEvent(Base):
    """One status change of a generation, written in the transaction that made it: the outbox
    that webhooks and progress streams read (docs/jobs.md).

    ``id`` is the order readers follow. Every event is written under its user's row lock
    (``GenerationRepository._change_status``), so one user's events become visible in ``id``
    order: a reader that remembers the last id it saw of a user misses none. Ids of different
    users may commit out of order on PostgreSQL. On SQLite, AUTOINCREMENT keeps an id from
    being given again after the newest row is deleted.

    ``user_id`` is the generation's (not a foreign key: the generation's own cascade removes
    the events with the account, and the insert takes no second lock on the user's row)."""

    __tablename__ = "generation_events"
    __table_args__ = (
        # A generation's events in order; a user's events after an id.
        Index("ix_generation_events_generation_id", "generation_id", "id"),
        Index("ix_generation_events_user_id", "user_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    generation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("generations.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID]
    type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    progress: Mapped[int]
    error_code: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
