"""/metrics: Prometheus text built at scrape time from the node's live state (no globals)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from voxnode.api.node_state import NodeState
from voxnode.contracts.service_status import ServiceState


class NodeCollector(Collector):
    def __init__(self, node: NodeState):
        self._node = node

    def collect(self) -> Iterator[Metric]:
        statuses = self._node.host.statuses()
        state = GaugeMetricFamily(
            "voxnode_service_state",
            "1 for the state each service is in",
            labels=["service_id", "state"],
        )
        ready = GaugeMetricFamily("voxnode_service_ready", "1 when ready", labels=["service_id"])
        restarts = CounterMetricFamily(
            "voxnode_service_restarts",
            "Automatic restarts after a crash or failed health",
            labels=["service_id"],
        )
        startup = GaugeMetricFamily(
            "voxnode_service_startup_seconds", "Spawn to ready, last start", labels=["service_id"]
        )
        inflight = GaugeMetricFamily(
            "voxnode_service_inflight", "Requests in flight", labels=["service_id"]
        )
        for status in statuses:
            sid = status.service_id
            for candidate in ServiceState:
                state.add_metric([sid, candidate.value], 1.0 if status.state is candidate else 0.0)
            ready.add_metric([sid], 1.0 if status.state is ServiceState.READY else 0.0)
            restarts.add_metric([sid], float(status.restarts))
            if status.startup_seconds is not None:
                startup.add_metric([sid], status.startup_seconds)
            inflight.add_metric([sid], float(status.inflight))
        repairs = CounterMetricFamily(
            "voxnode_repair_requests", "Repairs answered by the node", labels=["lang", "decision"]
        )
        for (lang, decision), count in sorted(self._node.repair.counts.items()):
            repairs.add_metric([lang, decision], float(count))
        yield from (state, ready, restarts, startup, inflight, repairs)
