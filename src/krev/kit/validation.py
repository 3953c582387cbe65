"""Request validation every domain shares: the base of JSON request bodies, which refuses
text PostgreSQL cannot store, and Pydantic's errors turned into one sentence naming the field."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

NUL_PROBLEM = "must not contain the NUL character (\\u0000)"
# What a string field without a pattern of its own is documented to match; a field's own
# pattern excludes NUL itself.
NUL_FREE = "^[^\\x00]*$"


def text_paths(value: Any, bad: Callable[[str], bool], path: str = "") -> Iterator[str]:
    """Where a decoded JSON value holds a string or key that ``bad`` refuses, as
    ``custom_data.contents[0].id``."""
    if isinstance(value, str):
        if bad(value):
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and bad(key):
                yield where
            else:
                yield from text_paths(item, bad, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from text_paths(item, bad, f"{path}[{index}]")


def holds_nul(text: str) -> bool:
    """JSON carries NUL (as \\u0000); PostgreSQL's text and JSONB cannot store it, so it is
    refused at the door rather than failing there with a 500."""
    return "\x00" in text


def nul_characters(value: Any, path: str = "") -> Iterator[str]:
    return text_paths(value, holds_nul, path)


def _document_nul_free(schema: dict[str, Any]) -> None:
    for field in schema.get("properties", {}).values():
        for branch in (field, *field.get("anyOf", ())):
            target = branch.get("items", branch) if branch.get("type") == "array" else branch
            if target.get("type") == "string" and not {"pattern", "enum", "format"} & set(target):
                target["pattern"] = NUL_FREE


class RequestBody(BaseModel):
    """The base of JSON request bodies: no text in one may hold NUL (a 400 naming the field),
    and the OpenAPI document says so of each string field."""

    model_config = ConfigDict(json_schema_extra=_document_nul_free)

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        if next(nul_characters(value), None) is not None:
            raise ValueError(NUL_PROBLEM)
        return value


_LOCATIONS = {"body", "query", "path", "header", "cookie"}


def _field(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if p not in _LOCATIONS]
    text = ""
    for part in parts:
        if part.isdigit():
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def describe_validation_error(errors: Sequence[Any]) -> str:
    if not errors:
        return "The request is invalid."
    sentences = [_describe(error) for error in errors[:3]]
    more = len(errors) - len(sentences)
    text = " ".join(sentences)
    if more > 0:
        text += f" ({more} more problem{'s' if more > 1 else ''}.)"
    return text


def _describe(error: Any) -> str:
    kind = error.get("type", "")
    loc = error.get("loc", ())
    name = _field(loc)
    where = "query parameter" if loc and loc[0] == "query" else "field"
    if kind == "json_invalid":
        return "The request body is not valid JSON."
    if kind == "missing" and not name:
        return "The request body is missing; send a JSON object."
    if kind == "missing":
        return f"The {where} '{name}' is required."
    if kind == "extra_forbidden":
        return f"Unknown {where} '{name}'."
    if not name:
        if isinstance(error.get("input"), bytes):
            # FastAPI leaves the body unparsed when it is not labelled JSON (curl -d does that).
            return "The request body must be JSON, sent with 'Content-Type: application/json'."
        if kind in ("model_attributes_type", "dict_type"):
            return "The request body must be a JSON object."
        return f"Invalid request body: {error.get('msg', 'invalid value')}."
    message = str(error.get("msg", "invalid value"))
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return f"Invalid {where} '{name}': {message[0].lower() + message[1:]}."
