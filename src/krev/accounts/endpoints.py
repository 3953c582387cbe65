"""/api/v1/keys (dashboard session only) and /api/v1/auth (login, logout, session, password)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Query, Request, Response

from krev.accounts import service
from krev.accounts.auth import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    DashboardPrincipal,
)
from krev.accounts.schemas import (
    KeyCreate,
    KeyCreated,
    KeyOut,
    KeyRevoked,
    LoginBody,
    PasswordChange,
    PasswordChanged,
    SessionOut,
    UserOut,
)
from krev.errors import RateLimited
from krev.kit.clock import isoformat
from krev.kit.envelope import ERROR_RESPONSES, Envelope, ErrorEnvelope, ok
from krev.models import AccountSnapshot, ApiKey, User
from krev.platform.client_address import client_address
from krev.platform.deps import RuntimeDep, SessionDep
from krev.platform.routing import api_router

keys_router = api_router(prefix="/api/v1/keys", tags=["keys"], responses=ERROR_RESPONSES)
auth_router = api_router(prefix="/api/v1/auth", tags=["auth"], responses=ERROR_RESPONSES)


def _key_out(api_key: ApiKey) -> dict[str, Any]:
    return {
        "id": api_key.id,
        "name": api_key.name,
        "prefix": api_key.display_prefix,
        "scopes": list(api_key.scopes),
        "created_at": isoformat(api_key.created_at),
        "last_used_at": isoformat(api_key.last_used_at),
        "revoked_at": isoformat(api_key.revoked_at),
    }


def _user_out(user: User | AccountSnapshot) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "plan": user.plan, "is_admin": user.is_admin}


@keys_router.post("", name="create", response_model=Envelope[KeyCreated], status_code=201)
def create_key(
    body: KeyCreate, principal: DashboardPrincipal, session: SessionDep, runtime: RuntimeDep
) -> dict[str, Any]:
    """Create an API key. The full key is in this response only; store it safely."""
    api_key, plaintext = service.create_key(
        session, runtime.settings, principal.user.id, body.name, body.scopes
    )
    return ok({**_key_out(api_key), "key": plaintext})


@keys_router.get("", name="list", response_model=Envelope[list[KeyOut]])
def list_keys(principal: DashboardPrincipal, session: SessionDep) -> dict[str, Any]:
    """Your API keys, newest first, without their secrets."""
    return ok([_key_out(k) for k in service.list_keys(session, principal.user.id)])


@keys_router.delete(
    "",
    name="revoke",
    response_model=Envelope[KeyRevoked],
    responses={404: {"model": ErrorEnvelope, "description": "No such key of yours."}},
)
def revoke_key(
    principal: DashboardPrincipal,
    session: SessionDep,
    id: Annotated[uuid.UUID, Query(description="The API key id to revoke.")],
) -> dict[str, Any]:
    """Revoke a key. It stops working immediately."""
    service.revoke_key(session, principal.user.id, id)
    return ok({"id": id, "revoked": True})


@auth_router.post("/login", name="login", response_model=Envelope[SessionOut])
def login(
    body: LoginBody,
    request: Request,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
) -> dict[str, Any]:
    """Log in to the dashboard: sets an HttpOnly session cookie and returns a CSRF token."""
    client = client_address(request.scope, runtime.settings.trusted_proxy_networks)
    state = runtime.limiter.hit(
        runtime.settings.login_rate_limit,
        "login",
        body.email.strip().lower(),
        client,
        policy="login",
    )
    if not state.allowed:
        raise RateLimited("Too many login attempts. Wait and retry.", headers=state.headers())
    user = service.check_password(session, runtime.settings, body.email, body.password)
    new = service.open_session(session, runtime.settings, user)
    max_age = runtime.settings.session_ttl_seconds
    secure = runtime.settings.secure_cookies
    response.set_cookie(
        SESSION_COOKIE,
        new.token,
        max_age=max_age,
        httponly=True,
        secure=secure,
        samesite="lax",
        path="/",
    )
    # Readable by the dashboard's scripts for the double-submit header.
    response.set_cookie(
        CSRF_COOKIE,
        new.csrf_token,
        max_age=max_age,
        httponly=False,
        secure=secure,
        samesite="strict",
        path="/",
    )
    return ok(
        {
            "user": _user_out(user),
            "csrf_token": new.csrf_token,
            "expires_at": isoformat(new.record.expires_at),
        }
    )


@auth_router.post("/logout", name="logout", response_model=Envelope[dict[str, bool]])
def logout(
    principal: DashboardPrincipal, response: Response, session: SessionDep
) -> dict[str, Any]:
    """End the dashboard session (needs the X-CSRF-Token header)."""
    if principal.session_id is not None:
        service.close_session(session, principal.session_id)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return ok({"logged_out": True})


@auth_router.post("/password", name="change-password", response_model=Envelope[PasswordChanged])
def change_password(
    body: PasswordChange, principal: DashboardPrincipal, session: SessionDep, runtime: RuntimeDep
) -> dict[str, Any]:
    """Change your dashboard password (needs the X-CSRF-Token header). Your other dashboard
    sessions are logged out; this one stays. API keys are not affected."""
    # A stolen session must not become a way to guess the password behind it.
    state = runtime.limiter.hit(
        runtime.settings.login_rate_limit, "password", str(principal.user.id), policy="login"
    )
    if not state.allowed:
        raise RateLimited("Too many password attempts. Wait and retry.", headers=state.headers())
    ended = service.change_password(
        session,
        runtime.settings,
        principal.user.id,
        body.current_password,
        body.new_password,
        principal.session_id,
    )
    return ok({"changed": True, "other_sessions_ended": ended})


@auth_router.get("/session", name="session", response_model=Envelope[SessionOut])
def current_session(
    principal: DashboardPrincipal, request: Request, runtime: RuntimeDep
) -> dict[str, Any]:
    """The logged-in user and the CSRF token to send on writes."""
    token = request.cookies.get(SESSION_COOKIE, "")
    return ok(
        {
            "user": _user_out(principal.user),
            "csrf_token": service.csrf_token_for(runtime.settings, token),
        }
    )


__all__ = ["UserOut", "auth_router", "keys_router"]
