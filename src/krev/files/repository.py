"""All SQL for storage objects and the per-user usage counter."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select, update

from krev.kit.repository import Repository
from krev.models import StorageObject, User


class StorageObjectRepository(Repository[StorageObject]):
    model = StorageObject

    def charge(self, user_id: uuid.UUID, size: int, limit: int) -> bool:
        """Count ``size`` more bytes if the plan's limit allows; one conditional write."""
        stmt = (
            update(User)
            .where(User.id == user_id, User.storage_used_bytes + size <= limit)
            .values(storage_used_bytes=User.storage_used_bytes + size)
        )
        return bool(self.session.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def release(self, user_id: uuid.UUID, size: int) -> None:
        stmt = (
            update(User)
            .where(User.id == user_id)
            .values(storage_used_bytes=User.storage_used_bytes - size)
        )
        self.session.execute(stmt)

    def owned(self, user_id: uuid.UUID, keys: list[str]) -> list[StorageObject]:
        stmt = select(StorageObject).where(
            StorageObject.user_id == user_id, StorageObject.key.in_(keys)
        )
        return list(self.session.scalars(stmt))

    def keys_of_generation(self, user_id: uuid.UUID, generation_id: uuid.UUID) -> list[str]:
        """The keys of the objects a generation stored (its outputs), the user's only."""
        stmt = select(StorageObject.key).where(
            StorageObject.generation_id == generation_id, StorageObject.user_id == user_id
        )
        return list(self.session.scalars(stmt))

    def remove(self, keys: list[str]) -> None:
        self.session.execute(delete(StorageObject).where(StorageObject.key.in_(keys)))
