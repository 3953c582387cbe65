"""Who is calling: a bearer API key, or a dashboard session cookie (+ CSRF on writes).

Endpoints declare what they need with ``require_scope("images")`` or ``DashboardUser``.
Rate limits are counted here, per user and before any work, so a refused request costs
nothing.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from krev.accounts import service
from krev.accounts.keys import SCOPES
from krev.deps import SAFE_METHODS, RuntimeDep, SessionDep
from krev.errors import CsrfFailed, MissingScope, RateLimited, SessionRequired, Unauthorized
from krev.kit.clock import utcnow
from krev.models import User
from krev.runtime import Runtime

SESSION_COOKIE = "krev_session"
CSRF_COOKIE = "krev_csrf"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class Principal:
    user: User
    scopes: frozenset[str]
    key_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise Unauthorized("Malformed Authorization header: use 'Authorization: Bearer sk_live_…'.")
    return credentials.strip()


def _from_key(request: Request, session: SessionDep, runtime: Runtime, key: str) -> Principal:
    api_key, user = service.resolve_key(session, runtime.settings, key)
    if service.key_needs_touch(api_key, utcnow()):
        if request.method in SAFE_METHODS:
            # Its own short write transaction keeps the request's read transaction read-only.
            with runtime.db.transaction() as touch:
                service.touch_key(touch, api_key.id)
        else:
            # A write request already holds the write lock (SQLite's BEGIN IMMEDIATE); a second
            # write transaction from this thread would wait on itself.
            service.touch_key(session, api_key.id)
    return Principal(user=user, scopes=frozenset(api_key.scopes), key_id=api_key.id)


def _from_cookie(request: Request, session: SessionDep, runtime: Runtime) -> Principal | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    found = service.resolve_session(session, token)
    if found is None:
        raise Unauthorized("Your dashboard session has expired. Log in again.")
    record, user = found
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        expected = service.csrf_token_for(runtime.settings, token)
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            raise CsrfFailed()
    return Principal(user=user, scopes=frozenset(SCOPES), session_id=record.id)


def _end_authentication(request: Request, session: SessionDep) -> None:
    """Commit what authentication did, so a write request does not hold the write lock.

    On SQLite a write request's transaction starts with BEGIN IMMEDIATE at its first query,
    here. Held across the hop to the endpoint, every lock holder needs a free threadpool
    thread to finish while the waiters sit in threads on the busy timeout: under a burst
    of requests they starve each other into ``database is locked``. The endpoint's own
    queries start a new transaction in the thread that commits it.
    """
    if request.method not in SAFE_METHODS:
        session.commit()


def _count_request(request: Request, runtime: Runtime, user: User) -> None:
    plan = runtime.settings.plan(user.plan)
    state = runtime.limiter.hit(plan.rate_limit, "user", str(user.id), policy=user.plan)
    request.state.ratelimit = state
    if not state.allowed:
        raise RateLimited(
            f"Rate limit exceeded: your plan allows {plan.rate_limit} requests. "
            f"Retry in {max(1, state.reset_after)} seconds.",
            headers=state.headers(),
        )


def get_principal(request: Request, session: SessionDep, runtime: RuntimeDep) -> Principal:
    key = _bearer(request)
    if key is not None:
        principal = _from_key(request, session, runtime, key)
    else:
        from_cookie = _from_cookie(request, session, runtime)
        if from_cookie is None:
            raise Unauthorized("Missing API key: send 'Authorization: Bearer sk_live_…'.")
        principal = from_cookie
    _end_authentication(request, session)
    _count_request(request, runtime, principal.user)
    return principal


def get_dashboard_principal(
    request: Request, session: SessionDep, runtime: RuntimeDep
) -> Principal:
    """Dashboard-only endpoints (/keys): a bearer key is refused even if valid."""
    principal = _from_cookie(request, session, runtime)
    if principal is None:
        raise SessionRequired()
    _end_authentication(request, session)
    _count_request(request, runtime, principal.user)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
DashboardPrincipal = Annotated[Principal, Depends(get_dashboard_principal)]


def require_scope(scope: str) -> Callable[..., Awaitable[Principal]]:
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope}")

    async def dependency(principal: CurrentPrincipal) -> Principal:  # no I/O: no thread hop
        if not principal.has_scope(scope):
            raise MissingScope(f"This API key lacks the '{scope}' scope this endpoint needs.")
        return principal

    dependency.__name__ = f"require_{scope}_scope"
    return dependency
