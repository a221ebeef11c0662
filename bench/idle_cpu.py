"""CPU used by an idle node supervising N services (default 5).

Starts a real `voxnode up` on a throwaway home with N fake services installed, waits until
all are ready, then samples the node process's CPU time (user + system) over a window.
The services' own CPU is reported separately.   Usage: python bench/idle_cpu.py [--seconds 30]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import psutil

from voxnode.contracts.node_settings import PackageSettings
from voxnode.packages.node_home import NodeHome
from voxnode.packages.package_installer import PackageInstaller
from voxnode.testing import run_node_process, write_fake_package


def cpu_seconds(procs: list[psutil.Process]) -> float:
    total = 0.0
    for proc in procs:
        times = proc.cpu_times()
        total += times.user + times.system
    return total


def main(services: int, seconds: float) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        installer = PackageInstaller(NodeHome(home), PackageSettings())
        for index in range(services):
            installer.install(
                str(write_fake_package(Path(tmp) / f"p{index}", service_id=f"idle{index}"))
            )
        with run_node_process(home) as node, node.client() as api:
            deadline = time.monotonic() + 60
            while api.get("/health").json()["ready"] < services:
                assert time.monotonic() < deadline, "services not ready"
                time.sleep(0.2)
            time.sleep(2.0)  # let start-up settle
            parent = psutil.Process(node.process.pid)
            children = parent.children(recursive=True)
            node_before, kids_before, wall = (
                cpu_seconds([parent]),
                cpu_seconds(children),
                time.monotonic(),
            )
            time.sleep(seconds)
            elapsed = time.monotonic() - wall
            node_cpu = cpu_seconds([parent]) - node_before
            kids_cpu = cpu_seconds(children) - kids_before
            rss_mb = parent.memory_info().rss / 2**20
    return {
        "services": services,
        "window_s": round(elapsed, 2),
        "node_cpu_percent_of_one_core": round(100 * node_cpu / elapsed, 3),
        "services_cpu_percent_of_one_core": round(100 * kids_cpu / elapsed, 3),
        "node_rss_mb": round(rss_mb, 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--services", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    result = main(args.services, args.seconds)
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "idle_cpu.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
