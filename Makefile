# One task runner for people and CI. `make test` is what .ci/run calls.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: setup test test-fast lint demo bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

# Whole suite: lint, types, unit, integration, e2e.
test: setup
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy
	$(PY) -m pytest -q

# Inner loop: no real models, no venv builds.
test-fast: setup
	$(PY) -m pytest -q -m "not models and not slow" -x

lint: setup
	$(VENV)/bin/ruff check --fix src tests bench
	$(VENV)/bin/ruff format src tests bench

# The main job: install the example package into a throwaway home, run it, route a repair.
demo: setup
	$(PY) -m voxnode.cli.main demo

bench: setup
	$(PY) bench/supervisor_overhead.py
	$(PY) bench/idle_cpu.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
