"""FastAPI dependencies shared by every domain's endpoints, as ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from krev.config import Settings
from krev.runtime import Runtime

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


# Dependencies that do no I/O are async: FastAPI runs a sync one in its thread pool, and
# each such hop costs more CPU than the work itself (see bench/RESULTS.md).
async def get_runtime(request: Request) -> Runtime:
    return _runtime(request)


async def get_settings(request: Request) -> Settings:
    return _runtime(request).settings


def get_session(request: Request) -> Iterator[Session]:
    """The request's one transaction; it commits before the response is sent."""
    runtime = _runtime(request)
    with runtime.db.transaction(write=request.method not in SAFE_METHODS) as session:
        yield session


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
