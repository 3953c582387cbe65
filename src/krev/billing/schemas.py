"""Response bodies of /credits, exactly as the reference shows them."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field


class CreditsBalance(BaseModel):
    current: int = Field(description="Credits available now.")
    limit: int = Field(description="Credits the plan grants each month.")
    current_formatted: str = Field(examples=["1,840"])
    limit_formatted: str = Field(examples=["2,500"])


class StorageUsage(BaseModel):
    used_bytes: int
    limit_bytes: int
    used_formatted: str = Field(examples=["500 MB"])
    limit_formatted: str = Field(examples=["2 GB"])


class CreditsOut(BaseModel):
    plan: str = Field(examples=["pro"])
    plan_name: str = Field(examples=["Pro"])
    credits: CreditsBalance
    storage: StorageUsage
    resets_at: str = Field(description="When the monthly period ends (RFC 3339, UTC).")


class LedgerEntryOut(BaseModel):
    id: int
    kind: str = Field(description="reservation, refund, partial_refund, grant, monthly_reset…")
    delta: int
    balance_after: int
    generation_id: str | None
    note: str | None
    created_at: str
    source: str = Field(
        description="What caused the move: api (an API key, in api_key_id), dashboard (a "
        "dashboard session), admin (krev admin grant-credits), system (a monthly reset or "
        "the opening balance), or unknown for moves from before this was recorded. A "
        "refund has the source and key of the job it refunds.",
        examples=["api"],
    )
    api_key_id: uuid.UUID | None = Field(
        description="The API key behind the move (an id from GET /api/v1/keys); null when none was."
    )
