"""A test-only endpoint that submits ``test_render`` jobs through the real service and
answers with the same sync-or-202 helper the generation endpoints use."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from krev.accounts.auth import Principal, require_scope
from krev.generations import service
from krev.generations.responses import job_response
from krev.platform.db import commit
from krev.platform.deps import RuntimeDep, SessionDep

router = APIRouter(prefix="/api/v1/test-jobs", tags=["test-jobs"])


class TestJobBody(BaseModel):
    params: dict[str, Any] = {}
    cost: int = 40


@router.post("", name="create")
async def create_test_job(
    body: TestJobBody,
    request: Request,
    principal: Annotated[Principal, Depends(require_scope("images"))],
    session: SessionDep,
    runtime: RuntimeDep,
) -> Any:
    def _submit() -> Any:
        generation = service.submit(
            session,
            runtime.settings,
            runtime.tasks.enqueue,
            user_id=principal.user.id,
            kind="test_render",
            params=body.params,
            cost=body.cost,
        )
        commit(session)
        return generation.id

    generation_id = await run_in_threadpool(_submit)

    def render(s: Any, generation: Any) -> dict[str, Any]:
        urls = service.output_urls(generation, runtime.storage, 600)
        return {
            "generation_id": str(generation.id),
            "images": urls,
            "image_count": len(urls),
            "credits_used": generation.credits_used,
        }

    return await job_response(request, runtime, generation_id, render)
