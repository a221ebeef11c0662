"""The streamed translation: pieces as clauses come, and the policy for a piece that fails."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence

import pytest

from voxnode.contracts.translate_stream import TranslationDone, TranslationPiece
from voxnode.engines.llm_engine import ChatMessage, ChatResult, Piece, Sampling, Usage
from voxnode.services.translate.piece_guards import Verdict, piece_issues, verdict
from voxnode.services.translate.stream_translator import StreamingTranslator
from voxnode.services.translate.translator import LlmTranslator
from voxnode.testing.fake_engine import FakeEngine


class Tokens(FakeEngine):
    """stream() gives `tokens` one by one (and remembers how far it was read); chat()
    answers the next of `answers`."""

    def __init__(self, tokens: list[str], *answers: str):
        super().__init__()
        self.tokens = tokens
        self.answers = list(answers)
        self.read = 0
        self.closed_stream = False

    def stream(
        self, messages: Sequence[ChatMessage], sampling: Sampling = Sampling(), *,
        deadline: float | None = None,
    ) -> Iterator[Piece]:  # fmt: skip
        self.prompts.append(list(messages))
        self.samplings.append(sampling)
        try:
            for token in self.tokens:
                self.read += 1
                yield Piece(token, logprob=-0.05)
            yield Piece("", finish_reason="stop", usage=Usage(10, len(self.tokens)))
        finally:
            self.closed_stream = True

    def chat(self, messages, sampling=Sampling(), *, deadline=None):  # type: ignore[no-untyped-def]
        self.prompts.append(list(messages))
        return ChatResult(self.answers.pop(0), 10, 5, "stop", 0.0, 0.0, logprob=-0.5)


def run(engine: Tokens, text: str, src: str, tgt: str, stop: threading.Event | None = None
        ) -> list[TranslationPiece | TranslationDone]:  # fmt: skip
    streamer = StreamingTranslator(
        engine, LlmTranslator(engine), prompt="examples", low_quality=0.35
    )
    return list(streamer.translate(
        text, src, tgt, previous=None, deadline=time.monotonic() + 5,
        stop=stop or threading.Event(),
    ))  # fmt: skip


def test_pieces_come_clause_by_clause_and_done_joins_them() -> None:
    engine = Tokens(["We", " need", " to", " translate", " this", " contract", " tomorrow", ",",
                     " please", " send", " it", " by", " Friday", "."])  # fmt: skip
    events = run(engine, "我们明天需要翻译这份合同，请在周五之前发给我。", "zh", "en")
    pieces = [e for e in events if isinstance(e, TranslationPiece)]
    assert [(p.index, p.text) for p in pieces] == [
        (0, "We need to translate this contract tomorrow,"), (1, "please send it by Friday."),
    ]  # fmt: skip
    done = events[-1]
    assert isinstance(done, TranslationDone) and not done.fallback
    assert done.text == "We need to translate this contract tomorrow, please send it by Friday."
    assert not done.issues and not done.low_confidence and done.quality is not None
    assert engine.samplings[0].no_cjk and engine.samplings[0].stop == ("\n",)


def test_a_label_and_quotes_are_not_spoken() -> None:
    engine = Tokens(["Translation", ":", ' "', "We", " meet", " tomorrow", ".", '"'])
    events = run(engine, "我们明天见面。", "zh", "en")
    assert [e.text for e in events] == ["We meet tomorrow.", "We meet tomorrow."]


def test_a_first_piece_that_is_no_translation_falls_back_before_anything_is_sent() -> None:
    engine = Tokens(["Good", " morning", ",", " everyone", ".", " 大家", "好"], "早上好，大家。")
    events = run(engine, "Good morning, everyone.", "en", "zh")
    assert [e.text for e in events if isinstance(e, TranslationPiece)] == ["早上好，", "大家。"]
    done = events[-1]
    assert isinstance(done, TranslationDone) and done.fallback and done.text == "早上好，大家。"
    assert engine.closed_stream and engine.read < len(engine.tokens)  # generation stopped
    plain = engine.prompts[-1]  # the fallback asked the next prompt, not the streamed one
    assert len(plain) == 1 and plain[0].content.startswith("Translate the following")


def test_a_later_piece_that_is_no_translation_ends_the_translation_there() -> None:
    engine = Tokens(["我们", "明天", "在", "会议室", "见面", "，", "Note", ":", " this", " is",
                     " a", " formal", " sentence", ".", "谢谢", "。"])  # fmt: skip
    events = run(engine, "We will meet in the meeting room tomorrow.", "en", "zh")
    assert [e.text for e in events if isinstance(e, TranslationPiece)] == ["我们明天在会议室见面，"]
    done = events[-1]
    assert isinstance(done, TranslationDone) and done.text == "我们明天在会议室见面，"
    assert done.low_confidence and done.issues[:2] == ["EXPLANATION", "CUT_SHORT"]
    assert engine.closed_stream and engine.read < len(engine.tokens)


def test_whole_translation_issues_only_mark_it_low_confidence() -> None:
    engine = Tokens(["我", "有", "2", "个", "苹果", "。"])
    events = run(engine, "I have 25 apples.", "en", "zh")
    done = events[-1]
    assert isinstance(done, TranslationDone) and done.text == "我有2个苹果。"
    assert done.issues == ["NUMBER_CHANGED"] and done.low_confidence and not done.fallback


def test_stop_ends_the_generation_and_nothing_more_comes() -> None:
    stop = threading.Event()
    engine = Tokens(["One", " two", " three", " four", " five", " six", ".", " Seven", ".",
                     " Eight", ".", " Nine", "."])  # fmt: skip
    streamer = StreamingTranslator(engine, LlmTranslator(engine), prompt="examples",
                                   low_quality=0.35)  # fmt: skip
    events = streamer.translate("一二三四五六。七。", "zh", "en", previous=None,
                                deadline=time.monotonic() + 5, stop=stop)  # fmt: skip
    first = next(events)
    assert isinstance(first, TranslationPiece) and first.text == "One two three four five six."
    stop.set()
    assert list(events) == []
    assert engine.closed_stream and engine.read < len(engine.tokens)


@pytest.mark.parametrize(
    ("piece", "tgt", "spoken", "expected"),
    [
        ("我们明天见面，", "zh", 0, Verdict.SPEAK),
        ("GPU和CPU，", "zh", 0, Verdict.SPEAK),
        ("iPhone，", "zh", 1, Verdict.SPEAK),  # a name, not the wrong language
        ("Please send it,", "zh", 0, Verdict.FALLBACK),
        ("Please send it,", "zh", 2, Verdict.STOP),
        ("We meet tomorrow.", "en", 0, Verdict.SPEAK),
        ("We meet 明天.", "en", 0, Verdict.FALLBACK),
        ("Here is the translation:", "en", 0, Verdict.FALLBACK),
        ("Note: this is formal.", "en", 3, Verdict.STOP),
        ("Note:", "zh", 1, Verdict.STOP),  # an English comment in a Chinese translation
    ],
)
def test_piece_verdicts(piece: str, tgt: str, spoken: int, expected: Verdict) -> None:
    source = "源文本" if tgt == "en" else "source text"
    assert verdict(piece_issues(source, piece, tgt), spoken=spoken) is expected
