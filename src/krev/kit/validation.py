"""Turns Pydantic validation errors into one sentence that names the bad field."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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
