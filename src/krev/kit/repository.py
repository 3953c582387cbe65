"""The generic base every repository builds on. Ownership is part of the query."""

from __future__ import annotations

import functools
import uuid
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, bindparam, select, tuple_
from sqlalchemy.orm import Session

from krev.kit.pagination import Keyset, Page, PageRequest
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

    def paginate(self, stmt: Select[M], keyset: Keyset, page: PageRequest) -> Page[M]:
        """One page of ``stmt``'s rows, newest first on ``keyset`` (oldest first if it is
        ascending), and the next page's cursor.

        One row more than the page is read, so the last page says so (no cursor to an empty
        page)."""
        after = page.after(keyset)
        if after is not None:
            stmt = stmt.where(_beyond(keyset, after))
        order = [column.asc() if keyset.ascending else column.desc() for column in keyset.columns]
        stmt = stmt.order_by(*order).limit(page.limit + 1)
        rows = list(self.session.scalars(stmt))
        items = rows[: page.limit]
        more = len(rows) > page.limit
        return Page(items, page.signer.issue(keyset, items[-1]) if more else None)


def _beyond(keyset: Keyset, key: tuple[Any, ...]) -> ColumnElement[bool]:
    """Rows after ``key`` in the keyset's order. A row-value comparison: both databases
    read it as one range of the list's index, where an OR of the columns' comparisons would
    scan every row before the page. The values bind with their columns' types (UTC
    timestamps are stored without an offset on SQLite)."""
    columns = keyset.columns
    values = [
        bindparam(None, value, type_=column.type)
        for column, value in zip(columns, key, strict=True)
    ]
    if len(columns) == 1:
        return columns[0] > values[0] if keyset.ascending else columns[0] < values[0]
    if keyset.ascending:
        return tuple_(*columns) > tuple_(*values)
    return tuple_(*columns) < tuple_(*values)


@functools.cache
def _owned_statement(model: type[Base]) -> Select[Any]:
    # Built once per model: the poll endpoints run this on every request, and building a
    # statement costs about as much Python as executing it.
    column = model.__table__.c
    return select(model).where(column.id == bindparam("id"), column.user_id == bindparam("user_id"))
