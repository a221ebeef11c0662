"""Translation engines behind one Protocol. The LLM translates by default (no offline zh<->en
MT weights exist); a CTranslate2 model (M2M100, opus-mt) plugs in as another Translator."""

from __future__ import annotations

from typing import Protocol

from voxnode.contracts.errors import ErrorCategory, VoxnodeError
from voxnode.contracts.languages import language_name
from voxnode.engines.llm_engine import ChatMessage, LlmEngine, Sampling
from voxnode.services.translate.guards import clean, violation


class TranslationRejectedError(VoxnodeError):
    """Every attempt broke a guard: another translation service may do better."""

    code = "TRANSLATION_REJECTED"
    category = ErrorCategory.TRANSIENT
    status = 502


class Translator(Protocol):
    name: str

    def translate(
        self, text: str, src_lang: str, tgt_lang: str, *, context: str | None, deadline: float
    ) -> str: ...


class LlmTranslator:
    """A strict prompt at temperature 0; a guarded answer; one retry with a plainer prompt."""

    def __init__(self, engine: LlmEngine):
        self._engine = engine
        self.name = f"llm:{engine.name}"

    def translate(
        self, text: str, src_lang: str, tgt_lang: str, *, context: str | None, deadline: float
    ) -> str:
        why = "EMPTY"
        for messages in (
            _strict_prompt(text, src_lang, tgt_lang, context),
            _plain_prompt(text, src_lang, tgt_lang),
        ):
            sampling = Sampling(max_tokens=_token_budget(text), stop=("\n",))
            answer = self._engine.chat(messages, sampling, deadline=deadline)
            output = clean(answer.text)
            why = violation(text, output, src_lang, tgt_lang) or ""
            if not why:
                return output
        raise TranslationRejectedError(f"{self.name}: every answer broke a guard ({why})")


def _token_budget(text: str) -> int:
    """About one token per Chinese character either way, one per 4 English letters: a
    character-count budget covers both directions and cuts a runaway answer early."""
    return min(32 + len(text), 600)


def _name(code: str) -> str:
    return language_name(code)


def _strict_prompt(
    text: str, src_lang: str, tgt_lang: str, context: str | None
) -> list[ChatMessage]:
    system = (
        f"You are a professional interpreter. Translate the {_name(src_lang)} text the user "
        f"sends into {_name(tgt_lang)}. Reply with the translation only: no notes, no quotes, "
        "no explanations. Keep every number, name and term."
    )
    if context:
        system += f" The speaker said just before (context only, do not translate it): {context}"
    return [ChatMessage("system", system), ChatMessage("user", text)]


def _plain_prompt(text: str, src_lang: str, tgt_lang: str) -> list[ChatMessage]:
    return [
        ChatMessage(
            "user",
            f"Translate from {_name(src_lang)} to {_name(tgt_lang)}. "
            f"Output only the {_name(tgt_lang)} translation.\n\n{text}",
        )
    ]
