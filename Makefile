# Two entry points, both from a fresh clone:
#   make demo   set everything up, then run `runstore demo` on the embedded SQLite store
#   make test   set everything up, then run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint bench clean

$(BIN)/runstore: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(BIN)/runstore

setup: $(BIN)/runstore

demo: setup
	$(BIN)/runstore demo

test: setup
	$(BIN)/python -m pytest -n 2 --dist loadscope

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

bench: setup
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .runstore .pytest_cache .mypy_cache .ruff_cache
