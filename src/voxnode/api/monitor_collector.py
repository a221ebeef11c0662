"""/metrics from the node monitor: hardware gauges (GPU, CPU, RAM), each stage's window
quantiles (a summary) and thresholds, and every alert rule as 1 (firing) or 0."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from voxnode.api.alert_rules import STAGE_LABELS, quantile, stage_thresholds
from voxnode.api.node_monitor import NodeMonitor

MB = 1024 * 1024


class MonitorCollector(Collector):
    def __init__(self, monitor: NodeMonitor):
        self._monitor = monitor

    def collect(self) -> Iterator[Metric]:
        yield from self._hardware()
        yield from self._latency()
        firing = GaugeMetricFamily(
            "voxnode_alert_firing", "1 while the alert rule fires for the subject, else 0",
            labels=["kind", "subject"],
        )  # fmt: skip
        for finding in self._monitor.findings():
            firing.add_metric([finding.kind.value, finding.subject], 1.0 if finding.firing else 0)
        yield firing

    def _hardware(self) -> Iterator[Metric]:
        samples = self._monitor.hardware()
        if not samples:
            return
        latest = samples[-1]
        yield GaugeMetricFamily(
            "voxnode_host_cpu_utilization_ratio", "CPU busy, all cores, since the last sample",
            value=latest.cpu_percent / 100,
        )  # fmt: skip
        yield GaugeMetricFamily(
            "voxnode_host_memory_used_bytes", "RAM in use (total minus available)",
            value=latest.ram_used_bytes,
        )  # fmt: skip
        yield GaugeMetricFamily(
            "voxnode_host_memory_total_bytes", "RAM installed", value=latest.ram_total_bytes
        )
        labels = ["gpu", "name"]
        utilization = GaugeMetricFamily(
            "voxnode_gpu_utilization_ratio", "GPU utilisation (nvidia-smi)", labels=labels
        )
        used = GaugeMetricFamily(
            "voxnode_gpu_memory_used_bytes", "GPU memory in use (nvidia-smi)", labels=labels
        )
        total = GaugeMetricFamily(
            "voxnode_gpu_memory_total_bytes", "GPU memory installed (nvidia-smi)", labels=labels
        )
        for index, gpu in enumerate(latest.gpus):
            names = [str(index), gpu.name]
            utilization.add_metric(names, gpu.utilization_percent / 100)
            used.add_metric(names, gpu.memory_used_mb * MB)
            total.add_metric(names, gpu.memory_total_mb * MB)
        yield from (utilization, used, total)

    def _latency(self) -> Iterator[Metric]:
        monitor = self._monitor
        settings = monitor.settings
        window = Metric(
            "voxnode_stage_window_latency_seconds",
            "Each stage's latency over the alert window: the quantiles its alert compares",
            "summary",
        )
        threshold = GaugeMetricFamily(
            "voxnode_stage_latency_threshold_seconds",
            "The latency each stage's alert compares its window quantile with",
            labels=["stage"],
        )
        now = monitor.now()
        for stage in STAGE_LABELS:
            samples = monitor.window_samples(stage, now)
            if not samples:
                continue
            name = window.name
            for q in sorted({0.5, settings.quantile}):
                value = quantile(samples, q)
                window.add_sample(name, {"stage": stage, "quantile": f"{q:g}"}, (value or 0) / 1000)
            window.add_sample(f"{name}_count", {"stage": stage}, float(len(samples)))
            window.add_sample(f"{name}_sum", {"stage": stage}, sum(samples) / 1000)
        for stage, limit in stage_thresholds(settings).items():
            if limit is not None:
                threshold.add_metric([stage], limit / 1000)
        yield from (window, threshold)
