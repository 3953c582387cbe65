"""What the hot GETs read, kept in each API process and dropped the moment it changes.

Every authenticated request reads its API key's owner, and every poll its generation: in
scale-out mode a PostgreSQL round trip and ~70 µs of client CPU each, more than the rest of
the request together; on SQLite, decoding the rows (datetimes stored as text, UUIDs, JSON)
cost half of an in-process poll (docs/performance.md). Keys, accounts and started
generations change rarely compared with how often they are read, so an API process keeps
what it read, and drops it when it may have changed. How it learns of a change depends on
the database.

With Redis (scale-out), every transaction that changes one of them *announces* the change
after it commits:

- in its own process at once (before its response goes out, so a client reads its own writes);
- to every other process over Redis pub/sub (``ChangeFeed``), which drops the entries when
  the message arrives (well under a millisecond on a LAN).

Nobody announces by hand: each entry is kept under a tag (``user:<id>``, ``generation:<id>``,
declared with the ORM models), the ORM's own events name the tags of every row a session
writes (``krev.platform.changes``), and the database layer sends them after the outermost COMMIT and
forgets them on ROLLBACK.

Exactness rules, in order of what could go wrong:

- A fill cannot overwrite a newer change: a read that overlapped any announcement is not kept
  (an epoch counter, checked under the lock before storing).
- Nothing is served from memory unless this process is subscribed: the cache starts disabled
  and is emptied whenever the subscription (re)starts, so a change announced while it was
  broken is not missed for longer than the break. redis-py reconnects a dropped subscription
  at once; when it cannot (Redis down), the cache stays disabled until it can.
- ``ttl`` bounds the rest (an announcement lost because the writer could not reach Redis, or
  a change made by hand in SQL): 30 s by default, ``KREV_READ_CACHE_SECONDS``.

Without Redis (embedded mode, SQLite) nobody can announce (the admin CLI writes from a
process of its own), so the cache asks the database instead: before each read on the event
loop it runs ``PRAGMA data_version`` on that loop's connection, which changes whenever any
other connection, in any process, has committed (https://sqlite.org/pragma.html#pragma_data_version),
and empties itself when it did. That costs a few microseconds, and nothing is ever served
that the database has changed since. Reads outside the event loop (request threads) do not
use the cache in this mode: they have nothing to check against.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import redis
import structlog
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import Connection

from krev.platform.changes import EVERYTHING

log = structlog.get_logger("krev.platform.readcache")
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class _Entry:
    value: Any
    tags: tuple[str, ...]
    expires: float  # time.monotonic()


class ReadCache:
    """Values by key, each tagged with the names whose change drops it (a view made of
    several rows has a name for each); bounded, expiring.

    Lookups take no lock (a dict read is atomic under the GIL); stores and drops take one,
    because the event loop, the request threads and the feed's listener all touch it.
    """

    def __init__(
        self,
        ttl: float,
        max_entries: int = 50_000,
        version_of: Callable[[Connection], int] | None = None,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        # Embedded mode: the database's change counter for a connection (see the module
        # docstring); None when a change feed keeps the cache current instead.
        self.version_of = version_of
        self.enabled = False
        self._entries: dict[Hashable, _Entry] = {}
        self._by_tag: dict[str, set[Hashable]] = {}
        self._versions: dict[int, int] = {}  # the last version seen, by DB-API connection
        self._epoch = 0
        self._lock = threading.Lock()

    def current_for(self, connection: Connection) -> ReadCache | None:
        """This cache, made current for reads on ``connection`` (the event loop's); None
        when it is off."""
        if not self.enabled:
            return None
        if self.version_of is not None:
            version = self.version_of(connection)
            source = id(connection.connection.dbapi_connection)
            if self._versions.get(source) != version:
                with self._lock:
                    if len(self._versions) > 16:  # connections replaced over time
                        self._versions.clear()
                    self._versions[source] = version
                    self._clear()
        return self

    def shared(self) -> ReadCache | None:
        """This cache for reads that cannot check the database's version first (request
        threads): only when a change feed keeps it current."""
        return self if self.enabled and self.version_of is None else None

    def get(self, key: Hashable) -> Any | None:
        entry = self._entries.get(key)
        if entry is None or not self.enabled or entry.expires <= time.monotonic():
            return None
        return entry.value

    def fetch(
        self,
        key: Hashable,
        load: Callable[[], V | None],
        tag: Callable[[V], str | Sequence[str] | None],
        ttl: float | None = None,
    ) -> V | None:
        """The cached value, or ``load()``'s, kept when ``tag(value)`` names it (not None;
        a change to any of several names drops it); for ``ttl`` seconds when that is
        shorter than the cache's own."""
        found = self.get(key)
        if found is not None:
            return found  # type: ignore[no-any-return]
        epoch = self._epoch
        value = load()
        if value is not None and self.enabled:
            names = tag(value)
            if names is not None:
                lifetime = self.ttl if ttl is None else min(ttl, self.ttl)
                tags = (names,) if isinstance(names, str) else tuple(names)
                self._store(key, value, tags, epoch, lifetime)
        return value

    def _store(
        self, key: Hashable, value: Any, tags: tuple[str, ...], epoch: int, ttl: float
    ) -> None:
        with self._lock:
            # A change announced while we were reading may be older or newer than what we
            # read; either way the value is not known to be current.
            if epoch != self._epoch or not self.enabled:
                return
            if key not in self._entries and len(self._entries) >= self.max_entries:
                self._evict_oldest()
            self._forget(key)
            self._entries[key] = _Entry(value, tags, time.monotonic() + ttl)
            for tag in tags:
                self._by_tag.setdefault(tag, set()).add(key)

    def _forget(self, key: Hashable) -> None:
        old = self._entries.pop(key, None)
        if old is None:
            return
        for tag in old.tags:
            keys = self._by_tag.get(tag)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_tag[tag]

    def _evict_oldest(self) -> None:
        # Insertion order: the oldest fill goes first (a stored key is re-inserted on refill).
        self._forget(next(iter(self._entries)))

    def drop(self, tags: Iterable[str]) -> None:
        with self._lock:
            self._epoch += 1
            if EVERYTHING in tags:
                self._clear()
                return
            for tag in tags:
                for key in list(self._by_tag.get(tag, ())):
                    self._forget(key)

    def set_enabled(self, enabled: bool) -> None:
        """Start or stop serving from memory; either way, start empty."""
        with self._lock:
            self._clear()
            self.enabled = enabled and self.ttl > 0

    def _clear(self) -> None:
        self._epoch += 1
        self._entries.clear()
        self._by_tag.clear()

    def __len__(self) -> int:
        return len(self._entries)


class ChangeFeed:
    """Announces committed changes to every API process through one Redis channel.

    ``announce`` drops this process's own entries first, then publishes; ``listen`` (API
    processes only) starts a thread that drops what other processes announce and keeps
    the cache enabled exactly while it is subscribed.
    """

    HEALTH_CHECK_SECONDS = 5.0
    RETRY_SECONDS = 1.0

    def __init__(self, redis_url: str, channel: str, cache: ReadCache) -> None:
        self.channel = channel
        self.cache = cache
        # Idle connections are pinged every HEALTH_CHECK_SECONDS: a subscription whose
        # connection died raises in get_message instead of waiting forever.
        self._redis = redis.Redis.from_url(
            redis_url,
            socket_timeout=2.0,
            socket_connect_timeout=2.0,
            health_check_interval=self.HEALTH_CHECK_SECONDS,
            # One immediate retry, not redis-py's three with backoff: an announcement is
            # made after COMMIT, inside the request, and must not hold it for seconds.
            retry=Retry(NoBackoff(), 1),
            client_name=f"krev:{channel}",  # findable in CLIENT LIST
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def announce(self, tags: set[str]) -> None:
        if not tags:
            return
        self.cache.drop(tags)
        try:
            self._redis.publish(self.channel, " ".join(sorted(tags)))
        except redis.RedisError:
            # The change is committed and this process has dropped it; other processes keep
            # theirs until the ttl, or until their own subscription breaks (Redis is down for
            # them too, most likely).
            log.warning("change_announce_failed", tags=len(tags), exc_info=True)

    def listen(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="krev-change-feed", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            pubsub = self._redis.pubsub()
            try:
                pubsub.subscribe(self.channel)
                self._follow(pubsub)
            except Exception:
                if not self._stop.is_set():
                    log.warning("change_feed_lost", exc_info=True)
            finally:
                self.cache.set_enabled(False)
                _close_quietly(pubsub)
            self._stop.wait(self.RETRY_SECONDS)

    def _follow(self, pubsub: Any) -> None:
        # get_message with a timeout wakes up to notice stop().
        while not self._stop.is_set():
            message = pubsub.get_message(timeout=1.0)
            if message is None:
                continue
            if message["type"] == "subscribe":
                self.cache.set_enabled(True)  # from here on, no change goes unseen
            elif message["type"] == "message":
                self.cache.drop(message["data"].decode().split())

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.cache.set_enabled(False)

    def close(self) -> None:
        self.stop()
        self._redis.close()


def sqlite_data_version(connection: Connection) -> int:
    """SQLite's count of commits by other connections, as this connection sees it."""
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None
    row = dbapi.execute("PRAGMA data_version").fetchone()
    return int(row[0])


def _close_quietly(pubsub: Any) -> None:
    try:
        pubsub.close()
    except Exception:
        log.debug("change_feed_close_failed", exc_info=True)
