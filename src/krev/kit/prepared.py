"""Core SELECTs compiled once per dialect and run on the DB-API cursor directly.

For the few single-row lookups that run on every request (the API key's owner, the polled
generation). SQLAlchemy's execution context (statement cache lookup, parameter processing,
result metadata, row objects) costs about 50 µs a call: three times the query itself on
SQLite, and most of the CPU an authenticated GET spends outside the framework. The SQL is
still SQLAlchemy's own compilation of the repository's Core statement, with every column
type's bind and result processors applied, so the query has one definition and the values
come back exactly as ``connection.execute(statement)`` would return them.
"""

from __future__ import annotations

import threading
from collections import namedtuple
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect, Select

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positional: tuple[str, ...] | None  # parameter order for qmark/format drivers
    binds: Mapping[str, Processor]
    results: tuple[Processor, ...]


class PreparedSelect:
    """``first(connection, **params)`` → a named row (attribute access by column label)."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self.row_type: Any = namedtuple("Row", list(statement.selected_columns.keys()))  # type: ignore[misc]
        self._by_dialect: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def _compiled(self, dialect: Dialect) -> _Compiled:
        key = f"{dialect.name}+{dialect.driver}"
        found = self._by_dialect.get(key)
        if found is None:
            with self._lock:
                found = self._by_dialect.get(key) or self._compile(dialect)
                self._by_dialect[key] = found
        return found

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        binds = {
            name: param.type.dialect_impl(dialect).bind_processor(dialect)
            for name, param in compiled.binds.items()
        }
        results = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in self.statement.selected_columns
        )
        positional = tuple(compiled.positiontup) if compiled.positiontup is not None else None
        return _Compiled(compiled.string, positional, binds, results)

    def first(self, connection: Connection, **params: Any) -> Any | None:
        dispatch = connection.dispatch
        if dispatch.before_cursor_execute or dispatch.after_cursor_execute:
            # Someone watches the SQL (tracing, query logging, tests): run it the usual way
            # so they see it; the DB-API shortcut would go unseen.
            row = connection.execute(self.statement, params).first()
            return None if row is None else self.row_type._make(row)
        compiled = self._compiled(connection.dialect)
        values = _bound(compiled, params)
        arguments: Any = (
            tuple(values[name] for name in compiled.positional)
            if compiled.positional is not None
            else values
        )
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(compiled.sql, arguments)
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:
            return None
        return self.row_type._make(
            value if process is None or value is None else process(value)
            for process, value in zip(compiled.results, row, strict=True)
        )


def _bound(compiled: _Compiled, params: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, process in compiled.binds.items():
        value = params[name]
        values[name] = value if process is None or value is None else process(value)
    return values
