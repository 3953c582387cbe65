"""What a transaction changed, named as the read cache's tags, read off the ORM's own events.

API processes keep some rows in memory (``krev.platform.readcache``) under tags such as
``user:<id>``; a ``CacheTag`` says which columns carry the value a tag names (a user's id is
``users.id`` and ``api_keys.user_id``). Every statement a ``Session`` executes passes through
its ``do_orm_execute`` event and every unit-of-work write through ``after_flush``; there the
tags of the rows a write touches are worked out and kept on the session, and the database
layer announces them after the outermost COMMIT. No write path names what it changed, so
none can forget to: a new repository method, the admin CLI and a test's hand-written UPDATE
are all seen.

How a statement's rows are found, without running it:

- ``UPDATE``/``DELETE``: the values its WHERE clause pins a tagged column to (``col = :v``,
  ``col IN (...)``, as top-level ``AND`` terms). A statement that pins none (a bulk update by
  status, say) drops every entry: correct, only slower, and rare.
- ``INSERT``: nothing. The cache never keeps an absence (a lookup that found nothing is not
  stored), so a new row cannot make a kept value wrong.
- Textual SQL other than a SELECT drops everything, as it cannot be read.

Writes made outside a ``Session`` (a raw connection, ``psql``) are not seen here; the cache's
ttl bounds them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import TextClause, event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction, sessionmaker
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, BooleanClauseList

__all__ = ["EVERYTHING", "CacheTag", "take_changes", "track_changes"]

EVERYTHING = "*"
"""The tag that drops every entry: a write whose rows could not be named."""

_CHANGED = "krev_changed"
# table name -> [(column name, tag)], filled as CacheTags are declared (with the ORM models).
# Names, not Table objects: the ORM hands events annotated copies of its tables and columns.
_TAGGED: dict[str, list[tuple[str, CacheTag]]] = {}


class CacheTag:
    """Names cached values by a value that ``columns`` carry, e.g. a user's id."""

    def __init__(self, family: str, *columns: Any) -> None:
        self.family = family
        for column in columns:
            _TAGGED.setdefault(column.table.name, []).append((column.name, self))

    def __call__(self, value: Any) -> str:
        return f"{self.family}:{value}"


def take_changes(session: Session) -> set[str]:
    """The tags recorded on ``session`` since it last committed or rolled back, cleared."""
    found: set[str] = session.info.pop(_CHANGED, set())
    return found


def track_changes(factory: sessionmaker[Session]) -> None:
    """Record, on every session ``factory`` makes, the tags of the rows it writes."""
    event.listen(factory, "do_orm_execute", _on_execute)
    event.listen(factory, "after_flush", _on_flush)
    event.listen(factory, "after_soft_rollback", _on_rollback)


def _record(session: Session, tags: Iterable[str]) -> None:
    session.info.setdefault(_CHANGED, set()).update(tags)


def _on_execute(state: ORMExecuteState) -> None:
    if state.is_select or state.is_insert:
        return
    statement = state.statement
    if state.is_update or state.is_delete:
        tagged = _TAGGED.get(statement.table.name)  # type: ignore[attr-defined]
        if tagged:
            _record(state.session, _tags_of_write(statement, tagged, state.parameters))
    elif isinstance(statement, TextClause) and not _reads_only(statement.text):
        _record(state.session, [EVERYTHING])


def _reads_only(sql: str) -> bool:
    return sql.lstrip().upper().startswith(("SELECT", "PRAGMA", "SHOW"))


def _on_flush(session: Session, _flush: UOWTransaction) -> None:
    for instance in (*session.new, *session.dirty, *session.deleted):
        table = getattr(type(instance), "__table__", None)
        tagged = _TAGGED.get(table.name) if table is not None else None
        for name, tag in tagged or ():
            value = getattr(instance, name, None)
            if value is not None:
                _record(session, [tag(value)])


def _on_rollback(session: Session, previous: Any) -> None:
    # The whole transaction is undone: nothing it named has changed. (A savepoint rolled
    # back keeps them: announcing what did not change costs only a cache miss.)
    if previous.parent is None:
        session.info.pop(_CHANGED, None)


def _tags_of_write(
    statement: Any, tagged: list[tuple[str, CacheTag]], parameters: Any
) -> list[str]:
    terms = _and_terms(statement.whereclause)
    found: list[str] = []
    for name, tag in tagged:
        values = _pinned_values(terms, statement.table.name, name, parameters)
        if values is None:
            return [EVERYTHING]
        found.extend(tag(value) for value in values)
    return found


def _and_terms(clause: Any) -> Sequence[Any]:
    if clause is None:
        return ()
    if isinstance(clause, BooleanClauseList) and clause.operator is operators.and_:
        return [term for part in clause.clauses for term in _and_terms(part)]
    return (clause,)


def _pinned_values(
    terms: Sequence[Any], table: str, name: str, parameters: Any
) -> list[Any] | None:
    """The values the terms pin column ``name`` of ``table`` to; None when they do not."""
    for term in terms:
        if not isinstance(term, BinaryExpression) or not isinstance(term.right, BindParameter):
            continue
        column = term.left
        if getattr(column, "name", None) != name or getattr(column.table, "name", None) != table:
            continue
        if term.operator is operators.eq:
            return _bound(term.right, parameters)
        if term.operator is operators.in_op:
            return [value for values in _bound(term.right, parameters) for value in values]
    return None


def _bound(bind: BindParameter[Any], parameters: Any) -> list[Any]:
    """A parameter's value(s): its own, or each parameter set's (executemany)."""
    if bind.value is not None or bind.callable is not None:
        return [bind.effective_value]
    sets: Sequence[Mapping[str, Any]] = (
        [parameters] if isinstance(parameters, Mapping) else list(parameters or ())
    )
    return [values[bind.key] for values in sets if bind.key in values]
