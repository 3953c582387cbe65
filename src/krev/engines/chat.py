"""Chat agents: what a planner is told about a chat message, and the plan it makes.

A chat run (``krev.chat``) is a plan of tool calls over the same services the public endpoints
call. The planner, the embedded ``studio`` one or an LLM's tool loop, only decides; the chat
domain runs each call (checking the key, the scopes, the run's credit budget), and the planner
then writes the reply from what the calls returned.

Tools and their arguments are the public API's own: ``generate_images`` takes the body of
``POST /api/v1/images``, ``generate_video`` that of ``POST /api/v1/videos``, ``generate_ads``
that of ``POST /api/v1/ads``, so a call is validated as a request would be. ``TOOLS`` lists
them with a description and the JSON schema of their arguments, for an LLM to read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

AgentName = Literal["auto", "asset", "discover"]
AGENTS: tuple[AgentName, ...] = ("auto", "asset", "discover")
AgentUsed = Literal["asset", "discover"]

ToolName = Literal[
    "list_products",
    "get_product",
    "check_credits",
    "write_concepts",
    "generate_images",
    "generate_video",
    "generate_ads",
    "research_ad_library",
]
MEDIA_TOOLS: frozenset[str] = frozenset({"generate_images", "generate_video", "generate_ads"})
"""The tools that render (and charge credits for) media."""

MAX_CONCEPTS = 6


@dataclass(frozen=True)
class ChatProduct:
    """A catalog product as the planner sees it (ready products only)."""

    id: str
    name: str
    brand_name: str | None = None
    product_name: str | None = None
    product_type: str | None = None
    category: str | None = None
    colors: tuple[str, ...] = ()


@dataclass(frozen=True)
class PriorConcept:
    """A concept an earlier run of the conversation wrote, in its order (1-based ``number``)."""

    number: int
    hook: str
    headline: str
    body_copy: str
    cta: str
    image_prompt: str
    style_id: str
    product_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class PriorMedia:
    """Media an earlier run rendered, oldest first."""

    kind: Literal["image", "video", "ad"]
    generation_id: str
    prompt: str
    product_ids: tuple[str, ...] = ()
    aspect_ratio: str | None = None


@dataclass(frozen=True)
class ConversationContext:
    """What the conversation has made so far, for follow-ups ("make the second one darker",
    "now a 9:16 video of it")."""

    concepts: tuple[PriorConcept, ...] = ()
    """The most recent run's concepts that had any, in order."""
    media: tuple[PriorMedia, ...] = ()
    product_ids: tuple[str, ...] = ()
    """The products the conversation has been about, most recent first."""
    previous_messages: tuple[str, ...] = ()
    """The user's earlier messages, oldest first."""


@dataclass(frozen=True)
class ChatRequest:
    message: str
    agent: AgentName
    selected: tuple[ChatProduct, ...] = ()
    """The products the request's ``product_ids`` named, in order."""
    catalog: tuple[ChatProduct, ...] = ()
    """The account's ready products (newest first, at most a few hundred), so that a product
    named in the message ("the serum") is found."""
    reference_images: tuple[str, ...] = ()
    """The request's reference image URLs (already fetched and checked by the domain)."""
    context: ConversationContext = field(default_factory=ConversationContext)


@dataclass(frozen=True)
class ToolCall:
    tool: ToolName
    args: Mapping[str, Any]
    """JSON-able; the tool's argument schema (``TOOLS``)."""


@dataclass(frozen=True)
class Plan:
    agent_used: AgentUsed
    steps: tuple[ToolCall, ...]
    notes: tuple[str, ...] = ()
    """Sentences for the reply about what was understood or left out ("No product was named,
    so the concepts are for your newest product")."""


@dataclass(frozen=True)
class ToolOutcome:
    """What one tool call returned: a result, or an error the agent reports (the run goes on)."""

    call: ToolCall
    result: Mapping[str, Any] | None = None
    error: str | None = None
    error_code: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class Planner(Protocol):
    """The embedded planner: a whole plan from the message, then a reply from the outcomes."""

    def plan(self, request: ChatRequest) -> Plan: ...

    def reply(self, request: ChatRequest, plan: Plan, outcomes: Sequence[ToolOutcome]) -> str: ...


@dataclass(frozen=True)
class ToolSpec:
    name: ToolName
    description: str
    parameters: Mapping[str, Any]
    """JSON schema of the arguments."""


_UUID = {"type": "string", "format": "uuid"}
_UUIDS = {"type": "array", "items": _UUID}

TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "list_products",
        "List the account's catalog products (id, name, brand, type, colors), newest first.",
        {
            "type": "object",
            "properties": {"limit": {"type": "integer", "minimum": 1, "maximum": 100}},
            "additionalProperties": False,
        },
    ),
    ToolSpec(
        "get_product",
        "One catalog product, with its metadata and analysis status.",
        {
            "type": "object",
            "properties": {"product_id": _UUID},
            "required": ["product_id"],
            "additionalProperties": False,
        },
    ),
    ToolSpec(
        "check_credits",
        "The account's credit balance and what this run may still spend.",
        {"type": "object", "properties": {}, "additionalProperties": False},
    ),
    ToolSpec(
        "write_concepts",
        "Write distinct ad concepts (hook, headline, body copy, call to action and an image "
        "idea each) for products. Free; renders nothing.",
        {
            "type": "object",
            "properties": {
                "product_ids": _UUIDS,
                "count": {"type": "integer", "minimum": 1, "maximum": MAX_CONCEPTS},
                "brief": {"type": "string"},
                "style_ids": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["count", "brief"],
            "additionalProperties": False,
        },
    ),
    ToolSpec(
        "generate_images",
        "Render product images: the body of POST /api/v1/images (prompt, product_id or "
        "product_ids, aspect_ratio, preset_id, hd, image_count). Charged at its price.",
        {
            "type": "object",
            "properties": {
                "prompt": {"type": "string"},
                "product_id": _UUID,
                "product_ids": _UUIDS,
                "aspect_ratio": {"type": "string"},
                "preset_id": {"type": "string"},
                "hd": {"type": "boolean"},
                "image_count": {"type": "integer", "enum": [1, 2, 4]},
            },
            "required": ["prompt"],
            "additionalProperties": False,
        },
    ),
    ToolSpec(
        "generate_video",
        "Render a short product video: the body of POST /api/v1/videos (prompt, product_id, "
        "aspect_ratio, duration, audio_mode). Charged per second.",
        {
            "type": "object",
            "properties": {
                "prompt": {"type": "string"},
                "product_id": _UUID,
                "aspect_ratio": {"type": "string"},
                "duration": {"type": "integer"},
                "audio_mode": {"type": "string"},
            },
            "required": ["prompt"],
            "additionalProperties": False,
        },
    ),
    ToolSpec(
        "generate_ads",
        "Render ad creative with copy laid out: the body of POST /api/v1/ads (brief, "
        "product_ids, aspect_ratio, image_count, style_id). Charged per image.",
        {
            "type": "object",
            "properties": {
                "brief": {"type": "string"},
                "product_ids": _UUIDS,
                "aspect_ratio": {"type": "string"},
                "image_count": {"type": "integer", "enum": [1, 2, 4]},
                "style_id": {"type": "string"},
            },
            "required": ["brief", "product_ids"],
            "additionalProperties": False,
        },
    ),
    ToolSpec(
        "research_ad_library",
        "Search Meta's Ad Library for ads running now (when the server has a token), or "
        "review the account's own products and past creative.",
        {
            "type": "object",
            "properties": {
                "search_terms": {"type": "string"},
                "countries": {"type": "array", "items": {"type": "string"}},
                "limit": {"type": "integer", "minimum": 1, "maximum": 50},
            },
            "required": ["search_terms"],
            "additionalProperties": False,
        },
    ),
)
TOOL_NAMES: frozenset[str] = frozenset(spec.name for spec in TOOLS)
