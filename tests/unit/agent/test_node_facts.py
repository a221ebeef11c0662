"""nvidia-smi parsing, on output in the exact shape of the query the node sends:
`nvidia-smi --query-gpu=name,memory.total,memory.used,utilization.gpu
--format=csv,noheader,nounits`. No GPU was at hand when this was written, so the lines are
written after nvidia-smi's documented CSV output (values as such boards report them), not
captured from this machine."""

from __future__ import annotations

import pytest

from voxnode.agent.node_facts import GpuReading, parse_nvidia_smi

TWO_GPUS = "NVIDIA GeForce RTX 4070 Ti, 12282, 1873, 7\nNVIDIA H200, 143771, 81234, 93\n"
NOT_SUPPORTED = "NVIDIA GeForce GTX 1650, 4096, 512, [N/A]\nNVIDIA A100-SXM4-80GB, 81920, 0, 0\n"


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("", []),
        ("\n", []),
        (TWO_GPUS, [
            GpuReading("NVIDIA GeForce RTX 4070 Ti", 12282.0, 1873.0, 7.0),
            GpuReading("NVIDIA H200", 143771.0, 81234.0, 93.0),
        ]),
        (NOT_SUPPORTED, [GpuReading("NVIDIA A100-SXM4-80GB", 81920.0, 0.0, 0.0)]),  # [N/A] skipped
        ("NVIDIA GeForce RTX 3060, 12288, 10240, 55\r\n", [
            GpuReading("NVIDIA GeForce RTX 3060", 12288.0, 10240.0, 55.0),
        ]),  # nvidia-smi.exe on Windows ends lines with CRLF
        ("No devices were found\n", []),
        ("Failed to initialize NVML: Driver/library version mismatch\n", []),
    ],
)  # fmt: skip
def test_nvidia_smi_output_is_parsed(output: str, expected: list[GpuReading]) -> None:
    assert parse_nvidia_smi(output) == expected
