"""Request and response bodies of ``/api/v1/conversions/meta``.

The POST body is checked by ``krev.conversions.events`` (Meta's rules need the event's index
in every message); the models here document it in the OpenAPI schema.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator

from krev.kit.body import StrictBody
from krev.kit.openapi import ONE_WORD
from krev.kit.validation import RequestBody


class ConversionEventBody(RequestBody):
    """One server event, in Meta's shape (friendly user_data names allowed)."""

    event_name: str = Field(description="A standard event (Purchase, Lead, …) or a custom name.")
    event_time: int = Field(description="Unix time in seconds; at most 7 days old.")
    action_source: str = Field(
        description="email, website, app, phone_call, chat, physical_store, system_generated, "
        "business_messaging or other."
    )
    user_data: dict[str, Any] = Field(
        description="Customer information: em/email, ph/phone, fn/first_name, ln/last_name, "
        "db/date_of_birth, ge/gender, ct/city, st/state, zp/zip, country/country_code, "
        "external_id (normalised and SHA-256 hashed here; 64-hex values pass through), and "
        "client_ip_address, client_user_agent, fbc, fbp (sent as given)."
    )
    event_id: str | None = Field(
        default=None,
        description="Deduplication id: a repeated (event_name, event_id) within "
        "48 hours is not sent again.",
    )
    event_source_url: str | None = Field(
        default=None,
        description="Page URL; required (with user_data.client_user_agent) for website events.",
    )
    custom_data: dict[str, Any] | None = Field(default=None, description="value, currency, …")
    test_event_code: str | None = Field(
        default=None, description="Route to Meta's Test Events tool (overrides the configured)."
    )


class ConversionBatchBody(RequestBody):
    """Meta's batch shape."""

    data: list[ConversionEventBody] = Field(min_length=1, max_length=1000)
    test_event_code: str | None = None


class ConversionsAccepted(BaseModel):
    success: bool = True
    status: str = Field(
        description="sent: Meta received the events. queued (202): kept, delivered later."
    )
    events_received: int = Field(description="Events in the request (duplicates included).")


class MetaConfigIn(StrictBody):
    pixel_id: str = Field(pattern=r"^\d{5,32}$", description="The Meta pixel (dataset) id.")
    access_token: str | None = Field(
        default=None,
        min_length=10,
        max_length=2000,
        description="Conversions API access token; stored encrypted, never shown again. "
        "Optional when updating an existing configuration (the stored token is kept).",
        json_schema_extra=ONE_WORD,
    )
    test_event_code: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Send every event to the Test Events tool with this code.",
        json_schema_extra=ONE_WORD,
    )

    @field_validator("access_token", "test_event_code")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.strip() or any(ch.isspace() for ch in value.strip()):
            raise ValueError("must not be blank or contain spaces")
        return value.strip()


class MetaConfigOut(BaseModel):
    configured: bool
    pixel_id: str | None
    access_token_hint: str | None = Field(description="The token's last 4 characters.")
    test_event_code: str | None
    updated_at: str | None


class MetaConfigDeleted(BaseModel):
    deleted: bool


class ConversionEventOut(BaseModel):
    id: str
    event_name: str
    event_id: str | None
    event_time: int | None
    event_time_iso: str | None
    action_source: str | None
    test_event_code: str | None
    status: str = Field(description="queued, sent or failed.")
    attempts: int = Field(description="Delivery attempts so far.")
    error: str | None = Field(description="Meta's error (or why delivery gave up).")
    fbtrace_id: str | None = Field(description="Meta's trace id of the last answer.")
    created_at: str
    completed_at: str | None
