"""The prompts the translator asks with, chosen by measurement (README, "Translation").

- `plain`: one user line naming the two languages, the yardstick's prompt.
- `examples`: a short fixed instruction and four example pairs of our own writing (none from
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
)
"""(Chinese, English) pairs written for VoxNode: a meeting, an uncertainty, a negation, news."""
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
