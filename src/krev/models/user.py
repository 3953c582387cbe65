"""Users: accounts with a plan, a credit balance and counted storage."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from krev.kit.clock import utcnow
from krev.models.base import Base


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("credits_balance >= 0", name="credits_not_negative"),
        CheckConstraint("storage_used_bytes >= 0", name="storage_not_negative"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    plan: Mapped[str] = mapped_column(String(64))
    is_admin: Mapped[bool] = mapped_column(default=False)
    credits_balance: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_resets_at: Mapped[datetime]
    storage_used_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
