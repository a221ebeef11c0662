"""A service listens on 127.0.0.1 only: from another host on a link (two network namespaces
made here, joined by a veth pair) its port is refused, while a 0.0.0.0 listener beside it
answers. The node runs with VOXNODE_SERVICE_HOST=0.0.0.0 in its environment, which once
moved the services' address and now must not."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from voxnode.contracts.node_settings import NodeSettings
from voxnode.packages.node_home import NodeHome
from voxnode.packages.package_installer import PackageInstaller
from voxnode.packages.shipped_packages import shipped_package
from voxnode.testing import eventually, free_port

SERVER_ADDRESS, CLIENT_ADDRESS = "10.231.77.1", "10.231.77.2"
"""Only inside the two namespaces this test makes; no traffic leaves them."""


@dataclass(frozen=True)
class Link:
    server: str
    client: str

    def run(self, namespace: str, *argv: str, timeout_s: float = 30) -> str:
        done = subprocess.run(
            ["ip", "netns", "exec", namespace, *argv],
            capture_output=True, text=True, timeout=timeout_s, check=True,
        )  # fmt: skip
        return done.stdout

    def spawn(self, namespace: str, *argv: str, log: Path) -> subprocess.Popen[bytes]:
        with open(log, "ab") as out:
            return subprocess.Popen(
                ["ip", "netns", "exec", namespace, *argv], stdout=out, stderr=subprocess.STDOUT
            )


def _ip(*argv: str) -> None:
    subprocess.run(["ip", *argv], capture_output=True, text=True, timeout=30, check=True)


@pytest.fixture
def link() -> Iterator[Link]:
    if shutil.which("ip") is None:
        pytest.skip("no `ip` command (iproute2) to make network namespaces")
    tag = uuid.uuid4().hex[:6]
    made = Link(server=f"vxs-{tag}", client=f"vxc-{tag}")
    try:
        _ip("netns", "add", made.server)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot make a network namespace (needs CAP_SYS_ADMIN): {exc.stderr}")
    try:
        _ip("netns", "add", made.client)
        _ip("link", "add", f"vs{tag}", "type", "veth", "peer", "name", f"vc{tag}")
        _ip("link", "set", f"vs{tag}", "netns", made.server)
        _ip("link", "set", f"vc{tag}", "netns", made.client)
        for namespace, device, address in (
            (made.server, f"vs{tag}", SERVER_ADDRESS), (made.client, f"vc{tag}", CLIENT_ADDRESS),
        ):  # fmt: skip
            _ip("-n", namespace, "addr", "add", f"{address}/30", "dev", device)
            _ip("-n", namespace, "link", "set", device, "up")
            _ip("-n", namespace, "link", "set", "lo", "up")
        yield made
    finally:
        for namespace in (made.server, made.client):  # the veth pair goes with them
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True, timeout=30)


PROBE = """
import json, socket, sys
results = {}
for port in map(int, sys.argv[2:]):
    try:
        socket.create_connection((sys.argv[1], port), timeout=3).close()
        results[port] = "open"
    except ConnectionRefusedError:
        results[port] = "refused"
    except OSError as exc:
        results[port] = type(exc).__name__
print(json.dumps(results))
"""

SERVICES = """
import json, sys, urllib.request
print(urllib.request.urlopen(sys.argv[1] + "/v1/services", timeout=5).read().decode())
"""


def probe(link: Link, namespace: str, address: str, *ports: int) -> dict[int, str]:
    out = link.run(namespace, sys.executable, "-c", PROBE, address, *map(str, ports))
    return {int(port): state for port, state in json.loads(out).items()}


def test_a_service_port_is_unreachable_from_another_host(link: Link, tmp_path: Path) -> None:
    home = tmp_path / "home"
    PackageInstaller(NodeHome(home), NodeSettings(home=home).packages).install(
        str(shipped_package("en-normalize"))
    )
    node_port, open_port = free_port(), free_port()
    env_node = [
        "env", "VOXNODE_SERVICE_HOST=0.0.0.0", f"PYTHONPATH={os.environ.get('PYTHONPATH', '')}",
        sys.executable, "-m", "voxnode.cli.main", "up", "--home", str(home),
        "--port", str(node_port),
    ]  # fmt: skip
    node = link.spawn(link.server, *env_node, log=tmp_path / "node.log")
    control = link.spawn(
        link.server, sys.executable, "-m", "http.server", "--bind", "0.0.0.0", str(open_port),
        log=tmp_path / "control.log",
    )  # fmt: skip
    try:

        def service_port() -> int | None:
            try:
                out = link.run(link.server, sys.executable, "-c", SERVICES,
                               f"http://127.0.0.1:{node_port}")  # fmt: skip
            except subprocess.CalledProcessError:
                return None
            services = json.loads(out)["services"]
            ready = [s for s in services if s["state"] == "ready"]
            return int(ready[0]["port"]) if ready else None

        port = eventually(service_port, timeout_s=60, interval_s=0.5, what="en-normalize ready")
        eventually(lambda: probe(link, link.client, SERVER_ADDRESS, open_port)[open_port] == "open",
                   timeout_s=10, what="the control listener")  # fmt: skip
        inside = probe(link, link.server, "127.0.0.1", port, node_port)
        outside = probe(link, link.client, SERVER_ADDRESS, port, node_port, open_port)
    finally:
        for process in (node, control):
            process.terminate()
            process.wait(timeout=30)
    assert inside == {port: "open", node_port: "open"}
    assert outside == {port: "refused", node_port: "refused", open_port: "open"}
