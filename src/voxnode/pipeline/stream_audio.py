"""What a stream client sends, as PCM16: raw PCM16 frames pass as they are; Opus packets
(one a frame, or lingua's length-prefixed packets) are decoded with PyAV, which the node
has only with the `stream` extra (FFmpeg's libraries, no ML)."""

from __future__ import annotations

import importlib.util
from typing import Any, Literal

from voxnode.contracts.errors import BadInputError, VoxnodeError

OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
MAX_OPUS_PACKET = 1275 * 3


class OpusUnavailableError(VoxnodeError):
    code = "OPUS_UNAVAILABLE"
    status = 400


class StreamDecoder:
    def __init__(self, audio_format: Literal["pcm16", "opus"], rate: int):
        self.rate = rate
        self._codec: Any = None
        self._resampler: Any = None
        if audio_format == "opus":
            if rate not in OPUS_RATES:
                raise BadInputError(f"Opus decodes at {OPUS_RATES} Hz, not {rate}")
            if importlib.util.find_spec("av") is None:
                raise OpusUnavailableError(
                    "Opus frames need PyAV on the node: install voxnode[stream], or send pcm16"
                )
            import av

            self._codec = av.CodecContext.create("opus", "r")
            self._codec.sample_rate = rate
            self._codec.layout = "mono"
            self._resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)

    def decode(self, data: bytes) -> bytes:
        """One frame's bytes -> PCM16 at `rate`."""
        if self._codec is None:
            return data
        import av

        out = bytearray()
        try:
            for packet in opus_packets(data):
                for frame in self._codec.decode(av.Packet(packet)):
                    for pcm in self._resampler.resample(frame):
                        out += bytes(pcm.planes[0])[: pcm.samples * 2]
        except (av.error.FFmpegError, ValueError) as exc:
            raise BadInputError(f"not an Opus packet: {exc}", code="BAD_AUDIO") from exc
        return bytes(out)


def opus_packets(data: bytes) -> list[bytes]:
    """lingua's framing (each packet after its 2-byte little-endian length) when the lengths
    account for every byte; otherwise the frame is one packet."""
    packets, offset = [], 0
    while offset + 2 <= len(data):
        size = int.from_bytes(data[offset : offset + 2], "little")
        if not 0 < size <= MAX_OPUS_PACKET or offset + 2 + size > len(data):
            return [data]
        packets.append(data[offset + 2 : offset + 2 + size])
        offset += 2 + size
    return packets if offset == len(data) and packets else [data]
