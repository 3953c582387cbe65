"""The long-lived infrastructure of one process, built once from settings.

It knows no domain: the composition root (``krev.composition``) builds one and registers each
domain's tasks on its queue. The API keeps it on ``app.state.runtime``; ``krev worker`` builds
its own. Nothing here is global: tests build as many as they like.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from krev.platform.config import Settings
from krev.platform.db import Database
from krev.platform.fetchpool import FetchPool, build_fetch_pool
from krev.platform.private_files import private_dir
from krev.platform.queue import TaskQueue, create_huey
from krev.platform.ratelimit import RateLimiter
from krev.platform.readcache import ChangeFeed, ReadCache, sqlite_data_version
from krev.platform.storage import LocalStorage, S3Storage, Storage, parse_storage_url


def create_storage(settings: Settings) -> Storage:
    scheme, location, prefix = parse_storage_url(settings.resolved_storage_url)
    if scheme == "s3":
        return S3Storage(
            location,
            signing_key=settings.secret,
            base_url=settings.base_url,
            prefix=prefix,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
        )
    from pathlib import Path

    return LocalStorage(Path(location), signing_key=settings.secret, base_url=settings.base_url)


def change_feed(settings: Settings, cache: ReadCache) -> ChangeFeed | None:
    """How committed changes reach the API processes' caches: Redis, when there is one."""
    if not settings.redis_url:
        return None
    return ChangeFeed(settings.redis_url, f"{settings.queue_name}:changes", cache)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    storage: Storage
    limiter: RateLimiter
    queue: TaskQueue
    # Where users' URLs are fetched (krev.platform.fetchpool): threads no other request waits for.
    fetch_pool: FetchPool
    # What API processes keep of hot reads, and how committed changes reach every process
    # (krev.platform.readcache): a feed over Redis, or SQLite's own change counter.
    cache: ReadCache = field(default_factory=lambda: ReadCache(ttl=0))
    changes: ChangeFeed | None = None

    def close(self) -> None:
        self.fetch_pool.close()
        if self.changes is not None:
            self.changes.close()
        self.db.dispose()


def create_runtime(settings: Settings) -> Runtime:
    """The infrastructure alone; ``krev.composition.build_runtime`` wires the domains in."""
    if settings.is_sqlite:
        private_dir(settings.data_dir)
    changes = change_feed(settings, ReadCache(ttl=settings.read_cache_seconds))
    if changes is not None:
        cache = changes.cache  # enabled while subscribed (the API's lifespan listens)
    elif settings.is_sqlite:
        cache = ReadCache(ttl=settings.read_cache_seconds, version_of=sqlite_data_version)
        cache.set_enabled(True)
    else:  # PostgreSQL without Redis: no way to hear of changes, so no cache
        cache = ReadCache(ttl=0)
    runtime = Runtime(
        settings=settings,
        db=Database(settings.resolved_database_url),
        storage=create_storage(settings),
        limiter=RateLimiter(settings.redis_url or "memory://", prefix=settings.queue_name),
        queue=TaskQueue(create_huey(settings)),
        cache=cache,
        changes=changes,
        fetch_pool=build_fetch_pool(settings),
    )
    runtime.db.announce = changes.announce if changes is not None else cache.drop
    return runtime
