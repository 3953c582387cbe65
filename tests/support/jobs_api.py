"""A test-only endpoint that submits ``test_render`` jobs through the real service and
answers with the same ``JobResponse`` every job-creating POST uses."""

from __future__ import annotations

from typing import Annotated, Any

from anyio import to_thread
from fastapi import Depends, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from krev.accounts.auth import Principal, require_scope
from krev.generations import service
from krev.generations.responses import JobAnswer, JobResponse, prefers_async
from krev.models import Generation
from krev.platform.deps import RuntimeDep, SessionDep
from krev.platform.routing import api_router

router = api_router(prefix="/api/v1/test-jobs", tags=["test-jobs"])


class TestJobBody(BaseModel):
    params: dict[str, Any] = {}
    cost: int = 40


class RenderedAnswer(JobAnswer):
    def __init__(self, storage: Any) -> None:
        self.storage = storage

    def result(self, session: Session, generation: Generation) -> dict[str, Any]:
        urls = service.output_urls(generation, self.storage, 600)
        return {
            "generation_id": str(generation.id),
            "images": urls,
            "image_count": len(urls),
            "credits_used": generation.credits_used,
        }


@router.post("", name="create")
async def create_test_job(
    body: TestJobBody,
    request: Request,
    principal: Annotated[Principal, Depends(require_scope("images"))],
    session: SessionDep,
    runtime: RuntimeDep,
) -> JobResponse:
    def submit() -> Any:
        return service.submit(
            session,
            runtime.settings,
            runtime.queue,
            user_id=principal.user.id,
            kind="test_render",
            params=body.params,
            cost=body.cost,
            cause=principal.cause,
        ).id

    generation_id = await to_thread.run_sync(submit)
    return JobResponse(
        runtime,
        generation_id,
        RenderedAnswer(runtime.storage),
        prefer_async=prefers_async(request),
    )
