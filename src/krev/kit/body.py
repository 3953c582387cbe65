"""The base of every JSON request body: each value must already be of its field's type, since a
converted one can cost credits (``"hd": "yes"`` read as HD, ``"image_count": true`` as 1), and
unknown fields are refused so a misspelt option is never ignored.

FastAPI validates a body as the Python objects ``json.loads`` gives, where Pydantic's strict
mode wants a ``uuid.UUID`` instance for a UUID; ``JsonUUID`` takes the string JSON carries.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import ConfigDict, Strict

from krev.kit.validation import RequestBody

__all__ = ["JsonUUID", "StrictBody", "json_integer"]


class StrictBody(RequestBody):
    """No string→bool, bool→int, float→int or number→string conversion; no unknown fields;
    no NUL in text (``RequestBody``)."""

    model_config = ConfigDict(strict=True, extra="forbid")


JsonUUID = Annotated[uuid.UUID, Strict(False)]
"""A UUID field of a ``StrictBody``: a string in the UUID format, parsed."""


def json_integer(value: object) -> object:
    """For a ``BeforeValidator`` on a ``Literal`` of integers, which matches by equality, so that
    ``true`` and ``2.0`` would pass as 1 and 2 even in strict mode."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError(f"must be an integer, not {_json_kind(value)}")


def _json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return "an array" if isinstance(value, list) else "an object"
