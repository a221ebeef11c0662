"""Which pairs a node pulls: from ready services, as the heartbeat computes them."""

from __future__ import annotations

import pytest

from voxnode.cluster.cluster_names import Pair
from voxnode.cluster.pair_plan import PairChange, plan_pairs, servable_pairs
from voxnode.contracts.service_manifest import ServiceType
from voxnode.contracts.service_status import ServiceState, ServiceStatus
from voxnode.testing.statuses import status

ASR = status("asr", ServiceType.ASR, ["en", "zh"])
NMT = status("nmt", ServiceType.NMT, ["en", "zh"])
TTS = status("tts", ServiceType.TTS, ["zh"])
ZH_EN, EN_ZH = Pair("zh", "en"), Pair("en", "zh")


@pytest.mark.parametrize(
    ("statuses", "pairs"),
    [
        ([], set()),
        ([ASR], set()),  # hearing is not translating
        ([ASR, NMT], {ZH_EN, EN_ZH}),
        ([status("asr", ServiceType.ASR, ["zh"]), NMT], {ZH_EN}),  # no one hears English
        ([ASR, NMT.model_copy(update={"state": ServiceState.STOPPED})], set()),
        ([ASR, NMT.model_copy(update={"state": ServiceState.STARTING})], set()),
        ([ASR.model_copy(update={"state": ServiceState.FAILED}), NMT], set()),
        ([ASR, NMT, TTS], {ZH_EN, EN_ZH}),  # a voice is no condition
    ],
)
def test_servable_pairs(statuses: list[ServiceStatus], pairs: set[Pair]) -> None:
    assert set(servable_pairs(statuses)) == pairs


def test_speech_out_travels_with_the_pair() -> None:
    offered = servable_pairs([ASR, NMT, TTS])
    assert offered[EN_ZH].speech_out and not offered[ZH_EN].speech_out


@pytest.mark.parametrize(
    ("current", "wanted", "change"),
    [
        (set(), set(), PairChange((), ())),
        (set(), {ZH_EN, EN_ZH}, PairChange((EN_ZH, ZH_EN), ())),
        ({ZH_EN, EN_ZH}, {ZH_EN}, PairChange((), (EN_ZH,))),
        ({ZH_EN}, {EN_ZH}, PairChange((EN_ZH,), (ZH_EN,))),
        ({ZH_EN}, {ZH_EN}, PairChange((), ())),
    ],
)
def test_plan_pairs(current: set[Pair], wanted: set[Pair], change: PairChange) -> None:
    assert plan_pairs(frozenset(current), frozenset(wanted)) == change
