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


def test_numbers_only_when_on(normalizer: EnNormalizer) -> None:
    off = NormalizeOptions(normalize_numbers=False, sentence_case=False)
    assert normalizer.normalize("fifty dollars", options=off).text == "fifty dollars"
    assert normalizer.normalize("fifty dollars").text == "$50"


@pytest.mark.parametrize(
    "text",
    ["At NEC the GPU team paid $50 on june 20 2014.", "Mail ab@gmail.com today.", "Fine."],
)
def test_normalising_twice_changes_nothing(normalizer: EnNormalizer, text: str) -> None:
    once = normalizer.normalize(text).text
    assert normalizer.normalize(once).text == once
