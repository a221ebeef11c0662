"""Test kit shipped with VoxNode: a fake service (a real HTTP server in a subprocess),
fake packages, and small helpers. Used by VoxNode's own tests and by package authors."""

from voxnode.supervisor.port_choice import free_port
from voxnode.testing.fake_package import FakeKnobs, write_fake_package
from voxnode.testing.node_runner import RunningNode, run_node_process

__all__ = ["FakeKnobs", "RunningNode", "free_port", "run_node_process", "write_fake_package"]
