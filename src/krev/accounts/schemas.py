"""Request and response bodies of the accounts endpoints."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field, field_validator

from krev.accounts.keys import SCOPES
from krev.kit.body import StrictBody
from krev.kit.openapi import NOT_BLANK

MIN_PASSWORD_LENGTH = 8


class KeyCreate(StrictBody):
    # Stripped before the length check: a blank name would leave the key unrecognisable.
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(
        min_length=1,
        max_length=200,
        description="A label for the key.",
        json_schema_extra=NOT_BLANK,
    )
    scopes: list[str] = Field(
        default_factory=lambda: list(SCOPES),
        description="Scopes the key carries. Default: all of " + ", ".join(SCOPES) + ".",
        json_schema_extra={"items": {"type": "string", "enum": list(SCOPES)}, "minItems": 1},
    )

    @field_validator("scopes")
    @classmethod
    def _known_scopes(cls, scopes: list[str]) -> list[str]:
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown:
            raise ValueError(
                f"unknown scope(s) {', '.join(unknown)}; valid scopes are {', '.join(SCOPES)}"
            )
        if not scopes:
            raise ValueError("a key needs at least one scope")
        return [scope for scope in SCOPES if scope in scopes]


class KeyOut(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str = Field(description="The first characters of the key, to recognise it.")
    scopes: list[str]
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


class KeyCreated(KeyOut):
    key: str = Field(description="The full secret key. Shown only this once.")


class KeyRevoked(BaseModel):
    id: uuid.UUID
    revoked: bool = True


class LoginBody(StrictBody):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class PasswordChange(StrictBody):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(
        min_length=MIN_PASSWORD_LENGTH,
        max_length=1024,
        description=f"At least {MIN_PASSWORD_LENGTH} characters.",
    )


class PasswordChanged(BaseModel):
    changed: bool = True
    other_sessions_ended: int = Field(
        description="Dashboard sessions logged out by the change; this one stays logged in."
    )


class UserOut(BaseModel):
    id: uuid.UUID
    email: str
    plan: str
    is_admin: bool


class SessionOut(BaseModel):
    user: UserOut
    csrf_token: str = Field(description="Send as X-CSRF-Token on cookie-authenticated writes.")
    expires_at: str | None = None
