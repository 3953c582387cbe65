"""The generic base every repository builds on. Ownership is part of the query."""

from __future__ import annotations

import uuid
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from krev.models.base import Base

M = TypeVar("M", bound=Base)


class Repository(Generic[M]):
    model: type[M]

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, id_: Any) -> M | None:
        return self.session.get(self.model, id_)

    def get_owned(self, id_: uuid.UUID, user_id: uuid.UUID) -> M | None:
        """The row if ``user_id`` owns it; another user's id reads as missing."""
        column = self.model.__table__.c
        stmt = select(self.model).where(column.id == id_, column.user_id == user_id)
        return self.session.scalars(stmt).first()

    def add(self, obj: M) -> M:
        self.session.add(obj)
        self.session.flush()
        return obj
