"""The six-monthly summary, exported for every demo home and audience and read back."""

from __future__ import annotations

import zipfile
from datetime import date, timedelta

import docx
import pytest
from docx2python import docx2python

from conftest import run_cli
from helpers import add_child, add_home, complete, has_word
from visitor import workflow
from visitor.model import ValidationError
from visitor.report import summary

HEADINGS = ["Opinions month by month", "Themes of concern", "Recommendations by quality standard",
            "Children's voice", "Measures over the period", "What changed since the previous summary"]


def table_starting(d, first: str):
    return next(t for t in d.tables if t.rows[0].cells[0].text == first)


def test_summary_for_every_demo_home_and_audience(demo_store, tmp_path):
    for home in demo_store.homes():
        paths = summary.export_summary(demo_store, home.id, 6, kind="all", out_dir=tmp_path / home.id)
        data = summary.summary_data(demo_store, home.id, 6)
        authorities = summary.authorities_in(data)
        assert len(paths) == 2 + len(authorities)
        for path in paths:
            d = docx.Document(path)
            assert [p.text for p in d.paragraphs if p.style.name == "Heading 1"] == HEADINGS
            opinions = table_starting(d, "Month")
            assert len(opinions.rows) - 1 == len(data.visits) >= 5
            assert [c.text for c in opinions.rows[0].cells] == ["Month", "Safeguarded", "Reasons", "Well-being",
                                                                "Reasons"]
            last = data.visits[-1]["opinions"]
            assert opinions.rows[-1].cells[4].text == last["wellbeing"]["reasons"], "the well-being opinion's reasons"
            tally = table_starting(d, "Quality standard")
            made = sum(len(v["recommendations"]) for v in data.visits)
            assert tally.rows[-1].cells[0].text == "All recommendations" and tally.rows[-1].cells[1].text == str(made)
            voice = next(t for t in d.tables if t.rows[0].cells[-1].text == "Non-instructed advocacy")
            assert len(voice.rows) - 1 == len(data.visits)
            assert len(d.inline_shapes) == 1 and d.inline_shapes[0]._inline.docPr.get("descr").startswith("Bar charts")
            captions = [p.text for p in d.paragraphs if p.style.name == "Caption"]
            caption = f"Figure 1. Measures at the {len(data.visits)} visits in the period; the latest visit is in red."
            assert captions == [caption], "the chart has a caption"
            with docx2python(path) as second:
                assert "What changed since the previous summary" in second.text
        for authority, path in zip(authorities, paths[2:]):
            xml = "".join(zipfile.ZipFile(path).read(n).decode("utf-8", "replace")
                          for n in zipfile.ZipFile(path).namelist() if n.endswith(".xml"))
            own = {c.code for c in data.children if c.placing_authority == authority}
            for child in data.children:
                if child.placing_authority != authority and child.code not in own:
                    assert child.placing_authority not in xml, (home.id, authority)
                    assert not has_word(xml, child.code), (home.id, child.code)


def test_tally_by_quality_standard_and_voice_counts(store, tmp_path):
    add_home(store)
    add_child(store, "test-home", "AB", communication="non-verbal", advocate="non-instructed")
    add_child(store, "test-home", "CD")
    today = date.today()
    first = complete(store, store.start_visit("test-home", (today - timedelta(days=70)).isoformat()))
    first["recommendations"] = [{"text": "Safer recruitment checks.", "reference": "Reg 12", "timescale": "1 week"},
                                {"text": "Supervision every month.", "reference": "Reg 13", "timescale": "1 month"},
                                {"text": "Plan outings.", "reference": "", "timescale": "1 month"}]
    first = workflow.finalise(store, first)
    workflow.record_response(store, first["id"], 2, "accepted", "Monthly sessions", today.isoformat())
    second = complete(store, store.start_visit("test-home", (today - timedelta(days=10)).isoformat()))
    ids = [r["id"] for r in first["recommendations"]]
    second["earlier"] = {ids[0]: {"rating": "met", "evidence": "Seen."}, ids[1]: {"rating": "not met", "evidence": "-"},
                         ids[2]: {"rating": "partly met", "evidence": "-"}}
    child_ab = store.children("test-home")[0]
    second["child_answers"][child_ab.id]["seen_alone"] = "no"
    second["notes"][f"seen_alone:{child_ab.id}"] = "Asleep when I arrived; seen with staff."
    workflow.finalise(store, second)
    data = summary.summary_data(store, "test-home", 6)
    rows = {r[0]: r[1:] for r in summary.recommendation_tally(data)}
    assert rows["Protection of children (reg 12)"] == ["1", "1", "1", "0"]
    assert rows["Leadership and management (reg 13)"] == ["1", "1", "0", "1"]
    assert rows["No quality standard given"] == ["1", "0", "0", "1"]
    assert rows["All recommendations"] == ["3", "2", "1", "2"]
    voice = summary.voice_rows(data)
    assert voice[0][1:4] == ["2", "2", "2"] and voice[1][1:4] == ["2", "2", "1"]
    assert voice[1][4] == "1 (0 seen alone)" and voice[1][6] == "1 of 1"


def test_summary_refuses_bad_periods_and_unknown_authorities(demo_store):
    with pytest.raises(ValidationError, match="1 to 24 months"):
        summary.summary_data(demo_store, "oak-house", 0)
    data = summary.summary_data(demo_store, "oak-house", 6)
    with pytest.raises(ValidationError, match="Nowhere Council"):
        summary.audiences(data, "placing-authority", "Nowhere Council")
    with pytest.raises(ValidationError, match="no final visit"):
        summary.summary_data(demo_store, "oak-house", 1, end=date(2020, 1, 1))


def test_cli_summary(demo_store, tmp_path):
    demo_store.close()
    authority = demo_store.children("oak-house")[0].placing_authority
    r = run_cli("summary", "oak-house", "--months", "3", "--audience", "placing-authority", "--authority", authority,
                "--out", str(tmp_path), data=demo_store.root)
    assert r.returncode == 0, r.stderr
    [line] = r.stdout.strip().splitlines()
    assert line.endswith(f"{authority}.docx")
    d = docx.Document(line)
    assert f"{authority} copy" in d.sections[0].header.paragraphs[0].text
    r = run_cli("summary", "oak-house", "--months", "abc", data=demo_store.root)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_a_recommendation_still_not_considered_is_counted_late_to_the_end_of_the_period(store):
    """The stored flag counts the days to its last refresh (today); a summary of an earlier period must
    say how late it was at that period's end."""
    add_home(store)
    add_child(store, "test-home", "AB")
    made = date.today() - timedelta(days=100)
    visit = complete(store, store.start_visit("test-home", made.isoformat()))
    visit["recommendations"] = [{"text": "Safer recruitment checks.", "reference": "Reg 12", "timescale": "1 week"}]
    workflow.finalise(store, visit)
    stored = next(f for f in store.flags("test-home") if f["key"].startswith("rec_not_considered"))
    assert "93 days later" in stored["evidence"]
    end = made + timedelta(days=30)
    flag = next(f for f in summary.summary_data(store, "test-home", 1, end=end).flags
                if f["key"] == stored["key"])
    assert "23 days later" in flag["evidence"] and "93 days" not in flag["evidence"]


def section_paragraphs(d, heading: str) -> list:
    """The paragraphs under a Heading 1, up to the next one (tables are not paragraphs)."""
    found, inside = [], False
    for p in d.paragraphs:
        if p.style.name == "Heading 1":
            inside = p.text == heading
        elif inside:
            found.append(p)
    return found


def test_summary_themes_are_grouped_most_severe_first_with_their_evidence(demo_store, tmp_path):
    [path] = summary.export_summary(demo_store, "oak-house", 6, kind="provider", out_dir=tmp_path)
    lines = section_paragraphs(docx.Document(path), "Themes of concern")
    lead = "Concerns raised at the visits in the period, by kind:"
    heads = [p.text for p in lines if p.style.name != "List Bullet" and p.text.strip() and p.text != lead]
    assert heads and all(" (high): " in h or " (medium): " in h for h in heads), heads
    severities = [h.split(" (")[1].split(")")[0] for h in heads]
    assert severities == sorted(severities, key=lambda s: s != "high"), "high themes come before medium ones"
    restraint = next(n for n, p in enumerate(lines) if p.text.startswith("Restraint and restrictive practice (high)"))
    evidence = []
    for p in lines[restraint + 1:]:
        if p.style.name != "List Bullet":
            break
        evidence.append(p.text)
    assert any(e.startswith("Restraints above the reference rate") and "expected" in e for e in evidence)
    assert sum(e.startswith("Whistleblowing concern (raised") for p in lines for e in [p.text]) == 2, \
        "the same flag resolved at two visits is told twice, once for each"
    assert lines[-2].text == lead, "the table of concerns is introduced"


def test_summary_for_a_placing_authority_leaves_out_patterns_about_other_children_only(demo_store, tmp_path):
    """At Oak House the "no advocate" pattern names two children (AB, JK), neither placed by Westford: its
    copy must not tell Westford about them, even as "another child" — only that such a pattern exists."""
    [path] = summary.export_summary(demo_store, "oak-house", 6, kind="placing-authority",
                                    authority="Westford City Council", out_dir=tmp_path)
    text = "\n".join(p.text for p in section_paragraphs(docx.Document(path), "Themes of concern"))
    assert "no independent advocate" not in text and "non-verbal children with no advocate" not in text
    assert "1 pattern about other children at the home is not set out in this copy." in text
    assert "EF was not seen alone" in text, "a pattern that names Westford's own child stays"


def test_recommendations_from_before_the_period_still_outstanding_are_listed(demo_store, tmp_path):
    """Oak House's April recommendation on restraint records was rated not met at every later visit and never
    answered; a summary of the last three months must not leave the reader with "Outstanding 0"."""
    [path] = summary.export_summary(demo_store, "oak-house", 3, kind="ofsted", out_dir=tmp_path)
    d = docx.Document(path)
    assert "Made before the period and still outstanding at its end: 1." in [p.text for p in d.paragraphs]
    table = table_starting(d, "Made")
    assert len(table.rows) == 2
    _, text, standard, rating, response = (c.text for c in table.rows[1].cells)
    assert text.startswith("Review every restraint record") and rating == "not met"
    assert response == "No response recorded yet."
    assert standard == "Reg 35"


def test_a_theme_line_and_a_tables_lead_in_keep_with_what_follows(demo_store, tmp_path):
    """Oak House's summary ended a page on "Recommendations (medium): …" with its evidence on the next."""
    from docx.oxml.ns import qn

    [path] = summary.export_summary(demo_store, "oak-house", 6, kind="provider", out_dir=tmp_path)
    d = docx.Document(path)
    leads = [p for p in section_paragraphs(d, "Themes of concern") if p.style.name != "List Bullet" and p.text]
    leads += [p for p in d.paragraphs if p.text.startswith("Made before the period")]
    assert len(leads) > 3
    for p in leads:
        assert p._p.pPr is not None and p._p.pPr.find(qn("w:keepNext")) is not None, p.text
