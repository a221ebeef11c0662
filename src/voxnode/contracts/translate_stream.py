"""The translation service's streamed answer: POST /v1/translate/stream answers server-sent
events, `piece` ({index, text}) as each clause of the translation is ready, then one `done`
(the whole translation, which is exactly its pieces joined, with the guards' findings), or
one `error` (contract 2's ErrorBody) when it fails after the stream began."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field

from voxnode.contracts.speech import TranslateRequest

PIECE_EVENT = "piece"
DONE_EVENT = "done"
ERROR_EVENT = "error"


class TranslateStreamRequest(TranslateRequest):
    endpoint: ClassVar[str] = "/v1/translate/stream"


class TranslationPiece(BaseModel):
    index: int = Field(ge=0)
    text: str = Field(min_length=1)


class TranslationDone(BaseModel):
    text: str
    """The pieces joined (a space between pieces for languages written with spaces)."""
    engine: str = ""
    process_time_ms: float = 0.0
    quality: float | None = Field(None, ge=0.0, le=1.0)
    low_confidence: bool = False
    issues: list[str] = []
    """What the guards found, in a piece or in the whole (services/translate/piece_guards)."""
    fallback: bool = False
    """The first piece was no translation: nothing was sent, and the non-streamed
    translator (its prompts in turn) answered, as pieces all at once."""
