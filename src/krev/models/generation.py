"""Generation jobs: queued → processing → succeeded | failed | cancelled."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from krev.kit.clock import utcnow
from krev.models.base import Base

GenerationStatus = Literal["queued", "processing", "succeeded", "failed", "cancelled"]
ACTIVE_STATUSES = ("queued", "processing")
TERMINAL_STATUSES = ("succeeded", "failed", "cancelled")


class Generation(Base):
    __tablename__ = "generations"
    __table_args__ = (
        Index("ix_generations_status_heartbeat", "status", "heartbeat_at"),
        # Listing is newest first per user, with (created_at, id) as the cursor.
        Index("ix_generations_user_created", "user_id", "created_at", "id"),
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
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    deadline_at: Mapped[datetime]


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
