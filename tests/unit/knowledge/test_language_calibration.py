"""Per-language calibration of e5 cosines in a base that mixes languages."""

from __future__ import annotations

import pytest

from voxnode.knowledge.language_calibration import calibrated_ranking


def group(prefix: str, best: float, step: float = 0.001, n: int = 4) -> list[tuple[str, float]]:
    return [(f"{prefix}{i}", best - i * step) for i in range(n)]


@pytest.mark.parametrize(
    ("by_language", "first"),
    [
        # the question's language scores everything about 0.05 higher; the English chunk that
        # stands out from the English ones wins over the Chinese chunks that do not
        (
            {"zh": group("zh", 0.85), "en": [("en-answer", 0.83), *group("en", 0.79)[1:]]},
            "en-answer",
        ),
        # one language only: the plain cosine order
        ({"en": [("a", 0.9), ("b", 0.8)]}, "a"),
        # two chunks in another language have too few to set a baseline: no free lift
        ({"zh": group("zh", 0.86), "en": [("en0", 0.80), ("en1", 0.79)]}, "zh0"),
    ],
)
def test_the_chunk_that_stands_out_in_its_language_ranks_first(
    by_language: dict[str, list[tuple[str, float]]], first: str
) -> None:
    ranking = calibrated_ranking(by_language, depth=3)
    assert ranking[0][0] == first
    assert len(ranking) == sum(len(g) for g in by_language.values())


def test_nothing_in_nothing_out() -> None:
    assert calibrated_ranking({}) == []
    assert calibrated_ranking({"zh": []}) == []
