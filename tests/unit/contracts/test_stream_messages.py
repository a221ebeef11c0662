"""WS /v1/stream messages round-trip through their tagged unions (every member, found from
the unions themselves), with realistic values; and the tag picks the model."""

from __future__ import annotations

import typing

import pytest
from pydantic import BaseModel

from voxnode.contracts import stream_messages as sm
from voxnode.contracts.job import JobResult, JobStatus
from voxnode.contracts.speech import AudioFormat

RESULT = JobResult(
    job_id="j", session_id="s", utterance_index=2, status=JobStatus.OK, src_lang="zh",
    tgt_lang="en", text_asr="我们明天开会。", text_translated="We meet tomorrow.",
)  # fmt: skip
CLIENT: list[BaseModel] = [
    sm.StreamStart(src_lang="zh", tgt_lang="en", session_id="call-7", audio_format="opus",
                   sample_rate=48000, output_format=AudioFormat.WAV, partials=False,
                   pipelined=False, route="local"),
    sm.StreamAudio(data="AAEC"),
    sm.StreamEnd(),
    sm.StreamCancel(),
]  # fmt: skip
NODE: list[BaseModel] = [
    sm.StreamReady(session_id="call-7", vad="silero"),
    sm.VadEvent(at_ms=812.5, utterance_index=2, event="speech_end", audio_ms=2400.0,
                reason="silence"),
    sm.AsrPartialEvent(at_ms=900.0, utterance_index=2, committed="我们明天", tentative="开会",
                       audio_ms=1600.0),
    sm.AsrFinalEvent(at_ms=1200.0, utterance_index=2, text="我们明天开会。", language="zh",
                     quality_score=0.81),
    sm.RepairEvent(utterance_index=2, decision="PASS", text="我们明天开会。"),
    sm.TranslationEvent(utterance_index=2, index=0, text="We meet tomorrow."),
    sm.TranslationDoneEvent(utterance_index=2, text="We meet tomorrow.", quality=0.7,
                            low_confidence=True, issues=["NUMBER_CHANGED"]),
    sm.AudioEvent(utterance_index=2, index=0, text="We meet tomorrow.", audio="UklGRg==",
                  format=AudioFormat.PCM16, sample_rate=24000, duration_s=1.2),
    sm.UtteranceResultEvent(utterance_index=2, result=RESULT),
    sm.StreamErrorEvent(code="OVERLOADED", category="transient", message="behind"),
    sm.StreamDoneEvent(at_ms=9000.0, utterances=3),
]  # fmt: skip


def _members(union: object) -> set[type]:
    return set(typing.get_args(typing.get_args(union)[0]))


def test_every_member_of_each_union_has_a_sample() -> None:
    assert {type(m) for m in CLIENT} == _members(sm.ClientMessage)
    assert {type(m) for m in NODE} == _members(sm.StreamEvent)


@pytest.mark.parametrize("message", CLIENT, ids=lambda m: type(m).__name__)
def test_client_messages_round_trip(message: BaseModel) -> None:
    assert sm.client_message.validate_json(message.model_dump_json()) == message


@pytest.mark.parametrize("event", NODE, ids=lambda m: type(m).__name__)
def test_node_events_round_trip(event: BaseModel) -> None:
    assert sm.stream_event.validate_json(event.model_dump_json()) == event
    assert sm.stream_event.validate_json(event.model_dump_json(exclude_none=True)) == event


def test_a_start_needs_its_languages_and_ignores_what_it_does_not_know() -> None:
    start = sm.client_message.validate_json('{"type": "start", "src_lang": "en", '
                                            '"tgt_lang": "zh", "future_field": 1}')  # fmt: skip
    assert isinstance(start, sm.StreamStart) and start.audio_format == "pcm16"
    with pytest.raises(ValueError):
        sm.client_message.validate_json('{"type": "start", "src_lang": "en"}')
