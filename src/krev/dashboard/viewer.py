"""Who is looking at a dashboard page: the session cookie's user, read once per page."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi import Request

from krev.accounts import service as accounts
from krev.accounts.auth import SESSION_COOKIE
from krev.platform.deps import runtime_of


@dataclass(frozen=True)
class Viewer:
    user_id: uuid.UUID
    email: str
    plan: str
    csrf_token: str  # rendered into the page; the modules send it as X-CSRF-Token on writes


def viewer_of(request: Request) -> Viewer | None:
    """The logged-in user, or None without a session or with an expired one (the page then
    sends them to the login page, which says which of the two it was)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    runtime = runtime_of(request)
    with runtime.db.transaction(write=False) as session:
        found = accounts.resolve_session(session, token)
        if found is None:
            return None
        _, user = found
        return Viewer(
            user_id=user.id,
            email=user.email,
            plan=user.plan,
            csrf_token=accounts.csrf_token_for(runtime.settings, token),
        )
