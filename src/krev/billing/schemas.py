"""Response bodies of /credits, exactly as the reference shows them, and of the history and
usage views the reference leaves to us."""

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
    generation_kind: str | None = Field(
        description="The kind of the generation the move is for (image, video, ad, "
        "product_analysis…); null for moves of no generation, and for those of generations "
        "deleted before kinds were recorded.",
        examples=["image"],
    )
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


class UsageByKind(BaseModel):
    """Credits used, by the kind of media they made."""

    images: int = Field(description="Credits image generations used (HD and variants included).")
    videos: int = Field(description="Credits video generations used.")
    ads: int = Field(description="Credits ad creatives used.")
    total: int = Field(description="images + videos + ads.")


class UsageDay(UsageByKind):
    """One UTC day: the credits the jobs accepted that day used, net of their refunds."""

    date: str = Field(description="The UTC calendar day (YYYY-MM-DD).", examples=["2026-12-14"])
    via_chat: UsageByKind = Field(
        description="The part of this day's credits that chat runs used (POST /api/v1/chat)."
    )


class CreditUsageOut(BaseModel):
    days: int = Field(description="How many days are listed (the `days` asked for).")
    start: str = Field(description="The first day listed (UTC, YYYY-MM-DD).")
    end: str = Field(description="The last day listed: today (UTC, YYYY-MM-DD).")
    total: UsageByKind = Field(description="The credits used over all the days listed.")
    via_chat: UsageByKind = Field(description="The part of `total` that chat runs used.")
    daily: list[UsageDay] = Field(description="Every day from `start` to `end`, oldest first.")
