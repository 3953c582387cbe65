"""Counting stored bytes against the plan, and freeing them again."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from krev.errors import StorageQuotaExceeded
from krev.files.renditions import rendition_keys
from krev.files.repository import StorageObjectRepository
from krev.models import StorageObject
from krev.platform.db import after_commit
from krev.platform.storage import Storage, StoredObject


def record_objects(
    session: Session,
    user_id: uuid.UUID,
    objects: Sequence[StoredObject],
    limit_bytes: int,
    generation_id: uuid.UUID | None = None,
) -> None:
    """Count objects already written to storage; 413 if they do not fit the plan."""
    total = sum(obj.size for obj in objects)
    repo = StorageObjectRepository(session)
    if total and not repo.charge(user_id, total, limit_bytes):
        raise StorageQuotaExceeded()
    for obj in objects:
        repo.add(
            StorageObject(
                key=obj.key,
                user_id=user_id,
                size=obj.size,
                content_type=obj.content_type,
                generation_id=generation_id,
            )
        )


def delete_objects(session: Session, storage: Storage, user_id: uuid.UUID, keys: list[str]) -> int:
    """Forget owned objects and free their bytes; the files go once the transaction commits,
    each with the PNG/JPEG renditions made of it (krev.files.renditions)."""
    repo = StorageObjectRepository(session)
    objects = repo.owned(user_id, keys)
    if not objects:
        return 0
    repo.remove([obj.key for obj in objects])
    repo.release(user_id, sum(obj.size for obj in objects))

    def _delete_files() -> None:
        for obj in objects:
            for key in (obj.key, *rendition_keys(obj.key)):
                storage.delete(key)

    after_commit(session, _delete_files)
    return sum(obj.size for obj in objects)


def delete_generation_objects(
    session: Session, storage: Storage, user_id: uuid.UUID, generation_id: uuid.UUID
) -> int:
    """``delete_objects`` for everything a generation stored (its outputs were recorded with
    its id by ``record_objects``); the bytes freed."""
    keys = StorageObjectRepository(session).keys_of_generation(user_id, generation_id)
    return delete_objects(session, storage, user_id, keys)
