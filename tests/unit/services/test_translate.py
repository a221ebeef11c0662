from __future__ import annotations

import threading
import time

import pytest

from voxnode.contracts.speech import TranslateRequest
from voxnode.engines.llm_engine import ChatResult, EngineError, Sampling
from voxnode.models import memory_probe
from voxnode.services.translate.app import NmtWorker, back_translated_share
from voxnode.services.translate.guards import clean, violation
from voxnode.services.translate.quality import RunningRank, estimate
from voxnode.services.translate.settings import NmtSettings
from voxnode.services.translate.translator import (
    LlmTranslator,
    Translation,
    TranslationRejectedError,
)
from voxnode.testing.fake_engine import FakeEngine


@pytest.mark.parametrize(
    ("source", "output", "src", "tgt", "why"),
    [
        ("我们明天开会。", "We meet tomorrow.", "zh", "en", None),
        ("Good morning.", "早上好。", "en", "zh", None),
        ("Good morning.", "Good morning.", "en", "zh", "NOT_TARGET_LANGUAGE"),
        ("我们明天开会。", "We meet 明天.", "zh", "en", "NOT_TARGET_LANGUAGE"),
        ("我们明天开会。", "Here is the translation: we meet.", "zh", "en", "EXPLANATION"),
        ("我们需要翻译合同。", "We need to translate the contract.", "zh", "en", None),
        ("I have 25 apples.", "我有2个苹果。", "en", "zh", "NUMBER_CHANGED"),
        ("I have 25 apples.", "我有二十五个苹果。", "en", "zh", None),
        ("Meet at 03:00.", "三点见。", "en", "zh", None),
        ("价格是1,250元。", "The price is 1250 yuan.", "zh", "en", None),
        ("捐款超过120万元。", "Donations exceeded 1.2 million yuan.", "zh", "en", None),
        ("捐款超过120万元。", "Donations exceeded 120 yuan.", "zh", "en", "NUMBER_CHANGED"),
        ("About 3,000 residents left.", "约三千名居民离开了。", "en", "zh", None),
        ("About 3,000 residents left.", "约三百名居民离开了。", "en", "zh", "NUMBER_CHANGED"),
        ("It rose to $17.9 billion.", "增至179亿美元。", "en", "zh", None),
        ("会议7月份举行。", "The meeting is in July.", "zh", "en", None),
        ("会议7月份举行。", "The meeting is in June.", "zh", "en", "NUMBER_CHANGED"),
        ("最近１０年里", "In the last 10 years", "zh", "en", None),
        ("产能1亿~1.5亿吨", "100 million to 150 million tons of capacity", "zh", "en", None),
        ("好。", "Good. " * 30, "zh", "en", "LENGTH_IMPLAUSIBLE"),
        ("Hi.", "", "en", "zh", "EMPTY"),
        ("I don't deny the risk.", "我否认风险。", "en", "zh", "NEGATION_DROPPED"),
        ("I don't deny the risk.", "我不否认有风险。", "en", "zh", None),
        ("他没有来上班。", "He came to work.", "zh", "en", "NEGATION_DROPPED"),
        ("他没有来上班。", "He didn't come to work.", "zh", "en", None),
        ("这家餐厅周一不营业。", "The restaurant is closed on Mondays.", "zh", "en", None),
        ("附近有没有药店？", "Is there a pharmacy nearby?", "zh", "en", None),
        (
            "我们明天需要翻译这份合同请在周五之前发给我",
            "We need to translate this contract by Friday. Please send it to me by Friday.",
            "zh",
            "en",
            "DAY_CHANGED",
        ),
        (
            "我们明天需要翻译这份合同请在周五之前发给我",
            "We need to translate this contract tomorrow. Please send it to me by Friday.",
            "zh",
            "en",
            None,
        ),
        ("Please send it before Friday.", "请在周五之前发送。", "en", "zh", None),
        ("Please send it before Friday.", "请尽快发送。", "en", "zh", "DAY_CHANGED"),
        ("我们每周一次开会。", "We meet once a week.", "zh", "en", None),
        ("Nobody told me.", "nobody告诉我。", "en", "zh", "UNTRANSLATED_WORD"),
        ("Nobody told me.", "没有人告诉我。", "en", "zh", None),
        ("I use Python and NASA data.", "我使用Python和NASA的数据。", "en", "zh", None),
    ],
)
def test_guards(source: str, output: str, src: str, tgt: str, why: str | None) -> None:
    assert violation(source, output, src, tgt) == why


def test_clean_takes_the_first_line_without_label_or_quotes() -> None:
    assert clean('Translation: "We meet tomorrow."\nNote: formal') == "We meet tomorrow."
    assert clean("译文：“早上好。”") == "早上好。"


class Replies(FakeEngine):
    """Answers from a list, one per call, with a log-probability per answer."""

    def __init__(self, *answers: tuple[str, float]):
        super().__init__()
        self.answers = list(answers)

    def chat(self, messages, sampling=Sampling(), *, deadline=None):  # type: ignore[no-untyped-def]
        self._tick()
        self.prompts.append(list(messages))
        self.samplings.append(sampling)
        text, logprob = self.answers.pop(0)
        return ChatResult(text, 10, 5, "stop", 0.0, 0.0, logprob=logprob)


class BackScores(Replies):
    """The `examples` prompt's answer and the plain prompt's (asked at once, in either
    order), and a back-translation score per candidate: the text the scored source follows
    is the candidate (in the last chat message); `fail` makes scoring fail. With `together`,
    each call waits until that many calls are in flight at once (or fails after a second)."""

    def __init__(
        self, first: tuple[str, float], plain: tuple[str, float], *, backs: dict[str, float],
        fail: bool = False, together: int = 1,
    ):  # fmt: skip
        super().__init__(first, plain)
        self.backs, self.fail = backs, fail
        self.contexts: list[object] = []
        self.barrier = threading.Barrier(together, timeout=1.0)

    def chat(self, messages, sampling=Sampling(), *, deadline=None):  # type: ignore[no-untyped-def]
        self.barrier.wait()
        text, logprob = self.answers[0 if messages[0].role == "system" else 1]
        return ChatResult(text, 10, 5, "stop", 0.0, 0.0, logprob=logprob)

    def score(self, texts, *, context="", deadline=None):  # type: ignore[no-untyped-def]
        self.barrier.wait()
        if self.fail:
            raise EngineError("scorer crashed")
        self.contexts.append(context)
        asked = context[-1].content
        return [next(v for k, v in self.backs.items() if asked.endswith(k)) for _ in texts]


def back_translate(engine: FakeEngine, text: str, src: str, tgt: str) -> Translation:
    translator = LlmTranslator(engine, back_translate_share=1.0)
    return translator.translate(text, src, tgt, previous=None, deadline=time.monotonic() + 5)


def test_back_translation_asks_every_prompt_and_keeps_the_likeliest_source() -> None:
    right, wrong = "Let's meet in the afternoon.", "We met in the afternoon."
    engine = BackScores((right, -1.0), (wrong, -0.5), backs={right: -3.0, wrong: -9.0})
    result = back_translate(engine, "我们下午见面吧。", "zh", "en")
    assert (result.text, result.attempts, result.prompt) == (right, 2, "examples")
    reverse = engine.contexts[0]
    assert (
        isinstance(reverse, list) and "English text into Simplified Chinese" in reverse[-1].content
    )
    # the same answer twice: nothing to choose, nothing scored
    same = BackScores(("Hello.", -1.0), ("Hello.", -1.0), backs={})
    assert back_translate(same, "你好。", "zh", "en").text == "Hello." and not same.contexts


def test_back_translation_asks_the_prompts_and_scores_the_answers_at_once() -> None:
    right, wrong = "Let's meet in the afternoon.", "We met in the afternoon."
    engine = BackScores(
        (right, -1.0), (wrong, -0.5), backs={right: -3.0, wrong: -9.0}, together=2
    )  # fmt: skip
    assert back_translate(engine, "我们下午见面吧。", "zh", "en").text == right
    assert len(engine.contexts) == 2


def test_back_translation_never_outranks_the_guards_nor_needs_the_scorer() -> None:
    wrong, right = "I have 2 apples.", "I have 25 apples."
    engine = BackScores((wrong, -1.0), (right, -2.0), backs={wrong: -1.0, right: -8.0})
    assert back_translate(engine, "我有25个苹果。", "zh", "en").text == right
    assert not engine.contexts  # one clean candidate: no choice to make
    broken = BackScores(("Hello.", -3.0), ("Hi.", -1.0), backs={}, fail=True)
    result = back_translate(broken, "你好。", "zh", "en")
    assert result.text == "Hi."  # the scorer failed: the model's more confident answer


class Unsure(FakeEngine):
    """The `examples` prompt's answer is the source's entry in `first` (text, logprob over 5
    tokens); the plain prompt's is "Plain."; back-translation scores the plain answer
    higher."""

    def __init__(self, first: dict[str, tuple[str, float]], *, plain_fails: bool = False):
        super().__init__()
        self.first, self.plain_fails = first, plain_fails
        self.asked: list[str] = []

    def chat(self, messages, sampling=Sampling(), *, deadline=None):  # type: ignore[no-untyped-def]
        kind = "examples" if messages[0].role == "system" else "plain"
        self.asked.append(kind)
        if kind == "plain" and self.plain_fails:
            raise EngineError("engine crashed")
        text, logprob = self.first[messages[-1].content] if kind == "examples" else ("Plain.", -1.0)
        return ChatResult(text, 10, 5, "stop", 0.0, 0.0, logprob=logprob)

    def score(self, texts, *, context="", deadline=None):  # type: ignore[no-untyped-def]
        self.scored.append(context[-1].content)
        return [-1.0 if context[-1].content.endswith("Plain.") else -9.0 for _ in texts]


def test_a_gated_translator_back_translates_only_its_least_confident_sentences() -> None:
    engine = Unsure({"你好。": ("Hello.", -0.5), "你好吗？": ("Good.", -5.0)})
    translator = LlmTranslator(engine, back_translate_share=0.5)

    def asks(text: str) -> tuple[str, list[str]]:
        engine.asked.clear()
        deadline = time.monotonic() + 5
        result = translator.translate(text, "zh", "en", previous=None, deadline=deadline)
        return result.text, engine.asked

    assert asks("你好。") == ("Plain.", ["examples", "plain"])  # nothing to rank against yet
    assert asks("你好。") == ("Hello.", ["examples"])  # as sure as usual: half rank below
    assert asks("你好吗？") == ("Plain.", ["examples", "plain"])  # least sure so far
    assert asks("你好。") == ("Hello.", ["examples"])
    # each direction ranks its own: the first en->zh sentence has nothing to rank against
    engine.first["Hi."] = ("你好。", -0.5)
    result = translator.translate("Hi.", "en", "zh", previous=None, deadline=time.monotonic() + 5)
    assert engine.asked[-2:] == ["examples", "plain"] and result.attempts == 2


def test_a_fallback_is_not_ranked_and_a_lost_second_answer_keeps_the_first() -> None:
    engine = Unsure({"你好。": ("Hello.", -0.5)})
    translator = LlmTranslator(engine, back_translate_share=0.5)
    deadline = time.monotonic() + 5
    # a stream's fallback (its prompt already asked): the plain answer, not ranked
    assert translator.translate(
        "你好。", "zh", "en", previous=None, deadline=deadline, skip=("examples",)
    ).text == "Plain."  # fmt: skip
    engine.asked.clear()
    translator.translate("你好。", "zh", "en", previous=None, deadline=deadline)
    assert engine.asked == ["examples", "plain"]  # still nothing to rank against
    crashing = Unsure({"你好。": ("Hello.", -0.5)}, plain_fails=True)
    gated = LlmTranslator(crashing, back_translate_share=0.5)
    result = gated.translate("你好。", "zh", "en", previous=None, deadline=deadline)
    assert (result.text, result.attempts, crashing.asked) == ("Hello.", 1, ["examples", "plain"])


def test_running_rank_is_the_share_below_among_the_recent_ones_of_a_kind() -> None:
    rank = RunningRank(size=3)
    assert rank.share_below("zh-en", 0.5) == 0.0
    assert rank.share_below("zh-en", 0.5) == 0.5  # a tie counts half
    assert rank.share_below("zh-en", 0.9) == 1.0
    assert rank.share_below("en-zh", 0.1) == 0.0  # a kind of its own
    assert rank.share_below("zh-en", 0.1) == 0.0
    # only the last three are remembered: 0.5, 0.9, 0.1
    assert rank.share_below("zh-en", 0.7) == pytest.approx(2 / 3)


def translate(engine: FakeEngine, text: str, src: str, tgt: str, **kw: object) -> Translation:
    translator = LlmTranslator(engine)
    return translator.translate(text, src, tgt, previous=None, deadline=time.monotonic() + 5, **kw)  # type: ignore[arg-type]


def test_the_example_prompt_is_fixed_and_the_previous_turn_comes_last() -> None:
    engine = Replies(("早上好。", -0.5))
    result = LlmTranslator(engine).translate(
        "Good morning.", "en", "zh", previous=("We met yesterday.", "我们昨天见过。"),
        deadline=time.monotonic() + 5,
    )  # fmt: skip
    assert result.text == "早上好。" and result.attempts == 1 and not result.low_confidence
    messages = engine.prompts[0]
    assert messages[0].role == "system" and "Simplified Chinese" in messages[0].content
    assert [m.content for m in messages[-3:]] == [
        "We met yesterday.",
        "我们昨天见过。",
        "Good morning.",
    ]
    again = Replies(("你好。", -0.5))
    LlmTranslator(again).translate("Hi.", "en", "zh", previous=None, deadline=time.monotonic() + 5)
    assert again.prompts[0][:-1] == messages[:-3]  # the cached prefix is the same each time


def test_english_output_bans_cjk_tokens_and_chinese_output_english_words() -> None:
    to_english, to_chinese = Replies(("Good morning.", -1.0)), Replies(("早上好。", -1.0))
    translate(to_english, "早上好。", "zh", "en")
    translate(to_chinese, "Good morning.", "en", "zh")
    assert to_english.samplings[0].bans() == ("cjk",)
    assert to_chinese.samplings[0].bans() == ("latin_words",)
    assert to_english.samplings[0].stop == ("\n",)


def test_a_bad_answer_is_asked_again_and_the_least_bad_one_is_kept() -> None:
    engine = Replies(("Here is the translation: hello", -1.0), ("Hello.", -2.0))
    result = translate(engine, "你好。", "zh", "en")
    assert (result.text, result.attempts, result.issues) == ("Hello.", 2, ())
    engine = Replies(("I have 2 apples.", -1.0), ("Here is the translation: 25 apples", -1.0))
    result = translate(engine, "我有25个苹果。", "zh", "en")
    assert result.text == "I have 2 apples."  # a wrong number weighs less than a comment
    assert result.issues == ("NUMBER_CHANGED",) and result.low_confidence
    assert result.quality < 0.5


def test_there_is_always_a_translation_unless_every_answer_is_empty() -> None:
    result = translate(
        Replies(("We meet 明天.", -1.0), ("We meet 明天 now.", -3.0)), "我们明天见。", "zh", "en"
    )
    assert result.text == "We meet 明天." and result.low_confidence  # not empty: kept
    with pytest.raises(TranslationRejectedError) as caught:
        translate(Replies(("", 0.0), ("", 0.0)), "你好。", "zh", "en")
    assert caught.value.status == 502


def test_the_quality_estimate_is_the_geometric_mean_token_probability_less_issues() -> None:
    assert estimate(-1.0, 10, []) == pytest.approx(0.905, abs=1e-3)
    assert estimate(-1.0, 10, ["NUMBER_CHANGED"]) == pytest.approx(0.452, abs=1e-3)
    assert estimate(None, 0, []) == 0.6
    assert estimate(-50.0, 5, []) < 0.01


@pytest.mark.parametrize("use_context", [False, True])
def test_the_previous_sentence_reaches_the_prompt_only_when_asked(use_context: bool) -> None:
    engine = Replies(("Good morning.", -0.5))
    worker = NmtWorker(NmtSettings(use_context=use_context, back_translate="off"), engine=engine)
    worker.load()
    request = TranslateRequest(
        text="早上好。", src_lang="zh", tgt_lang="en", context_text="我们昨天见过。",
        context_translation="We met yesterday.",
    )  # fmt: skip
    assert worker.translate(request, time.monotonic() + 5).text == "Good morning."
    contents = [m.content for m in engine.prompts[0]]
    assert ("We met yesterday." in contents) is use_context


def test_warming_up_reads_each_directions_prompt_once() -> None:
    engine = FakeEngine(reply="早上好。")
    worker = NmtWorker(NmtSettings(languages="en,zh", back_translate="off"), engine=engine)
    worker.load()
    worker.warm_up()
    asked = [prompt[-1].content for prompt in engine.prompts]
    systems = [prompt[0].content for prompt in engine.prompts]
    assert asked[0] == "Good morning." and "早上好。" in asked[1:]
    assert "into Simplified Chinese" in systems[0]
    assert any("into English" in system for system in systems[1:])


def test_back_translation_is_on_where_a_gpu_is_for_the_share_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    third = {"back_translate_share": 0.33}
    assert back_translated_share(NmtSettings(back_translate="on", **third)) == 0.33
    assert back_translated_share(NmtSettings(back_translate="off")) == 0.0
    monkeypatch.setattr(memory_probe, "free_vram_mb", lambda: None)
    assert back_translated_share(NmtSettings(back_translate="auto")) == 0.0
    monkeypatch.setattr(memory_probe, "free_vram_mb", lambda: 80_000)
    assert back_translated_share(NmtSettings(back_translate="auto")) == 1.0
