"""Property: decoding any bytes in any AudioFormat gives audio or a BadAudioError (a 400),
never another exception. Inputs: random bytes, and real encodings of each format cut,
spliced and with bytes changed (the headers are where decoders trip)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voxnode.contracts.errors import BadInputError
from voxnode.contracts.speech import AudioFormat
from voxnode.services.common.audio_codec import Audio, decode, encode, encode_opus_packets

RATE = 16000
_TONE = Audio((0.3 * np.sin(np.arange(RATE // 10, dtype=np.float32) / 5)).astype(np.float32), RATE)
VALID = {fmt: encode(_TONE, fmt)[0] for fmt in AudioFormat}
VALID_PACKETS = encode_opus_packets(_TONE.samples, RATE)


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    """A real encoding, cut, changed at a few places, or with random bytes inserted."""
    data = bytearray(draw(st.sampled_from([*VALID.values(), VALID_PACKETS])))
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        action = draw(st.sampled_from(["set", "cut", "insert"]))
        if action == "set" and data:
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at : at + draw(st.integers(1, 64))]
        else:
            data[at:at] = draw(st.binary(max_size=16))
    if draw(st.booleans()):  # the header is where most checks are: change one there
        head = draw(st.integers(0, min(len(data), 60) - 1)) if data else 0
        if data:
            data[head] = draw(st.integers(0, 255))
    return bytes(data)


def check(data: bytes, fmt: AudioFormat, rate: int) -> None:
    try:
        audio = decode(data, fmt, rate, max_seconds=30)
    except BadInputError as error:
        assert error.code in ("BAD_AUDIO", "EMPTY_AUDIO", "AUDIO_TOO_LONG"), error.code
        assert error.status == 400
        return
    assert audio.sample_rate > 0 and audio.samples.dtype == np.float32
    assert audio.samples.ndim == 1 and audio.samples.size > 0
    assert math.isfinite(audio.seconds) and audio.seconds <= 30


QUICK = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@QUICK
@given(data=st.binary(max_size=4096), fmt=st.sampled_from(list(AudioFormat)),
       rate=st.integers(-10, 384_000))  # fmt: skip
def test_random_bytes(data: bytes, fmt: AudioFormat, rate: int) -> None:
    check(data, fmt, rate)


@QUICK
@given(data=damaged(), fmt=st.sampled_from(list(AudioFormat)),
       rate=st.sampled_from([8000, 16000, 48000, 1, 44100]))  # fmt: skip
def test_damaged_encodings(data: bytes, fmt: AudioFormat, rate: int) -> None:
    check(data, fmt, rate)
