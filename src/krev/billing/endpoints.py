"""GET /api/v1/credits and the ledger history."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from krev.accounts.auth import Principal, require_scope
from krev.accounts.repository import AccountSnapshot
from krev.billing import service
from krev.billing.schemas import CreditsOut, LedgerEntryOut
from krev.deps import SessionDep
from krev.hotpath import HotRoute
from krev.kit.clock import isoformat, utcnow
from krev.kit.envelope import ERROR_RESPONSES, Envelope, ListEnvelope, ok
from krev.models import User
from krev.runtime import Runtime

router = APIRouter(prefix="/api/v1/credits", tags=["credits"], responses=ERROR_RESPONSES)
CreditsScope = Annotated[Principal, Depends(require_scope("credits"))]


@router.get("", name="get", response_model=Envelope[CreditsOut])
async def get_credits(principal: CreditsScope, request: Request) -> JSONResponse:
    """Your credit balance, plan and storage usage."""
    return await credits_response(request, principal)


async def credits_response(
    request: Request, principal: Principal, _path: Mapping[str, Any] | None = None
) -> JSONResponse:
    """The endpoint's work, shared with the hot-path dispatcher (see ``HOT_ROUTE``)."""
    # Authentication already read the user's row: the common case needs no more I/O. The
    # body goes out as plain JSON: response_model documents it, and re-validating the dict
    # built here would cost a good share of this hot endpoint's time.
    runtime: Runtime = request.app.state.runtime
    settings = runtime.settings
    user = principal.user
    if user.credits_resets_at <= utcnow():
        user = await run_in_threadpool(_start_new_period, runtime, user)
    plan = settings.plan(user.plan)
    return JSONResponse(
        ok(
            {
                "plan": user.plan,
                "plan_name": plan.name,
                "credits": {
                    "current": user.credits_balance,
                    "limit": plan.monthly_credits,
                    "current_formatted": service.format_credits(user.credits_balance),
                    "limit_formatted": service.format_credits(plan.monthly_credits),
                },
                "storage": {
                    "used_bytes": user.storage_used_bytes,
                    "limit_bytes": plan.storage_bytes,
                    "used_formatted": service.format_bytes(user.storage_used_bytes),
                    "limit_formatted": service.format_bytes(plan.storage_bytes),
                },
                "resets_at": isoformat(user.credits_resets_at),
            }
        )
    )


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
def credit_history(
    principal: CreditsScope,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100, description="Entries per page.")] = 50,
    cursor: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="next_cursor of the previous page.")
    ] = None,
) -> dict[str, Any]:
    """Every credit movement, newest first: reservations, refunds, grants, monthly resets."""
    entries = service.credit_history(session, principal.user.id, limit, cursor)
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
        for e in entries
    ]
    next_cursor = str(entries[-1].id) if len(entries) == limit else None
    return {"success": True, "data": data, "meta": {"count": len(data), "next_cursor": next_cursor}}
