"""Read every generated report back (python-docx and docx2python) and check structure, content, privacy."""

import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from docx2python import docx2python

from conftest import run_cli
from helpers import add_child, add_home, complete, has_word, monthly
from visitor import trends, workflow
from visitor.report import export
from visitor.report.audience import Audience
from visitor.report.build import build

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def latest(store, home="oak-house"):
    return store.visits(home)[-1]


def all_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith((".xml", ".rels")))


def test_export_all_writes_each_audience(demo_store, tmp_path):
    visit = latest(demo_store)
    paths = export.export_visit(demo_store, visit["id"], "all", out_dir=tmp_path / "out")
    names = [p.name for p in paths]
    assert f"{visit['date']} Oak House Reg44 Provider.docx" in names
    assert f"{visit['date']} Oak House Reg44 Ofsted.docx" in names
    authorities = workflow.placing_authorities(demo_store.children("oak-house"), visit["date"])
    for a in authorities:
        assert f"{visit['date']} Oak House Reg44 {a}.docx" in names
    assert len(paths) == 2 + len(authorities)
    for p in paths:
        assert p.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o700


def test_structure_and_content_read_back(demo_store, tmp_path):
    visit = latest(demo_store)
    [path] = export.export_visit(demo_store, visit["id"], "ofsted", out_dir=tmp_path)
    d = docx.Document(path)
    styles = [p.style.name for p in d.paragraphs]
    headings = [p.text for p in d.paragraphs if p.style.name.startswith("Heading 1")]
    assert styles[0] == "Title" and "List Bullet" in styles and "Heading 2" in styles
    assert headings[0] == "Opinion under regulation 44(4)", "opinions come first"
    for needed in ("Concerns at this visit", "Patterns of concern across visits", "Children's experiences",
                   "Staffing and leadership on the ground", "Restraint and other control measures", "Medication",
                   "Complaints and whistleblowing", "Notifications, LADO, missing, hospital",
                   "People spoken to and records examined", "Progress on earlier recommendations",
                   "Recommendations", "Independence and conflicts of interest", "Distribution",
                   "Appendix: key measures over recent visits"):
        assert needed in headings, needed
    text = "\n".join(p.text for p in d.paragraphs)
    assert "Rising restraint with injuries not notified" in text
    assert "Whistleblowing concern" in text and "Restraints above the reference rate" in text
    themes = [p.text for p in d.paragraphs if p.text.startswith(("Restraint and restrictive practice (high)",
                                                                 "Children's voice and being seen (high)"))]
    assert len(themes) == 2, "the patterns section is grouped into themes"
    cover = {r.cells[0].text: r.cells[1].text for r in d.tables[0].rows}
    assert cover["Ofsted URN"] == "SC900001" and "unannounced" in cover["Date of visit"] or "announced" in cover["Date of visit"]
    assert d.tables[0].rows[0].cells[0].text == "Home", "the cover has no empty 'Detail |' header row"
    for table in d.tables:
        assert table.style.name == "Light Grid Accent 1"
        first = table.rows[0]._tr
        key_value = table.rows[0].cells[0].text in ("Home", "Name")
        assert (first.find(f"{W}trPr/{W}tblHeader") is not None) != key_value, "header rows repeat across pages"
    trend = next(t for t in d.tables if t.rows[0].cells[0].text == "Measure")
    assert [r.cells[0].text for r in trend.rows][1] == "Restraints"
    assert len(trend.columns) == 12 + 3
    header_text = d.sections[0].header.paragraphs[0].text
    assert "OFFICIAL-SENSITIVE" in header_text
    footer_xml = d.sections[0].footer._element.xml
    assert "PAGE" in footer_xml and "NUMPAGES" in footer_xml and "Page" in d.sections[0].footer.paragraphs[0].text
    props = d.core_properties
    assert props.author == "Sam Example" and "python-docx" not in (props.author + props.last_modified_by)
    assert props.title.startswith("Reg 44 report: Oak House") and "Ofsted" in props.subject
    assert props.created.year >= 2026
    assert len(d.inline_shapes) == 1
    pr = d.inline_shapes[0]._inline.docPr
    assert pr.get("descr").startswith("Bar charts of Restraints:")
    assert d.sections[-1].orientation == 1, "appendix is landscape"
    with docx2python(path) as second:
        assert "Opinion under regulation 44(4)" in second.text


def test_every_copy_has_manager_response_column(demo_store, tmp_path):
    """The registered person's response is part of the report every recipient reads (reg 44(5): Ofsted and
    the placing authorities need to see whether each recommendation was considered)."""
    visit = next(v for v in demo_store.visits("willow-lodge") if v["recommendations"])
    for path in export.export_visit(demo_store, visit["id"], "all", out_dir=tmp_path):
        table = [t for t in docx.Document(path).tables if t.rows[0].cells[0].text == "#"][0]
        assert table.rows[0].cells[-1].text == "Manager's response", path.name
        assert table.rows[1].cells[-1].text.startswith("Accepted."), path.name


def test_placing_authority_copy_redacts_other_children_across_whole_demo_set(demo_store, tmp_path):
    """No other authority's child (code or authority name) appears anywhere in the package."""
    checked = 0
    for home in demo_store.homes():
        children = demo_store.children(home.id)
        for visit in demo_store.visits(home.id):
            data = export.report_data(demo_store, visit)
            for authority in workflow.placing_authorities(children, visit["date"]):
                audience = Audience("placing-authority", authority, children)
                path = tmp_path / "pa.docx"
                path.write_bytes(build(data, audience))
                xml = all_xml(path)
                own = {c.code for c in children if c.placing_authority == authority}
                for child in children:
                    if child.placing_authority != authority and child.code not in own:
                        assert not has_word(xml, child.code), (visit["id"], authority, child.code)
                        assert child.placing_authority not in xml, (visit["id"], authority)
                checked += 1
    assert checked >= 39


def test_own_children_stay_identifiable(demo_store, tmp_path):
    visit = latest(demo_store)
    children = demo_store.children("oak-house")
    target = children[0]
    [path] = export.export_visit(demo_store, visit["id"], "placing-authority", authority=target.placing_authority,
                                 out_dir=tmp_path)
    table = next(t for t in docx.Document(path).tables if t.rows[0].cells[0].text == "Child")
    labels = [r.cells[0].text for r in table.rows[1:]]
    own = [c.code for c in data_children_resident(children, visit) if c.placing_authority == target.placing_authority]
    assert target.code in labels and labels == own, "own children keep their rows; others are only counted"


def data_children_resident(children, visit):
    return [c for c in children if c.resident_on(visit["date"])]


def test_free_text_mentioning_another_child_is_redacted(store, tmp_path):
    add_home(store)
    mine = add_child(store, "test-home", "MN", "Mine Council")
    add_child(store, "test-home", "QZ", "Other Council")
    visit = complete(store, store.start_visit("test-home", monthly(1)[0]))
    visit["child_answers"][mine.id]["views"] = "MN said QZ shouts at night."
    visit["notes"]["outside_scrutiny"] = "Other Council social worker visited QZ."
    workflow.finalise(store, visit)
    [path] = export.export_visit(store, visit["id"], "placing-authority", authority="Mine Council", out_dir=tmp_path)
    xml = all_xml(path)
    assert "MN said [redacted] shouts" in xml and "QZ" not in xml and "Other Council" not in xml


BAD_TEXT = ["bell\x07 vt\x0b ff\x0c esc\x1b nul\x00 end", "lone \ud800 surrogate \uffff", "line one\r\nline two\rthree",
            "emoji 🧒🏽👩‍👩‍👧 ok", "עברית ومرحبا right-to-left", "zero\u200bwidth\u200djoiner", "x" * 100_000,
            "<w:t>not xml</w:t> & ampersand \"quotes\""]


def test_bad_text_corpus_exports_cleanly(store, tmp_path):
    add_home(store, name="Test <House> & Co")
    child = add_child(store, "test-home", "AB")
    visit = complete(store, store.start_visit("test-home", monthly(1)[0]))
    for n, text in enumerate(BAD_TEXT):
        visit["notes"]["outside_scrutiny"] = "\n".join(BAD_TEXT)
    visit["child_answers"][child.id]["views"] = BAD_TEXT[3] + BAD_TEXT[4]
    visit["opinions"]["safeguarded"]["reasons"] = BAD_TEXT[0] + BAD_TEXT[1]
    visit["recommendations"] = [{"text": BAD_TEXT[2] + BAD_TEXT[7], "reference": "Reg 12", "timescale": BAD_TEXT[5]}]
    workflow.finalise(store, visit)
    [path] = export.export_visit(store, visit["id"], "provider", out_dir=tmp_path)
    d = docx.Document(path)
    text = "\n".join(p.text for p in d.paragraphs) + "".join(c.text for t in d.tables for r in t.rows for c in r.cells)
    assert "🧒🏽" in text and "עברית" in text and "x" * 100_000 in text
    assert "bell vt ff esc nul end" in text
    assert "<w:t>not xml</w:t>" in text
    with docx2python(path) as second:
        assert "ampersand" in second.text


def test_draft_cannot_be_exported(demo_store, tmp_path):
    draft = demo_store.draft("willow-lodge")
    with pytest.raises(Exception, match="Only a finalised visit"):
        export.export_visit(demo_store, draft["id"], "ofsted", out_dir=tmp_path)


def test_cli_export_prints_paths_and_checks_authority(demo_store, tmp_path):
    visit = latest(demo_store)
    demo_store.close()
    r = run_cli("export", visit["id"], "--audience", "ofsted", "--out", str(tmp_path / "o"), data=demo_store.root)
    assert r.returncode == 0, r.stderr
    assert Path(r.stdout.strip()).exists()
    r = run_cli("export", visit["id"], "--audience", "placing-authority", "--authority", "Nowhere Council",
                data=demo_store.root)
    assert r.returncode == 2 and "Nowhere Council" in r.stderr


def test_distribution_log_and_deadline(store):
    add_home(store)
    add_child(store, "test-home", "AA", "North Council")
    add_child(store, "test-home", "BB", "South Council")
    visit = workflow.finalise(store, complete(store, store.start_visit("test-home", monthly(1)[0])))
    rule = store.settings()["report_deadline"]
    assert workflow.report_state(visit, rule).startswith(("due", "OVERDUE"))
    workflow.record_distribution(store, visit["id"], "Ofsted (HMCI)", "ofsted")
    visit = store.visit(visit["id"])
    status = workflow.distribution_status(store, visit)
    assert workflow.report_state(visit, rule, status=status).startswith(f"1/{len(status.required)} sent, ")
    workflow.record_sent(store, visit["id"], [r["key"] for r in status.missing])
    visit = store.visit(visit["id"])
    assert workflow.report_state(visit, rule, status=workflow.distribution_status(store, visit)) == "sent"


def test_demo_leaves_one_copy_unsent_and_every_single_event_asked_about(demo_store):
    """The demo shows a late copy at Beech View, and no healthy home carries stale single-event flags."""
    visit = latest(demo_store, "beech-view")
    status = workflow.distribution_status(demo_store, visit)
    assert len(status.missing) == 1 and status.sent
    for home in ("beech-view", "willow-lodge"):
        assert not trends.open_flags(demo_store.flags(home)), home
    resolved = [f for f in demo_store.flags("oak-house") if f.get("resolved")]
    assert resolved and all(trends.is_enquiry_only(f) for f in resolved)
    assert any(f["key"] == "safeguarding_events" for f in trends.open_flags(demo_store.flags("oak-house")))
    assert workflow.report_due("2026-02-10").isoformat() == "2026-02-28"
    assert workflow.report_due("2026-02-10", "days:7").isoformat() == "2026-02-17"


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not installed")
def test_converts_to_pdf_with_libreoffice(demo_store, tmp_path):
    [path] = export.export_visit(demo_store, latest(demo_store)["id"], "provider", out_dir=tmp_path)
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(path)], check=True, capture_output=True, timeout=180)
    pdf = path.with_suffix(".pdf")
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
