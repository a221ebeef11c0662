# One task runner for people and CI. `make test` is what .ci/run calls.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: setup test test-fast lint demo bench clean

# llama.cpp builds: no multimodal part, and no AMX (its buffer type segfaults in VMs that
# expose AMX without its state; AVX-512 and weight repacking stay on).
NO_AMX := -mno-amx-tile -mno-amx-int8 -mno-amx-bf16
LLAMA_SERVER := $(HOME)/.cache/voxnode/llama-server/0.3.36/llama-server

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	CMAKE_ARGS="-DLLAVA_BUILD=OFF" CFLAGS="$(NO_AMX)" CXXFLAGS="$(NO_AMX)" \
		$(PY) -m pip install --quiet -e '.[dev,eval,llm,repair,speech,cluster,stream]'
	command -v espeak-ng >/dev/null || (apt-get update -qq && apt-get install -y -qq espeak-ng) \
		|| echo "espeak-ng not installed: the tts-espeak fallback will not start"
	command -v nats-server >/dev/null || test -x /usr/sbin/nats-server \
		|| (apt-get update -qq && apt-get install -y -qq nats-server) \
		|| echo "nats-server not installed: the cluster tests will be skipped"
	touch $@

# Engine B: llama-server built once from the same llama.cpp source (user cache).
$(LLAMA_SERVER): | $(VENV)/.installed
	$(PY) -m voxnode.cli.main engines build-server --dest $(LLAMA_SERVER)

setup: $(VENV)/.installed $(LLAMA_SERVER)

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

# The main job: speech in each direction through the whole pipeline on the default models.
demo: setup
	$(PY) -m voxnode.cli.main demo

bench: setup
	$(PY) bench/supervisor_overhead.py
	$(PY) bench/idle_cpu.py
	$(PY) bench/engine_throughput.py
	$(PY) -m pip install --quiet --no-deps openai-whisper==20250625 more-itertools
	$(PY) bench/normalize_throughput.py
	$(PY) bench/repair_llm_overhead.py
	$(PY) bench/repair_en_sweep.py
	$(PY) bench/pipeline_latency.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
