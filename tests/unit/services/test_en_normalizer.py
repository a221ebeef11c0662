import pytest

from voxnode.services.normalize.engine import EnNormalizer, NormalizeOptions


@pytest.fixture
def normalizer() -> EnNormalizer:
    return EnNormalizer(glossary=["VoxNode", "llama.cpp"])


def test_acronyms_spelled_or_listed_are_restored(normalizer: EnNormalizer) -> None:
    result = normalizer.normalize("at n e c the gpu team said so")
    assert result.text == "At NEC the GPU team said so"
    assert "ACRONYM_RESTORED" in result.reason_codes


def test_spoken_email_and_url_are_written(normalizer: EnNormalizer) -> None:
    result = normalizer.normalize(
        "mail a dot b c at g mail dot com or see w w w dot example dot org"
    )
    assert "a.bc@gmail.com" in result.text
    assert "www.example.org" in result.text
    assert result.categories == ["email", "url"]


def test_written_addresses_and_glossary_terms_are_never_touched(normalizer: EnNormalizer) -> None:
    text = "see https://example.com/a?b=one two three and voxnode with LLAMA.CPP"
    result = normalizer.normalize(text)
    assert "https://example.com/a?b=one" in result.text
    assert "VoxNode" in result.text and "llama.cpp" in result.text
    assert {"URL_EMAIL_PROTECTED", "GLOSSARY_PROTECTED"} <= set(result.reason_codes)


def test_request_glossary_protects_a_number_word(normalizer: EnNormalizer) -> None:
    result = normalizer.normalize("we met at catch twenty two", glossary=["catch twenty two"])
    assert result.text == "We met at catch twenty two"


def test_spacing_case_and_pronoun(normalizer: EnNormalizer) -> None:
    result = normalizer.normalize("hello ,  i am here .i'm fine")
    assert result.text == "Hello, I am here. I'm fine"
    assert {"WHITESPACE_NORMALIZED", "PUNCTUATION_SPACING", "SENTENCE_CASED"} <= set(
        result.reason_codes
    )


def test_numbers_only_when_on_and_off_by_default(normalizer: EnNormalizer) -> None:
    """Seed 001 section 7: normalizeNumbers is off unless configured."""
    assert normalizer.normalize("fifty dollars").text == "Fifty dollars"
    on = NormalizeOptions(normalize_numbers=True, sentence_case=False)
    assert normalizer.normalize("fifty dollars", options=on).text == "$50"


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        ("born in one thousand, nine hundred and ninety-four", "born in 1994"),
        ("the ten thousand hour theory", "the 10000-hour theory"),
        ("a five kilometer run but five kilometers", "a 5-kilometer run but 5 km"),
        ("it costs $sixty thousand", "it costs $60000"),
        ("two hundred and thirty-one people", "231 people"),
        ("one, two and three", "one, two and three"),
    ],
)
def test_numbers_as_speech_recognition_writes_them(spoken: str, written: str) -> None:
    """Whisper's commas inside a number, hyphenated tens, a symbol before spoken words, and
    a unit used as a modifier (no abbreviation in running text)."""
    on = NormalizeOptions(normalize_numbers=True, sentence_case=False)
    assert EnNormalizer().normalize(spoken, options=on).text == written


@pytest.mark.parametrize(
    "text",
    ["At NEC the GPU team paid $50 on june 20 2014.", "Mail ab@gmail.com today.", "Fine."],
)
def test_normalising_twice_changes_nothing(normalizer: EnNormalizer, text: str) -> None:
    once = normalizer.normalize(text).text
    assert normalizer.normalize(once).text == once
