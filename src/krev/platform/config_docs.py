"""Renders every setting as a Markdown table, so docs/configuration.md cannot drift."""

from __future__ import annotations

import json
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from krev.platform.config import Settings


def _plain(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _default_value(field: FieldInfo) -> Any:
    if field.default_factory is not None:
        return _plain(field.default_factory())  # type: ignore[call-arg]
    return None if field.default is PydanticUndefined else _plain(field.default)


def render() -> str:
    lines = [
        "# Configuration",
        "",
        "Every setting is an environment variable with the `KREV_` prefix. Nested values "
        "(plans, prices) are JSON. Generated from `src/krev/platform/config.py` by `make docs`.",
        "",
        "| Variable | Default | Description |",
        "|---|---|---|",
    ]
    long_defaults: list[tuple[str, str]] = []
    for name, field in Settings.model_fields.items():
        variable = f"KREV_{name.upper()}"
        value = _default_value(field)
        text = "unset" if value is None else json.dumps(value, default=str).strip('"')
        if len(text) >= 60:
            long_defaults.append((variable, json.dumps(value, indent=2, default=str)))
            text = "see below"
        else:
            text = f"`{text}`"
        description = (field.description or "").replace("|", "\\|")
        lines.append(f"| `{variable}` | {text} | {description} |")
    for variable, value in long_defaults:
        lines += ["", f"## Default of `{variable}`", "", "```json", value, "```"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
