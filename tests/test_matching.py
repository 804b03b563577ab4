"""Examples of the matchers' contract that the generated spellings in test_redaction.py do not pin down."""

import pytest

from visitor.matching import authority_pattern, code_key, code_pattern, redact


def scrub(text: str, *patterns, keep=()) -> str:
    return redact(text, patterns, keep=keep)


def test_code_key_makes_spellings_of_one_code_equal():
    assert code_key("J.B.") == code_key("jb") == code_key("J B") == "JB"
    assert code_key("C-12") == "C12"


@pytest.mark.parametrize("bad", ["[erased]", "", "  ", "A/B", 12])
def test_code_pattern_refuses_what_is_not_a_code(bad):
    with pytest.raises(ValueError):
        code_pattern(bad)


def test_codes_never_match_inside_words_or_other_initials():
    ab = code_pattern("AB")
    assert scrub("about a lab; abc; A.B.C. and C.A.B. are others", ab) == "about a lab; abc; A.B.C. and C.A.B. are others"
    assert scrub("ab. Then A.B. left", ab) == "[redacted]. Then [redacted] left"


def test_codes_that_are_report_words_leave_the_report_alone():
    text = "Reg 44 visit of 12 Oct 2026; MAR charts seen; it is calm; 12 restraints"
    assert scrub(text, code_pattern("REG"), code_pattern("OCT"), code_pattern("12")) == text
    assert scrub("REG and #12 said", code_pattern("REG"), code_pattern("12")) == "[redacted] and [redacted] said"


def test_authority_generic_words_alone_never_match():
    westford = authority_pattern("Westford City Council")
    text = "The city council and the county borough agreed; westfordshire is elsewhere"
    assert scrub(text, westford) == text


def test_reader_names_are_kept_when_another_authority_shares_their_words():
    kent = authority_pattern("Kent County", protect=["Kent County Council"])
    assert scrub("Kent County Council; Kent; Kent County said", kent) == "Kent County Council; Kent; [redacted] said"
    north = authority_pattern("Eastborough Council", protect=["North Eastborough Council"])
    assert scrub("North Eastborough Council and Eastborough Council", north) == \
        "North Eastborough Council and [redacted]"


def test_keep_spans_are_never_touched():
    other = code_pattern("A")
    own = code_pattern("ABC")
    assert scrub("A.B.C. met A. today", other, keep=[own]) == "A.B.C. met [redacted] today"
