"""FastAPI dependencies shared by every domain's endpoints, as ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from krev.config import Settings
from krev.runtime import Runtime

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_settings(request: Request) -> Settings:
    return get_runtime(request).settings


def get_session(request: Request) -> Iterator[Session]:
    """The request's one transaction; it commits before the response is sent."""
    runtime = get_runtime(request)
    with runtime.db.transaction(write=request.method not in SAFE_METHODS) as session:
        yield session


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
