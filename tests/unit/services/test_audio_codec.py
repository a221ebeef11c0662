from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from voxnode.contracts.speech import AudioFormat
from voxnode.services.common.audio_codec import (
    Audio,
    BadAudioError,
    decode,
    encode,
    encode_opus_packets,
    mulaw_decode,
    mulaw_encode,
    resample,
)


def tone(rate: int = 24000, seconds: float = 0.5) -> Audio:
    t = np.arange(int(rate * seconds), dtype=np.float32) / rate
    return Audio((0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), rate)


@pytest.mark.parametrize("fmt", list(AudioFormat))
def test_every_format_round_trips(fmt: AudioFormat) -> None:
    data, rate = encode(tone(), fmt)
    back = decode(data, fmt, rate, max_seconds=10)
    assert back.sample_rate == (48000 if fmt is AudioFormat.OPUS else rate)  # Opus decodes at 48k
    assert abs(back.seconds - 0.5) < 0.03
    assert 0.45 < float(np.abs(back.samples).max()) < 0.56


def test_rates_follow_the_format() -> None:
    assert encode(tone(), AudioFormat.MULAW)[1] == 8000  # RTP's rate
    assert encode(tone(22050), AudioFormat.OPUS)[1] == 48000  # Opus has no 22.05 kHz
    assert encode(tone(), AudioFormat.PCM16, 16000)[1] == 16000


def test_mulaw_matches_g711_reference_values() -> None:
    pcm = np.array([0, 32767, -32768, 1000, -1000], dtype=np.float32) / 32768
    assert mulaw_encode(pcm) == bytes([0xFF, 0x80, 0x00, 0xCE, 0x4E])
    assert np.round(mulaw_decode(bytes([0xFF, 0x80, 0x00])) * 32768).tolist() == [
        0, 32124, -32124,
    ]  # fmt: skip


def test_stereo_8_bit_wav_is_mixed_to_mono() -> None:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(1)
        wav.setframerate(8000)
        wav.writeframes(bytes([255, 128]) * 800)
    audio = decode(out.getvalue(), AudioFormat.WAV, 16000, max_seconds=10)
    assert audio.sample_rate == 8000 and len(audio.samples) == 800
    assert np.allclose(audio.samples, (127 / 128) / 2)


@pytest.mark.parametrize(
    ("data", "fmt", "code"),
    [
        (b"", AudioFormat.PCM16, "EMPTY_AUDIO"),
        (b"\x00\x01\x02", AudioFormat.PCM16, "BAD_AUDIO"),
        (b"this is not audio at all", AudioFormat.WAV, "BAD_AUDIO"),
        (b"OggS but not really", AudioFormat.OPUS, "BAD_AUDIO"),
        (b"\x00\x00" * 16000 * 3, AudioFormat.PCM16, "AUDIO_TOO_LONG"),
    ],
)
def test_bad_audio_is_refused_clearly(data: bytes, fmt: AudioFormat, code: str) -> None:
    with pytest.raises(BadAudioError) as caught:
        decode(data, fmt, 16000, max_seconds=2)
    assert caught.value.code == code
    assert caught.value.status == 400


def test_resample_keeps_duration() -> None:
    audio = resample(tone(24000, 1.0), 16000)
    assert audio.sample_rate == 16000 and abs(len(audio.samples) - 16000) < 100


def test_lingua_plan_a_opus_packets_decode() -> None:
    """lingua's web client sends raw 20 ms Opus packets, each after a 2-byte LE length."""
    sound = tone(16000, 1.0)
    framed = encode_opus_packets(sound.samples, 16000)
    assert not framed.startswith(b"OggS")
    back = decode(framed, AudioFormat.OPUS, 16000, max_seconds=10)
    assert back.sample_rate == 16000
    assert abs(back.seconds - 1.0) < 0.05
    assert 0.45 < float(np.abs(back.samples).max()) < 0.56


@pytest.mark.parametrize(
    "data", [b"\x05\x00abc", b"\x00\x00", b"\x03", b"\xff\xffxx", b"not opus at all!"]
)
def test_bytes_that_are_no_opus_framing_are_bad_audio(data: bytes) -> None:
    with pytest.raises(BadAudioError):
        decode(data, AudioFormat.OPUS, 16000, max_seconds=10)
