"""Lay out one Reg 44 report as a Word document, for one audience.

Opinions first, then concerns and the patterns across months with their numbers, then the evidence
area by area, recommendations, the trend table and chart, and the distribution list. Real Word styles
throughout; what python-docx has no API for (repeated header rows, page fields, alt text) is set in XML.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape
from dataclasses import dataclass
from datetime import date, datetime
from statistics import median

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from visitor import trends
from visitor.checklist import Checklist
from visitor.model import RECORD_TYPES, Child, Home
from visitor.report import chart
from visitor.report.audience import Audience

TABLE_STYLE = "Light Grid Accent 1"
KEY_MEASURES = ("restraints", "restraint_injuries", "prn_behaviour", "complaints_children", "complaints_parents",
                "whistleblowing", "reg40_notifications", "lado_referrals", "missing_episodes", "hospital_attendances",
                "agency_share", "shifts_below_planned", "children_not_seen_alone", "records_not_available")
CHART_MEASURES = ("restraints", "prn_behaviour", "agency_share", "children_not_seen_alone", "hospital_attendances",
                  "reg40_notifications")
OPINION_QUESTIONS = (("safeguarded", "Are children effectively safeguarded?"),
                     ("wellbeing", "Does the conduct of the home promote children's well-being?"))


@dataclass
class ReportData:
    home: Home
    visit: dict
    children: list[Child]
    checklist: Checklist
    analysis: trends.Analysis
    patterns: list[dict]
    earlier: list[dict]
    recipients: list[tuple[str, str]]
    marking: str
    deadline: date

    @property
    def resident(self) -> list[Child]:
        return [c for c in self.children if c.resident_on(self.visit["date"])]


class Writer:
    """A python-docx document whose every string passes through the audience filter."""

    def __init__(self, audience: Audience):
        self.doc = Document()
        self.t = audience.text
        styles = self.doc.styles
        styles["Normal"].font.name = "Calibri"
        styles["Normal"].font.size = Pt(10.5)
        self._ids: dict[str, str] = {}

    def style_id(self, name: str) -> str:
        """Style ids by name, looked up once: python-docx rescans every style on each lookup."""
        if name not in self._ids:
            self._ids[name] = self.doc.styles[name].style_id
        return self._ids[name]

    def paragraph(self, style: str | None = None):
        p = self.doc.add_paragraph()
        if style:
            p._p.style = self.style_id(style)
        return p

    def heading(self, text: str, level: int = 1) -> None:
        self.paragraph("Title" if level == 0 else f"Heading {level}").add_run(self.t(text))

    def para(self, text: str = "", style: str | None = None, bold_prefix: str = "") -> None:
        p = self.paragraph(style)
        if bold_prefix:
            p.add_run(self.t(bold_prefix)).bold = True
        p.add_run(self.t(text))

    def bullet(self, text: str, bold_prefix: str = "") -> None:
        self.para(text, "List Bullet", bold_prefix)

    def table(self, header: list[str], rows: list[list[str]], widths: list[float] | None = None,
              font: float | None = None) -> None:
        """A table built as one XML string and parsed once: python-docx's cell API is ~10x slower.

        The header row repeats on every page (``w:tblHeader``) and no row splits across pages.
        """
        widths = widths or [17 / len(header)] * len(header)
        twips = [int(w * 567) for w in widths]
        size = f'<w:rPr><w:sz w:val="{int(font * 2)}"/></w:rPr>' if font else ""

        def cell(text: str, width: int) -> str:
            lines = self.t(text).split("\n")
            runs = "<w:br/>".join(
                "<w:tab/>".join(f'<w:t xml:space="preserve">{escape(part)}</w:t>' for part in line.split("\t"))
                for line in lines)
            return (f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>'
                    f"<w:p><w:r>{size}{runs}</w:r></w:p></w:tc>")

        def row(values: list[str], head: bool) -> str:
            props = "<w:trPr><w:cantSplit/>" + ("<w:tblHeader/>" if head else "") + "</w:trPr>"
            return "<w:tr>" + props + "".join(cell(v, w) for v, w in zip(values, twips)) + "</w:tr>"

        xml = (f"<w:tbl {nsdecls('w')}><w:tblPr><w:tblStyle w:val=\"{self.style_id(TABLE_STYLE)}\"/>"
               '<w:tblW w:w="0" w:type="auto"/><w:jc w:val="center"/>'
               '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" w:lastColumn="0" '
               'w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>'
               + "".join(f'<w:gridCol w:w="{t}"/>' for t in twips) + "</w:tblGrid>"
               + row(header, True) + "".join(row(r, False) for r in rows) + "</w:tbl>")
        self.doc.element.body._insert_tbl(parse_xml(xml))
        self.paragraph()


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) as begin/instr/separate/result/end runs."""
    def run_with(child):
        run = paragraph.add_run()
        run._r.append(child)
        return run

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run_with(instr)
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run_with(separate)
    paragraph.add_run("1")
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


def _header_footer(section, w: Writer, data: ReportData, audience: Audience) -> None:
    section.different_first_page_header_footer = False
    header = section.header.paragraphs[0]
    header.text = ""
    marking = header.add_run(w.t(data.marking))
    marking.bold = True
    marking.font.color.rgb = RGBColor(0xA0, 0x10, 0x10)
    header.add_run(w.t(f"    {data.home.name} · Reg 44 visit {data.visit['date']} · {audience.label} copy"))
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer = section.footer.paragraphs[0]
    footer.text = ""
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(w.t(f"{data.marking} · Page "))
    _field(footer, "PAGE")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES")


def _fmt(value: object) -> str:
    if value is None or value == "":
        return "not answered"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _day(iso: str) -> str:
    return trends._day(iso)


def build(data: ReportData, audience: Audience) -> bytes:
    w = Writer(audience)
    doc = w.doc
    visit, home = data.visit, data.home
    visitor = visit.get("visitor") or {}
    section = doc.sections[0]
    section.left_margin = section.right_margin = Cm(2)
    _header_footer(section, w, data, audience)
    _properties(doc, w, data, audience)

    w.heading("Regulation 44 independent person's report", 0)
    w.para(f"{home.name} — visit of {_day(visit['date'])}", "Subtitle")
    w.table(["Detail", ""], [
        ["Home", home.name], ["Ofsted URN", home.urn or "not recorded"], ["Type of setting", home.setting_type],
        ["Registered provider", home.provider], ["Registered manager", home.registered_manager],
        ["Responsible individual", home.responsible_individual], ["Local authority area", home.la_area],
        ["Registered places", str(home.places)],
        ["Date of visit", f"{_day(visit['date'])} ({'announced' if visit.get('announced') else 'unannounced'})"],
        ["Independent person", f"{visitor.get('name', '')}, {visitor.get('organisation', '')}".strip(", ")],
        ["Date of report", _day(date.today().isoformat())],
        ["Report due", f"{_day(data.deadline.isoformat())} ({(date.today() - date.fromisoformat(visit['date'])).days} days since the visit)"],
        ["This copy is for", audience.label],
    ], [5, 11])

    w.heading("Opinion under regulation 44(4)")
    for key, question in OPINION_QUESTIONS:
        opinion = visit.get("opinions", {}).get(key, {})
        w.heading(question, 2)
        w.para(opinion.get("answer", "not given").capitalize() + ".", bold_prefix="Opinion: ")
        w.para(opinion.get("reasons", ""), bold_prefix="Reasons: ")

    _concerns(w, data, audience)
    _patterns(w, data, audience)
    _children(w, data, audience)
    for sec in data.checklist.sections:
        items = sec.visit_items
        if not items:
            continue
        w.heading(sec.title if sec.id != "children" else "Advocacy and children's voice")
        rows = []
        for item in items:
            value = visit.get("answers", {}).get(item.id)
            concern = item.raises_concern(value) or item.id in visit.get("flagged", [])
            rows.append([item.question, _fmt(value) + (" ⚠ concern" if concern else ""), visit.get("notes", {}).get(item.id, "")])
        w.table(["Question", "Finding", "Notes"], rows, [7.5, 3, 6.5])
    _people_records(w, data)
    _recommendations(w, data, audience)
    if visit.get("addenda"):
        w.heading("Addenda")
        for entry in visit["addenda"]:
            w.para(entry["text"], bold_prefix=f"{entry['date']} — {entry['reason']}: ")
    w.heading("Independence and conflicts of interest")
    conflict = visit.get("conflict", {})
    w.para(conflict.get("declaration") or visitor.get("independence", ""))
    if conflict.get("discovered_after"):
        w.para(conflict["discovered_after"], bold_prefix="Conflict found after the visit: ")
        w.para(conflict.get("reason_not_declared", ""), bold_prefix="Why it was not declared before: ")
    _distribution(w, data, audience)
    _appendix(doc, w, data)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _properties(doc, w: Writer, data: ReportData, audience: Audience) -> None:
    props = doc.core_properties
    now = datetime.now().replace(microsecond=0)
    author = w.t((data.visit.get("visitor") or {}).get("name") or "Independent person")
    props.title = w.t(f"Reg 44 report: {data.home.name}, {data.visit['date']}")
    props.subject = w.t(f"Regulation 44 independent person's report — {audience.label} copy")
    props.author = author
    props.last_modified_by = author
    props.keywords = w.t(f"Regulation 44; {data.marking}")
    props.category = w.t(data.marking)
    props.comments = w.t(f"{data.marking}. Children are referred to by initials or codes only.")
    props.created = now
    props.modified = now
    props.last_printed = now
    props.revision = 1
    props.identifier = w.t(data.visit["id"])
    props.language = "en-GB"
    props.content_status = "Final"
    props.version = "1"


def _concerns(w: Writer, data: ReportData, audience: Audience) -> None:
    w.heading("Concerns at this visit")
    concerns = data.checklist.concerns(data.visit)
    if not concerns:
        w.para("No concerns were raised at this visit.")
    for concern in concerns:
        who = f" ({audience.child_label(concern['child_id'])})" if concern["child_id"] else ""
        w.bullet(concern["note"], bold_prefix=f"{concern['message']}{who}: ")


def _patterns(w: Writer, data: ReportData, audience: Audience) -> None:
    w.heading("Patterns of concern across visits")
    w.para("Measures from this and earlier visits, compared with the previous visit and with this home's own "
           "baseline (median of the previous six visits). Counts are also shown per child resident and per 30 days.")
    if not data.patterns:
        w.para("No patterns of concern are open.")
    for flag in data.patterns:
        status = "" if flag.get("raised_on", data.visit["date"]) >= data.visit["date"] else \
            f" (raised {_day(flag['raised_on'])}, still open)"
        w.bullet(trends.render(flag["evidence"], audience.child_label), bold_prefix=f"{flag['title']}{status}: ")


def _children(w: Writer, data: ReportData, audience: Audience) -> None:
    w.heading("Children's experiences")
    visit = data.visit
    resident = data.resident
    answers = visit.get("child_answers", {})
    seen = sum(1 for c in resident if answers.get(c.id, {}).get("seen") == "yes")
    alone = sum(1 for c in resident if answers.get(c.id, {}).get("seen_alone") == "yes")
    nonverbal = [c for c in resident if c.communication == "non-verbal"]
    w.para(f"{len(resident)} children lived at the home on the day; {seen} were seen and {alone} were seen alone. "
           f"{len(nonverbal)} non-verbal; their experience was understood through observation, communication aids "
           "and their advocates as set out below.")
    rows = []
    for child in resident:
        a = answers.get(child.id, {})
        rows.append([audience.child_label(child.id), audience.authority_of(child), child.communication,
                     a.get("seen", "—"), a.get("seen_alone", "—"), a.get("communication", "—"), a.get("views", "")])
    w.table(["Child", "Placing authority", "Communicates", "Seen", "Alone", "How understood", "Their views"],
            rows, [2, 2.6, 2, 1.2, 1.2, 2.6, 5.4], font=9)


def _people_records(w: Writer, data: ReportData) -> None:
    visit = data.visit
    w.heading("People spoken to and records examined")
    w.table(["Person (by role)", "Privately", "Notes"],
            [[p["role"], "yes" if p.get("private") else "no", p.get("notes", "")] for p in visit.get("people", [])],
            [5, 2, 10])
    names = dict(RECORD_TYPES)
    rows = [[names.get(k, k), r.get("status", ""), r.get("period", ""), r.get("notes", "")]
            for k, r in visit.get("records", {}).items()]
    if rows:
        w.table(["Record", "Status", "Period", "Notes"], rows, [6, 3, 3, 5])


def _recommendations(w: Writer, data: ReportData, audience: Audience) -> None:
    visit = data.visit
    w.heading("Progress on earlier recommendations")
    if not data.earlier:
        w.para("There were no open recommendations from earlier visits.")
    else:
        rows = []
        for rec in data.earlier:
            progress = visit.get("earlier", {}).get(rec["id"], {})
            rows.append([_day(rec["visit_date"]), rec["text"], progress.get("rating", "not rated"),
                         progress.get("evidence", "")])
        w.table(["Made", "Recommendation", "Progress", "Evidence"], rows, [2.5, 7, 2.5, 5])
    w.heading("Recommendations")
    recs = visit.get("recommendations", [])
    if not recs:
        w.para("No new recommendations were made at this visit.")
        return
    header = ["#", "Recommendation", "Regulation / quality standard", "Timescale"]
    widths = [1, 8, 4, 4]
    if audience.kind == "provider":
        header.append("Manager's response")
        widths = [0.8, 6, 3, 3, 4.2]
    rows = []
    for n, rec in enumerate(recs, 1):
        row = [str(n), rec["text"], rec.get("reference", ""), rec.get("timescale", "")]
        if audience.kind == "provider":
            row.append(rec.get("response", ""))
        rows.append(row)
    w.table(header, rows, widths)


def _distribution(w: Writer, data: ReportData, audience: Audience) -> None:
    w.heading("Distribution")
    w.para("Copies go to (regulation 44(7)):")
    for recipient, kind in data.recipients:
        if kind == "placing-authority" and audience.redacting and recipient != audience.authority:
            continue
        w.bullet(recipient)
    if audience.redacting:
        w.bullet("Each other placing authority with a child at the home, in a copy that identifies only its own children")
    sent = data.visit.get("distribution", [])
    if sent:
        w.para("Sent:")
        for entry in sent:
            if entry["audience"] == "placing-authority" and audience.redacting and entry["recipient"] != audience.authority:
                continue
            w.bullet(f"{entry['recipient']} on {_day(entry['sent_on'])}")


def _appendix(doc, w: Writer, data: ReportData) -> None:
    section = doc.add_section()
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    section.left_margin = section.right_margin = Cm(1.5)
    w.heading("Appendix: key measures over recent visits")
    analysis = data.analysis
    visits = analysis.visits[-12:]
    offset = len(analysis.visits) - len(visits)
    labels = [date.fromisoformat(v["date"]).strftime("%b %y") for v in visits]
    rows = []
    for key in KEY_MEASURES:
        series = analysis.series.get(key)
        if series is None:
            continue
        values = [trends._num(p.value) for p in series.points[offset:]]
        history = [p.value for p in series.points[:-1][-analysis.thresholds.baseline_visits:] if p.value is not None]
        base = median(history) if history else None
        rows.append([series.measure.label, *values, series.direction(), trends._num(base)])
    w.table(["Measure", *labels, "Trend", "Median before"], rows, [4] + [1.4] * len(labels) + [1.3, 2.2], font=8)
    panels = []
    for key in CHART_MEASURES:
        series = analysis.series.get(key)
        if series is not None:
            panels.append((series.measure.label, labels, [p.value for p in series.points[offset:]]))
    png = chart.draw(panels)
    doc.add_picture(io.BytesIO(png), width=Cm(24))
    description = "Bar charts of " + "; ".join(
        f"{title}: " + ", ".join(f"{lab} {trends._num(v)}" for lab, v in zip(labels, values))
        for title, _, values in panels)
    doc_pr = doc.inline_shapes[-1]._inline.docPr
    doc_pr.set("descr", w.t(description))
    doc_pr.set("title", w.t("Trend chart of key measures"))
    caption = w.paragraph("Caption")
    caption.add_run(w.t(f"Figure 1. Key measures at the last {len(visits)} visits; the latest visit is in red."))
