"""A placing authority's copy, read back from a real .docx, never identifies another authority's child.

The spellings are generated here (Hypothesis), independently of ``visitor.matching``: case, dots,
spaces, hyphens, possessives and authority abbreviations, as visitors really write them. Each example
builds the report through the real builder and reads it back with python-docx and docx2python.
"""

from __future__ import annotations

import dataclasses
import re

import docx
import pytest
from docx2python import docx2python
from helpers import add_child, add_home, complete, monthly
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from visitor import matching, workflow
from visitor.report import export
from visitor.report.audience import Audience
from visitor.report.build import build
from visitor.store import Store

MARK = "[redacted]"
SETTINGS = settings(max_examples=15, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def read_back(tmp_path, data, audience) -> tuple[str, str]:
    """The copy's text as python-docx and as docx2python see it."""
    path = tmp_path / "copy.docx"
    path.write_bytes(build(data, audience))
    d = docx.Document(path)
    parts = [p.text for p in d.paragraphs]
    parts += [cell.text for t in d.tables for row in t.rows for cell in row.cells]
    parts += [p.text for s in d.sections for p in s.header.paragraphs]
    parts += [d.core_properties.title, d.core_properties.subject]
    with docx2python(path) as second:  # its text marks the chart as ----media/image1.png----
        return "\n".join(parts), re.sub(r"----media/[^-]*----", "", second.text)


@pytest.fixture(scope="module")
def two_children(tmp_path_factory):
    """A home with the reader's child and another authority's child, one finalised visit."""
    folder = tmp_path_factory.mktemp("redaction") / "data"
    store = Store(folder)
    add_home(store, la_area="Testshire")
    mine = add_child(store, "test-home", "MN", "Mine Council")
    other = add_child(store, "test-home", "QZ", "Other Council")
    visit = workflow.finalise(store, complete(store, store.start_visit("test-home", monthly(1)[0])))
    data = export.report_data(store, visit)
    store.close()
    return data, mine, other


def with_text(data, mine, other, *, views: str, reasons: str):
    """The same report with new codes/authorities and the visitor's free text replaced."""
    children = [mine if c.id == mine.id else other for c in data.children]
    visit = {**data.visit, "child_answers": {**data.visit["child_answers"],
                                             mine.id: {**data.visit["child_answers"][mine.id], "views": views}},
             "opinions": {**data.visit["opinions"], "safeguarded": {"answer": "yes", "reasons": reasons}}}
    return dataclasses.replace(data, children=children, visit=visit)


# --- spellings of a child's code -------------------------------------------------------------------------

# Codes of 2-3 consonants; those that spell a common abbreviation ("GP") are the documented exception
# (matched in capitals only, tested below), so they are left out here.
PLAIN_CODES = st.text("BCDFGHJKLMNPQRSTVWXZ", min_size=2, max_size=3).filter(
    lambda c: c.lower() not in matching.COMMON_WORDS)
GAPS = st.sampled_from(["", ".", ". ", " ", "-"])
POSSESSIVE = st.sampled_from(["", "'s", "’s"])


@st.composite
def code_spelling(draw, code: str) -> tuple[str, str]:
    """One way a visitor might write ``code``, and the possessive that should survive redaction."""
    letters = [draw(st.sampled_from([ch.upper(), ch.lower()])) for ch in code]
    gaps = [draw(GAPS) for _ in letters[1:]]
    text = letters[0] + "".join(g + ch for g, ch in zip(gaps, letters[1:]))
    if gaps and all(g.startswith(".") for g in gaps) and draw(st.booleans()):
        text += "."  # "A.B." as well as "A.B"
    possessive = draw(POSSESSIVE)
    return text + possessive, possessive


@st.composite
def code_case(draw):
    other = draw(PLAIN_CODES)
    mine = draw(PLAIN_CODES.filter(lambda c: c.upper() != other.upper()))
    spellings = [draw(code_spelling(other)) for _ in range(4)]
    return other, mine, spellings


@SETTINGS
@given(case=code_case())
def test_other_childs_code_is_redacted_however_spelled(two_children, tmp_path, case):
    data, mine, other = two_children
    other_code, mine_code, spellings = case
    sentences = [f"Met {text} about plan {n}." for n, (text, _) in enumerate(spellings)]
    expected = [f"Met {MARK}{poss} about plan {n}." for n, (_, poss) in enumerate(spellings)]
    own_note = f"{mine_code} and {mine_code.lower()} stay."
    report = with_text(data, dataclasses.replace(mine, code=mine_code), dataclasses.replace(other, code=other_code),
                       views=" ".join(sentences), reasons=" ".join(sentences) + " " + own_note)
    for text in read_back(tmp_path, report, Audience("placing-authority", "Mine Council", report.children)):
        for want in expected:
            assert want in text, (spellings, text[:2000])
        assert own_note in text, "the reader's own child is never redacted"
        assert not re.search(rf"(?<![A-Za-z]){re.escape(other_code)}(?![A-Za-z])", text, re.IGNORECASE)


# Codes that are also everyday words: only their capital forms name the child.
WORD_CODES = st.sampled_from(["A", "I", "IT", "AM", "ME", "IS", "TO", "AN", "US", "OK", "ON"])
ORDINARY = st.lists(st.sampled_from(["a", "i", "it", "it's", "am", "me", "is", "to", "an", "us", "ok", "on", "the",
                                     "staff", "said", "was", "calm", "with", "about", "at", "night", "and"]),
                    min_size=3, max_size=10)


@st.composite
def word_code_case(draw):
    code = draw(WORD_CODES)
    sentences = []
    for _ in range(3):
        words = draw(ORDINARY)
        sentences.append(words[0].capitalize() + " " + " ".join(words[1:]) + ".")
    if len(code) == 1:
        initial = draw(st.sampled_from([f"{code}.", f"{code}'s"]))
    else:
        initial = draw(st.sampled_from([code, ".".join(code) + ".", " ".join(code), code + "'s", ". ".join(code)]))
    return code, sentences, initial


@SETTINGS
@given(case=word_code_case())
def test_short_codes_do_not_redact_ordinary_words(two_children, tmp_path, case):
    """A child coded "A" or "IT": ordinary words survive; capital initials are still redacted."""
    data, mine, other = two_children
    code, sentences, initial = case
    prose = " ".join(sentences)
    report = with_text(data, mine, dataclasses.replace(other, code=code),
                       views=prose, reasons=f"Saw {initial} today.")
    possessive = "'s" if initial.endswith("'s") else ""
    for text in read_back(tmp_path, report, Audience("placing-authority", "Mine Council", report.children)):
        assert prose in text, "ordinary words are not over-redacted"
        assert f"Saw {MARK}{possessive} today." in text, initial


# --- spellings of an authority ---------------------------------------------------------------------------

PLACE = st.builds(lambda a, b: (a + b).capitalize(),
                  st.sampled_from(["zor", "quel", "vask", "brin", "tolm", "yarn", "kesh", "dun"]),
                  st.sampled_from(["borough", "ford", "vale", "shire", "mouth", "ham", "ton"]))
SUFFIX = st.sampled_from(["Council", "County Council", "City Council", "Borough Council"])


@st.composite
def authority_case(draw):
    place, suffix = draw(PLACE), draw(SUFFIX)
    reader = draw(PLACE.filter(lambda p: p != place)) + " " + draw(SUFFIX)
    name = f"{place} {suffix}"
    casing = st.sampled_from([str.lower, str.upper, str.title, str])
    # A lone word in lower case is the everyday word ("other", "reading"), so it is not a spelling here.
    alone = st.sampled_from([str.upper, str.title, str])
    forms = [draw(casing)(name), draw(alone)(place), draw(alone)(place) + draw(st.sampled_from(["'s", "’s"]))]
    if suffix == "County Council":
        forms.append(f"{draw(casing)(place)} CC")
    if suffix == "City Council":
        forms.append(f"City of {place}")
    return name, place, reader, forms


@SETTINGS
@given(case=authority_case())
def test_other_authority_is_redacted_however_spelled_and_the_readers_own_kept(two_children, tmp_path, case):
    data, mine, other = two_children
    name, place, reader, forms = case
    sentences = [f"Spoke to {form} about plan {n}." for n, form in enumerate(forms)]
    own = f"{reader} and {reader.upper()} attended."
    report = with_text(data, dataclasses.replace(mine, placing_authority=reader),
                       dataclasses.replace(other, placing_authority=name),
                       views=" ".join(sentences), reasons=own)
    for text in read_back(tmp_path, report, Audience("placing-authority", reader, report.children)):
        assert own in text, "the reader's own authority is never mangled"
        assert place.lower() not in text.lower(), (forms, text[:2000])
        for n, form in enumerate(forms):
            possessive = "'s" if form.endswith("'s") else "’s" if form.endswith("’s") else ""
            assert f"Spoke to {MARK}{possessive} about plan {n}." in text, form


def test_an_authority_named_after_an_everyday_word_leaves_the_word(two_children, tmp_path):
    data, mine, child = two_children
    prose = "reading a book; other children; a bath before bed."
    for name in ("Reading Borough Council", "Other Council", "Bath and North East Somerset Council"):
        report = with_text(data, mine, dataclasses.replace(child, placing_authority=name), views=prose,
                           reasons=f"{name.upper()} and {name.split()[0]}'s team.")
        for text in read_back(tmp_path, report, Audience("placing-authority", "Mine Council", report.children)):
            assert prose in text
            assert f"{MARK} and {MARK}'s team." in text


@pytest.mark.parametrize("reader, other", [("Kent County Council", "Kent County"), ("Kent County", "Kent County Council")])
def test_an_authority_sharing_the_readers_words_does_not_mangle_the_reader(two_children, tmp_path, reader, other):
    data, mine, child = two_children
    report = with_text(data, dataclasses.replace(mine, placing_authority=reader),
                       dataclasses.replace(child, placing_authority=other),
                       views=f"{reader} agreed the plan.", reasons=f"KENT COUNTY COUNCIL and {reader} said so.")
    for text in read_back(tmp_path, report, Audience("placing-authority", reader, report.children)):
        assert f"{reader} agreed the plan." in text
        assert f"{reader} said so." in text


def test_the_readers_own_spellings_are_not_taken_for_another_childs_code(two_children, tmp_path):
    data, mine, child = two_children
    report = with_text(data, dataclasses.replace(mine, placing_authority="Northshire County Council"),
                       dataclasses.replace(child, code="CC"), views="Northshire CC agreed; cc was calm.",
                       reasons="NORTHSHIRE CC said so.")
    for text in read_back(tmp_path, report, Audience("placing-authority", "Northshire County Council",
                                                     report.children)):
        assert f"Northshire CC agreed; {MARK} was calm." in text and "NORTHSHIRE CC said so." in text


# --- structure: other children only as counts ------------------------------------------------------------

def test_other_authoritys_children_are_absent_and_counted(store, tmp_path):
    add_home(store)
    mine = add_child(store, "test-home", "MN", "Mine Council")
    others = [add_child(store, "test-home", code, "Other Council", communication="non-verbal", advocate="none")
              for code in ("QZ", "XV", "RW")]
    visit = complete(store, store.start_visit("test-home", monthly(1)[0]))
    visit["child_answers"][mine.id]["views"] = "Mine likes painting."
    for n, child in enumerate(others):
        visit["child_answers"][child.id] = {"seen": "yes", "seen_alone": "yes", "consent": "yes",
                                            "communication": "observation of care",
                                            "views": f"Quote number {n}: “I miss my dog”."}
    visit["child_answers"][others[0].id]["seen_alone"] = "no"
    visit["notes"][f"seen_alone:{others[0].id}"] = "Staff stayed in the room throughout."
    visit = workflow.finalise(store, complete(store, visit))
    [path] = export.export_visit(store, visit["id"], "placing-authority", authority="Mine Council", out_dir=tmp_path)
    d = docx.Document(path)
    table = next(t for t in d.tables if t.rows[0].cells[0].text == "Child")
    assert [r.cells[0].text for r in table.rows[1:]] == ["MN"], "only the reader's own children have rows"
    with docx2python(path) as second:
        text = second.text
    assert "Mine likes painting." in text
    assert "3 other children lived at the home on the day" in text
    assert "I miss my dog" not in text and "Quote number" not in text, "other children's views are left out"
    assert "Staff stayed in the room" not in text, "per-child notes about other children are left out"
    assert "1 concern about other children at the home is not set out in this copy." in text
    assert re.search(r"\d+ patterns? about other children at the home (is|are) not set out", text)
    assert "Non-verbal child with no advocate" not in text
    for code in ("QZ", "XV", "RW", "Other Council"):
        assert code not in text
    [ofsted] = export.export_visit(store, visit["id"], "ofsted", out_dir=tmp_path)
    with docx2python(ofsted) as full:
        assert "I miss my dog" in full.text and "Staff stayed in the room" in full.text, "Ofsted sees everyone"
