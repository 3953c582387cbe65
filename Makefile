# The commands people type. `make run` and `make test` set everything up themselves.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
VENV := .venv
STAMP := $(VENV)/.synced-$(shell cat pyproject.toml uv.lock | sha1sum | cut -c1-12)
# The model-backend tests (pytest marker `torch`) and the LLM chat agent's (marker `llm`) run in
# a second venv that has the `diffusers` and `llm` extras; torch and pydantic-ai stay out of
# .venv, as a default install has neither. uv installs the extra as locked, less torch and
# the CUDA runtime it would pull in (scripts/cuda_packages.py lists them): uv would download
# PyPI's multi-GB CUDA build, while pip's `torch==<locked version>` takes the CPU build that lies
# on these machines' disk. Elsewhere, point pip at a CPU index, e.g.
# TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu".
TORCH_VENV := .venv-torch
TORCH_STAMP := $(TORCH_VENV)/.synced-$(shell cat pyproject.toml uv.lock | sha1sum | cut -c1-12)
TORCH_PIP_ARGS ?=

.PHONY: setup setup-ad-fonts setup-browser setup-torch setup-fonts setup-speech run worker migrate test test-fast test-torch lint format typecheck bench docs clean gallery screenshots

$(STAMP): pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	$(UV) sync --frozen --python $(PYTHON)
	@rm -f $(VENV)/.synced-* && touch $@

setup: $(STAMP) setup-ad-fonts ## Create .venv with the locked dependencies and the ad fonts

# The text layout (ads, captions, end cards) sets copy in fonts from Debian packages, one family
# per role (src/krev/engines/studio/text/fonts.py): Inter (sans), Linux Libertine (serif),
# Roboto Condensed (condensed), and DejaVu for scripts those lack. Installed only when one is
# missing (as root, or through sudo); without them the layout refuses with the package's name.
AD_FONT_PACKAGES := fonts-inter fonts-linuxlibertine fonts-roboto-unhinted fonts-dejavu-core
setup-ad-fonts: ## Install the text layout's font packages when missing
	@dpkg -s $(AD_FONT_PACKAGES) >/dev/null 2>&1 || { \
	  SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$SUDO apt-get update && \
	  $$SUDO apt-get install -y --no-install-recommends $(AD_FONT_PACKAGES); }

# The `system` speech engine (KREV_SPEECH_ENGINE=system) runs Debian's flite or espeak-ng as
# a separate process (espeak-ng is GPL: never imported or linked); the `piper` engine
# phonemizes with espeak-ng the same way. `make run` works without them (videos then carry captions but no
# voice); the tests speak with the real binaries, so `make test` installs them when missing.
SPEECH_PACKAGES := flite espeak-ng
setup-speech: ## Install the speech engines' programs (flite, espeak-ng) when missing
	@dpkg -s $(SPEECH_PACKAGES) >/dev/null 2>&1 || { \
	  SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$SUDO apt-get update && \
	  $$SUDO apt-get install -y --no-install-recommends $(SPEECH_PACKAGES); }

# The dashboard's end-to-end tests (tests/browser) and `make screenshots` drive Debian's Chromium
# through Playwright's Python package (executable_path); Playwright never downloads a browser.
BROWSER_PACKAGES := chromium fonts-dejavu-core
setup-browser: ## Install Debian's Chromium for the dashboard's browser tests when missing
	@dpkg -s $(BROWSER_PACKAGES) >/dev/null 2>&1 || { \
	  SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$SUDO apt-get update && \
	  $$SUDO apt-get install -y --no-install-recommends $(BROWSER_PACKAGES); }

$(TORCH_STAMP): pyproject.toml uv.lock | $(STAMP)
	@test -x $(TORCH_VENV)/bin/pip || $(PYTHON) -m venv $(TORCH_VENV)
	UV_PROJECT_ENVIRONMENT=$(TORCH_VENV) $(UV) sync --frozen --inexact --extra diffusers --extra llm \
	  $$($(PYTHON) scripts/cuda_packages.py --no-install-args)
	$(TORCH_VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps $(TORCH_PIP_ARGS) \
	  "torch==$$($(PYTHON) scripts/cuda_packages.py --torch-version)"
	@rm -f $(TORCH_VENV)/.synced-* && touch $@

setup-torch: $(TORCH_STAMP) ## Create .venv-torch: the locked dependencies, the diffusers and llm extras and a CPU torch

# The evaluation sets typeset their labels with Debian packages' fonts, each set its own
# families: the held-out set (tests/support/heldout_photos.py) and the tuning set of labelled
# products (tests/support/label_photos.py). Installed only when one is missing (as root, or
# through sudo); a set whose fonts are missing refuses to render rather than fall back.
HELDOUT_FONT_PACKAGES := fonts-liberation2 fonts-freefont-ttf fonts-urw-base35
TUNING_FONT_PACKAGES := fonts-dejavu-core fonts-lato fonts-open-sans fonts-crosextra-carlito
FONT_PACKAGES := $(HELDOUT_FONT_PACKAGES) $(TUNING_FONT_PACKAGES)
setup-fonts: ## Install the evaluation sets' font packages (held-out and tuning) when missing
	@dpkg -s $(FONT_PACKAGES) >/dev/null 2>&1 || { \
	  SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$SUDO apt-get update && \
	  $$SUDO apt-get install -y --no-install-recommends $(FONT_PACKAGES); }

run: setup ## Migrate and serve the API with embedded workers on http://127.0.0.1:8000
	$(VENV)/bin/krev serve

worker: setup ## Run a job worker process (scale-out mode)
	$(VENV)/bin/krev worker

migrate: setup
	$(VENV)/bin/krev migrate

test: setup setup-torch setup-fonts setup-speech setup-browser ## The whole suite (PostgreSQL/Redis tests skip when absent unless required)
	$(VENV)/bin/pytest -n 2 --dist loadfile -m "not torch and not llm"
	$(TORCH_VENV)/bin/pytest -m "torch or llm" tests/local_diffusion tests/llm

test-fast: setup setup-torch setup-fonts setup-speech setup-browser ## The suite less the model-quality evaluations (-m quality), stopping at the first failure
	$(VENV)/bin/pytest -n 2 --dist loadfile -m "not quality and not torch and not llm" -x -q
	$(TORCH_VENV)/bin/pytest -m "torch or llm" tests/local_diffusion tests/llm -x -q

test-torch: setup-torch ## Only the model-backend and LLM-agent tests, in .venv-torch
	$(TORCH_VENV)/bin/pytest -m "torch or llm" tests/local_diffusion tests/llm

lint: setup ## Style, formatting and the import contracts between layers (pyproject.toml)
	$(VENV)/bin/ruff check src clients tests bench scripts
	$(VENV)/bin/ruff format --check src clients tests bench scripts
	$(VENV)/bin/lint-imports

format: setup
	$(VENV)/bin/ruff format src clients tests bench scripts
	$(VENV)/bin/ruff check --fix src clients tests bench scripts

typecheck: setup
	$(VENV)/bin/mypy

bench: setup setup-torch setup-fonts ## Benchmarks; results go to bench/RESULTS.md
	$(VENV)/bin/python -m bench

clean:
	rm -rf $(VENV) $(TORCH_VENV) .pytest_cache .mypy_cache .ruff_cache

gallery: setup ## Render the studio engine's contact sheets into docs/gallery/
	$(VENV)/bin/python -m scripts.gallery

screenshots: setup setup-browser ## Screenshots of every dashboard page into docs/screenshots/
	$(VENV)/bin/python -m scripts.screenshots

docs: setup ## Regenerate docs/configuration.md from the settings
	$(VENV)/bin/python -m krev.platform.config_docs > docs/configuration.md
