"""Who is calling: a bearer API key, or a dashboard session cookie (+ CSRF on writes).

Endpoints declare what they need with ``require_scope("images")``, ``CurrentPrincipal``,
``PollingPrincipal`` or ``DashboardPrincipal``. Who is calling is resolved once per request
(``identify``) and shared with the idempotency layer. Rate limits are counted here, per user
and before any work, so a refused request costs nothing.

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
from krev.errors import (
    BadRequest,
    CsrfFailed,
    KrevError,
    MissingScope,
    RateLimited,
    SessionRequired,
    Unauthorized,
)
from krev.kit.clock import utcnow
from krev.models import AccountSnapshot, Cause
from krev.platform.client_address import client_address
from krev.platform.deps import SAFE_METHODS, runtime_of
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

    @property
    def cause(self) -> Cause:
        """What the caller's writes are recorded as caused by: their key, or their session."""
        if self.key_id is not None:
            return Cause.api(self.key_id)
        if self.session_id is not None:
            return Cause.dashboard(self.session_id)
        raise AssertionError("a principal is a key or a dashboard session")


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


def _session_principal(runtime: Runtime, request: Request, token: str) -> Principal:
    """The dashboard session's user (every scope); 401 when expired, 403 without CSRF on a
    write. A rarer path with more to read: it runs in a thread, in a transaction of its own."""
    with runtime.db.transaction(write=False) as session:
        found = service.resolve_session(session, token)
        if found is None:
            raise Unauthorized("Your dashboard session has expired. Log in again.")
        record, user = found
        account = AccountSnapshot.of(user)
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        expected = service.csrf_token_for(runtime.settings, token)
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            raise CsrfFailed()
    return Principal(user=account, scopes=frozenset(SCOPES), session_id=record.id)


def _touch_key(runtime: Runtime, key_id: uuid.UUID, user_id: uuid.UUID) -> None:
    with runtime.db.transaction() as session:
        service.touch_key(session, key_id, user_id)


async def _key_principal(runtime: Runtime, key: str) -> Principal:
    """The key's owner, resolved right on the event loop: the process's read cache, or one
    indexed read (``Database.run_on_loop``), so no request takes a thread-pool round trip to
    learn who is calling. The rare ``last_used_at`` write (at most once a minute a key) runs
    in a thread, in a transaction of its own."""
    principal, due = runtime.db.run_on_loop(
        lambda c: _from_key(c, runtime, key, runtime.cache.current_for(c))
    )
    if due is not None:
        await run_in_threadpool(_touch_key, runtime, due, principal.user.id)
    return principal


_IDENTITY = "krev.identity"  # where a request keeps who it is from, in its ASGI state
_ANONYMOUS = object()


async def identify(request: Request) -> Principal | None:
    """Who is calling: the bearer key, else the dashboard session cookie; None with neither.

    Resolved once per request and kept on it, so the idempotency layer (which needs the owner
    to scope its keys) and the endpoint's dependency share one lookup; a refusal (401 for a
    bad key, 400 for two Authorization headers) is kept too and raised to each that asks.
    """
    state = request.scope.setdefault("state", {})
    found = state.get(_IDENTITY)
    if found is None:
        runtime = runtime_of(request)
        try:
            key = _bearer(request)
            token = request.cookies.get(SESSION_COOKIE) if key is None else None
            if key is not None:
                found = await _key_principal(runtime, key)
            elif token:
                found = await run_in_threadpool(_session_principal, runtime, request, token)
            else:
                found = _ANONYMOUS
        except KrevError as error:
            found = error
        state[_IDENTITY] = found
    if isinstance(found, KrevError):
        raise found
    return found if isinstance(found, Principal) else None


async def _admit(request: Request, principal: Principal, *, poll: bool = False) -> None:
    """Count the request in the user's window (all of a user's keys share it): the plan's, or
    for polls of a job's state their own, wider one (``KREV_POLL_RATE_LIMIT``), so a client
    waiting on a job never spends the budget its real calls need. The dashboard's calls count
    in a window of their own (``KREV_DASHBOARD_RATE_LIMIT``): a page left open, following its
    running jobs, never makes the user's automation see a 429."""
    runtime = runtime_of(request)
    user = principal.user
    plan = runtime.settings.plan(user.plan)
    if principal.session_id is not None:
        rule, scope, policy = runtime.settings.dashboard_rate_limit, "dashboard", "dashboard"
    elif poll:
        rule = runtime.settings.poll_rate_limit_of(plan)
        scope, policy = "user", f"{user.plan}-polls"
    else:
        rule, scope, policy = plan.rate_limit, "user", user.plan
    state = await runtime.limiter.hit_async(rule, scope, str(user.id), policy=policy)
    request.state.ratelimit = state
    if not state.allowed:
        what = "polls of job status" if poll else "requests"
        raise RateLimited(
            f"Rate limit exceeded: your plan allows {rule} {what}. "
            f"Retry in {max(1, state.reset_after)} seconds.",
            headers=state.headers(),
        )


async def _count_failure(request: Request) -> None:
    """Count a failed authentication against the client's address; 429 once past the limit."""
    runtime = runtime_of(request)
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


async def _caller(request: Request) -> Principal:
    try:
        principal = await identify(request)
        if principal is None:
            raise Unauthorized("Missing API key: send 'Authorization: Bearer sk_live_…'.")
    except Unauthorized:
        await _count_failure(request)
        raise
    return principal


async def authenticate_key(request: Request) -> Principal:
    """The owner of the request's bearer API key, for a gateway whose own requests are not
    counted in the user's window because what it calls is (the MCP endpoint: each tool's API
    calls count). Without a key it is a 401, a dashboard cookie notwithstanding; a failure is
    counted against the address as at every endpoint."""
    try:
        if _bearer(request) is None:
            raise Unauthorized("Missing API key: send 'Authorization: Bearer sk_live_…'.")
        principal = await identify(request)
        if principal is None:  # identify reads the key first; never without one
            raise Unauthorized()
    except Unauthorized:
        await _count_failure(request)
        raise
    return principal


# The dependencies take only the request (the runtime hangs off the app): ``ApiRoute`` then
# calls them itself, without FastAPI's solver (krev.platform.routing).
async def get_principal(request: Request) -> Principal:
    """An API key (or the dashboard's session), counted in the user's window."""
    principal = await _caller(request)
    await _admit(request, principal)
    return principal


async def get_polling_principal(request: Request) -> Principal:
    """As ``get_principal``, counted in the user's window for polls instead."""
    principal = await _caller(request)
    await _admit(request, principal, poll=True)
    return principal


async def get_dashboard_principal(request: Request) -> Principal:
    """Dashboard-only endpoints (/keys): the session cookie; a bearer key is refused even if
    valid."""
    token = request.cookies.get(SESSION_COOKIE)
    try:
        if not token:
            raise SessionRequired()
        runtime = runtime_of(request)
        principal = await run_in_threadpool(_session_principal, runtime, request, token)
    except Unauthorized:
        await _count_failure(request)
        raise
    await _admit(request, principal)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
PollingPrincipal = Annotated[Principal, Depends(get_polling_principal)]
DashboardPrincipal = Annotated[Principal, Depends(get_dashboard_principal)]


def require_scope(scope: str, *, poll: bool = False) -> Callable[..., Awaitable[Principal]]:
    """A caller whose key holds ``scope``; with ``poll``, counted in the window for polls
    (an endpoint clients call in loops to follow a job, as GET /generations/{id})."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope}")

    async def dependency(request: Request) -> Principal:
        principal = await _caller(request)
        if not principal.has_scope(scope):
            raise MissingScope(f"This API key lacks the '{scope}' scope this endpoint needs.")
        await _admit(request, principal, poll=poll)
        return principal

    dependency.__name__ = f"require_{scope}_scope{'_polling' if poll else ''}"
    dependency.krev_scope = scope  # type: ignore[attr-defined]  # read by the OpenAPI document
    return dependency


def auth_of(dependant: Any) -> tuple[str, str | None] | None:
    """How an endpoint authenticates, from its dependencies: ("bearer", scope) for API-key
    endpoints, ("session", None) for dashboard-only ones, None for public ones."""
    for sub in dependant.dependencies:
        call = sub.call
        if call is get_dashboard_principal:
            return ("session", None)
        if call in (get_principal, get_polling_principal) or hasattr(call, "krev_scope"):
            return ("bearer", getattr(call, "krev_scope", None))
        found = auth_of(sub)
        if found is not None:
            return found
    return None
