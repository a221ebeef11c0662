import pytest

from voxnode.services.normalize.number_rules import rewrite_numbers
from voxnode.services.normalize.spoken_numbers import parse_cardinal, parse_ordinal


def written(text: str) -> str:
    pieces, _ = rewrite_numbers(text.split())
    return " ".join(piece for piece, _ in pieces)


@pytest.mark.parametrize(
    ("spoken", "expected"),
    [
        ("two hundred and fifty four", "254"),
        ("twenty one hundred", "2100"),
        ("minus twenty five thousand thirty seven", "-25037"),
        ("one point seven two billion", "1.72 billion"),
        ("fifteen million", "15 million"),
        ("eighteen point five o", "18.50"),
        ("forty second", "42nd"),
        ("eleven hundred twenty first", "1121st"),
        ("ninety nine hundred and fifteen dollars and one cent", "$9915.01"),
        ("seventy five dollars sixty three", "$75.63"),
        ("one cent", "$0.01"),
        ("four million yuan", "4 million yuan"),
        ("eighteen point one four percent", "18.14 %"),
        ("sixty five thousand square kilometers", "65000 km²"),
        ("two hundred forty five miles per hour", "245 mph"),
        ("eleven o six p m", "11:06 p.m."),
        ("quarter past one", "01:15"),
        ("ten to eleven pm", "10:50 p.m."),
        ("june twentieth twenty fourteen", "june 20 2014"),
        ("the fifteenth of january", "15 january"),
        ("nineteen seventy three", "1973"),
        ("double oh three one two three five six seven eight", "003-123-5678"),
    ],
)
def test_spoken_numbers_are_written(spoken: str, expected: str) -> None:
    assert written(spoken) == expected


@pytest.mark.parametrize(
    "sentence",
    ["i want one of those", "give me a second", "the two of us went home"],
)
def test_small_numbers_in_running_speech_stay_words(sentence: str) -> None:
    assert written(sentence) == sentence


def test_cardinal_parser_stops_at_digits_read_one_by_one() -> None:
    found = parse_cardinal(["one", "two", "three"], 0)
    assert found is not None and found.value == 1 and found.end == 1


def test_ordinal_needs_a_consistent_head() -> None:
    assert parse_ordinal(["twenty", "first"], 0).value == 21  # type: ignore[union-attr]
    assert parse_ordinal(["twenty", "one", "first"], 0) is None
