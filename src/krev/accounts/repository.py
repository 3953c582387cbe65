"""All SQL for users, API keys and dashboard sessions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import bindparam, func, select, update

from krev.kit.repository import Repository
from krev.models import ApiKey, DashboardSession, User


class UserRepository(Repository[User]):
    model = User

    def get_by_email(self, email: str) -> User | None:
        return self.session.scalars(select(User).where(User.email == email)).first()

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(User)) or 0)


# Built once: every request with a bearer key runs this lookup, and building the statement
# costs about as much Python as executing it.
_KEY_BY_HASH = (
    select(ApiKey, User)
    .join(User, User.id == ApiKey.user_id)
    .where(ApiKey.secret_hash == bindparam("secret_hash"))
)


class ApiKeyRepository(Repository[ApiKey]):
    model = ApiKey

    def find_by_hash(self, secret_hash: str) -> tuple[ApiKey, User] | None:
        row = self.session.execute(_KEY_BY_HASH, {"secret_hash": secret_hash}).first()
        return None if row is None else (row[0], row[1])

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

    def touch(self, key_id: uuid.UUID, now: datetime) -> None:
        self.session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))


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
