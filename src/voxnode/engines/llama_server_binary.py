"""Find or build the official `llama-server` executable (engine B, Plan B).

Built from the llama.cpp source inside the llama-cpp-python sdist on PyPI, so that engines A
and B run the same llama.cpp commit and no binary is ever downloaded. The build lands in the
user cache (`<cache>/voxnode/llama-server/<version>/llama-server`) and is reused after that.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import platformdirs

from voxnode.engines.llm_engine import EngineLoadError, EngineUnavailableError

LLAMA_CPP_PYTHON_VERSION = "0.3.36"
"""The sdist the server is built from: the same llama.cpp as the in-process engine."""

NO_AMX_FLAGS = "-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
"""ggml's AMX buffer type segfaults in virtual machines that expose AMX without its state;
the AVX-512 and repack paths stay on."""

CMAKE_OPTIONS = (
    "-DCMAKE_BUILD_TYPE=Release", "-DBUILD_SHARED_LIBS=OFF", "-DLLAMA_BUILD_SERVER=ON",
    "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF", "-DLLAMA_BUILD_APP=OFF",
    "-DLLAMA_USE_PREBUILT_UI=OFF", "-DLLAMA_BUILD_UI=OFF", "-DLLAMA_CURL=OFF",
    "-DLLAMA_OPENSSL=OFF",
)  # fmt: skip


def default_server_path(version: str = LLAMA_CPP_PYTHON_VERSION) -> Path:
    return Path(platformdirs.user_cache_dir("voxnode")) / "llama-server" / version / "llama-server"


def find_llama_server() -> Path:
    """VOXNODE_LLAMA_SERVER, else the cached build, else `llama-server` on PATH."""
    given = os.environ.get("VOXNODE_LLAMA_SERVER")
    candidates = [Path(given)] if given else []
    candidates.append(default_server_path())
    on_path = shutil.which("llama-server")
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise EngineUnavailableError(
        "no llama-server executable (build it once: voxnode engines build-server)"
    )


def build_llama_server(
    dest: Path | None = None, *, jobs: int | None = None, log: Path | None = None
) -> Path:
    """Fetch the sdist with pip, build only the llama-server target, install it atomically."""
    target = dest or default_server_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="llama-server-build-") as scratch:
        work = Path(scratch)
        sdist = _fetch_sdist(work)
        with tarfile.open(sdist) as archive:
            archive.extractall(work / "src", filter="data")
        source = next((work / "src").glob("*/vendor/llama.cpp"))
        env = {**os.environ, "CFLAGS": NO_AMX_FLAGS, "CXXFLAGS": NO_AMX_FLAGS}
        build = work / "build"
        steps = [
            ["cmake", "-S", str(source), "-B", str(build), *CMAKE_OPTIONS],
            ["cmake", "--build", str(build), "--target", "llama-server",
             "-j", str(jobs or os.cpu_count() or 2)],
        ]  # fmt: skip
        with open(log or os.devnull, "a") as out:
            for step in steps:
                if subprocess.run(step, stdout=out, stderr=subprocess.STDOUT, env=env).returncode:
                    raise EngineLoadError(f"building llama-server failed at: {' '.join(step[:3])}")
        built = build / "bin" / "llama-server"
        staged = target.with_name(target.name + ".tmp")
        shutil.copy2(built, staged)
        os.replace(staged, target)
    return target


def _fetch_sdist(work: Path) -> Path:
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", "llama-cpp-python",
        "--disable-pip-version-check", "-d", str(work),
        f"llama-cpp-python=={LLAMA_CPP_PYTHON_VERSION}",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    found = list(work.glob("llama_cpp_python-*.tar.gz"))
    if result.returncode != 0 or not found:
        raise EngineLoadError(
            f"pip could not fetch the llama-cpp-python sdist: {result.stderr[-500:]}"
        )
    return found[0]
