"""The report's life after the visit: draft for factual accuracy, corrections, the provider's response,
distribution to every required recipient, addenda, the signed block, templates and file names.
Every report is read back from the real .docx (python-docx and docx2python)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from datetime import date, timedelta
from pathlib import Path

import docx
import pytest
from docx2python import docx2python

from conftest import run_cli
from helpers import add_child, add_home, complete, monthly
from visitor import consideration, distribution, workflow
from visitor.model import ValidationError, standard_of
from visitor.report import export
from visitor.report.build import DRAFT_MARK

TODAY = date.today()


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def text_of(path: Path) -> str:
    d = docx.Document(path)
    return "\n".join([p.text for p in d.paragraphs] + [c.text for t in d.tables for r in t.rows for c in r.cells])


def table_starting(path: Path, first: str):
    return next(t for t in docx.Document(path).tables if t.rows[0].cells[0].text == first)


@pytest.fixture
def home(store):
    """A home with three placing authorities (two at the visit) and a local authority that asked for copies."""
    store.set_profile(name="Pat Visitor", organisation="Independent Visits Ltd", independence="No connection.")
    add_home(store, local_authority_wants_copy=True)
    add_child(store, "test-home", "AB", "Northshire Council")
    add_child(store, "test-home", "CD", "Southvale Council")
    return store


def draft_with_recs(store, day: str, recs=None) -> dict:
    visit = complete(store, store.start_visit("test-home", day))
    visit["opinions"]["safeguarded"]["reasons"] = "Staff know the children well; the visitor's own view."
    visit["recommendations"] = recs if recs is not None else [
        {"text": "Review the night-time staffing.", "reference": "Reg 13", "timescale": "within 28 days"},
        {"text": "Record every restraint within 24 hours.", "reference": "", "timescale": "2 weeks",
         "standard": "protection"}]
    for rec in visit["recommendations"]:
        rec.setdefault("id", f"r{abs(hash(rec['text'])) % 10**8:08d}")
    store.save_draft(visit)
    return visit


# -- the draft for factual accuracy ------------------------------------------------------------------
def test_draft_for_factual_accuracy_is_marked_named_and_dated(home, tmp_path):
    visit = draft_with_recs(home, ago(3))
    assert workflow.cycle_state(home.draft("test-home")) == "draft"
    [path] = workflow.share_for_accuracy(home, visit["id"], tmp_path)
    assert "DRAFT for factual accuracy" in path.name and path.name.endswith("Provider DRAFT for factual accuracy.docx")
    d = docx.Document(path)
    assert DRAFT_MARK.upper() in d.sections[0].header.paragraphs[0].text
    assert d.paragraphs[0].text == DRAFT_MARK.upper(), "the banner leads page 1"
    assert d.paragraphs[0]._p.pPr.find(docx.oxml.ns.qn("w:shd")) is not None
    assert "not open to correction" in d.paragraphs[1].text
    assert d.core_properties.content_status == "Draft for factual accuracy"
    assert "Not yet signed" in text_of(path)
    with docx2python(path) as second:
        assert DRAFT_MARK.upper() in second.text
    draft = home.draft("test-home")
    assert draft["shared"]["on"] == TODAY.isoformat() and workflow.cycle_state(draft) == "shared"
    assert workflow.summarise(home, "test-home")["state"] == "shared"


def test_incomplete_or_final_visits_cannot_be_shared(home, tmp_path):
    visit = home.start_visit("test-home", ago(2))
    with pytest.raises(ValidationError, match="not complete yet"):
        workflow.share_for_accuracy(home, visit["id"], tmp_path)
    home.discard_draft("test-home")
    final = workflow.finalise(home, draft_with_recs(home, ago(2)))
    with pytest.raises(ValidationError, match="already final"):
        workflow.share_for_accuracy(home, final["id"], tmp_path)


def test_corrections_and_responses_appear_in_the_final_copies(home, tmp_path):
    visit = draft_with_recs(home, ago(5))
    with pytest.raises(ValidationError, match="Share the draft"):
        workflow.record_correction(home, visit["id"], "The date is wrong", "accepted", "It was", "Fixed")
    workflow.share_for_accuracy(home, visit["id"], tmp_path / "draft")
    workflow.record_correction(home, visit["id"], "Two staff were on shift, not one.", "accepted",
                               "The rota confirms it.", "Staffing paragraph now says two.")
    workflow.record_correction(home, visit["id"], "The safeguarding opinion is unfair.", "not accepted",
                               "An opinion, not a matter of fact.")
    with pytest.raises(ValidationError, match="change made is required"):
        workflow.record_correction(home, visit["id"], "x", "accepted", "y")
    draft = home.draft("test-home")
    assert draft["opinions"]["safeguarded"]["reasons"].endswith("the visitor's own view."), "opinions untouched"
    final = workflow.finalise(home, draft)
    assert final["finalised_by"] == {"name": "Pat Visitor", "role": "Independent person (regulation 44)",
                                     "organisation": "Independent Visits Ltd", "on": TODAY.isoformat()}
    workflow.record_response(home, final["id"], 1, "accepted in part", "Add a waking night post", ago(-20),
                             "The RI agrees and will fund it.", ago(1))
    with pytest.raises(ValidationError, match="by when"):
        workflow.record_response(home, final["id"], 2, "accepted", "Do it")
    with pytest.raises(ValidationError, match="no number 3"):
        workflow.record_response(home, final["id"], 3, "not accepted", "No")
    provider, ofsted = (export.export_visit(home, final["id"], a, out_dir=tmp_path)[0] for a in ("provider", "ofsted"))
    [southvale] = export.export_visit(home, final["id"], "placing-authority", authority="Southvale Council",
                                      out_dir=tmp_path)
    # The response goes to every recipient: Ofsted and each placing authority see whether the registered
    # person considered each recommendation (reg 44(5)), not only the provider who wrote it.
    for path in (provider, ofsted, southvale):
        recs = table_starting(path, "#")
        assert recs.rows[0].cells[-1].text == "Manager's response"
        first = recs.rows[1].cells[-1].text
        assert first.startswith("Accepted in part.") and "Action: Add a waking night post" in first
        assert "Responsible individual: The RI agrees" in first
        assert recs.rows[2].cells[-1].text == "No response recorded yet."
        assert "Leadership and management (reg 13)" in recs.rows[1].cells[2].text
        assert "Protection of children (reg 12)" in recs.rows[2].cells[2].text
    for path in (provider, ofsted):
        body = text_of(path)
        assert "shared with the provider for factual accuracy on" in body and "disputed 2 points" in body
        fa = table_starting(path, "Point disputed")
        assert [r.cells[1].text for r in fa.rows[1:]] == ["accepted", "not accepted"]
        assert fa.rows[2].cells[3].text == "Nothing changed."
        assert "the visitor's own view." in body
        signed = table_starting(path, "Name")
        assert [r.cells[1].text for r in signed.rows] == [
            "Pat Visitor", "Independent person (regulation 44)", "Independent Visits Ltd",
            f"{TODAY.day} {TODAY:%b %Y}"]
    assert "DRAFT" not in docx.Document(provider).sections[0].header.paragraphs[0].text
    with docx2python(provider) as second:
        assert "Add a waking night post" in second.text


def test_next_visits_earlier_recommendations_show_the_response(home, tmp_path):
    final = workflow.finalise(home, draft_with_recs(home, ago(40)))
    workflow.record_response(home, final["id"], 2, "not accepted", "Restraint is already logged the same day.")
    later = workflow.finalise(home, complete(home, home.start_visit("test-home", ago(5))))
    [path] = export.export_visit(home, later["id"], "ofsted", out_dir=tmp_path)
    table = table_starting(path, "Made")
    assert [c.text for c in table.rows[0].cells][2] == "Provider's response"
    cells = {r.cells[1].text: r.cells[2].text for r in table.rows[1:]}
    assert cells["Record every restraint within 24 hours."].startswith("Not accepted.\nReason: Restraint is already")
    assert cells["Review the night-time staffing."] == "No response recorded yet."


def test_cli_draft_correct_respond(home, tmp_path):
    visit = draft_with_recs(home, ago(4))
    home.close()
    r = run_cli("export", visit["id"], "--draft", "--out", str(tmp_path), data=home.root)
    assert r.returncode == 0, r.stderr
    assert Path(r.stdout.strip()).name.endswith("DRAFT for factual accuracy.docx")
    r = run_cli("correct", visit["id"], "--disputed", "Wrong date", "--outcome", "not accepted", "--reason", "It is right",
                data=home.root)
    assert r.returncode == 0, r.stderr
    r = run_cli("respond", visit["id"], "--rec", "1", "--response", "accepted", "--action", "Roster", "--by", "soon",
                data=home.root)
    assert r.returncode == 2 and "YYYY-MM-DD" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("visits", "test-home", "--json", data=home.root)
    assert json.loads(r.stdout)[-1]["state"] == "shared"


# -- distribution ----------------------------------------------------------------------------------
def test_three_of_seven_sent_until_every_required_copy_is_recorded(home):
    add_child(home, "test-home", "EF", "Westvale Council", left=ago(400), admitted="2016-01-01")
    final = workflow.finalise(home, complete(home, home.start_visit("test-home", ago(3))))
    needed = workflow.required_recipients(home, final)
    assert [r["key"] for r in needed] == ["ofsted", "provider", "registered-manager", "responsible-individual",
                                          "placing-authority:Northshire Council", "placing-authority:Southvale Council",
                                          "local-authority"], "a child who left before the visit is not a recipient"
    workflow.record_sent(home, final["id"], ["ofsted", "Southvale Council", "registered-manager"])
    summary = workflow.summaries(home)["test-home"]
    assert summary["sent"] == "3/7" and not summary["report_sent"] and summary["state"] == "final"
    assert "Northshire Council" in summary["missing"] and "Ofsted (HMCI)" not in summary["missing"]
    label = workflow.report_label(final["date"], "end-of-month", TODAY, summary["sent"])
    assert label in ("3/7 sent", "3/7 LATE")
    with pytest.raises(ValidationError, match="not one of this report's recipients"):
        workflow.record_sent(home, final["id"], ["Westvale Council"])
    workflow.record_sent(home, final["id"], ["provider", "responsible-individual", "placing-authority:Northshire Council"])
    assert workflow.summaries(home)["test-home"]["sent"] == "6/7"
    workflow.record_sent(home, final["id"], ["local-authority"])
    summary = workflow.summaries(home)["test-home"]
    assert summary["report_sent"] and summary["state"] == "distributed" and summary["missing"] == []


def test_addendum_reopens_the_copies_it_affects(home):
    final = workflow.finalise(home, complete(home, home.start_visit("test-home", ago(3))))
    everyone = [r["key"] for r in workflow.required_recipients(home, final)]
    workflow.record_sent(home, final["id"], everyone)
    assert workflow.distribution_status(home, home.visit(final["id"])).complete
    workflow.add_addendum(home, final["id"], "A date was wrong", "The visit began at 7pm.", ["Ofsted"])
    status = workflow.distribution_status(home, home.visit(final["id"]))
    assert status.fraction == "6/7" and [r["key"] for r in status.missing] == ["ofsted"]
    assert workflow.summaries(home)["test-home"]["state"] == "final"
    workflow.record_sent(home, final["id"], ["ofsted"])
    assert workflow.distribution_status(home, home.visit(final["id"])).complete
    workflow.add_addendum(home, final["id"], "Conflict found later", "The visitor once worked with the RI.")
    status = workflow.distribution_status(home, home.visit(final["id"]))
    assert status.fraction == "0/7", "an addendum for every copy makes every copy due again"


def test_cli_sent_many_and_visits_json_distribution(home):
    final = workflow.finalise(home, complete(home, home.start_visit("test-home", ago(3))))
    home.close()
    r = run_cli("sent", final["id"], "--to", "ofsted", "--to", "provider", "--to", "Northshire Council",
                data=home.root)
    assert r.returncode == 0, r.stderr
    assert "3/7 sent; still to send to" in r.stdout
    [row] = json.loads(run_cli("visits", "test-home", "--json", data=home.root).stdout)
    assert row["state"] == "final" and row["report"].startswith("3/7 sent, ")
    assert len(row["distribution"]["required"]) == 7
    assert row["distribution"]["sent"] == ["Ofsted (HMCI)", "Registered provider: Fictional Care Ltd",
                                           "Northshire Council"]
    r = run_cli("sent", final["id"], "--to", "Nobody Council", data=home.root)
    assert r.returncode == 2 and "not one of this report's recipients" in r.stderr
    assert run_cli("sent", final["id"], "--all", data=home.root).returncode == 0
    [row] = json.loads(run_cli("visits", "test-home", "--json", data=home.root).stdout)
    assert row["state"] == "distributed" and row["report"] == "sent" and row["distribution"]["missing"] == []
    assert row["finalised_by"]["name"] == "Pat Visitor"


def test_legacy_entries_without_keys_still_count(home):
    """Copies logged before recipients had keys are matched by audience or authority name."""
    needed = distribution.required(home.home("test-home"), home.children("test-home"), ago(1))
    visit = {"addenda": [], "distribution": [
        {"recipient": "Ofsted (HMCI)", "audience": "ofsted", "sent_on": ago(1)},
        {"recipient": "Southvale Council", "audience": "placing-authority", "sent_on": ago(1)}]}
    status = distribution.status(visit, needed)
    assert status.fraction == "2/7"
    assert {r["key"] for r in status.sent} == {"ofsted", "placing-authority:Southvale Council"}


# -- the provider considering recommendations in time ----------------------------------------------
def test_timescales_read_in_their_common_forms():
    made = "2026-01-10"
    assert consideration.due_by("2026-02-01", made) == date(2026, 2, 1)
    assert consideration.due_by("within 28 days", made) == date(2026, 2, 7)
    assert consideration.due_by("Two weeks", made) == date(2026, 1, 24)
    assert consideration.due_by("one month", made) == date(2026, 2, 10)
    assert consideration.due_by("Immediately", made) == date(2026, 1, 17)
    assert consideration.due_by("by the next visit", made) == date(2026, 2, 10)
    assert consideration.due_by("end of the month", made) == date(2026, 1, 31)
    assert consideration.due_by("as soon as you can", made, default_days=10) == date(2026, 1, 20)


def test_a_timescale_with_an_impossible_or_earlier_date_is_refused_when_typed(home):
    from visitor import editing

    draft = home.start_visit("test-home", ago(2))
    checklist = home.checklist_for(draft)
    editing.add_recommendation(draft)
    assert "does not exist" in editing.apply(draft, checklist, "r:0:timescale", "by 2026-02-30")
    assert draft["invalid"]["r:0:timescale"] == "by 2026-02-30" and draft["recommendations"][0]["timescale"] == ""
    assert "before the visit" in editing.apply(draft, checklist, "r:0:timescale", ago(9))
    assert editing.apply(draft, checklist, "r:0:timescale", f"by {ago(-20)}") is None
    assert "r:0:timescale" not in draft["invalid"] and draft["recommendations"][0]["timescale"] == f"by {ago(-20)}"
    assert editing.apply(draft, checklist, "r:0:timescale", "within 28 days") is None


def test_recommendation_not_considered_in_time_raises_a_flag_until_answered(home):
    final = workflow.finalise(home, draft_with_recs(home, ago(40), [
        {"id": "rlate", "text": "Fix the fire door.", "reference": "Reg 12", "timescale": "7 days"},
        {"id": "rlater", "text": "Plan outings.", "reference": "", "timescale": str(TODAY + timedelta(days=30))}]))
    flags = {f["key"]: f for f in home.flags("test-home")}
    late = flags["rec_not_considered:rlate"]
    assert late["raised_on"] == ago(32) and not late["resolved"]
    assert "Fix the fire door." in late["evidence"] and "no response from the registered person" in late["evidence"]
    assert "rec_not_considered:rlater" not in flags
    assert workflow.summarise(home, "test-home")["recheck_on"] == (TODAY + timedelta(days=31)).isoformat()
    workflow.record_response(home, final["id"], 1, "accepted", "New closer fitted", ago(1))
    late = {f["key"]: f for f in home.flags("test-home")}["rec_not_considered:rlate"]
    assert late["resolved"] and "condition has ended" in late["resolved"]["reason"]


def test_flag_is_raised_when_a_timescale_passes_without_a_new_visit(home):
    """The dashboard's summaries re-check once a timescale has run out, with no other change."""
    workflow.finalise(home, draft_with_recs(home, ago(10), [
        {"id": "rsoon", "text": "Update the risk plan.", "reference": "", "timescale": ago(1)}]))
    summary = home.summaries()["test-home"]
    summary["recheck_on"] = ago(0)
    home.save_summary("test-home", {**summary, "open_flags": 0})
    assert workflow.summaries(home)["test-home"]["open_flags"] >= 1
    assert any(f["key"] == "rec_not_considered:rsoon" for f in home.flags("test-home"))


def test_quality_standard_chosen_or_read_from_the_reference():
    assert standard_of({"standard": "education", "reference": "Reg 12"}) == "education"
    assert standard_of({"reference": "Regulation 12(2)(a)"}) == "protection"
    assert standard_of({"reference": "reg. 7"}) == "views-wishes"
    assert standard_of({"reference": "Leadership and management standard"}) == "leadership"
    assert standard_of({"reference": "Reg 25; QS 1"}) == "quality-purpose"
    assert standard_of({"reference": "Quality standard 7"}) == "protection"
    assert standard_of({"reference": "Reg 40"}) == ""
    from visitor.model import validate_recommendation

    with pytest.raises(ValidationError, match="quality standard"):
        validate_recommendation({"text": "x", "standard": "kindness"})


# -- templates, names, temp files, small fixes ------------------------------------------------------
def make_template(path: Path) -> Path:
    """A letterhead: US Letter, Georgia, a logo in the header, some body text that must not leak in."""
    from io import BytesIO

    from docx.shared import Inches, Pt
    from PIL import Image

    d = docx.Document()
    d.styles["Normal"].font.name = "Georgia"
    d.styles["Normal"].font.size = Pt(11)
    section = d.sections[0]
    section.page_width, section.page_height = Inches(8.5), Inches(11)
    logo = BytesIO()
    Image.new("RGB", (120, 40), (20, 90, 160)).save(logo, format="PNG")
    logo.seek(0)
    section.header.paragraphs[0].add_run().add_picture(logo, width=Inches(1.2))
    d.add_paragraph("Template body text that is not part of any report.")
    d.save(path)
    return path


def test_report_template_supplies_styles_page_and_logo(home, tmp_path):
    template = make_template(tmp_path / "letterhead.docx")
    home.save_settings({**home.settings(), "report_template": str(template)})
    final = workflow.finalise(home, draft_with_recs(home, ago(2)))
    problems: list[str] = []
    [path] = export.export_visit(home, final["id"], "provider", out_dir=tmp_path / "out", problems=problems)
    assert problems == []
    d = docx.Document(path)
    assert d.styles["Normal"].font.name == "Georgia"
    first = d.sections[0]
    assert (round(first.page_width.inches, 2), round(first.page_height.inches, 2)) == (8.5, 11.0)
    assert d.sections[-1].orientation == 1 and round(d.sections[-1].page_width.inches, 2) == 11.0
    header = first.header
    assert header._element.xpath(".//w:drawing"), "the template's logo stays in the header"
    assert any("OFFICIAL-SENSITIVE" in p.text for p in header.paragraphs)
    body = text_of(path)
    assert "Template body text" not in body and "Opinion under regulation 44(4)" in body
    assert d.tables[1].style.name == "Light Grid Accent 1"


@pytest.mark.parametrize("content, name", [(b"not a zip", "broken.docx"), (None, "missing.docx"),
                                           (b"{}", "settings.json")])
def test_unusable_template_falls_back_with_one_clear_message(home, tmp_path, content, name):
    bad = tmp_path / name
    if content is not None:
        bad.write_bytes(content)
    home.save_settings({**home.settings(), "report_template": str(bad)})
    final = workflow.finalise(home, draft_with_recs(home, ago(2)))
    problems: list[str] = []
    [path] = export.export_visit(home, final["id"], "ofsted", out_dir=tmp_path / "out", problems=problems)
    assert len(problems) == 1 and problems[0].startswith(f"The report template {bad} cannot be used (")
    assert problems[0].endswith("the standard layout was used instead.")
    assert docx.Document(path).styles["Normal"].font.name == "Calibri"


def test_cli_reports_an_unusable_template_and_still_exports(home, tmp_path):
    home.save_settings({**home.settings(), "report_template": str(tmp_path / "nope.docx")})
    final = workflow.finalise(home, draft_with_recs(home, ago(2)))
    home.close()
    r = run_cli("export", final["id"], "--audience", "ofsted", "--out", str(tmp_path / "o"), data=home.root)
    assert r.returncode == 0 and "cannot be used (there is no such file)" in r.stderr
    assert Path(r.stdout.strip()).exists()


def test_long_and_emoji_home_names_give_safe_short_file_names(store, tmp_path):
    for n, name in enumerate(("A" * 120 + " Ü " + "B" * 77, "🧒🏽" * 60, "👩‍👩‍👧" * 40)):
        home_id = f"home-{n}"
        add_home(store, home_id, name)
        add_child(store, home_id, "AB", "Ñorthshire 🏴 Council" + "x" * 100)
        final = workflow.finalise(store, complete(store, store.start_visit(home_id, monthly(1)[0])))
        paths = export.export_visit(store, final["id"], "all", out_dir=tmp_path)
        for path in paths:
            assert path.exists() and len(path.name.encode("utf-8")) <= 200
            kept = path.name[len(final["date"]) + 1:].split("~")[0]
            assert name.startswith(kept) and len(kept) < len(name), "cut, from the start of the name"
            assert not export._extends(name[len(kept)]) and not kept.endswith("\u200d"), "cut between graphemes"
        assert len({p.name for p in paths}) == len(paths)


def test_export_sweeps_temp_files_left_by_a_killed_export(home, tmp_path):
    final = workflow.finalise(home, draft_with_recs(home, ago(2)))
    out = tmp_path / "out"
    out.mkdir()
    dead = 2 ** 22 + 12345
    while True:
        try:
            os.kill(dead, 0)
            dead += 1
        except ProcessLookupError:
            break
    left = out / f".2026-01-01 Test House Reg44 Ofsted.docx.{dead}.a1b2c3.tmp"
    left.write_bytes(b"half a report")
    live = out / f".other.docx.{os.getpid()}.d4e5f6.tmp"
    live.write_bytes(b"being written")
    mine = out / ".notes.tmp"
    mine.write_bytes(b"not ours")
    export.export_visit(home, final["id"], "ofsted", out_dir=out)
    assert not left.exists() and live.exists() and mine.exists()


def test_small_fixes_in_the_copies(demo_store, tmp_path):
    visit = demo_store.visits("oak-house")[-1]
    [path] = export.export_visit(demo_store, visit["id"], "provider", out_dir=tmp_path)
    with zipfile.ZipFile(path) as z:
        assert not [n for n in z.namelist() if "thumbnail" in n], "no blank thumbnail"
    d = docx.Document(path)
    texts = [p.text for p in d.paragraphs]
    assert any(t.startswith("Trend: ↑ higher than at the previous visit, ↓ lower, → the same") for t in texts)
    body = d.element.body
    break_paragraph = body.xpath("./w:p[w:pPr/w:sectPr]")[0]
    previous = break_paragraph.getprevious()
    assert previous.tag.endswith("}tbl") or "".join(previous.itertext()).strip(), \
        "no empty paragraph of its own before the landscape appendix"
    from visitor.report.build import CELL_PAD_CM, CHAR_EM

    for table in d.tables[1:]:
        if table.rows[0].cells[0].text in ("Home", "Name"):
            continue
        size = table.rows[0]._tr.xpath(".//w:sz/@w:val")
        font = int(size[0]) / 2 if size else 10.5
        for cell in table.rows[0].cells:
            longest = max((len(w) for w in cell.text.split()), default=0)
            width_cm = int(cell._tc.tcPr.tcW.get(docx.oxml.ns.qn("w:w"))) / 567
            assert width_cm + 0.01 >= longest * CHAR_EM * font / 28.35 + CELL_PAD_CM, (cell.text, width_cm)


def test_one_concern_heard_reads_in_the_singular(home):
    workflow.finalise(home, complete(home, home.start_visit("test-home", ago(2)), parent_concerns_not_logged=1))
    evidence = [f["evidence"] for f in home.flags("test-home") if f["key"] == "concerns_not_logged"]
    assert evidence and "1 concern heard" in evidence[0] and "is absent from" in evidence[0]


@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext")), reason="LibreOffice or poppler absent")
def test_pdf_has_whole_header_words_and_no_nearly_blank_page(demo_store, tmp_path):
    [path] = export.export_visit(demo_store, demo_store.visits("oak-house")[-1]["id"], "provider", out_dir=tmp_path)
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(path)], check=True, capture_output=True, timeout=180)
    pdf = path.with_suffix(".pdf")
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    pages = [p for p in pages if p.strip()]
    header_lines = [line for page in pages for line in page.splitlines()
                    if line.split()[:1] in (["Child"], ["Person"], ["Measure"])]
    words = {w for line in header_lines for w in line.split()}
    assert {"Communicates", "Seen", "Alone", "Privately", "Trend"} <= words, header_lines
    portrait = pages[:-2]  # the appendix is the table page and the chart page
    counts = [len(p.split()) for p in pages]
    # every page before the last portrait one is well filled; the last may hold only the end of the report
    # (the signed block), but never nothing: a page of header and footer alone has about 20 words
    assert all(n > 80 for n in counts[:len(portrait) - 1]), counts
    assert "Signed" in portrait[-1] and len(portrait[-1].split()) > 25, counts


def test_pending_and_settled_equal_the_one_recommendation_at_a_time_definition():
    """Gathering closing ratings in one pass gives what ``considered_on`` gives for each recommendation."""
    import random

    from visitor import consideration

    rng = random.Random(11)
    ratings = ["met", "not met", "partly met", "no longer relevant", ""]
    for _ in range(200):
        visits = []
        for n in range(rng.randint(0, 8)):
            made = [f"r{rng.randint(0, 6)}" for _ in range(rng.randint(0, 2))]
            visits.append({"id": f"v{n}", "date": f"2025-{n + 1:02d}-10",
                           "recommendations": [{"id": r, "text": "t", "timescale": rng.choice(["", "1 month"])}
                                               for r in made],
                           "responses": {r: {"response": "accepted", "received_on": rng.choice(["", "2025-12-01"])}
                                         for r in made if rng.random() < 0.3},
                           "earlier": {f"r{rng.randint(0, 6)}": {"rating": rng.choice(ratings)}}})
        rng.shuffle(visits)
        ordered = sorted(visits, key=lambda v: v["date"])
        expected = [(v, rec) for i, v in enumerate(ordered) for rec in v["recommendations"]
                    if not consideration.considered(rec["id"], v, ordered[i + 1:])]
        assert [(v, rec) for v, rec, _ in consideration.pending(visits)] == expected
        settled = {}
        for i, v in enumerate(ordered):
            for rec in v["recommendations"]:
                if day := consideration.considered_on(rec["id"], v, ordered[i + 1:]):
                    settled[consideration.KEY_PREFIX + rec["id"]] = day
        assert consideration.settled(visits) == settled
