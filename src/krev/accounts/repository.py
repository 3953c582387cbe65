"""All SQL for users, API keys and dashboard sessions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.orm import Session

from krev.kit.repository import Repository
from krev.models import AccountSnapshot, ApiKey, DashboardSession, User


class UserRepository(Repository[User]):
    model = User

    def get_by_email(self, email: str) -> User | None:
        return self.session.scalars(select(User).where(User.email == email)).first()

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(User)) or 0)


@dataclass(frozen=True)
class KeyOwner:
    key_id: uuid.UUID
    scopes: list[str]
    revoked_at: datetime | None
    last_used_at: datetime | None
    account: AccountSnapshot


# Built once, Core not ORM: every request with a bearer key runs this lookup (unless the
# owner is in the read cache), on the event loop's own connection (Database.run_on_loop).
_KEY_OWNER = (
    select(
        ApiKey.id.label("key_id"),
        ApiKey.scopes,
        ApiKey.revoked_at,
        ApiKey.last_used_at,
        User.id,
        User.email,
        User.plan,
        User.is_admin,
        User.credits_balance,
        User.credits_resets_at,
        User.storage_used_bytes,
    )
    .join(User, User.id == ApiKey.user_id)
    .where(ApiKey.secret_hash == bindparam("secret_hash"))
)


def find_key_owner(executor: Connection | Session, secret_hash: str) -> KeyOwner | None:
    row = executor.execute(_KEY_OWNER, {"secret_hash": secret_hash}).first()
    if row is None:
        return None
    account = AccountSnapshot.of(row)
    return KeyOwner(row.key_id, list(row.scopes), row.revoked_at, row.last_used_at, account)


class ApiKeyRepository(Repository[ApiKey]):
    model = ApiKey

    def list_for_user(self, user_id: uuid.UUID) -> list[ApiKey]:
        stmt = (
            select(ApiKey)
            .where(ApiKey.user_id == user_id)
            .order_by(ApiKey.created_at.desc(), ApiKey.id)
        )
        return list(self.session.scalars(stmt))

    def revoke(self, key_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> bool:
        """Revoke an owned key; False when it is not the user's or already revoked."""
        stmt = (
            update(ApiKey)
            .where(ApiKey.id == key_id, ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return bool(self.session.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def touch(self, key_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> None:
        stmt = update(ApiKey).where(ApiKey.id == key_id, ApiKey.user_id == user_id)
        self.session.execute(stmt.values(last_used_at=now))


class DashboardSessionRepository(Repository[DashboardSession]):
    model = DashboardSession

    def find_active(self, token_hash: str, now: datetime) -> tuple[DashboardSession, User] | None:
        stmt = (
            select(DashboardSession, User)
            .join(User, User.id == DashboardSession.user_id)
            .where(
                DashboardSession.token_hash == token_hash,
                DashboardSession.revoked_at.is_(None),
                DashboardSession.expires_at > now,
            )
        )
        row = self.session.execute(stmt).first()
        return None if row is None else (row[0], row[1])

    def revoke(self, session_id: uuid.UUID, now: datetime) -> None:
        self.session.execute(
            update(DashboardSession).where(DashboardSession.id == session_id).values(revoked_at=now)
        )

    def revoke_all(
        self, user_id: uuid.UUID, now: datetime, *, keep: uuid.UUID | None = None
    ) -> int:
        """End the user's active sessions, all but ``keep``; how many were ended."""
        stmt = update(DashboardSession).where(
            DashboardSession.user_id == user_id,
            DashboardSession.revoked_at.is_(None),
            DashboardSession.expires_at > now,
        )
        if keep is not None:
            stmt = stmt.where(DashboardSession.id != keep)
        return int(self.session.execute(stmt.values(revoked_at=now)).rowcount)  # type: ignore[attr-defined]
