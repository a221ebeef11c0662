"""When a transcript the stream made before the job answers the job's ASR request."""

from __future__ import annotations

import pytest

from voxnode.contracts.speech import TranscribeRequest, TranscribeResponse
from voxnode.pipeline.job_stream import usable_transcript
from voxnode.pipeline.service_replies import Reply


def early(quality: float) -> Reply[TranscribeResponse]:
    heard = TranscribeResponse(text="x", language="en", language_probability=1.0, duration=1.0,
                               quality_score=quality)  # fmt: skip
    return Reply(heard, "asr", 1.0)


@pytest.mark.parametrize(
    ("nbest", "below", "quality", "usable"),
    [(0, 1.0, 0.5, True),  # no N-best wanted
     (5, 0.7, 0.5, False),  # English repair judges an unsure transcript by its N-best
     (5, 0.7, 0.9, True),  # sure enough: no N-best needed
     (5, 1.0, 0.5, True)],  # wanted for every sentence (Chinese): not worth a second decode
)  # fmt: skip
def test_an_early_transcript_answers_unless_an_unsure_one_needs_its_n_best(
    nbest: int, below: float, quality: float, usable: bool
) -> None:
    asked = TranscribeRequest(audio="AAAA", nbest=nbest, nbest_below_quality=below)
    reply = early(quality)
    assert (usable_transcript(reply, asked) is reply) is usable
    assert usable_transcript(None, asked) is None
