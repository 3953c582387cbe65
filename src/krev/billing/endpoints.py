"""GET /api/v1/credits, the ledger history and the credits used per day."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from krev.accounts.auth import Principal, require_scope
from krev.billing import service
from krev.billing.schemas import CreditsOut, CreditUsageOut, LedgerEntryOut
from krev.kit.clock import isoformat, utcnow
from krev.kit.envelope import ERROR_RESPONSES, Envelope, ListEnvelope, ok
from krev.platform.deps import PageDep, RuntimeDep, SessionDep
from krev.platform.routing import api_router

router = api_router(prefix="/api/v1/credits", tags=["credits"], responses=ERROR_RESPONSES)
CreditsScope = Annotated[Principal, Depends(require_scope("credits"))]


@router.get("", name="get", response_model=Envelope[CreditsOut])
async def get_credits(principal: CreditsScope, runtime: RuntimeDep) -> JSONResponse:
    """Your credit balance, plan and storage usage."""
    # Authentication already read the user's row: the common case needs no more I/O. The
    # body goes out as plain JSON: response_model documents it, and re-validating the dict
    # built here would cost a good share of this endpoint's time.
    account = principal.user
    if account.credits_resets_at <= utcnow():
        account = await run_in_threadpool(service.start_new_period, runtime, account)
    return JSONResponse(ok(service.credits_view(account, runtime.settings.plan(account.plan))))


@router.get("/history", name="history", response_model=ListEnvelope[LedgerEntryOut])
def credit_history(principal: CreditsScope, session: SessionDep, page: PageDep) -> dict[str, Any]:
    """Every credit movement, newest first: reservations, refunds, grants, monthly resets,
    each with what caused it (``source``, and ``api_key_id`` for a key's)."""
    found = service.credit_history(session, principal.user.id, page)
    data = [
        {
            "id": e.id,
            "kind": e.kind,
            "delta": e.delta,
            "balance_after": e.balance_after,
            "generation_id": str(e.generation_id) if e.generation_id else None,
            "generation_kind": e.generation_kind,
            "note": e.note,
            "created_at": isoformat(e.created_at),
            "source": e.source,
            "api_key_id": str(e.api_key_id) if e.api_key_id else None,
        }
        for e in found.items
    ]
    return {"success": True, "data": data, "meta": found.meta}


@router.get("/usage", name="usage", response_model=Envelope[CreditUsageOut])
def credit_usage(
    principal: CreditsScope,
    session: SessionDep,
    days: Annotated[
        int,
        Query(
            ge=1,
            le=service.MAX_USAGE_DAYS,
            description=f"How many days to list, today included: 1 to {service.MAX_USAGE_DAYS}.",
        ),
    ] = 30,
) -> dict[str, Any]:
    """Credits used per day (UTC) over the last `days` days, by kind (images, videos, ads), with
    the part that chat runs used. A job counts on the day it was accepted, net of any refund: a
    failed or cancelled job counts nothing. Every day is listed, oldest first."""
    usage = service.credit_usage(session, principal.user.id, days, utcnow().date())
    return {"success": True, "data": usage}
