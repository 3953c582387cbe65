"""Database engine, sessions and transactions.

One transaction per request (the ``SessionDep`` dependency) and ``Database.transaction()``
for tasks. Work to do after commit (enqueueing jobs) is registered with ``after_commit``
and dropped on rollback.

SQLite serialises writers. A deferred transaction that reads and then writes can fail
with ``database is locked`` without waiting, so write transactions start with
``BEGIN IMMEDIATE`` (they queue on the busy timeout instead) and read-only ones with a
plain ``BEGIN`` so readers never block each other under WAL.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import structlog
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from krev.platform.changes import take_changes, track_changes
from krev.platform.private_files import create_sqlite_file

log = structlog.get_logger("krev.db")
T = TypeVar("T")

_AFTER_COMMIT = "krev_after_commit"
_AFTER_ROLLBACK = "krev_after_rollback"
_WRITE_OPTION = "krev_write"
LOOP_CONNECTION_MAX_AGE = 300.0  # seconds, like the main pool's recycling


def after_commit(session: Session, action: Callable[[], Any]) -> None:
    """Run ``action`` once the session's transaction has committed; never on rollback."""
    session.info.setdefault(_AFTER_COMMIT, []).append(action)


def after_rollback(session: Session, action: Callable[[], Any]) -> None:
    """Run ``action`` if the session's transaction does not commit (an error in the unit of
    work, or the COMMIT itself failing): to undo what was done outside the database, such
    as a file stored for a row that will never exist."""
    session.info.setdefault(_AFTER_ROLLBACK, []).append(action)


def _run_after_rollback(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)
    for action in session.info.pop(_AFTER_ROLLBACK, []):
        try:
            action()
        except Exception:
            log.exception("after_rollback_failed", action=getattr(action, "__name__", repr(action)))


def _run_after_commit(session: Session) -> None:
    session.info.pop(_AFTER_ROLLBACK, None)
    actions = session.info.pop(_AFTER_COMMIT, [])
    for action in actions:
        try:
            action()
        except Exception:
            # The transaction is committed: failing the request now would tell the client
            # nothing happened when it did (and a retry would pay twice). Work that must
            # happen is recoverable from the database (the janitor re-enqueues jobs).
            log.exception("after_commit_failed", action=getattr(action, "__name__", repr(action)))


# PostgreSQL's deadlock_detected and serialization_failure: the transaction was rolled back
# and running it again is the documented remedy.
_CONFLICT_SQLSTATES = frozenset({"40P01", "40001"})


def lock_conflict(error: BaseException) -> bool:
    """Whether ``error`` is PostgreSQL giving up on a lock conflict (safe to run again)."""
    orig = getattr(error, "orig", None)
    return getattr(orig, "sqlstate", None) in _CONFLICT_SQLSTATES


def _configure_sqlite(
    engine: Engine, *, transactions: bool = True, busy_timeout_ms: int = 30000
) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    if not transactions:
        return

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        write = connection.get_execution_options().get(_WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Database:
    """An engine with a reader and a writer session factory."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            create_sqlite_file(url)
            self.engine = create_engine(
                url,
                echo=echo,
                connect_args={"check_same_thread": False, "timeout": 30},
                pool_size=pool_size,
                max_overflow=20,
            )
            _configure_sqlite(self.engine)
        else:
            self.engine = create_engine(
                url, echo=echo, pool_size=pool_size, max_overflow=20, pool_pre_ping=True
            )
        writer = self.engine.execution_options(**{_WRITE_OPTION: True})
        self._readers = sessionmaker(self.engine, expire_on_commit=False)
        self._writers = sessionmaker(writer, expire_on_commit=False)
        # Who hears about committed changes (krev.platform.readcache, named by
        # krev.platform.changes): set by the runtime.
        self.announce: Callable[[set[str]], None] | None = None
        for factory in (self._readers, self._writers):
            track_changes(factory)
            event.listen(factory, "after_commit", self._announce_changes)
        # Reads run on the event loop thread get a pool of their own: the loop runs one at
        # a time, so one connection is enough, and it can never wait behind request threads
        # that hold every connection of the main pool (a blocked loop cannot let them finish).
        # AUTOCOMMIT: each of these reads is a single statement, atomic on its own, so no
        # BEGIN/ROLLBACK round trips.
        self.loop_engine = create_engine(
            url,
            echo=echo,
            pool_size=1,
            max_overflow=4,  # more than one loop per process only in tests
            isolation_level="AUTOCOMMIT",
            pool_reset_on_return=None,  # autocommit reads leave nothing to roll back
            **(
                {"connect_args": {"check_same_thread": False, "timeout": 2}}
                if self.is_sqlite
                # No pre-ping round trip on the hot path: a connection dropped by a database
                # restart fails one request and is replaced (pool_recycle bounds its age).
                else {"pool_recycle": 300}
            ),
        )
        if self.is_sqlite:
            # WAL readers do not wait for writers; only a rare exclusive lock (a checkpoint
            # truncation, a migration) could make one wait, and the loop must not wait long.
            _configure_sqlite(self.loop_engine, transactions=False, busy_timeout_ms=2000)
        self._loop_connections: dict[int, tuple[Connection, float]] = {}
        dbapi = self.loop_engine.dialect.loaded_dbapi
        # A read fails as a DB-API error on the raw cursor, or as SQLAlchemy's wrapper of one.
        self._read_errors: tuple[type[Exception], ...] = (DBAPIError, dbapi.Error)

    def _announce_changes(self, session: Session) -> None:
        # SQLAlchemy fires after_commit when a savepoint is released too (a refund runs in
        # one): nothing is visible to other connections until the outermost COMMIT, and an
        # announcement before it let a read in between keep the old value with nothing
        # left to drop it.
        if session.in_nested_transaction():
            return
        changes = take_changes(session)
        if changes and self.announce is not None:
            self.announce(changes)

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A unit of work: commit on success, roll back on error, then run after-commit work."""
        session = (self._writers if write else self._readers)()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            _run_after_rollback(session)
            raise
        finally:
            session.close()
        _run_after_commit(session)

    def check(self) -> None:
        """Raise unless the database answers a trivial query (readiness probes)."""
        with self.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def run_on_loop(self, read: Callable[[Connection], T]) -> T:
        """``read(connection)`` for single-statement reads directly on the event loop thread.

        For indexed lookups on hot GET paths only: under WAL (SQLite) and MVCC (PostgreSQL) a
        reader never waits for writers, so this cannot block the loop on a lock, and it saves
        the thread-pool round trips that cost more CPU than the query itself. Core statements
        only (SQL from the repositories), no ORM session.

        The connection stays checked out for its thread (the loop's): a pool checkout and
        return cost more than the indexed read itself, and an authenticated poll makes two. It
        is renewed after ``LOOP_CONNECTION_MAX_AGE`` seconds, as the pool's recycling would.
        When the database dropped it (a restart, a failover, an idle timeout), the read runs
        once more on a fresh connection: these reads change nothing, so a poll never sees the
        outage it did not overlap.
        """
        for attempt in (1, 2):
            connection = self._loop_connection()
            try:
                return read(connection)
            except self._read_errors as error:
                lost = self._is_disconnect(error, connection)
                self._drop_loop_connection(invalidate=lost)
                if attempt == 2 or not lost:
                    raise
                log.warning("loop_connection_lost", error=type(error).__name__)
        raise AssertionError("unreachable")

    def _loop_connection(self) -> Connection:
        ident = threading.get_ident()
        held = self._loop_connections.get(ident)
        if held is None or held[0].closed or time.monotonic() - held[1] > LOOP_CONNECTION_MAX_AGE:
            if held is not None:
                _close_quietly(held[0])
            self._release_dead_threads()
            held = (self.loop_engine.connect(), time.monotonic())
            self._loop_connections[ident] = held
        return held[0]

    def _drop_loop_connection(self, *, invalidate: bool) -> None:
        held = self._loop_connections.pop(threading.get_ident(), None)
        if held is None:
            return
        if invalidate:  # a dead connection must not go back to the pool for the next read
            with contextlib.suppress(Exception):
                held[0].invalidate()
        _close_quietly(held[0])

    def _is_disconnect(self, error: Exception, connection: Connection) -> bool:
        if isinstance(error, DBAPIError):  # raised through SQLAlchemy (a listener was set)
            return bool(error.connection_invalidated)
        raw = connection.connection.dbapi_connection if not connection.closed else None
        return bool(self.loop_engine.dialect.is_disconnect(error, raw, None))  # type: ignore[arg-type]

    def _release_dead_threads(self) -> None:
        # A loop that ended (a test client's portal thread, a restarted server) returns its
        # connection here, the next time any thread needs one.
        alive = {thread.ident for thread in threading.enumerate()}
        for ident in list(self._loop_connections):  # a copy: other loops may add theirs
            if ident not in alive and (held := self._loop_connections.pop(ident, None)):
                _close_quietly(held[0])

    def dispose(self) -> None:
        for connection, _opened in list(self._loop_connections.values()):
            _close_quietly(connection)
        self._loop_connections.clear()
        self.engine.dispose()
        self.loop_engine.dispose()


def _close_quietly(connection: Connection) -> None:
    try:
        connection.close()
    except Exception:
        log.warning("loop_connection_close_failed", exc_info=True)


def disposable_engine(url: str) -> Engine:
    """An engine without a pool, for one-off maintenance (migrations, health checks)."""
    return create_engine(url, poolclass=NullPool)
