"""CPU share from two psutil.cpu_times() readings, and a sample with GPUs from a reader."""

from __future__ import annotations

from collections import namedtuple

import pytest

from voxnode.agent.node_facts import GpuReading, parse_nvidia_smi
from voxnode.api.hardware_sampler import HardwareSampler, busy_percent

Times = namedtuple("Times", "user nice system idle iowait")


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (Times(0, 0, 0, 0, 0), Times(0, 0, 0, 0, 0), 0.0),  # no time passed
        (Times(10, 0, 5, 100, 0), Times(20, 0, 10, 185, 0), 15.0),  # 15 busy of 100
        (Times(0, 0, 0, 0, 0), Times(50, 0, 50, 0, 0), 100.0),
        (Times(0, 0, 0, 0, 0), Times(10, 0, 0, 80, 10), 10.0),  # waiting on I/O is idle
    ],
)
def test_busy_percent(before: Times, after: Times, expected: float) -> None:
    assert busy_percent(before, after) == expected


def test_a_sample_carries_ram_and_the_gpus_read() -> None:
    gpus = parse_nvidia_smi("NVIDIA H200, 143771, 81234, 93\n")
    sample = HardwareSampler(gpus=lambda: gpus, clock=lambda: 1234.5).sample()
    assert sample.at == 1234.5
    assert 0 <= sample.cpu_percent <= 100 and 0 < sample.ram_percent < 100
    assert 0 < sample.ram_used_bytes < sample.ram_total_bytes
    assert sample.gpus == (GpuReading("NVIDIA H200", 143771.0, 81234.0, 93.0),)
