"""Users: accounts with a plan, a credit balance and counted storage."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Row, String
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


@dataclass(frozen=True)
class AccountSnapshot:
    """The caller's account as read when the request was authenticated."""

    id: uuid.UUID
    email: str
    plan: str
    is_admin: bool
    credits_balance: int
    credits_resets_at: datetime
    storage_used_bytes: int

    @classmethod
    def of(cls, user: User | Row[Any]) -> AccountSnapshot:
        """From the ORM user or a row carrying the same columns."""
        return cls(
            id=user.id,
            email=user.email,
            plan=user.plan,
            is_admin=user.is_admin,
            credits_balance=user.credits_balance,
            credits_resets_at=user.credits_resets_at,
            storage_used_bytes=user.storage_used_bytes,
        )
