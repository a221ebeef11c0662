"""A real node (`voxnode up`) with fake speech services, joined to a scheduler."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import psutil

from voxnode.testing.fake_package import FakeKnobs
from voxnode.testing.fake_speech import preinstall_speech_services
from voxnode.testing.fast_settings import FAST_AGENT_ENV
from voxnode.testing.node_runner import RunningNode, run_node_process
from voxnode.testing.scheduler_runner import RunningScheduler
from voxnode.testing.waiting import eventually


@contextmanager
def joined_node(
    folder: Path, name: str, scheduler: RunningScheduler, asr_knobs: FakeKnobs | None = None
) -> Iterator[RunningNode]:
    """A node homed in `folder/name`, registered and heartbeating with language pairs; its
    services are killed with it even when the test SIGKILLs the node."""
    home = folder / name
    preinstall_speech_services(home, folder / f"{name}-packages", asr_knobs)
    env = {**FAST_AGENT_ENV, "VOXNODE_SCHEDULER_URL": scheduler.ws_url}
    with run_node_process(home, env=env) as node:
        parent = psutil.Process(node.process.pid)
        children: list[psutil.Process] = []
        try:
            eventually(
                lambda: scheduler.node(node.node_id(), ready=True),
                what=f"node {name} to register and offer language pairs",
            )
            children = parent.children(recursive=True)
            yield node
        finally:
            with suppress(psutil.Error):
                children += parent.children(recursive=True)
            for child in children:
                with suppress(psutil.Error):
                    child.kill()
