# One task runner for people and CI. `make test` is what .ci/run calls.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The node's own environment for `make demo`: VoxNode's core only. Each service package builds
# its own venv when it is installed (Plan D), so no ML library is ever loaded by the node.
NODE_VENV := .venv-node
# Wheels built on this machine, offered to every venv build (PackageSettings.wheels_dir).
WHEELS := $(HOME)/.cache/voxnode/wheels

.PHONY: setup test test-fast fuzz lint demo bench soak clean ui-vendor

# llama.cpp builds: no multimodal part, and no AMX (its buffer type segfaults in VMs that
# expose AMX without its state; AVX-512 and weight repacking stay on).
NO_AMX := -mno-amx-tile -mno-amx-int8 -mno-amx-bf16
LLAMA_SERVER := $(HOME)/.cache/voxnode/llama-server/0.3.36/llama-server

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	CMAKE_ARGS="-DLLAVA_BUILD=OFF" CFLAGS="$(NO_AMX)" CXXFLAGS="$(NO_AMX)" \
		$(PY) -m pip wheel --quiet --no-deps --wheel-dir $(WHEELS) llama-cpp-python==0.3.36
	$(PY) -m pip install --quiet --find-links $(WHEELS) \
		-e '.[dev,eval,llm,repair,asr,tts,cluster,ui,knowledge,embed,stream]'
	command -v espeak-ng >/dev/null || (apt-get update -qq && apt-get install -y -qq espeak-ng) \
		|| echo "espeak-ng not installed: the tts-espeak fallback will not start"
	command -v nats-server >/dev/null || test -x /usr/sbin/nats-server \
		|| (apt-get update -qq && apt-get install -y -qq nats-server) \
		|| echo "nats-server not installed: the cluster tests will be skipped"
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium) \
		|| echo "chromium not installed: the dashboard's browser tests will be skipped"
	command -v promtool >/dev/null || (apt-get update -qq && apt-get install -y -qq prometheus) \
		|| echo "prometheus (promtool) not installed: the /metrics lint will be skipped"
	touch $@

# Engine B: llama-server built once from the same llama.cpp source (user cache).
$(LLAMA_SERVER): | $(VENV)/.installed
	$(PY) -m voxnode.cli.main engines build-server --dest $(LLAMA_SERVER)

$(NODE_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(NODE_VENV)
	$(NODE_VENV)/bin/python -m pip install --quiet -e .
	touch $@

setup: $(VENV)/.installed $(LLAMA_SERVER) $(NODE_VENV)/.installed

# Whole suite: lint, types, unit, integration, e2e.
test: setup
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy
	$(PY) -m pytest -q

# Inner loop: no real models, no venv builds.
test-fast: setup
	$(PY) -m pytest -q -m "not models and not slow" -x

# Property tests and the OpenAPI fuzz run (also part of `make test`); seconds each.
fuzz: setup
	$(PY) -m pytest -q tests/unit/fuzz tests/integration/api/test_openapi_fuzz.py

lint: setup
	$(VENV)/bin/ruff check --fix src tests bench
	$(VENV)/bin/ruff format src tests bench

# The main job: speech in each direction through the whole pipeline on the default models.
demo: setup
	$(NODE_VENV)/bin/python -m voxnode.cli.main demo

bench: setup
	$(PY) bench/supervisor_overhead.py
	$(PY) bench/idle_cpu.py
	$(PY) bench/engine_throughput.py
	$(PY) -m pip install --quiet --no-deps openai-whisper==20250625 more-itertools
	$(PY) bench/normalize_throughput.py
	$(PY) bench/repair_llm_overhead.py
	$(PY) bench/repair_en_sweep.py
	$(PY) bench/pipeline_latency.py

# Not in CI: an hour of jobs against fake services; RSS and fd growth per process.
soak: setup
	$(PY) bench/soak.py --minutes 60

clean:
	rm -rf $(VENV) $(NODE_VENV) .pytest_cache .mypy_cache .ruff_cache

# Re-fetch the dashboard's charting library (uPlot, pinned) from npm and check its sha256.
ui-vendor:
	bash scripts/fetch_ui_vendor.sh
