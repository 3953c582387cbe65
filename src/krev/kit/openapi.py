"""Schemas of request bodies a handler reads itself (to check them its own way), documented
through ``openapi_extra``: they go where FastAPI puts the schemas it derives,
``#/components/schemas``, so every ``$ref`` in the document resolves. (A model's own
``model_json_schema()`` keeps its nested models under a local ``$defs`` that a reference from
elsewhere in the document cannot reach.)"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

REF_TEMPLATE = "#/components/schemas/{model}"

_documented: dict[str, type[BaseModel]] = {}


def schema_ref(model: type[BaseModel]) -> dict[str, str]:
    """A reference to ``model``'s schema, which ``add_documented_schemas`` puts in place."""
    _documented[model.__name__] = model
    return {"$ref": REF_TEMPLATE.format(model=model.__name__)}


def add_documented_schemas(spec: dict[str, Any]) -> None:
    """Put the schemas ``schema_ref`` handed out references to, and the models they nest, in
    the document's components."""
    if not _documented:
        return
    _, definitions = models_json_schema(
        [(model, "validation") for model in _documented.values()], ref_template=REF_TEMPLATE
    )
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in definitions.get("$defs", {}).items():
        schemas.setdefault(name, schema)


# What validators that strip a string before checking it accept, for ``json_schema_extra``:
# documented only, so the validator's own sentence is what a client reads when it refuses.
# The whitespace str.strip() strips is spelled out: regex dialects disagree on \s (ECMA's
# takes U+FEFF and leaves U+001C-U+001F and U+0085, which Python strips). Neither admits NUL,
# which no request body may hold (krev.kit.validation.RequestBody).
_SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK: dict[str, Any] = {"pattern": f"^[^\\x00]*[^{_SPACE}\\x00][^\\x00]*$"}
ONE_WORD: dict[str, Any] = {"pattern": f"^[{_SPACE}]*[^{_SPACE}\\x00]+[{_SPACE}]*$"}
