"""The audio pieces of one translation as one recording (the JobResult's audio): WAV pieces
become one WAV, PCM16 and mu-law bytes follow each other, Ogg Opus pieces make a chained
Ogg stream (which players read as one). Standard library only."""

from __future__ import annotations

import io
import wave

from voxnode.contracts.speech import AudioFormat


def join_audio(pieces: list[bytes], fmt: AudioFormat) -> bytes:
    if fmt is not AudioFormat.WAV or len(pieces) < 2:
        return b"".join(pieces)
    frames, params = [], None
    for piece in pieces:
        with wave.open(io.BytesIO(piece), "rb") as wav:
            shape = (wav.getnchannels(), wav.getsampwidth(), wav.getframerate())
            if params is not None and shape != params:
                raise ValueError(f"WAV pieces differ: {shape} after {params}")
            params = shape
            frames.append(wav.readframes(wav.getnframes()))
    assert params is not None
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(params[0])
        wav.setsampwidth(params[1])
        wav.setframerate(params[2])
        wav.writeframes(b"".join(frames))
    return out.getvalue()
