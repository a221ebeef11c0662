"""Plan D in numbers: what a venv per service costs.

For each shipped package: the install time with an empty uv cache (cold: everything is
downloaded) and again with the cache warm (a second install of the same wheels), the venv's
size on disk as `du` would count it alone and what it adds once the cache's hard links are
shared, and the start-up time from its venv against the same service on the node's own
interpreter (the shared environment this replaces), in the same run. Ends with the node's own
environment: core only (`.venv-node`) against the test environment with every extra.

Usage: python bench/plan_d_venvs.py [--packages asr-whisper,nmt-llm,...] [--starts 3]
       [--models-dir DIR] [--skip-cold]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from voxnode.cli.local_node import local_node
from voxnode.contracts.node_settings import ModelSettings, NodeSettings, PackageSettings
from voxnode.packages.node_home import NodeHome
from voxnode.packages.package_installer import PackageInstaller
from voxnode.packages.shipped_packages import shipped_package

REPO = Path(__file__).resolve().parents[1]
DEFAULT = "asr-whisper,llm-local,semantic-repair-zh,semantic-repair-en,en-normalize,nmt-llm,tts-en"
STARTS = ["en-normalize", "semantic-repair-zh", "asr-whisper"]


def install_seconds(home: Path, package: str, settings: PackageSettings) -> float:
    started = time.monotonic()
    PackageInstaller(NodeHome(home), settings).install(str(shipped_package(package)))
    return time.monotonic() - started


def tree_bytes(folder: Path, seen: set[int] | None = None) -> int:
    """Bytes of the files under `folder`; with `seen`, a file linked from elsewhere already
    counted (same inode) counts once."""
    total = 0
    for path in folder.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        stat = path.stat()
        if seen is not None:
            if stat.st_ino in seen:
                continue
            seen.add(stat.st_ino)
        total += stat.st_size
    return total


def shared_copy(package: str, into: Path) -> Path:
    """The same package on the node's interpreter (python.isolated off)."""
    folder = into / package
    shutil.copytree(shipped_package(package), folder)
    manifest_path = folder / "service.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["python"] = {"isolated": False}
    manifest_path.write_text(json.dumps(manifest))
    return folder


async def start_seconds(home: Path, source: Path, models: ModelSettings, starts: int) -> float:
    settings = NodeSettings(home=home, models=models, autostart=False)
    async with local_node(settings) as node:
        status = await node.host.install(str(source))
        times = []
        for _ in range(starts):
            started = time.monotonic()
            await node.host.supervisor.ensure_ready(status.service_id, timeout_s=900)
            times.append(time.monotonic() - started)
            await node.host.stop(status.service_id)
        return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--packages", default=DEFAULT)
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--models-dir", type=Path)
    parser.add_argument("--skip-cold", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="plan-d-"))
    packages = args.packages.split(",")
    settings = PackageSettings()
    print(f"{'package':20} {'cold s':>7} {'warm s':>7} {'venv MB':>8} {'adds MB':>8}")
    cache_inodes: set[int] = set()
    uv_cache = Path(os.environ.get("UV_CACHE_DIR", Path.home() / ".cache" / "uv"))
    if uv_cache.is_dir():
        tree_bytes(uv_cache, cache_inodes)
    for package in packages:
        cold = "-"
        if not args.skip_cold:
            os.environ["UV_CACHE_DIR"] = str(work / "cold-cache" / package)
            cold = f"{install_seconds(work / 'cold' / package, package, settings):.1f}"
            os.environ.pop("UV_CACHE_DIR")
        warm_home = work / "warm"
        warm = install_seconds(warm_home, package, settings)
        venv = warm_home / "services" / package / "1.0.0" / ".venv"
        alone = tree_bytes(venv) / 1e6
        adds = tree_bytes(venv, cache_inodes) / 1e6
        print(f"{package:20} {cold:>7} {warm:7.1f} {alone:8.0f} {adds:8.1f}", flush=True)
    models = ModelSettings(dir=args.models_dir)
    print(f"\n{'start-up (median)':20} {'own venv s':>10} {'shared s':>9}")
    for package in [p for p in STARTS if p in packages]:
        own = asyncio.run(
            start_seconds(work / "own" / package, shipped_package(package), models, args.starts)
        )
        shared_source = shared_copy(package, work / "sources")
        shared = asyncio.run(
            start_seconds(work / "shared" / package, shared_source, models, args.starts)
        )
        print(f"{package:20} {own:10.2f} {shared:9.2f}", flush=True)
    for name in (".venv-node", ".venv"):
        env = REPO / name
        if env.is_dir():
            print(f"\nnode environment {name}: {tree_bytes(env) / 1e6:.0f} MB")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
