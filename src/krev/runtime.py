"""The long-lived collaborators of one process, built once from settings.

The API keeps one on ``app.state.runtime``; ``krev worker`` builds its own. Nothing here is
global: tests build as many as they like.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from huey import Huey

from krev.config import Settings
from krev.db import Database
from krev.queue import create_huey
from krev.ratelimit import RateLimiter
from krev.storage import LocalStorage, S3Storage, Storage, parse_storage_url

if TYPE_CHECKING:
    from krev.conversions.tasks import ConversionTasks
    from krev.generations.tasks import GenerationTasks


def create_storage(settings: Settings) -> Storage:
    scheme, location, prefix = parse_storage_url(settings.resolved_storage_url)
    if scheme == "s3":
        return S3Storage(
            location,
            prefix=prefix,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
        )
    from pathlib import Path

    return LocalStorage(Path(location), signing_key=settings.secret, base_url=settings.base_url)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    storage: Storage
    limiter: RateLimiter
    huey: Huey
    tasks: GenerationTasks = field(init=False)
    conversions: ConversionTasks = field(init=False)

    def close(self) -> None:
        self.db.dispose()


def build_runtime(settings: Settings) -> Runtime:
    # Pipelines register themselves on import; plugins and tests add modules by setting.
    from krev.pipelines import BUILTIN_PIPELINE_MODULES

    for module in (*BUILTIN_PIPELINE_MODULES, *settings.pipeline_modules):
        importlib.import_module(module)
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    runtime = Runtime(
        settings=settings,
        db=Database(settings.resolved_database_url),
        storage=create_storage(settings),
        limiter=RateLimiter(settings.redis_url or "memory://"),
        huey=create_huey(settings),
    )
    from krev.generations.tasks import register_tasks

    runtime.tasks = register_tasks(runtime)
    from krev.conversions.tasks import register_tasks as register_conversion_tasks

    runtime.conversions = register_conversion_tasks(runtime)
    return runtime
