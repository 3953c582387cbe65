"""The response envelope every endpoint answers with."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class Envelope(BaseModel, Generic[T]):
    success: bool = True
    data: T


class ListMeta(BaseModel):
    count: int = Field(description="Number of items in this page.")
    next_cursor: str | None = Field(default=None, description="Pass as cursor for the next page.")


class ListEnvelope(BaseModel, Generic[T]):
    success: bool = True
    data: list[T]
    meta: ListMeta


class ErrorEnvelope(BaseModel):
    success: bool = Field(default=False)
    error: str = Field(description="A sentence describing what went wrong.")
    code: str = Field(description="Machine-readable error code.")


def ok(data: Any) -> dict[str, Any]:
    return {"success": True, "data": data}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorEnvelope, "description": text}
    for status, text in {
        400: "Missing or invalid parameters.",
        401: "Missing, invalid, or revoked API key.",
        403: "The key lacks the scope this endpoint needs.",
        429: "Rate limit exceeded; see Retry-After.",
        500: "Unexpected internal error.",
    }.items()
}
