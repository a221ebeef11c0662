"""The prompts the translator asks with, chosen by measurement (README, "Translation").

- `plain`: one user line naming the two languages, the yardstick's prompt.
- `examples`: a short fixed instruction and ten example pairs of our own writing (none from
  a public test set), as chat turns; the previous sentence and its translation, when known,
  come as one more pair. The fixed part is the same for every request of a direction, so
  the engine keeps it in its prompt cache.
"""

from __future__ import annotations

from collections.abc import Callable

from voxnode.contracts.languages import language_name
from voxnode.engines.llm_engine import ChatMessage

EXAMPLES = (
    ("我们下午两点在三号会议室见面。", "We'll meet in meeting room 3 at 2 p.m."),
    (
        "这个问题我不太清楚，我去问一下同事。",
        "I'm not sure about this; I'll go and ask a colleague.",
    ),
    ("公司今年不打算扩大生产规模。", "The company does not plan to expand production this year."),
    (
        "据报道，该市人口已超过八百万。",
        "According to reports, the city's population has passed eight million.",
    ),
    (
        "你能帮我看一下这个文件吗？我明天要交。",
        "Could you take a look at this file for me? I have to hand it in tomorrow.",
    ),
    (
        "他说这次会谈取得了积极成果，双方同意加强在能源领域的合作。",
        "He said the talks had produced positive results and both sides agreed to strengthen "
        "cooperation in energy.",
    ),
    (
        "受暴雨影响，当地约三千名居民被紧急转移。",
        "Because of the heavy rain, about 3,000 local residents were evacuated.",
    ),
    (
        "不好意思，我刚才没听懂，你能说慢一点吗？",
        "Sorry, I didn't understand that. Could you speak a little more slowly?",
    ),
    (
        "该公司第三季度净利润同比下降了百分之十二。",
        "The company's net profit for the third quarter fell 12 percent year on year.",
    ),
    ("我觉得这个方案还需要再讨论一下。", "I think this plan needs more discussion."),
)
"""(Chinese, English) pairs written for VoxNode (none from a public test set): a meeting, an
uncertainty, a negation, news, a request, diplomacy, a disaster, asking again, a result, an
opinion. Ten, not four: bench/translate_prompts.py (README, "Measuring translation")."""
Prompt = Callable[[str, str, str, tuple[str, str] | None], list[ChatMessage]]


def plain(text: str, src: str, tgt: str, previous: tuple[str, str] | None) -> list[ChatMessage]:
    line = f"Translate the following {language_name(src)} text into {language_name(tgt)}: {text}"
    return [ChatMessage("user", line)]


def examples(text: str, src: str, tgt: str, previous: tuple[str, str] | None) -> list[ChatMessage]:
    system = (
        f"Translate {language_name(src)} into {language_name(tgt)}. "
        "Reply with the translation only."
    )
    messages = [ChatMessage("system", system)]
    pairs = [pair_for(zh, en, src) for zh, en in EXAMPLES if src in ("zh", "en")]
    if previous is not None:
        pairs.append(previous)
    for source, target in pairs:
        messages += [ChatMessage("user", source), ChatMessage("assistant", target)]
    return [*messages, ChatMessage("user", text)]


def pair_for(zh: str, en: str, src: str) -> tuple[str, str]:
    return (zh, en) if src == "zh" else (en, zh)


PROMPTS: dict[str, Prompt] = {"plain": plain, "examples": examples}
