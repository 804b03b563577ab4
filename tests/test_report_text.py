"""What the Word report says, read back from the real .docx: the visitor's notes, numbers named for what
they are, whole headlines, dates counted to the visit, plain grammar, and no "not answered" for a
question the finalise check does not ask for."""

import re
from datetime import date, timedelta
from pathlib import Path

import docx

from helpers import add_child, add_home, complete
from visitor import completeness, trends, workflow
from visitor.analysis import stats
from visitor.report import export

TODAY = date.today()


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def paragraphs(path: Path) -> list[str]:
    return [p.text for p in docx.Document(path).paragraphs]


def everything(path: Path) -> str:
    d = docx.Document(path)
    return "\n".join([p.text for p in d.paragraphs] + [c.text for t in d.tables for r in t.rows for c in r.cells])


def rows_of(path: Path) -> dict[str, list[str]]:
    """Question → its row, from every Question / Finding / Notes table."""
    found = {}
    for table in docx.Document(path).tables:
        if table.rows[0].cells[0].text == "Question":
            for row in table.rows[1:]:
                found[row.cells[0].text] = [c.text for c in row.cells]
    return found


def two_authorities(store):
    add_home(store)
    mine = add_child(store, "test-home", "MN", "Mine Council")
    other = add_child(store, "test-home", "QZ", "Other Council")
    return mine, other


def test_notes_on_questions_that_are_not_concerns_appear_beside_them(store, tmp_path):
    mine, other = two_authorities(store)
    visit = complete(store, store.start_visit("test-home", ago(3)))
    visit["notes"][f"seen_alone:{mine.id}"] = "Met in the garden by choice."
    visit["notes"][f"seen_alone:{other.id}"] = "Talked about the dog Biscuit."
    del visit["answers"]["prone_holds"]
    visit["notes"]["prone_holds"] = "Policy forbids prone holds."  # a follow-up not asked: no restraints
    visit["notes"]["premises"] = "New kitchen fitted."
    final = workflow.finalise(store, visit)
    assert not completeness.concerns(final, store.checklist_for(final)), "none of these notes is on a concern"
    [provider] = export.export_visit(store, final["id"], "provider", out_dir=tmp_path / "p")
    lines = paragraphs(provider)
    assert any("MN" in p and "Seen alone, away from staff? (yes)" in p and "Met in the garden by choice." in p
               for p in lines), "a child's note sits beside the child and the question"
    assert any("QZ" in p and "Talked about the dog Biscuit." in p for p in lines)
    rows = rows_of(provider)
    assert rows["Were any prone (face-down) or floor holds used?"][1:] == ["— (not asked: did not apply)",
                                                                         "Policy forbids prone holds."]
    assert any(r[2] == "New kitchen fitted." for r in rows.values())
    [own] = export.export_visit(store, final["id"], "placing-authority", authority="Mine Council",
                                out_dir=tmp_path / "pa")
    text = everything(own)
    assert "Met in the garden by choice." in text and "Policy forbids prone holds." in text
    assert "Biscuit" not in text and "QZ" not in text, "another authority's child's note stays out of this copy"


def test_a_hidden_follow_ups_note_is_printed_with_its_question(store, tmp_path):
    two_authorities(store)
    visit = complete(store, store.start_visit("test-home", ago(3)))
    checklist = store.checklist_for(visit)
    hidden = next(i for i in checklist.items if i.when and not i.per_child and not checklist.applies(i, visit))
    visit["answers"].pop(hidden.id, None)
    visit["notes"][hidden.id] = "Asked anyway: the policy is clear."
    final = workflow.finalise(store, visit)
    [path] = export.export_visit(store, final["id"], "ofsted", out_dir=tmp_path)
    assert rows_of(path)[hidden.question][1:] == ["— (not asked: did not apply)", "Asked anyway: the policy is clear."]


def test_cusum_evidence_names_the_rate_and_the_score(demo_store, tmp_path):
    flags = [f for f in demo_store.flags("oak-house") if "cusum" in f.get("rules", [f["rule"]])]
    assert flags, "the demo's drifting home has a sustained rise"
    said = re.compile(r"against the rate expected from this home's earlier visits \(([\d.]+) per child per 30 days\); "
                      r"the evidence score for a sustained rise, ([\d.]+), passes its limit of ([\d.]+),")
    limit = stats.cusum_limit(0.003)
    for flag in flags:
        assert "earlier rate (" not in flag["evidence"], "a score must not read as a rate"
        found = said.search(flag["evidence"])
        assert found, flag["evidence"]
        rate, score, shown_limit = map(float, found.groups())
        assert shown_limit == round(limit, 1) and score >= limit
        assert 0 < rate < 10, "a rate per child per 30 days, not the statistic"
    injuries = next(f for f in flags if f["key"] == "restraint_injuries")
    latest = float(re.search(r"→ ([\d.]+), against", injuries["evidence"]).group(1))
    assert float(said.search(injuries["evidence"]).group(1)) < latest, "the rise is above the earlier rate"
    [path] = export.export_visit(demo_store, demo_store.visits("oak-house")[-1]["id"], "ofsted", out_dir=tmp_path)
    assert "the evidence score for a sustained rise" in everything(path)


def test_word_report_prints_whole_theme_headlines(demo_store, tmp_path):
    visit = demo_store.visits("oak-house")[-1]
    themes = trends.themes_of(export.report_data(demo_store, visit).patterns)
    cut = [t for t in themes if t["headline"].endswith("…")]
    assert cut, "the demo has a headline too long for a screen line"
    [path] = export.export_visit(demo_store, visit["id"], "ofsted", out_dir=tmp_path)
    lines = paragraphs(path)
    for theme in cut:
        line = next(p for p in lines if p.startswith(theme["label"] + " ("))
        assert not line.endswith("…") and line.endswith(theme["summary"]), line
        assert len(line) > len(theme["headline"])


def test_days_late_are_counted_to_the_visit_not_the_export_day(store, tmp_path):
    add_home(store)
    add_child(store, "test-home", "AB")
    first = complete(store, store.start_visit("test-home", ago(40)))
    first["recommendations"] = [{"id": "rfire", "text": "Fix the fire door.", "reference": "Reg 12",
                                 "timescale": "7 days"}]
    workflow.finalise(store, first)
    second = complete(store, store.start_visit("test-home", ago(10)))
    second["earlier"]["rfire"] = {"rating": "not met", "evidence": "Door still wedged open."}
    second = workflow.finalise(store, second)
    stored = next(f for f in store.flags("test-home") if f["key"] == "rec_not_considered:rfire")
    assert "recorded 33 days later" in stored["evidence"], "the live flag counts to today"
    [path] = export.export_visit(store, second["id"], "provider", out_dir=tmp_path / "a")
    text = everything(path)
    assert "recorded 23 days later" in text and "33 days later" not in text, "as at the visit of 10 days ago"
    workflow.record_response(store, first["id"], 1, "accepted", "Closer fitted", ago(1))
    [again] = export.export_visit(store, second["id"], "provider", out_dir=tmp_path / "b")
    assert "recorded 23 days later" in everything(again), "a response after the visit leaves its report as it was"


def test_children_sentence_reads_in_the_singular_and_names_non_verbal_only_when_there_are(store, tmp_path):
    add_home(store)
    add_child(store, "test-home", "AB")
    quiet = add_child(store, "test-home", "CD")
    visit = complete(store, store.start_visit("test-home", ago(3)))
    visit["child_answers"][quiet.id]["seen_alone"] = "no"
    visit["child_answers"][quiet.id]["not_alone_next_time"] = "Ask the manager to free the lounge."
    visit["notes"][f"seen_alone:{quiet.id}"] = "Staff stayed in the room."
    final = workflow.finalise(store, visit)
    [path] = export.export_visit(store, final["id"], "ofsted", out_dir=tmp_path / "a")
    lines = paragraphs(path)
    sentence = next(p for p in lines if "lived at the home on the day" in p)
    assert sentence == "2 children lived at the home on the day; 2 were seen and 1 was seen alone."
    assert any("CD" in p and "Ask the manager to free the lounge." in p for p in lines), \
        "a written per-child answer the table does not hold is printed"

    add_home(store, "second-home", "Second House")
    add_child(store, "second-home", "EF", communication="non-verbal")
    visit = complete(store, store.start_visit("second-home", ago(3)))
    final = workflow.finalise(store, visit)
    [path] = export.export_visit(store, final["id"], "ofsted", out_dir=tmp_path / "b")
    sentence = next(p for p in paragraphs(path) if "lived at the home on the day" in p)
    assert sentence.startswith("1 child lived at the home on the day; 1 was seen and 1 was seen alone. "
                               "1 child is non-verbal;"), sentence


def test_final_report_leaves_out_optional_questions_left_unanswered(store, tmp_path):
    add_home(store)
    add_child(store, "test-home", "AB")
    visit = complete(store, store.start_visit("test-home", ago(3)))
    checklist = store.checklist_for(visit)
    assert not completeness.gaps(visit, checklist, store.children("test-home"), []), "nothing is missing"
    final = workflow.finalise(store, visit)
    [path] = export.export_visit(store, final["id"], "ofsted", out_dir=tmp_path / "a")
    rows = rows_of(path)
    assert "not answered" not in everything(path)
    assert "Outside scrutiny and engagement with families since the last visit" not in rows
    assert rows["Are fire safety checks and drills recorded and up to date?"][1] == "yes", "answered questions are still there"

    draft = complete(store, store.start_visit("test-home", ago(1)))
    draft["answers"]["outside_scrutiny"] = "Social worker visited twice."
    del draft["answers"]["fire_records"]
    store.save_draft(draft)
    [path] = export.export_draft(store, store.draft("test-home"), tmp_path / "b")
    rows = rows_of(path)
    assert rows["Outside scrutiny and engagement with families since the last visit"][1] == "Social worker visited twice."
    assert rows["Are fire safety checks and drills recorded and up to date?"][1] == "not answered", "a required answer still missing is said"


def test_a_child_named_at_the_start_of_a_sentence_starts_with_a_capital():
    """Screens name an unknown child "a child" and a placing authority's copy "another child": a sentence
    that begins with one must not begin in lower case ("… 12 Oct 2026. another child is non-verbal …")."""
    text = "2 of 3 were not seen alone: {child:x}, {child:y}. {child:x} was not seen alone. {child:y} was not."
    told = trends.render(text, lambda c: "another child" if c == "x" else "EF")
    assert told == "2 of 3 were not seen alone: another child, EF. Another child was not seen alone. EF was not."
    assert trends.render("{child:x} is non-verbal.", lambda c: "a child") == "A child is non-verbal."


def test_a_placing_authority_is_told_of_other_childrens_findings_only_as_a_count(demo_store, tmp_path):
    """A flag joins findings about several children. Northshire's copy of Oak House keeps what it says about
    AB (its own) and about the home, and counts, without telling, what it says about JK and EF alone."""
    visit = demo_store.visits("oak-house")[-1]
    [path] = export.export_visit(demo_store, visit["id"], "placing-authority", authority="Northshire County Council",
                                 out_dir=tmp_path)
    text = "\n".join(paragraphs(path))
    advocacy = next(p for p in paragraphs(path) if p.startswith("2 non-verbal children with no advocate: "))
    assert "AB is non-verbal and has no independent advocate" in advocacy
    assert advocacy.endswith(". 1 finding about another child is not set out in this copy.")
    assert "AB was not seen alone at 6 successive visits" in text
    assert "2 findings about other children are not set out in this copy." in text
    assert not re.search(r"another child (is non-verbal|was not seen alone)", text, re.IGNORECASE)
    assert "were not seen alone at the visit of" in text and ": AB, another child, another child." in text
    [provider] = export.export_visit(demo_store, visit["id"], "provider", out_dir=tmp_path / "p")
    told = "\n".join(paragraphs(provider))
    assert "JK is non-verbal" in told and "EF was not seen alone at 6 successive visits" in told
    assert "not set out in this copy" not in told


def test_a_final_report_is_dated_the_day_it_was_signed_whenever_it_is_exported(store, tmp_path):
    """Re-exporting a final visit must not redate it: "Date of report" and the signature carry the day it
    was finalised, and the days beside the deadline count to that day, not to the day of the export."""
    add_home(store)
    add_child(store, "test-home", "AB")
    visit = complete(store, store.start_visit("test-home", ago(60)))
    final = workflow.finalise(store, visit, on=date.fromisoformat(ago(57)))
    [path] = export.export_visit(store, final["id"], "ofsted", out_dir=tmp_path)
    d = docx.Document(path)
    facts = {r.cells[0].text: r.cells[1].text for r in d.tables[0].rows}
    signed_on = date.fromisoformat(ago(57))
    assert facts["Date of report"] == f"{signed_on.day} {signed_on:%b %Y}"
    assert facts["Report due"].endswith("(this report is dated 3 days after the visit)")
    signature = next(t for t in d.tables if t.rows[0].cells[0].text == "Name")
    assert signature.rows[-1].cells[1].text == facts["Date of report"]
    same_day = workflow.finalise(store, complete(store, store.start_visit("test-home", ago(20))),
                                 on=date.fromisoformat(ago(20)))
    [path] = export.export_visit(store, same_day["id"], "ofsted", out_dir=tmp_path / "same")
    facts = {r.cells[0].text: r.cells[1].text for r in docx.Document(path).tables[0].rows}
    assert facts["Report due"].endswith("(this report is dated the day of the visit)")


def test_demo_reports_are_not_dated_after_they_were_sent(demo_store, tmp_path):
    visit = demo_store.visits("oak-house")[-1]
    [path] = export.export_visit(demo_store, visit["id"], "provider", out_dir=tmp_path)
    d = docx.Document(path)
    facts = {r.cells[0].text: r.cells[1].text for r in d.tables[0].rows}
    dated = date.fromisoformat(visit["finalised_by"]["on"])
    assert facts["Date of report"] == f"{dated.day} {dated:%b %Y}"
    sent = [date.fromisoformat(e["sent_on"]) for e in visit["distribution"]]
    assert sent and all(dated <= day for day in sent), (dated, sent)
    assert "after the deadline" not in facts["Report due"]


def test_an_answer_kept_by_a_follow_up_that_did_not_apply_is_not_reported_as_a_finding(store, tmp_path):
    """Answered "yes" while there were missing episodes, then the count set to 0: the return-home question
    was not asked, so the report must not print "yes (not asked: did not apply)" as if it were a finding."""
    two_authorities(store)
    visit = complete(store, store.start_visit("test-home", ago(3)))
    checklist = store.checklist_for(visit)
    follow_up = next(i for i in checklist.items if i.when and i.when["item"] == "missing_episodes")
    visit["answers"].update({"missing_episodes": 0, follow_up.id: "yes"})
    assert not checklist.applies(follow_up, visit)
    final = workflow.finalise(store, visit)
    [path] = export.export_visit(store, final["id"], "ofsted", out_dir=tmp_path)
    assert follow_up.question not in rows_of(path)
    assert "not asked: did not apply" not in everything(path)


def test_the_signature_is_kept_on_one_page_and_a_header_row_with_its_first_row(store, tmp_path):
    """Willow Lodge's Westford copy put "Name" at the foot of one page and the role, organisation and date
    on the next. Every row of the signature but the last keeps with the next (as Word and LibreOffice read
    ``w:keepNext`` in a table), and every table's header row keeps with its first row."""
    from docx.oxml.ns import qn

    add_home(store)
    add_child(store, "test-home", "AB")
    final = workflow.finalise(store, complete(store, store.start_visit("test-home", ago(3))))
    [path] = export.export_visit(store, final["id"], "provider", out_dir=tmp_path)
    d = docx.Document(path)

    def keeps(row) -> bool:
        return all(p._p.pPr is not None and p._p.pPr.find(qn("w:keepNext")) is not None
                   for c in row.cells for p in c.paragraphs)

    signature = next(t for t in d.tables if t.rows[0].cells[0].text == "Name")
    assert [keeps(r) for r in signature.rows] == [True, True, True, False]
    questions = next(t for t in d.tables if t.rows[0].cells[0].text == "Question")
    assert keeps(questions.rows[0]) and not any(keeps(r) for r in questions.rows[1:])


def test_a_copy_without_a_non_verbal_child_does_not_promise_their_experience_below(demo_store, tmp_path):
    """Eastborough's only child at Oak House (CD) speaks: its copy must not say how the three non-verbal
    children's experience was understood "is set out below" when the table below cannot show them."""
    visit = demo_store.visits("oak-house")[-1]
    east, north = (export.export_visit(demo_store, visit["id"], "placing-authority", authority=a,
                                       out_dir=tmp_path / a)[0]
                   for a in ("Eastborough Council", "Northshire County Council"))
    assert "5 children lived at the home on the day; 5 were seen and 2 were seen alone. 3 children are non-verbal." \
        in paragraphs(east)
    assert not any("set out below" in p for p in paragraphs(east))
    assert any(p.endswith("3 children are non-verbal; how their experience was understood (observation, "
                          "communication aids, an advocate) is set out below.") for p in paragraphs(north))


def test_an_addendum_is_dated_as_the_rest_of_the_report(store, tmp_path):
    add_home(store)
    add_child(store, "test-home", "AB")
    final = workflow.finalise(store, complete(store, store.start_visit("test-home", ago(3))))
    workflow.add_addendum(store, final["id"], "A time was wrong", "The visit began at 7pm.")
    [path] = export.export_visit(store, final["id"], "ofsted", out_dir=tmp_path)
    today = f"{TODAY.day} {TODAY:%b %Y}"
    assert f"{today} — A time was wrong: The visit began at 7pm." in paragraphs(path)


def test_the_homes_own_local_authority_is_not_redacted_from_the_distribution_list(store, tmp_path):
    """Northshire asked for copies and also places AB: Westford's copy may not name Northshire as a placing
    authority, but the home's local authority is a fact about the home (the front table names it)."""
    add_home(store, la_area="Northshire", local_authority_wants_copy=True)
    add_child(store, "test-home", "AB", "Northshire County Council")
    add_child(store, "test-home", "CD", "Westford City Council")
    final = workflow.finalise(store, complete(store, store.start_visit("test-home", ago(3))))
    workflow.record_sent(store, final["id"], [r["key"] for r in workflow.required_recipients(store, final)])
    [path] = export.export_visit(store, final["id"], "placing-authority", authority="Westford City Council",
                                 out_dir=tmp_path)
    bullets = [p.text for p in docx.Document(path).paragraphs if p.style.name == "List Bullet"]
    assert "Northshire (local authority, on request)" in bullets
    assert f"Northshire (local authority, on request) on {TODAY.day} {TODAY:%b %Y}" in bullets
    assert "Northshire County Council" not in everything(path) and "[redacted]" not in everything(path)


def test_a_person_spoken_to_is_private_only_when_the_visitor_says_so(store, tmp_path):
    """reg 44(2): people are interviewed in private only if they consent. A person added in the walkthrough
    started as 'Privately: yes', so a report said a conversation was private that the visitor never said was."""
    from visitor import editing

    add_home(store)
    add_child(store, "test-home", "AB")
    visit = complete(store, store.start_visit("test-home", ago(3)))
    checklist = store.checklist_for(visit)
    n = editing.add_person(visit, "registered manager")
    assert editing.current_value(visit, f"p:{n}:private") == ""
    m = editing.add_person(visit)
    assert editing.apply(visit, checklist, f"p:{m}:private", "no") is None
    assert editing.current_value(visit, f"p:{m}:private") == "no"
    store.save_draft(visit)
    final = workflow.finalise(store, store.draft("test-home"))
    [path] = export.export_visit(store, final["id"], "ofsted", out_dir=tmp_path)
    table = next(t for t in docx.Document(path).tables if t.rows[0].cells[0].text == "Person (by role)")
    privately = {r.cells[0].text: r.cells[1].text for r in table.rows[1:]}
    assert privately["registered manager"] == "not recorded" and privately["care staff"] == "no", privately
