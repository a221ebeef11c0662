"""The real models the tests and the benchmarks run on, and the cache they are pulled into.

`VOXNODE_TEST_MODELS` moves the cache; the default lives in the user cache folder so that
CI re-runs on one machine join the PyPI parts only once (pip's own cache holds the wheels).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

SMALL = "smollm2-135m-instruct-q4_1"
"""The smallest catalog LLM: engine tests that need a model, not a good one."""
DEFAULT = "qwen2.5-coder-1.5b-instruct-q4_k_m"
"""The default LLM of the shipped packages (en repair, translation)."""


def models_cache_dir() -> Path:
    """Where test models live across runs: $VOXNODE_TEST_MODELS, else the user cache."""
    given = os.environ.get("VOXNODE_TEST_MODELS")
    return Path(given) if given else Path(platformdirs.user_cache_dir("voxnode")) / "test-models"
