"""Who is calling: a bearer API key, or a dashboard session cookie (+ CSRF on writes).

Endpoints declare what they need with ``require_scope("images")`` or ``DashboardUser``.
Rate limits are counted here, per user and before any work, so a refused request costs
nothing.

Failed authentications are counted too, per client address (``KREV_AUTH_FAILURE_RATE_LIMIT``):
past the limit a failure is answered 429 with Retry-After instead of 401, which stops a
client stuck on a revoked key and slows anyone trying keys. A valid key is still served
from that address: keys carry 128 random bits, so guessing is not what the limit guards
against, and refusing everyone at an address would let one client behind a shared NAT or
an untrusted proxy lock the others out.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from krev.accounts import service
from krev.accounts.keys import SCOPES
from krev.accounts.repository import AccountSnapshot
from krev.errors import (
    BadRequest,
    CsrfFailed,
    MissingScope,
    RateLimited,
    SessionRequired,
    Unauthorized,
)
from krev.kit.clock import utcnow
from krev.platform.client_address import client_address
from krev.platform.deps import SAFE_METHODS
from krev.platform.readcache import ReadCache
from krev.platform.runtime import Runtime

SESSION_COOKIE = "krev_session"
CSRF_COOKIE = "krev_csrf"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class Principal:
    user: AccountSnapshot
    scopes: frozenset[str]
    key_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


def _bearer(request: Request) -> str | None:
    return parse_bearer(only_authorization(request.headers.getlist("authorization")))


def only_authorization(headers: Sequence[str]) -> str | None:
    """The request's one ``Authorization`` header; None without one, 400 with several.

    HTTP allows the field once (it is not a list), and readers of two disagree on which
    counts (Starlette takes the first, a dict of the raw headers keeps the last): a request
    could be authenticated as one caller by one layer and as another by the next.
    """
    if len(headers) > 1:
        raise BadRequest("Send one Authorization header, not several.")
    return headers[0] if headers else None


def parse_bearer(header: str | None) -> str | None:
    """The key in an ``Authorization: Bearer …`` header; None without one, 401 if malformed."""
    if header is None:
        return None
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise Unauthorized("Malformed Authorization header: use 'Authorization: Bearer sk_live_…'.")
    return credentials.strip()


def _from_key(
    executor: Connection | Session, runtime: Runtime, key: str, cache: ReadCache | None
) -> tuple[Principal, uuid.UUID | None]:
    """The caller, and the id of the key if its ``last_used_at`` is due for a write."""
    owner = service.resolve_key(executor, runtime.settings, key, cache)
    due = owner.key_id if service.key_needs_touch(owner, utcnow()) else None
    return Principal(user=owner.account, scopes=frozenset(owner.scopes), key_id=owner.key_id), due


def _resolve(
    session: Session, runtime: Runtime, request: Request, key: str | None
) -> tuple[Principal | None, uuid.UUID | None]:
    if key is not None:
        return _from_key(session, runtime, key, runtime.cache.shared())
    return _from_cookie(request, session, runtime), None


def _resolve_in_thread(
    runtime: Runtime, request: Request, key: str | None
) -> tuple[Principal | None, uuid.UUID | None]:
    with runtime.db.transaction(write=False) as session:
        return _resolve(session, runtime, request, key)


def _touch_key(runtime: Runtime, key_id: uuid.UUID, user_id: uuid.UUID) -> None:
    with runtime.db.transaction() as session:
        service.touch_key(session, key_id, user_id)


def _from_cookie(request: Request, session: Session, runtime: Runtime) -> Principal | None:
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
    return Principal(user=AccountSnapshot.of(user), scopes=frozenset(SCOPES), session_id=record.id)


async def _count_request(request: Request, runtime: Runtime, user: AccountSnapshot) -> None:
    plan = runtime.settings.plan(user.plan)
    state = await runtime.limiter.hit_async(plan.rate_limit, "user", str(user.id), policy=user.plan)
    request.state.ratelimit = state
    if not state.allowed:
        raise RateLimited(
            f"Rate limit exceeded: your plan allows {plan.rate_limit} requests. "
            f"Retry in {max(1, state.reset_after)} seconds.",
            headers=state.headers(),
        )


async def _authenticate(request: Request, runtime: Runtime, key: str | None) -> Principal | None:
    """Authentication runs in a short transaction of its own, never the request's.

    A bearer key is resolved right on the event loop: a read of the process's cache, or one
    indexed read (see ``Database.run_on_loop``), so no request takes a thread-pool round trip
    to learn who is calling. A dashboard session is resolved in a thread (a rarer path with
    more to read), and so is the rare ``last_used_at`` write, which keeps the request's own
    write transaction (SQLite's write lock) as short as its real work.
    """
    principal: Principal | None
    if key is not None:
        principal, due = runtime.db.run_on_loop(
            lambda c: _from_key(c, runtime, key, runtime.cache.current_for(c))
        )
    else:
        principal, due = await run_in_threadpool(_resolve_in_thread, runtime, request, key)
    if due is not None and principal is not None:
        await run_in_threadpool(_touch_key, runtime, due, principal.user.id)
    if principal is not None:
        await _count_request(request, runtime, principal.user)
    return principal


async def _count_failure(request: Request, runtime: Runtime) -> None:
    """Count a failed authentication against the client's address; 429 once past the limit."""
    settings = runtime.settings
    address = client_address(request.scope, settings.trusted_proxy_networks)
    state = await runtime.limiter.hit_async(
        settings.auth_failure_rate_limit,
        "auth-failure",
        settings.queue_name,  # one deployment's processes share the count, others do not
        address,
        policy="auth-failures",
    )
    request.state.ratelimit = state
    if not state.allowed:
        raise RateLimited(
            "Too many failed authentications from your address. Check your API key; "
            f"retry in {max(1, state.reset_after)} seconds.",
            headers=state.headers(),
        )


# These take only the request (the runtime hangs off the app): FastAPI spends more time
# solving each nested dependency than authentication itself takes on the hot paths.
async def get_principal(request: Request) -> Principal:
    runtime: Runtime = request.app.state.runtime
    try:
        principal = await _authenticate(request, runtime, _bearer(request))
        if principal is None:
            raise Unauthorized("Missing API key: send 'Authorization: Bearer sk_live_…'.")
    except Unauthorized:
        await _count_failure(request, runtime)
        raise
    return principal


async def get_dashboard_principal(request: Request) -> Principal:
    """Dashboard-only endpoints (/keys): a bearer key is refused even if valid."""
    runtime: Runtime = request.app.state.runtime
    try:
        principal = await _authenticate(request, runtime, None)
        if principal is None:
            raise SessionRequired()
    except Unauthorized:
        await _count_failure(request, runtime)
        raise
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
DashboardPrincipal = Annotated[Principal, Depends(get_dashboard_principal)]


async def authorize(request: Request, scope: str | None) -> Principal:
    """The caller, counted against their rate limit, holding ``scope`` (if one is needed)."""
    principal = await get_principal(request)
    if scope is not None and not principal.has_scope(scope):
        raise MissingScope(f"This API key lacks the '{scope}' scope this endpoint needs.")
    return principal


def require_scope(scope: str) -> Callable[..., Awaitable[Principal]]:
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope}")

    async def dependency(request: Request) -> Principal:
        return await authorize(request, scope)

    dependency.__name__ = f"require_{scope}_scope"
    dependency.krev_scope = scope  # type: ignore[attr-defined]  # read by the OpenAPI document
    return dependency


def auth_of(dependant: Any) -> tuple[str, str | None] | None:
    """How an endpoint authenticates, from its dependencies: ("bearer", scope) for API-key
    endpoints, ("session", None) for dashboard-only ones, None for public ones."""
    for sub in dependant.dependencies:
        call = sub.call
        if call is get_dashboard_principal:
            return ("session", None)
        if call is get_principal or hasattr(call, "krev_scope"):
            return ("bearer", getattr(call, "krev_scope", None))
        found = auth_of(sub)
        if found is not None:
            return found
    return None
