"""The append-only credit ledger. Its deltas always sum to the user's balance."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from krev.kit.clock import utcnow
from krev.models.base import Base
from krev.models.cause import CausedBy


class LedgerEntry(CausedBy, Base):
    """One credit move, and what caused it (``CausedBy``; a refund carries its job's cause)."""

    __tablename__ = "credit_ledger"
    __table_args__ = (
        # A generation is reserved once and refunded at most once, whatever retries happen.
        UniqueConstraint("generation_id", "kind"),
        # Usage per day reads one user's recent reservations (GET /credits/usage).
        Index("ix_credit_ledger_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    delta: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int] = mapped_column(BigInteger)
    generation_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    # The generation's kind (image, video, ad…), kept here because a generation may be deleted
    # while the credits it used stay spent: usage by kind is read from the ledger alone.
    generation_kind: Mapped[str | None] = mapped_column(String(32), default=None)
    note: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
