"""Reading the server's OpenAPI document for the SDK's tests: its public operations, the
schemas they reach, and a schema's type reduced to a comparable shape."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

# Envelopes wrap what the SDK models; the error envelope is what its errors carry.
WRAPPERS = ("Envelope_", "ListEnvelope_")
NOT_MODELLED = {"ErrorEnvelope", "ListMeta"}


def public_operations(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The operations an API key calls (and the unauthenticated pictures beside them), by
    operation id. Left out: the dashboard's own (session only: login, keys, Meta config) and
    the health checks outside /api/v1."""
    found = {}
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            security = operation.get("security")
            by_key = any("apiKey" in option for option in security or [])
            open_picture = security is None and method == "get" and path.startswith("/api/v1/")
            if by_key or open_picture:
                found[operation["operationId"]] = {**operation, "path": path, "method": method}
    return found


def ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def refs(node: Any) -> Iterator[str]:
    """The names of the schemas ``node`` refers to, directly."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield ref_name(value)
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def unwrap(document: Mapping[str, Any], name: str) -> str | None:
    """The schema an envelope carries in ``data`` (itself if it is no envelope)."""
    if not name.startswith(WRAPPERS):
        return name
    data = document["components"]["schemas"][name]["properties"]["data"]
    names = list(refs(data))
    return names[0] if names else None


def answer_schemas(document: Mapping[str, Any], operation: Mapping[str, Any]) -> set[str]:
    """The schemas of an operation's successful JSON answers' data."""
    found = set()
    for status, response in operation.get("responses", {}).items():
        if not status.startswith("2"):
            continue
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        for name in refs(schema):
            inner = unwrap(document, name)
            if inner is not None:
                found.add(inner)
    return found


def body_schema(operation: Mapping[str, Any]) -> str | None:
    """The schema of an operation's JSON body, when it is one."""
    content = operation.get("requestBody", {}).get("content", {})
    ref = content.get("application/json", {}).get("schema", {}).get("$ref")
    return ref_name(ref) if ref else None


def reachable(document: Mapping[str, Any], names: set[str]) -> set[str]:
    """``names`` and every schema they refer to, envelopes unwrapped."""
    schemas = document["components"]["schemas"]
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(refs(schemas[name]))
    return {n for n in seen if not n.startswith(WRAPPERS)} - NOT_MODELLED


def shape(schema: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """A schema's type, constraints and descriptions left out: ``string``, ``null|string``,
    ``array[ref:ProductOut]``… ``names`` renames referred schemas (the SDK's to the server's)."""
    if "$ref" in schema:
        name = ref_name(schema["$ref"])
        return "ref:" + (names.get(name, name) if names else name)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return "|".join(sorted({shape(member, names) for member in schema[key]}))
    kind = schema.get("type")
    if kind is None:
        return "any"
    if kind == "array":
        return f"array[{shape(schema.get('items', {}), names)}]"
    return str(kind)


def enum(schema: Mapping[str, Any]) -> set[Any] | None:
    """The values a schema allows when it lists them (None left out), else None."""
    values: set[Any] = set()
    listed = False
    for part in [schema, *schema.get("anyOf", []), *schema.get("oneOf", [])]:
        if "enum" in part:
            listed = True
            values.update(part["enum"])
        if "const" in part:
            listed = True
            values.add(part["const"])
    values.discard(None)
    return values if listed else None
