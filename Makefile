# Two entry points: `make run` (set up, then load the embedded default) and `make test` (set up, then every test).
# Each creates .venv with the pinned requirements and the project itself, editable (so that `.venv/bin/sparkify` and
# `prefect block register -m sparkify.blocks` work), the first time, and refreshes it when they change.
# `make test-fast` runs the tests that start no process and no service, for the edit-test loop.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test test-fast lint

run: $(VENV)/.run-deps
	$(BIN)/python -m flows.etl

# Test files run side by side on one worker more than there are cores (at most 4): the tests wait on the processes
# and servers they start, and the spare worker fills those waits. A file stays on one worker: its fixtures start once.
WORKERS := $(shell $(PYTHON) -c "import os; print(min((os.cpu_count() or 1) + 1, 4))")
PARALLEL := -n $(WORKERS) --dist loadfile

test: $(VENV)/.dev-deps
	$(BIN)/python -m pytest $(PARALLEL)

test-fast: $(VENV)/.dev-deps
	$(BIN)/python -m pytest $(PARALLEL) -m "not slow"

lint: $(VENV)/.dev-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint sql

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run-deps: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt --editable .
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt --editable .
	touch $@ $(VENV)/.run-deps
