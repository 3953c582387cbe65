"""The LLM chat agent's tests need the `llm` extra (pydantic-ai and the openai SDK), which lives
in the extras venv (.venv-torch) only, beside torch: the main venv stays as a default install
is. `make test` runs these there (`pytest -m llm tests/llm`) and the rest of the suite in .venv
with `-m "not torch and not llm"`. Run elsewhere without the extra they skip, except in CI
(CI=true), where a missing extra fails them: CI never passes without running them."""

from __future__ import annotations

import importlib.util
import os

import pytest

INSTALLED = all(importlib.util.find_spec(name) is not None for name in ("pydantic_ai", "openai"))


@pytest.fixture(autouse=True)
def _llm_extra_installed() -> None:
    if INSTALLED:
        return
    message = "the llm extra is not installed here; `make test` runs these in .venv-torch"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: never skipped)")
    pytest.skip(message)
