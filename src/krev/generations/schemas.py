"""Response bodies of /generations and of job-creating POSTs answered with 202."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field

from krev.kit.envelope import Envelope


class GenerationOutput(BaseModel):
    model_config = {"extra": "allow"}

    urls: list[str] = Field(description="Signed URLs of the outputs; they expire.")


class GenerationOut(BaseModel):
    id: uuid.UUID
    kind: str = Field(examples=["image"])
    status: str = Field(description="queued, processing, succeeded, failed or cancelled.")
    progress: int = Field(ge=0, le=100)
    output: GenerationOutput | None
    error: str | None
    error_code: str | None = None
    credits_used: int = Field(description="Credits charged; 0 once failed or cancelled.")
    queue_position: int | None = Field(
        default=None, description="1 when next in line; only while queued."
    )
    created_at: str
    started_at: str | None = None
    completed_at: str | None
    source: str = Field(
        description="What submitted the job: api (an API key, in api_key_id), dashboard (a "
        "dashboard session), or unknown for jobs from before this was recorded.",
        examples=["api"],
    )
    api_key_id: uuid.UUID | None = Field(
        description="The API key that submitted the job (an id from GET /api/v1/keys); "
        "null when it came from elsewhere."
    )
    prompt: str | None = Field(
        default=None,
        description="What the job was asked for: the prompt of an image or a video, the brief "
        "of an ad, as sent; null for kinds without one (a product's analysis).",
        examples=["Smooth camera pan around sneakers with soft lighting"],
    )


class DeletedGeneration(BaseModel):
    id: uuid.UUID
    deleted: bool = True
    freed_bytes: int = Field(
        ge=0,
        description="Bytes of stored outputs removed and no longer counted against your "
        "plan's storage (GET /api/v1/credits shows what is left).",
    )


class JobAccepted(BaseModel):
    generation_id: uuid.UUID
    status: str = Field(examples=["queued"])
    poll_url: str = Field(description="GET this URL to follow the job.")


JOB_ACCEPTED_RESPONSE: dict[int | str, dict[str, Any]] = {
    202: {
        "model": Envelope[JobAccepted],
        "description": "Accepted: the job did not finish within the wait window, or the "
        "client sent `Prefer: respond-async`. Poll `poll_url`.",
    }
}
