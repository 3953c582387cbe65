"""FastAPI dependencies shared by every domain's endpoints, as ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from anyio import CapacityLimiter, to_thread
from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from krev.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, PageRequest, cursor_signer
from krev.platform.config import Settings
from krev.platform.runtime import Runtime

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def runtime_of(request: Request) -> Runtime:
    """The process's runtime, which the app keeps (``krev.app.create_app``)."""
    runtime: Runtime = request.app.state.runtime
    return runtime


# Dependencies that do no I/O are async: FastAPI runs a sync one in its thread pool, and
# each such hop costs more CPU than the work itself (see bench/RESULTS.md).
async def get_runtime(request: Request) -> Runtime:
    return runtime_of(request)


async def get_settings(request: Request) -> Settings:
    return runtime_of(request).settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's one transaction; it commits before the response is sent.

    Opening it does no I/O (the session connects on first use), so only its end, the
    commit or rollback, goes to a thread. This mirrors what FastAPI does for a sync
    generator dependency, including a limiter of its own for the end: were it to wait for
    the shared thread pool, requests blocked on SQLite's write lock could hold every
    thread while the one holding the lock waits for a thread to commit.
    """
    transaction = runtime_of(request).db.transaction(write=request.method not in SAFE_METHODS)
    session = transaction.__enter__()
    own_limiter = CapacityLimiter(1)
    try:
        yield session
    except Exception as error:
        if not await to_thread.run_sync(
            transaction.__exit__, type(error), error, error.__traceback__, limiter=own_limiter
        ):
            raise
    else:
        if session.in_transaction() or session.info:
            await to_thread.run_sync(transaction.__exit__, None, None, None, limiter=own_limiter)
        else:  # never used: nothing to commit, no I/O, no thread
            transaction.__exit__(None, None, None)


async def get_page(
    request: Request,
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=MAX_LIMIT,
            description=f"Items per page, 1 to {MAX_LIMIT}. Default: {DEFAULT_LIMIT}.",
        ),
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(
            description="meta.next_cursor of the previous page, as given (an opaque string); "
            "leave it out for the first page. Anything else is a 400 invalid_cursor."
        ),
    ] = None,
) -> PageRequest:
    """``limit`` and ``cursor``, the same on every list (see krev.kit.pagination)."""
    # An empty cursor (``?cursor=`` from a client that had none) asks for the first page.
    return PageRequest(limit, cursor or None, cursor_signer(runtime_of(request).settings.secret))


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
PageDep = Annotated[PageRequest, Depends(get_page)]
