# The two commands a new user needs:  make demo  and  make test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The demo needs only what arscore runs on, not the test and lint tools: a quicker first look.
RUNTIME_STAMP := $(VENV)/.installed-runtime
CHECK_PYTHON := $(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "arscore needs Python 3.11 or newer; set PYTHON=python3.11"'

.PHONY: setup demo test check lint format clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(CHECK_PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP) $(RUNTIME_STAMP)

$(RUNTIME_STAMP): pyproject.toml
	@$(CHECK_PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $(RUNTIME_STAMP)

## Install what arscore runs on, run the main job on the embedded synthetic ledger (generate,
## load, summarise, train with the demo's budget; reused on a second run), then start the
## scoring service with demo tokens (Ctrl-C stops it).
demo: $(RUNTIME_STAMP)
	$(BIN)/arscore demo
	$(BIN)/arscore serve --demo

## Install, then run every check CI runs: lint, import contracts, types, tests (incl. notebooks).
test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/pytest

## The quick loop while coding: lint, import contracts and the tests, without the notebooks
## and the tests marked slow (end-to-end runs of the CLI, training and `arscore serve`).
check: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/pytest tests -m "not slow"

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports && $(BIN)/mypy

format: setup
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

clean:
	rm -rf $(VENV) .arscore .pytest_cache .ruff_cache .mypy_cache
