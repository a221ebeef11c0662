"""REJECT rules (off unless `reject_enabled`): only text that is clearly not speech.

1. NOISE: no letter or Han character at all ("...", "♪♪", "[音乐]" style tags only).
2. REPETITION_LOOP: one word or phrase repeated 4+ times in a row and covering at least
   60% of the text ("谢谢谢谢谢谢谢谢", "the the the the the").
3. HALLUCINATED_BOILERPLATE: the whole text is one of the phrases Whisper is known to
   hallucinate on silence (subtitle credits, "thanks for watching", "请不吝点赞 订阅").
Anything else passes: a REJECT drops the job's translation, so doubt means PASS.
"""

from __future__ import annotations

import re

from voxnode.contracts.repair import ReasonCode

BOILERPLATE = (
    "thanks for watching", "thank you for watching", "please subscribe",
    "subtitles by the amara.org community", "字幕由amara.org社区提供", "字幕由amara.org社群提供",
    "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目", "谢谢观看", "感谢观看", "明镜与点点栏目",
    "字幕by索兰娅", "優優獨播劇場——youku", "中文字幕——yo", "amara.org",
)  # fmt: skip
_TAG = re.compile(r"[\[\(（【][^\]\)）】]*[\]\)）】]")
_WORDY = re.compile(r"[A-Za-z\u4e00-\u9fff]")


def _squash(text: str) -> str:
    return re.sub(r"[\s,.!?;:，。！？；：、\"'“”‘’-]+", " ", text.lower()).strip()


def reject_reason(text: str) -> str | None:
    stripped = _TAG.sub("", text)
    if not _WORDY.search(stripped):
        return ReasonCode.NOISE
    squashed = _squash(text)
    if any(squashed == _squash(phrase) for phrase in BOILERPLATE):
        return ReasonCode.HALLUCINATED_BOILERPLATE
    if _repetition_loop(squashed):
        return ReasonCode.REPETITION_LOOP
    return None


def _repetition_loop(text: str) -> bool:
    units = text.split() if " " in text else list(text.replace(" ", ""))
    for size in range(1, 6):
        for start in range(0, max(len(units) - size * 4 + 1, 0)):
            phrase = units[start : start + size]
            repeats = 1
            k = start + size
            while units[k : k + size] == phrase:
                repeats += 1
                k += size
            if repeats >= 4 and repeats * size >= 0.6 * len(units):
                return True
    return False
