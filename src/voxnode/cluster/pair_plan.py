"""Which pairs a node pulls jobs for: the pairs its ready services can serve, computed as the
scheduler heartbeat's pairs are (`agent.capabilities.language_capabilities`), and what to
start and stop when that set changes."""

from __future__ import annotations

from dataclasses import dataclass

from voxnode.agent.capabilities import language_capabilities
from voxnode.cluster.cluster_names import Pair
from voxnode.contracts.scheduler_messages import LanguagePair
from voxnode.contracts.service_status import ServiceStatus


@dataclass(frozen=True, slots=True)
class PairChange:
    start: tuple[Pair, ...]
    stop: tuple[Pair, ...]


def servable_pairs(statuses: list[ServiceStatus]) -> dict[Pair, LanguagePair]:
    """A ready ASR hears src and a ready translator carries src to tgt (speech_out: a ready
    TTS speaks tgt)."""
    pairs = language_capabilities(statuses).pairs
    return {Pair(p.src, p.tgt): p for p in pairs}


def plan_pairs(current: frozenset[Pair], wanted: frozenset[Pair]) -> PairChange:
    return PairChange(start=tuple(sorted(wanted - current)), stop=tuple(sorted(current - wanted)))
