"""Cluster-mode nodes for tests and benchmarks: real `voxnode up --nats` processes with fake
ASR and translator services (real HTTP subprocesses), and a kill that takes the node's
services with it, as a machine that dies would."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from voxnode.contracts.node_settings import NodeSettings
from voxnode.packages.node_home import NodeHome
from voxnode.packages.package_installer import PackageInstaller
from voxnode.testing.fake_package import FakeKnobs, write_fake_package
from voxnode.testing.node_runner import RunningNode, run_node_process

FAST_CLUSTER = {
    "VOXNODE_CLUSTER__ACK_WAIT_S": "1.0",
    "VOXNODE_CLUSTER__IN_PROGRESS_S": "0.3",
    "VOXNODE_CLUSTER__RETRY_DELAY_S": "0.1",
    "VOXNODE_CLUSTER__FETCH_TIMEOUT_S": "0.5",
    "VOXNODE_CLUSTER__HEARTBEAT_S": "0.5",
    "VOXNODE_CLUSTER__PRESENCE_TTL_S": "3",
    "VOXNODE_CLUSTER__RECONNECT_WAIT_S": "0.2",
    "VOXNODE_SUPERVISOR__HEALTH_INTERVAL_S": "0.2",
}
"""Seconds instead of tens of seconds: redelivery after 1 s, presence every 0.5 s."""


@dataclass(frozen=True, slots=True)
class FakeTranslator:
    """The services of one node: an ASR hearing `languages` and a translator among them."""

    languages: Sequence[str] = ("en", "zh")
    asr: FakeKnobs | None = None
    nmt: FakeKnobs | None = None


def install_fake_translator(home: Path, packages: Path, services: FakeTranslator) -> None:
    installer = PackageInstaller(NodeHome(home), NodeSettings(home=home).packages)
    NodeHome(home).ensure()
    languages = list(services.languages)
    for service_id, kind, knobs in (
        ("asr-fake", "asr", services.asr),
        ("nmt-fake", "nmt", services.nmt),
    ):
        package = write_fake_package(
            packages / service_id, service_id=service_id, service_type=kind, lang=languages,
            knobs=knobs,
        )  # fmt: skip
        installer.install(str(package))


@dataclass(slots=True)
class ClusterNodeProcess:
    node_id: str
    node: RunningNode

    def kill(self) -> None:
        """SIGKILL the node and its services: no goodbye, no ack, no nak."""
        kill_tree(self.node.process.pid)
        self.node.process.wait()


def kill_tree(pid: int) -> None:
    with contextlib.suppress(psutil.Error):
        parent = psutil.Process(pid)
        children = parent.children(recursive=True)
        parent.send_signal(signal.SIGKILL)
        for child in children:
            with contextlib.suppress(psutil.Error):
                child.kill()


@contextmanager
def run_cluster_node(
    home: Path,
    nats_url: str,
    *,
    node_id: str,
    services: FakeTranslator | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[ClusterNodeProcess]:
    """`voxnode up --nats URL` on `home` (fake services installed the first time); on exit
    it is stopped, and whatever it left running (a killed node's services) is killed."""
    if not (home / "registry.json").exists():
        packages = home.parent / f"{home.name}-packages"
        install_fake_translator(home, packages, services or FakeTranslator())
    settings = {**FAST_CLUSTER, "VOXNODE_CLUSTER__NODE_ID": node_id, **(env or {})}
    with run_node_process(home, env=settings, args=("--nats", nats_url)) as node:
        try:
            yield ClusterNodeProcess(node_id, node)
        finally:
            children: list[psutil.Process] = []
            with contextlib.suppress(psutil.Error):
                children = psutil.Process(node.process.pid).children(recursive=True)
            node.stop()
            for child in children:
                with contextlib.suppress(psutil.Error):
                    child.kill()
