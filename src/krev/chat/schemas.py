"""Request and response bodies of ``/api/v1/chat``."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, field_validator

from krev.engines.chat import AGENTS
from krev.kit.body import JsonUUID, StrictBody
from krev.kit.openapi import NOT_BLANK

MAX_MESSAGE_CHARS = 4000
MAX_REFERENCE_IMAGES = 4
MAX_PRODUCTS = 10
MAX_URL_CHARS = 8 * 1024 * 1024  # a data: URL holds a whole image; the body limit caps it too

Agent = Literal["auto", "asset", "discover"]
RunStatus = Literal["queued", "processing", "succeeded", "failed", "cancelled"]


def whole_credits(value: object) -> object:
    """``max_credits`` is a JSON integer: 50.0 is the number 50; 50.5, "50" and true are
    refused, not rounded or coerced."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ValueError("max_credits must be a whole number of credits")


class ChatRequest(StrictBody):
    """The reference's body, strictly typed, and ``max_credits``."""

    message: str = Field(
        max_length=MAX_MESSAGE_CHARS,
        description="Instruction for the agent. Requests to change Meta campaigns, ad sets, "
        "ads, budgets or accounts are refused (403 meta_mutation_forbidden).",
        examples=["Make three ad concepts for this product and include image ideas"],
        json_schema_extra=NOT_BLANK,
    )
    conversation_id: JsonUUID | None = Field(
        default=None,
        description="Existing API chat conversation to continue (its earlier concepts and "
        "media are the context of follow-ups such as 'make the second one darker').",
    )
    product_ids: list[JsonUUID] | None = Field(
        default=None,
        max_length=MAX_PRODUCTS,
        description="Owned product IDs to include as selected context.",
    )
    reference_images: list[str] | None = Field(
        default=None,
        max_length=MAX_REFERENCE_IMAGES,
        description=f"External image URLs (http(s) or base64 data URLs) to include as visual "
        f"references, at most {MAX_REFERENCE_IMAGES}. Fetched when the run is accepted.",
    )
    agent: Agent = Field(
        default="auto",
        description="asset plans and produces creative work; discover researches; auto picks "
        "by intent (the run's agent_used says which).",
    )
    max_credits: Annotated[int | None, BeforeValidator(whole_credits)] = Field(
        default=None,
        ge=0,
        description="The most this run may spend on media, below the server's per-run budget "
        "(KREV_CHAT_RUN_CREDIT_BUDGET, which it can only lower). A run stops before a render "
        "that would exceed it, and says so.",
    )

    @field_validator("message")
    @classmethod
    def _message_has_words(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("the message must not be empty")
        return value

    @field_validator("agent", mode="before")
    @classmethod
    def _known_agent(cls, value: object) -> object:
        if isinstance(value, str) and value not in AGENTS:
            raise ValueError(f"'{value}' is not an agent; use one of: {', '.join(AGENTS)}")
        return value

    @field_validator("reference_images")
    @classmethod
    def _urls_fit(cls, value: list[str] | None) -> list[str] | None:
        for url in value or []:
            if len(url) > MAX_URL_CHARS:
                raise ValueError("a reference image URL is too long")
        return value


class ChatQueued(BaseModel):
    conversation_id: uuid.UUID
    user_message_id: uuid.UUID
    assistant_message_id: uuid.UUID
    run_id: uuid.UUID
    job_id: uuid.UUID = Field(
        description="The run's job; GET /api/v1/generations/{job_id} shows it as kind chat."
    )
    status: RunStatus = Field(examples=["queued"])
    poll_url: str = Field(description="GET this URL to follow the run.")


class MessageOut(BaseModel):
    id: uuid.UUID
    role: Literal["user", "assistant"]
    content: str = Field(description="The text; an assistant message is empty until its run ends.")
    created_at: str


class JobRef(BaseModel):
    id: uuid.UUID
    status: RunStatus


class MediaOut(BaseModel):
    generation_id: uuid.UUID
    kind: str = Field(examples=["image"])
    url: str = Field(description="A signed URL; it expires.")


class RunOut(BaseModel):
    run_id: uuid.UUID
    conversation_id: uuid.UUID
    status: RunStatus
    progress: int = Field(ge=0, le=100)
    agent: Agent
    agent_used: Literal["asset", "discover"] | None = Field(
        description="What auto picked (or the agent asked for); null until planned."
    )
    job: JobRef
    assistant_text: str | None = Field(description="The latest assistant text of the run.")
    messages: list[MessageOut] = Field(description="The run's user and assistant messages.")
    artifacts: list[dict[str, Any]] = Field(
        description="What the agent made, sanitized: concept, copy, image_prompt, "
        "tool_result and media entries, each with a type."
    )
    generation_ids: list[uuid.UUID]
    generations: list[dict[str, Any]] = Field(
        description="The generation records of the media the run asked for (as GET "
        "/api/v1/generations/{id} shows them)."
    )
    media: list[MediaOut]
    credits_used: int = Field(description="Credits the run's media cost (chat itself is free).")
    error: str | None
    created_at: str
    completed_at: str | None


class ConversationOut(BaseModel):
    id: uuid.UUID
    title: str
    created_at: str
    updated_at: str
    messages: list[MessageOut] | None = Field(
        default=None, description="The transcript, oldest first (one conversation only)."
    )
    runs: list[uuid.UUID] | None = Field(
        default=None, description="Its runs' ids, oldest first (one conversation only)."
    )
