"""Test kit shipped with VoxNode: a fake service (a real HTTP server in a subprocess),
fake packages, a lingua-shaped scheduler peer, and small helpers (one way to wait, quick
settings, API checks). Used by VoxNode's own tests and by package authors."""

from voxnode.supervisor.port_choice import free_port
from voxnode.testing.fake_package import FakeKnobs, MakePackage, write_fake_package
from voxnode.testing.fake_speech import PCM16, preinstall_speech_services
from voxnode.testing.fast_settings import FAST_AGENT_ENV, fast_supervisor
from voxnode.testing.node_api import assert_error, wait_state
from voxnode.testing.node_runner import RunningNode, run_node_process
from voxnode.testing.waiting import eventually, eventually_async

__all__ = [
    "FAST_AGENT_ENV",
    "PCM16",
    "FakeKnobs",
    "MakePackage",
    "RunningNode",
    "assert_error",
    "eventually",
    "eventually_async",
    "fast_supervisor",
    "free_port",
    "preinstall_speech_services",
    "run_node_process",
    "wait_state",
    "write_fake_package",
]
