"""Audio in and out of the speech services: PCM16, WAV, G.711 mu-law and Opus.

Inside, audio is float32 mono in [-1, 1]. Decoding checks what it is given and says what is
wrong in the documented error shape (empty, odd byte count, not audio, too long); it never
guesses. Resampling and Opus go through PyAV (FFmpeg's libraries, a faster-whisper
dependency); PCM16, WAV and mu-law need only numpy.
"""

from __future__ import annotations

import io
import struct
import wave
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from voxnode.contracts.errors import BadInputError
from voxnode.contracts.speech import AudioFormat

Samples = npt.NDArray[np.float32]
MULAW_RATE = 8000
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
CONTAINER_MAGIC = (b"OggS", b"\x1aE\xdf\xa3")
"""Ogg and WebM (Matroska): Opus in a container. Anything else is read as raw packets."""
MAX_OPUS_PACKET = 1275 * 3
"""The largest packet an Opus encoder makes (three 20 ms frames of 1275 bytes)."""


class BadAudioError(BadInputError):
    code = "BAD_AUDIO"


@dataclass(frozen=True, slots=True)
class Audio:
    samples: Samples
    sample_rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate


def decode(data: bytes, fmt: AudioFormat, sample_rate: int, *, max_seconds: float) -> Audio:
    """Bytes in `fmt` -> float32 mono at the rate they were recorded at."""
    if not data:
        raise BadAudioError("the audio is empty", code="EMPTY_AUDIO")
    if sample_rate <= 0:
        raise BadAudioError(f"a sample rate of {sample_rate} Hz")
    if fmt is AudioFormat.PCM16:
        if len(data) % 2:
            raise BadAudioError(f"pcm16 audio must have an even byte count, got {len(data)}")
        audio = Audio(_from_int16(np.frombuffer(data, "<i2")), sample_rate)
    elif fmt is AudioFormat.MULAW:
        audio = Audio(mulaw_decode(data), sample_rate)
    elif fmt is AudioFormat.WAV:
        audio = _decode_wav(data)
    elif data.startswith(CONTAINER_MAGIC):
        audio = _decode_with_av(data, "opus")
    else:
        audio = _decode_opus_packets(opus_packets(data), sample_rate)
    if audio.samples.size == 0:
        raise BadAudioError("the audio holds no samples", code="EMPTY_AUDIO")
    if audio.seconds > max_seconds:
        raise BadAudioError(
            f"the audio lasts {audio.seconds:.1f} s; at most {max_seconds:.0f} s per request",
            code="AUDIO_TOO_LONG",
        )
    return audio


def encode(audio: Audio, fmt: AudioFormat, sample_rate: int | None = None) -> tuple[bytes, int]:
    """float32 mono -> (bytes in `fmt`, their sample rate). mu-law defaults to 8 kHz; Opus
    uses the nearest rate it supports; the rest keep the audio's rate unless told."""
    rate = sample_rate or (MULAW_RATE if fmt is AudioFormat.MULAW else audio.sample_rate)
    if fmt is AudioFormat.OPUS and rate not in OPUS_RATES:
        rate = 48000
    samples = resample(audio, rate).samples
    if fmt is AudioFormat.PCM16:
        return _to_int16(samples).tobytes(), rate
    if fmt is AudioFormat.MULAW:
        return mulaw_encode(samples), rate
    if fmt is AudioFormat.WAV:
        return wav_bytes(samples, rate), rate
    return _encode_opus(samples, rate), rate


def wav_bytes(samples: Samples, sample_rate: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(_to_int16(samples).tobytes())
    return out.getvalue()


def resample(audio: Audio, rate: int) -> Audio:
    if audio.sample_rate == rate or audio.samples.size == 0:
        return Audio(audio.samples, rate)
    import av

    frame = av.AudioFrame.from_ndarray(audio.samples.reshape(1, -1), format="flt", layout="mono")
    frame.sample_rate = audio.sample_rate
    resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
    frames = [*resampler.resample(frame), *resampler.resample(None)]
    parts = [f.to_ndarray().reshape(-1) for f in frames]
    samples = np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)
    return Audio(samples, rate)


# ----- G.711 mu-law (ITU-T G.711, the table-free formulation)

_BIAS = 0x84


def mulaw_decode(data: bytes) -> Samples:
    u = ~np.frombuffer(data, np.uint8).astype(np.int32) & 0xFF
    exponent, mantissa = (u >> 4) & 0x07, u & 0x0F
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return (np.where(u & 0x80, -magnitude, magnitude) / 32768.0).astype(np.float32)


def mulaw_encode(samples: Samples) -> bytes:
    """The reference encoder's arithmetic (14-bit magnitude), so bytes match other codecs."""
    pcm = _to_int16(samples).astype(np.int32) >> 2
    mask = np.where(pcm < 0, 0x7F, 0xFF)
    magnitude = np.minimum(np.abs(pcm), 8159) + (_BIAS >> 2)
    segment = np.searchsorted(_SEGMENT_ENDS, magnitude)
    value = (segment << 4) | ((magnitude >> (segment + 1)) & 0x0F)
    value = np.where(segment >= len(_SEGMENT_ENDS), 0x7F, value)
    return ((value ^ mask) & 0xFF).astype(np.uint8).tobytes()


_SEGMENT_ENDS = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])


# ----- containers


def _decode_wav(data: bytes) -> Audio:
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            width, channels, rate = wav.getsampwidth(), wav.getnchannels(), wav.getframerate()
            raw = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError, RuntimeError, ValueError, struct.error):  # RuntimeError:
        return _decode_with_av(data, "wav")  # a chunk size past the end; FFmpeg reads the rest
    if width not in (1, 2, 4):
        return _decode_with_av(data, "wav")
    if rate <= 0 or channels <= 0:
        raise BadAudioError(f"the WAV header says {rate} Hz and {channels} channel(s)")
    kind = {1: "u1", 2: "<i2", 4: "<i4"}[width]
    usable = len(raw) - len(raw) % (width * channels)
    ints = np.frombuffer(raw[:usable], kind).astype(np.float32)
    scaled = (ints - 128) / 128 if width == 1 else ints / float(2 ** (8 * width - 1))
    mono = scaled.reshape(-1, channels).mean(axis=1)
    return Audio(mono.astype(np.float32), rate)


def _decode_with_av(data: bytes, what: str) -> Audio:
    import av

    try:
        with av.open(io.BytesIO(data), "r") as container:
            stream = container.streams.audio[0]
            if stream.codec_context is None:  # a stream FFmpeg found but cannot decode
                raise BadAudioError(f"not readable as {what} audio: no decoder for its stream")
            rate = stream.codec_context.sample_rate or 48000
            resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
            parts = [
                out.to_ndarray().reshape(-1)
                for frame in container.decode(stream)
                for out in resampler.resample(frame)
            ]
    except (av.error.FFmpegError, IndexError, ValueError) as exc:
        raise BadAudioError(f"not readable as {what} audio: {exc}") from exc
    if not parts:
        raise BadAudioError(f"the {what} stream holds no samples", code="EMPTY_AUDIO")
    return Audio(np.concatenate(parts).astype(np.float32), rate)


def opus_packets(data: bytes) -> list[bytes]:
    """lingua's "Plan A" framing: each raw Opus packet after its length (2 bytes, little
    endian). The lengths must account for every byte, or it is not this framing."""
    packets, offset = [], 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise BadAudioError("opus audio is neither Ogg/WebM nor length-prefixed packets")
        size = int.from_bytes(data[offset : offset + 2], "little")
        offset += 2
        if not 0 < size <= MAX_OPUS_PACKET or offset + size > len(data):
            raise BadAudioError("opus audio is neither Ogg/WebM nor length-prefixed packets")
        packets.append(data[offset : offset + size])
        offset += size
    return packets


def _decode_opus_packets(packets: list[bytes], sample_rate: int) -> Audio:
    import av

    rate = sample_rate if sample_rate in OPUS_RATES else 48000
    codec = av.CodecContext.create("opus", "r")
    codec.sample_rate = rate
    codec.layout = "mono"
    resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
    parts: list[npt.NDArray[np.generic]] = []
    try:
        for packet in packets:
            for frame in codec.decode(av.Packet(packet)):
                parts.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(frame))
    except (av.error.FFmpegError, ValueError) as exc:
        raise BadAudioError(f"not readable as Opus packets: {exc}") from exc
    if not parts:
        raise BadAudioError("the opus packets hold no samples", code="EMPTY_AUDIO")
    return Audio(np.concatenate(parts).astype(np.float32), rate)


def encode_opus_packets(samples: Samples, rate: int) -> bytes:
    """The inverse of `opus_packets` on 20 ms frames (what lingua's web client sends)."""
    import av

    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate, codec.layout, codec.format = rate, "mono", "s16"
    frame_len = rate // 50
    ints = _to_int16(samples)
    out = bytearray()
    for start in range(0, len(ints), frame_len):
        chunk = np.zeros(frame_len, "<i2")
        piece = ints[start : start + frame_len]
        chunk[: len(piece)] = piece
        frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        for packet in codec.encode(frame):
            out += len(bytes(packet)).to_bytes(2, "little") + bytes(packet)
    for packet in codec.encode(None):
        out += len(bytes(packet)).to_bytes(2, "little") + bytes(packet)
    return bytes(out)


def _encode_opus(samples: Samples, rate: int) -> bytes:
    import av

    out = io.BytesIO()
    with av.open(out, "w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(
            _to_int16(samples).reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    return out.getvalue()


def _from_int16(ints: npt.NDArray[np.int16]) -> Samples:
    return (ints.astype(np.float32) / 32768.0).astype(np.float32)


def _to_int16(samples: Samples) -> npt.NDArray[np.int16]:
    return (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype("<i2")
