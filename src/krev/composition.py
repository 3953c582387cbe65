"""The composition root: the one module that knows every domain and wires it into a process.

The platform (``krev.platform``) is infrastructure that knows no domain; each domain knows the
platform and the domains it builds on. Here they meet: a process's runtime gets every
domain's queue tasks and generation pipelines, its janitor every domain's duty, and the HTTP
app (``krev.app``) every domain's router, in the order clients hit them most.
"""

from __future__ import annotations

import importlib

import structlog
from fastapi import APIRouter

from krev.platform.config import Settings
from krev.platform.janitor import Janitor
from krev.platform.runtime import Runtime, create_runtime

log = structlog.get_logger("krev.composition")

# Each generation kind registers its pipeline when its tasks module is imported;
# KREV_PIPELINE_MODULES adds more (plugins, the test suite's).
PIPELINE_MODULES: tuple[str, ...] = (
    "krev.catalog.tasks",
    "krev.images.tasks",
    "krev.ads.tasks",
    "krev.videos.tasks",
    "krev.chat.tasks",
)


def build_runtime(settings: Settings) -> Runtime:
    """The process's infrastructure, with every domain's tasks and pipelines registered."""
    from krev.conversions import tasks as conversions
    from krev.generations import tasks as generations
    from krev.providers import registry

    registry.check(settings)  # an unknown engine or a missing setting: refuse to start
    for notice in registry.notices(settings):
        log.warning("provider_notice", notice=notice)

    for module in (*PIPELINE_MODULES, *settings.pipeline_modules):
        importlib.import_module(module)
    runtime = create_runtime(settings)
    generations.register(runtime)
    conversions.register(runtime)
    return runtime


def build_janitor(runtime: Runtime) -> Janitor:
    """Every domain's duty for what a dying process can leave behind (krev.platform.janitor),
    and the output retention when it is configured."""
    from krev.conversions.tasks import enqueue_lost_deliveries
    from krev.generations.retention import expire_outputs
    from krev.generations.sweeper import sweep
    from krev.idempotency.service import purge_expired

    janitor = Janitor(runtime.settings.sweep_interval_seconds)
    janitor.register("generations", lambda: sweep(runtime).settled)
    janitor.register("conversions", lambda: enqueue_lost_deliveries(runtime))
    if runtime.settings.output_retention_days is not None:
        janitor.register("output_retention", lambda: expire_outputs(runtime))

    def expired_idempotency_keys() -> int:
        with runtime.db.transaction() as session:
            return purge_expired(session)

    janitor.register("idempotency_keys", expired_idempotency_keys)
    return janitor


def routers() -> list[APIRouter]:
    """Every domain's endpoints, the ones clients call in loops first (FastAPI tries routes in
    order)."""
    from krev.accounts.endpoints import auth_router, keys_router
    from krev.ads.endpoints import router as ads_router
    from krev.billing.endpoints import router as credits_router
    from krev.capabilities.endpoints import router as capabilities_router
    from krev.catalog.endpoints import router as products_router
    from krev.chat.endpoints import router as chat_router
    from krev.conversions.endpoints import router as conversions_router
    from krev.dashboard.endpoints import router as dashboard_router
    from krev.files.endpoints import router as files_router
    from krev.generations.endpoints import router as generations_router
    from krev.health.endpoints import router as health_router
    from krev.images.endpoints import router as images_router
    from krev.videos.endpoints import router as videos_router

    return [
        credits_router,
        generations_router,
        health_router,
        keys_router,
        auth_router,
        products_router,
        conversions_router,
        images_router,
        ads_router,
        videos_router,
        chat_router,
        capabilities_router,
        files_router,
        dashboard_router,
    ]
