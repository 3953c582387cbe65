"""The task queue: Huey on SQLite (embedded) or Redis (scale-out).

Task arguments are ids, never objects, and jobs are enqueued only after the transaction
that created them has committed (see ``krev.platform.db.after_commit``).
"""

from __future__ import annotations

import logging
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

from krev.platform.config import Settings
from krev.platform.private_files import create_private_file, private_dir


def create_huey(settings: Settings) -> Huey:
    if settings.redis_url:
        return RedisHuey(settings.queue_name, url=settings.redis_url, results=False)
    private_dir(settings.data_dir)
    filename = (settings.data_dir / "queue.db").resolve()
    create_private_file(filename)  # before SQLite creates it world-readable
    return SqliteHuey(
        settings.queue_name,
        filename=str(filename),
        results=False,
        timeout=30,
    )


class EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """A thread consumer living inside another process (the API server).

    Huey's consumer installs signal handlers when it starts, which would take SIGINT and
    SIGTERM away from the web server; the embedding process owns signals instead.
    """

    def _set_signal_handlers(self) -> None:
        return None


def start_embedded_consumer(huey: Huey, workers: int, **options: Any) -> EmbeddedConsumer:
    consumer = EmbeddedConsumer(huey, workers=workers, worker_type="thread", **options)
    consumer.start()
    logging.getLogger("krev.platform.queue").info("embedded worker threads started: %s", workers)
    return consumer


def queue_length(huey: Huey) -> int:
    return int(huey.pending_count())
