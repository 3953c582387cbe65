"""The local diffusion tests need torch and diffusers, which live in .venv-torch only:
`make test` runs them there (`pytest -m torch tests/local_diffusion`) and runs the rest of the suite
in .venv with `-m "not torch"`. Run elsewhere without torch they skip, except in CI
(CI=true), where a missing torch fails them: CI never passes without running them.

The models are tiny random-weight pipelines built and saved here (tests/support/
tiny_diffusers.py), loaded through the real local-directory path; nothing is downloaded."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

# Before huggingface_hub is imported: any attempt to reach the Hub fails instead of fetching.
os.environ["HF_HUB_OFFLINE"] = "1"

INSTALLED = all(
    importlib.util.find_spec(name) is not None for name in ("torch", "diffusers", "transformers")
)


def require_torch() -> None:
    if INSTALLED:
        return
    message = "torch and diffusers are not installed here; `make test` runs these in .venv-torch"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: never skipped)")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _torch_installed() -> None:
    require_torch()


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the tiny models, built once per test session."""
    require_torch()  # session fixtures run before the autouse check
    from tests.support import tiny_diffusers

    root = tmp_path_factory.mktemp("diffusers-models")
    tiny_diffusers.save_inpaint_model(root / "inpaint")
    tiny_diffusers.save_text_to_image_model(root / "text-to-image")
    tiny_diffusers.save_upscaler_model(root / "upscaler")
    return root


@pytest.fixture(scope="session")
def inpaint_model(models: Path) -> Path:
    return models / "inpaint"


@pytest.fixture(scope="session")
def text_to_image_model(models: Path) -> Path:
    return models / "text-to-image"


@pytest.fixture(scope="session")
def upscaler_model(models: Path) -> Path:
    return models / "upscaler"
