# The two commands a new user needs:  make demo  and  make test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test check lint format clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "arscore needs Python 3.11 or newer; set PYTHON=python3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## Install, run the main job on the embedded synthetic ledger (generate, load, summarise,
## train), then start the scoring service with demo tokens (Ctrl-C stops it).
demo: setup
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
