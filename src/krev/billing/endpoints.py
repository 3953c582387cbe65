"""GET /api/v1/credits and the ledger history."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from krev.accounts.auth import Principal, require_scope
from krev.accounts.repository import AccountSnapshot
from krev.billing import service
from krev.billing.schemas import CreditsOut, LedgerEntryOut
from krev.hotpath import HotRoute
from krev.kit.clock import isoformat, utcnow
from krev.kit.envelope import ERROR_RESPONSES, Envelope, ListEnvelope, ok
from krev.models import User
from krev.platform.deps import PageDep, SessionDep
from krev.platform.runtime import Runtime

router = APIRouter(prefix="/api/v1/credits", tags=["credits"], responses=ERROR_RESPONSES)
CreditsScope = Annotated[Principal, Depends(require_scope("credits"))]


@router.get("", name="get", response_model=Envelope[CreditsOut])
async def get_credits(principal: CreditsScope, request: Request) -> Response:
    """Your credit balance, plan and storage usage."""
    return await credits_response(request, principal)


async def credits_response(
    request: Request, principal: Principal, _path: Mapping[str, Any] | None = None
) -> Response:
    """The endpoint's work, shared with the hot-path dispatcher (see ``HOT_ROUTE``)."""
    # Authentication already read the user's row: the common case needs no more I/O. The
    # body goes out as plain JSON: response_model documents it, and re-validating the dict
    # built here would cost a good share of this hot endpoint's time.
    runtime: Runtime = request.app.state.runtime
    user = principal.user
    if user.credits_resets_at <= utcnow():
        user = await run_in_threadpool(_start_new_period, runtime, user)
    plan = runtime.settings.plan(user.plan)
    body = _credits_body(user, plan.name, plan.monthly_credits, plan.storage_bytes)
    return Response(body, media_type="application/json")


@functools.lru_cache(maxsize=4096)
def _credits_body(
    user: AccountSnapshot, plan_name: str, monthly_credits: int, storage_bytes: int
) -> bytes:
    """The body, rendered once per state of the account and its plan: clients poll this,
    and between two changes every answer is the same bytes. (The account snapshot is the
    read cache's, replaced whenever the row changes.)"""
    data = {
        "plan": user.plan,
        "plan_name": plan_name,
        "credits": {
            "current": user.credits_balance,
            "limit": monthly_credits,
            "current_formatted": service.format_credits(user.credits_balance),
            "limit_formatted": service.format_credits(monthly_credits),
        },
        "storage": {
            "used_bytes": user.storage_used_bytes,
            "limit_bytes": storage_bytes,
            "used_formatted": service.format_bytes(user.storage_used_bytes),
            "limit_formatted": service.format_bytes(storage_bytes),
        },
        "resets_at": isoformat(user.credits_resets_at),
    }
    # As JSONResponse renders it.
    return json.dumps(ok(data), ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


HOT_ROUTE = HotRoute(
    path="/api/v1/credits",
    pattern=re.compile(r"/api/v1/credits"),
    scope="credits",
    handler=credits_response,
)


def _start_new_period(runtime: Runtime, user: AccountSnapshot) -> AccountSnapshot:
    with runtime.db.transaction() as write:
        service.roll_period_if_due(write, runtime.settings, user.id)
        rolled = write.get(User, user.id)
        return AccountSnapshot.of(rolled) if rolled is not None else user


@router.get("/history", name="history", response_model=ListEnvelope[LedgerEntryOut])
def credit_history(principal: CreditsScope, session: SessionDep, page: PageDep) -> dict[str, Any]:
    """Every credit movement, newest first: reservations, refunds, grants, monthly resets."""
    found = service.credit_history(session, principal.user.id, page)
    data = [
        {
            "id": e.id,
            "kind": e.kind,
            "delta": e.delta,
            "balance_after": e.balance_after,
            "generation_id": str(e.generation_id) if e.generation_id else None,
            "note": e.note,
            "created_at": isoformat(e.created_at),
        }
        for e in found.items
    ]
    return {"success": True, "data": data, "meta": found.meta}
