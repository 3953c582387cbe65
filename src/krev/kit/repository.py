"""The generic base every repository builds on. Ownership is part of the query."""

from __future__ import annotations

import functools
import uuid
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, bindparam, select
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
        stmt = _owned_statement(self.model)
        return self.session.scalars(stmt, {"id": id_, "user_id": user_id}).first()

    def add(self, obj: M) -> M:
        self.session.add(obj)
        self.session.flush()
        return obj


@functools.cache
def _owned_statement(model: type[Base]) -> Select[Any]:
    # Built once per model: the poll endpoints run this on every request, and building a
    # statement costs about as much Python as executing it.
    column = model.__table__.c
    return select(model).where(column.id == bindparam("id"), column.user_id == bindparam("user_id"))
