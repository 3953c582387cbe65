# The commands people type. `make run` and `make test` set everything up themselves.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
VENV := .venv
STAMP := $(VENV)/.synced-$(shell cat pyproject.toml uv.lock | sha1sum | cut -c1-12)

.PHONY: setup run worker migrate test test-fast lint format typecheck bench docs clean gallery

$(STAMP): pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	$(UV) sync --frozen --python $(PYTHON)
	@rm -f $(VENV)/.synced-* && touch $@

setup: $(STAMP) ## Create .venv with the locked dependencies

run: setup ## Migrate and serve the API with embedded workers on http://127.0.0.1:8000
	$(VENV)/bin/krev serve

worker: setup ## Run a job worker process (scale-out mode)
	$(VENV)/bin/krev worker

migrate: setup
	$(VENV)/bin/krev migrate

test: setup ## The whole suite (PostgreSQL/Redis tests skip when absent unless required)
	$(VENV)/bin/pytest -n 2 --dist loadfile

test-fast: setup ## The suite less the model-quality evaluations (-m quality), stopping at the first failure
	$(VENV)/bin/pytest -n 2 --dist loadfile -m "not quality" -x -q

lint: setup ## Style, formatting and the import contracts between layers (pyproject.toml)
	$(VENV)/bin/ruff check src tests bench scripts
	$(VENV)/bin/ruff format --check src tests bench scripts
	$(VENV)/bin/lint-imports

format: setup
	$(VENV)/bin/ruff format src tests bench scripts
	$(VENV)/bin/ruff check --fix src tests bench scripts

typecheck: setup
	$(VENV)/bin/mypy

bench: setup ## Benchmarks; results go to bench/RESULTS.md
	$(VENV)/bin/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

gallery: setup ## Render the studio engine's contact sheets into docs/gallery/
	$(VENV)/bin/python -m scripts.gallery

docs: setup ## Regenerate docs/configuration.md from the settings
	$(VENV)/bin/python -m krev.platform.config_docs > docs/configuration.md
