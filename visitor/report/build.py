"""Lay out one Reg 44 report as a Word document, for one audience.

Opinions first, then concerns and the patterns across months with their numbers, then the evidence
area by area, recommendations, the trend table and chart, and the distribution list. Real Word styles
throughout; what python-docx has no API for (repeated header rows, page fields, alt text) is set in XML.
"""

from __future__ import annotations

import io
import re
from xml.sax.saxutils import escape
from dataclasses import dataclass, field
from datetime import date, datetime
from statistics import median

from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from visitor import trends
from visitor.analysis import themes
from visitor.checklist import Checklist
from visitor.model import RECORD_TYPES, Child, Home, standard_and_reference
from visitor.report import chart, template
from visitor.report.audience import Audience
from visitor.completeness import concerns, requirements

TABLE_STYLE = "Light Grid Accent 1"
KEY_MEASURES = ("restraints", "restraint_injuries", "prn_behaviour", "complaints_children", "complaints_parents",
                "whistleblowing", "reg40_notifications", "lado_referrals", "missing_episodes", "hospital_attendances",
                "agency_share", "shifts_below_planned", "children_not_seen_alone", "records_not_available")
CHART_MEASURES = ("restraints", "prn_behaviour", "agency_share", "children_not_seen_alone", "hospital_attendances",
                  "reg40_notifications")
OPINION_QUESTIONS = (("safeguarded", "Are children effectively safeguarded?"),
                     ("wellbeing", "Does the conduct of the home promote children's well-being?"))
# The per-child answers the children's table holds (the rest are listed under it when written).
CHILD_TABLE_ITEMS = ("seen", "seen_alone", "communication", "views")
DRAFT_MARK = "DRAFT — for factual accuracy"
TREND_KEY = ("Trend: ↑ higher than at the previous visit, ↓ lower, → the same, "
             "· not recorded at one of the two visits. Median before: this home's median of the visits before.")
# Estimated width of one character as a fraction of the font size (bold, wide enough for the DejaVu Sans
# that LibreOffice substitutes when Calibri is absent), and the
# cell's left + right padding: used so that no header word is narrower than its column.
CHAR_EM, CELL_PAD_CM = 0.7, 0.45


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
    draft: bool = False
    template: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def resident(self) -> list[Child]:
        return [c for c in self.children if c.resident_on(self.visit["date"])]


_SECT_PR = qn("w:sectPr")
_QUOTE = {'"': "&quot;"}
_BREAKS = re.compile(r"([\t\r\n])")


def _run_content(text: str) -> str:
    """A run's content as python-docx's ``Run.text`` writes it: a tab is ``w:tab``, a line feed or carriage
    return ``w:br``, everything else ``w:t`` (spaces kept)."""
    parts = []
    for part in _BREAKS.split(text):
        if part == "\t":
            parts.append("<w:tab/>")
        elif part in ("\r", "\n"):
            parts.append("<w:br/>")
        elif part:
            parts.append(f'<w:t xml:space="preserve">{escape(part)}</w:t>')
    return "".join(parts)


class Writer:
    """A python-docx document whose every string passes through the audience filter."""

    def __init__(self, audience: Audience, base: str = "", problems: list[str] | None = None):
        self.doc, self.templated = template.open_base(base, problems if problems is not None else [])
        self.t = audience.text
        self.fact = audience.fact
        if not self.templated:
            styles = self.doc.styles
            styles["Normal"].font.name = "Calibri"
            styles["Normal"].font.size = Pt(10.5)
        self._ids: dict[str, str] = {}
        self.font_pt = (self.doc.styles["Normal"].font.size or Pt(10.5)).pt

    def style_id(self, name: str) -> str:
        """Style ids by name, looked up once: python-docx rescans every style on each lookup."""
        if name not in self._ids:
            self._ids[name] = self.doc.styles[name].style_id
        return self._ids[name]

    def add(self, element) -> None:
        """Add a block at the end of the body, before its section properties. python-docx searches the
        body's children for them on every paragraph and table, quadratic in a long report; they are
        always the body's last child, so that is where to look."""
        body = self.doc.element.body
        last = body[-1] if len(body) else None
        if last is not None and last.tag == _SECT_PR:
            last.addprevious(element)
        else:
            body.append(element)

    def paragraph(self, style: str | None = None):
        p = OxmlElement("w:p")
        if style:
            p.style = self.style_id(style)
        self.add(p)
        return Paragraph(p, self.doc._body)

    def heading(self, text: str, level: int = 1) -> None:
        self.para(text, "Title" if level == 0 else f"Heading {level}")

    def para(self, text: str = "", style: str | None = None, bold_prefix: str = "", fact: bool = False,
             keep: bool = False) -> None:
        """A paragraph written as one XML string and parsed once, as python-docx's ``add_run`` would make it
        (a bold run for the prefix; tabs and line breaks as ``w:tab`` and ``w:br``), at a fraction of the cost.
        ``fact`` marks a fact about the home (a recipient named from its record), filtered by ``Audience.fact``;
        ``keep`` keeps a lead-in on the page of what it introduces (``w:keepNext``)."""
        clean = self.fact if fact else self.t
        style_xml = f'<w:pStyle w:val="{escape(self.style_id(style), _QUOTE)}"/>' if style else ""
        props = f"<w:pPr>{style_xml}{'<w:keepNext/>' if keep else ''}</w:pPr>" if style or keep else ""
        prefix = f"<w:r><w:rPr><w:b/></w:rPr>{_run_content(clean(bold_prefix))}</w:r>" if bold_prefix else ""
        self.add(parse_xml(f"<w:p {nsdecls('w')}>{props}{prefix}<w:r>{_run_content(clean(text))}</w:r></w:p>"))

    def bullet(self, text: str, bold_prefix: str = "", fact: bool = False) -> None:
        self.para(text, "List Bullet", bold_prefix, fact)

    def table(self, header: list[str] | None, rows: list[list[str]], widths: list[float] | None = None,
              font: float | None = None, facts: bool = False, keep: bool = False) -> None:
        """A table built as one XML string and parsed once: python-docx's cell API is ~10x slower.

        The header row repeats on every page (``w:tblHeader``), stays with the first row (``w:keepNext``)
        and no row splits across pages; ``keep`` holds a short table (the signature) on one page. Columns
        are widened so that no header word breaks; ``header=None`` makes a plain two-column grid.
        ``facts`` marks a table of facts about the home, filtered by ``Audience.fact``.
        """
        clean = self.fact if facts else self.t
        columns = len(header) if header else len(rows[0])
        widths = fit_widths(header, widths or [17 / columns] * columns, font or self.font_pt)
        twips = [int(w * 567) for w in widths]
        size = f'<w:rPr><w:sz w:val="{int(font * 2)}"/></w:rPr>' if font else ""

        def cell(text: str, width: int, with_next: bool) -> str:
            lines = clean(text).split("\n")
            runs = "<w:br/>".join(
                "<w:tab/>".join(f'<w:t xml:space="preserve">{escape(part)}</w:t>' for part in line.split("\t"))
                for line in lines)
            return (f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>'
                    f"<w:p>{'<w:pPr><w:keepNext/></w:pPr>' if with_next else ''}<w:r>{size}{runs}</w:r></w:p></w:tc>")

        def row(values: list[str], head: bool, with_next: bool) -> str:
            props = "<w:trPr><w:cantSplit/>" + ("<w:tblHeader/>" if head else "") + "</w:trPr>"
            return "<w:tr>" + props + "".join(cell(v, w, with_next) for v, w in zip(values, twips)) + "</w:tr>"

        first_row = "1" if header else "0"
        xml = (f"<w:tbl {nsdecls('w')}><w:tblPr><w:tblStyle w:val=\"{self.style_id(TABLE_STYLE)}\"/>"
               '<w:tblW w:w="0" w:type="auto"/><w:jc w:val="center"/><w:tblLayout w:type="fixed"/>'
               f'<w:tblLook w:val="{"04A0" if header else "0480"}" w:firstRow="{first_row}" w:lastRow="0" '
               'w:firstColumn="1" w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>'
               + "".join(f'<w:gridCol w:w="{t}"/>' for t in twips) + "</w:tblGrid>"
               + (row(header, True, bool(rows)) if header else "")
               + "".join(row(r, False, keep and n < len(rows) - 1) for n, r in enumerate(rows)) + "</w:tbl>")
        self.add(parse_xml(xml))
        self.paragraph()


def fit_widths(header: list[str] | None, widths: list[float], font_pt: float) -> list[float]:
    """Widen any column narrower than its longest header word, taking the room from columns with slack.

    Keeps the table's total width, so a table that fitted the page still does ("Commun/icates" no more).
    """
    if not header:
        return list(widths)
    per_char = CHAR_EM * font_pt / 28.35
    least = [max((len(word) for word in title.split()), default=0) * per_char + CELL_PAD_CM for title in header]
    fitted = [max(w, m) for w, m in zip(widths, least)]
    excess = sum(fitted) - sum(widths)
    slack = [f - m for f, m in zip(fitted, least)]
    if excess > 0 and sum(slack) > 0:
        share = min(1.0, excess / sum(slack))
        fitted = [f - s * share for f, s in zip(fitted, slack)]
    return fitted


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
    """Marking and title in the header (beside a template's own logo), page numbers in the footer."""
    section.different_first_page_header_footer = False
    paragraphs = section.header.paragraphs
    has_own = any(p.text.strip() for p in paragraphs) or section.header._element.xpath(".//w:drawing")
    header = section.header.add_paragraph() if has_own else paragraphs[0]
    header.text = ""
    marks = [DRAFT_MARK.upper(), data.marking] if data.draft else [data.marking]
    marking = header.add_run(w.t(" · ".join(marks)))
    marking.bold = True
    marking.font.color.rgb = RGBColor(0xA0, 0x10, 0x10)
    header.add_run(w.fact(f"    {data.home.name} · Reg 44 visit {data.visit['date']} · {audience.label} copy"))
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer = section.footer.paragraphs[0]
    footer.text = ""
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(w.t(f"{' · '.join(marks)} · Page "))
    _field(footer, "PAGE")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES")


def _draft_banner(w: Writer) -> None:
    """A shaded, bordered banner at the top of page 1: this copy is a draft for checking facts only."""
    p = w.paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p._p.get_or_add_pPr().append(parse_xml(
        f'<w:pBdr {nsdecls("w")}>' + "".join(f'<w:{side} w:val="single" w:sz="18" w:space="4" w:color="A01010"/>'
                                             for side in ("top", "left", "bottom", "right")) + "</w:pBdr>"))
    p._p.get_or_add_pPr().append(parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="FBE9E7"/>'))
    run = p.add_run(DRAFT_MARK.upper())
    run.bold = True
    run.font.size = Pt(26)
    run.font.color.rgb = RGBColor(0xA0, 0x10, 0x10)
    note = w.paragraph()
    note.alignment = WD_ALIGN_PARAGRAPH.CENTER
    note.add_run(w.t("Shared with the provider to check matters of fact only. Not for distribution. "
                     "The opinions are the independent person's own and are not open to correction.")).italic = True


def _fmt(value: object) -> str:
    if value is None or value == "":
        return "not answered"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _count(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def _were(n: int) -> str:
    return "was" if n == 1 else "were"


def _day(iso: str) -> str:
    return trends._day(iso)


def build(data: ReportData, audience: Audience) -> bytes:
    w = Writer(audience, data.template, data.problems)
    doc = w.doc
    visit, home = data.visit, data.home
    visitor = visit.get("visitor") or {}
    section = doc.sections[0]
    if not w.templated:
        section.left_margin = section.right_margin = Cm(2)
    _header_footer(section, w, data, audience)
    _properties(doc, w, data, audience)
    template.drop_thumbnail(doc)

    if data.draft:
        _draft_banner(w)
    dated = report_date(data)
    w.heading("Regulation 44 independent person's report", 0)
    w.paragraph("Subtitle").add_run(w.fact(f"{home.name} — visit of {_day(visit['date'])}"))
    w.table(None, [
        ["Home", home.name], ["Ofsted URN", home.urn or "not recorded"], ["Type of setting", home.setting_type],
        ["Registered provider", home.provider], ["Registered manager", home.registered_manager],
        ["Responsible individual", home.responsible_individual], ["Local authority area", home.la_area],
        ["Registered places", str(home.places)],
        ["Date of visit", f"{_day(visit['date'])} ({'announced' if visit.get('announced') else 'unannounced'})"],
        ["Independent person", f"{visitor.get('name', '')}, {visitor.get('organisation', '')}".strip(", ")],
        ["Date of report", _day(dated.isoformat())],
        ["Report due", _due(data, dated)],
        ["This copy is for", audience.label],
    ], [5, 11], facts=True)

    w.heading("Opinion under regulation 44(4)")
    for key, question in OPINION_QUESTIONS:
        opinion = visit.get("opinions", {}).get(key, {})
        w.heading(question, 2)
        w.para(opinion.get("answer", "not given").capitalize() + ".", bold_prefix="Opinion: ")
        w.para(opinion.get("reasons", ""), bold_prefix="Reasons: ")

    _concerns(w, data, audience)
    _patterns(w, data, audience)
    _children(w, data, audience)
    required = {r.field for r in requirements(visit, data.checklist, data.children, [])}
    for sec in data.checklist.sections:
        rows = [row for item in sec.visit_items if (row := _finding_row(data, item, required))]
        if not rows:
            continue
        w.heading(sec.title if sec.id != "children" else "Advocacy and children's voice")
        w.table(["Question", "Finding", "Notes"], rows, [7.5, 3, 6.5])
    _people_records(w, data)
    _recommendations(w, data)
    if visit.get("addenda"):
        w.heading("Addenda")
        for entry in visit["addenda"]:
            w.para(entry["text"], bold_prefix=f"{_day(entry['date'])} — {entry['reason']}: ")
    w.heading("Independence and conflicts of interest")
    conflict = visit.get("conflict", {})
    w.para(conflict.get("declaration") or visitor.get("independence", ""))
    if conflict.get("discovered_after"):
        w.para(conflict["discovered_after"], bold_prefix="Conflict found after the visit: ")
        w.para(conflict.get("reason_not_declared", ""), bold_prefix="Why it was not declared before: ")
    _factual_accuracy(w, data)
    _distribution(w, data, audience)
    _signature(w, data)
    _appendix(doc, w, data)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def report_date(data: ReportData) -> date:
    """The day the report is dated: the day it was signed (finalised), so that every export of a final
    visit carries the same date; today for a draft."""
    signed = data.visit.get("finalised_by") or {}
    if data.draft or data.visit.get("status") != "final":
        return date.today()
    return date.fromisoformat(signed.get("on") or (data.visit.get("finalised") or data.visit["date"])[:10])


def _due(data: ReportData, dated: date) -> str:
    """The deadline with the days from the visit to this report's date, and whether it came after it."""
    days = (dated - date.fromisoformat(data.visit["date"])).days
    late = ", after the deadline" if dated > data.deadline else ""
    if data.draft or data.visit.get("status") != "final":
        return f"{_day(data.deadline.isoformat())} ({_count(days, 'day')} since the visit{late})"
    when = f"{_count(days, 'day')} after the visit" if days else "the day of the visit"
    return f"{_day(data.deadline.isoformat())} (this report is dated {when}{late})"


def _properties(doc, w: Writer, data: ReportData, audience: Audience) -> None:
    props = doc.core_properties
    now = datetime.now().replace(microsecond=0)
    author = w.t((data.visit.get("visitor") or {}).get("name") or "Independent person")
    props.title = w.fact(f"Reg 44 report: {data.home.name}, {data.visit['date']}")
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
    props.content_status = "Draft for factual accuracy" if data.draft else "Final"
    props.version = "1"


def _concerns(w: Writer, data: ReportData, audience: Audience) -> None:
    w.heading("Concerns at this visit")
    found = concerns(data.visit, data.checklist)
    shown = [c for c in found if not c["child_id"] or audience.identifies(c["child_id"])]
    if not found:
        w.para("No concerns were raised at this visit.")
    for concern in shown:
        who = f" ({audience.child_label(concern['child_id'])})" if concern["child_id"] else ""
        w.bullet(concern["note"], bold_prefix=f"{concern['message']}{who}: ")
    if len(shown) < len(found):
        w.para(f"{_count(len(found) - len(shown), 'concern')} about other children at the home "
               f"{'is' if len(found) - len(shown) == 1 else 'are'} not set out in this copy.")


def _patterns(w: Writer, data: ReportData, audience: Audience) -> None:
    """Patterns as themes, most severe first, each with every flag's evidence."""
    w.heading("Patterns of concern across visits")
    w.para("Event counts are judged against reference rates, peer homes where there are enough, and this home's "
           "own history since its first visit, with tests made for small counts; other measures against the "
           "previous visit and this home's usual level. Findings that state one fact are joined, and grouped "
           "into themes, most severe first.")
    if not data.patterns:
        w.para("No patterns of concern are open.")

    def status(flag: dict) -> str:
        raised = flag.get("raised_on", data.visit["date"])
        return "" if raised >= data.visit["date"] else f" (raised {_day(raised)}, still open)"

    write_themes(w, [f for f in data.patterns if not f.get("resolved")], audience, status)


def write_themes(w: Writer, flags: list[dict], audience: Audience, status) -> None:
    """Flags grouped into themes, most severe first: each theme's line, then every flag's evidence, with
    ``status(flag)`` after its title. Flags about other children only are left out of a placing
    authority's copy and counted. Flags may share a key (the same event flagged and resolved at two
    visits), so each goes to ``themes.group`` under its key and position: ordered as by key, told once each."""
    about_others = [f for f in flags if f.get("children") and not any(audience.identifies(c) for c in f["children"])]
    shown = [f for f in flags if f not in about_others]
    tagged = [{**f, "theme": themes.theme_for(f), "key": f"{f['key']}\x00{n}"} for n, f in enumerate(shown)]
    for theme in themes.group(tagged):
        severity = "high" if theme["severity"] == "high" else "medium"
        w.para(trends.render(theme["summary"], audience.child_label), bold_prefix=f"{theme['label']} ({severity}): ",
               keep=True)
        for key in theme["flags"]:
            flag = shown[int(key.rsplit("\x00", 1)[1])]
            w.bullet(evidence_for(flag.get("evidence", ""), audience), bold_prefix=f"{flag['title']}{status(flag)}: ")
    if about_others:
        w.para(f"{_count(len(about_others), 'pattern')} about other children at the home "
               f"{'is' if len(about_others) == 1 else 'are'} not set out in this copy.")


# A sentence of evidence that begins with a child: what a merged flag says about one child.
_CHILD_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=\{child:)")


def evidence_for(text: str, audience: Audience) -> str:
    """A flag's evidence as this copy may tell it. A flag joins findings about several children ("AB is
    non-verbal and has no advocate … JK is non-verbal …"); a placing authority's copy keeps the sentences
    about its own children and the home as a whole, and only counts those about other children alone."""
    kept, left = [], 0
    for part in _CHILD_SENTENCE.split(text) if audience.redacting else [text]:
        named = trends.children_in(part)
        if part.startswith("{child:") and not any(audience.identifies(c) for c in named):
            left += 1
        else:
            kept.append(part)
    told = trends.render(" ".join(kept), audience.child_label)
    if left:
        told += (f" {_count(left, 'finding')} about {'another child is' if left == 1 else 'other children are'}"
                 " not set out in this copy.")
    return told.strip()


def _children(w: Writer, data: ReportData, audience: Audience) -> None:
    w.heading("Children's experiences")
    visit = data.visit
    resident = data.resident
    answers = visit.get("child_answers", {})
    seen = sum(1 for c in resident if answers.get(c.id, {}).get("seen") == "yes")
    alone = sum(1 for c in resident if answers.get(c.id, {}).get("seen_alone") == "yes")
    nonverbal = [c for c in resident if c.communication == "non-verbal"]
    shown = [c for c in resident if audience.may_identify(c)]
    # "set out below" only when the table below holds a non-verbal child this copy may show
    how = ("; how their experience was understood (observation, communication aids, an advocate) is set out below."
           if any(c.communication == "non-verbal" for c in shown) else ".")
    w.para(f"{_count(len(resident), 'child', 'children')} lived at the home on the day; {seen} {_were(seen)} seen "
           f"and {alone} {_were(alone)} seen alone."
           + (f" {_count(len(nonverbal), 'child', 'children')} {'is' if len(nonverbal) == 1 else 'are'} non-verbal"
              + how if nonverbal else ""))
    if len(shown) < len(resident):
        w.para(f"{_count(len(resident) - len(shown), 'other child', 'other children')} lived at the home on the day; "
               "this copy does not identify them or set out their views.")
    rows = []
    for child in shown:
        a = answers.get(child.id, {})
        rows.append([audience.child_label(child.id), audience.authority_of(child), child.communication,
                     a.get("seen", "—"), a.get("seen_alone", "—"), a.get("communication", "—"), a.get("views", "")])
    w.table(["Child", "Placing authority", "Communicates", "Seen", "Alone", "How understood", "Their views"],
            rows, [2, 2.6, 2, 1.2, 1.2, 2.6, 5.4], font=9)
    _child_notes(w, data, shown, audience)


def _finding_row(data: ReportData, item, required: set[str]) -> list[str] | None:
    """One question's row: its finding and the visitor's note. The finalise check's requirements decide
    what an empty answer means: "not answered" for a required one (a draft), left out for an optional
    or unasked one — unless the visitor wrote a note on it, which is always printed (with "—"). A
    follow-up that did not apply was not asked: an answer it kept from before is not a finding
    ("yes (not asked: did not apply)" told a reader the return-home interviews were offered when there
    was no missing episode)."""
    visit = data.visit
    applies = data.checklist.applies(item, visit)
    value = visit.get("answers", {}).get(item.id) if applies else None
    note = visit.get("notes", {}).get(item.id, "")
    if value in (None, "") and f"a:{item.id}" not in required:
        if not str(note).strip():
            return None  # optional or not asked, and nothing written: nothing to report
        return [item.question, "—" if applies else "— (not asked: did not apply)", note]
    concern = applies and (item.raises_concern(value) or item.id in visit.get("flagged", []))
    return [item.question, _fmt(value) + (" ⚠ concern" if concern else ""), note]


def _child_notes(w: Writer, data: ReportData, shown: list[Child], audience: Audience) -> None:
    """What the visitor wrote about each child that the table above does not hold: a note on any of
    the child's questions (one that is a concern is under "Concerns at this visit") and written answers
    such as how time alone will be arranged. Only children this copy may identify."""
    visit = data.visit
    notes = visit.get("notes", {})
    concern_keys = {c["key"] for c in concerns(visit, data.checklist)}
    lines = []
    for child in shown:
        answers = visit.get("child_answers", {}).get(child.id, {})
        for item in data.checklist.child_items:
            answer = answers.get(item.id)
            written = str(answer).strip() if item.kind == "text" and item.id not in CHILD_TABLE_ITEMS and answer else ""
            key = f"{item.id}:{child.id}"
            note = "" if key in concern_keys else str(notes.get(key, "")).strip()
            if not (written or note):
                continue
            shown_answer = f" ({answer})" if answer not in (None, "") and item.kind != "text" else ""
            lines.append((f"{audience.child_label(child.id)}, {item.question}{shown_answer}: ",
                          "\n".join(x for x in (written, note) if x)))
    if lines:
        w.para("The visitor's notes on each child:")
        for prefix, text in lines:
            w.bullet(text, bold_prefix=prefix)


def _privately(value: object) -> str:
    return "yes" if value is True else "no" if value is False else "not recorded"


def _people_records(w: Writer, data: ReportData) -> None:
    visit = data.visit
    w.heading("People spoken to and records examined")
    w.table(["Person (by role)", "Privately", "Notes"],
            [[p["role"], _privately(p.get("private")), p.get("notes", "")] for p in visit.get("people", [])],
            [5, 2, 10])
    names = dict(RECORD_TYPES)
    rows = [[names.get(k, k), r.get("status", ""), r.get("period", ""), r.get("notes", "")]
            for k, r in visit.get("records", {}).items()]
    if rows:
        w.table(["Record", "Status", "Period", "Notes"], rows, [6, 3, 3, 5])


def _recommendations(w: Writer, data: ReportData) -> None:
    visit = data.visit
    w.heading("Progress on earlier recommendations")
    if not data.earlier:
        w.para("There were no open recommendations from earlier visits.")
    else:
        rows = []
        for rec in data.earlier:
            progress = visit.get("earlier", {}).get(rec["id"], {})
            rows.append([_day(rec["visit_date"]), rec["text"], response_text(rec.get("provider_response"), rec),
                         progress.get("rating", "not rated"), progress.get("evidence", "")])
        w.table(["Made", "Recommendation", "Provider's response", "Progress", "Evidence"], rows,
                [2.2, 5.4, 4, 2, 3.4])
    w.heading("Recommendations")
    recs = visit.get("recommendations", [])
    if not recs:
        w.para("No new recommendations were made at this visit.")
        return
    # Every copy shows the registered person's response: Ofsted and the placing authorities see whether each
    # recommendation was considered within its timescale (reg 44(5)), as the next report shows them anyway.
    rows = []
    for n, rec in enumerate(recs, 1):
        rows.append([str(n), rec["text"], standard_and_reference(rec), rec.get("timescale", ""),
                     response_text(visit.get("responses", {}).get(rec["id"]), rec)])
    w.table(["#", "Recommendation", "Quality standard / regulation", "Timescale", "Manager's response"], rows,
            [0.8, 5.4, 3, 2.6, 5.2])


def response_text(response: dict | None, rec: dict) -> str:
    """The registered manager's response and the RI's comment in one cell, or what the visitor noted."""
    if not response:
        return rec.get("response") or "No response recorded yet."
    parts = [response["response"].capitalize() + "."]
    if response.get("action"):
        parts.append(f"{'Reason' if response['response'] == 'not accepted' else 'Action'}: {response['action']}")
    if response.get("by"):
        parts.append(f"By {_day(response['by'])}.")
    if response.get("ri_comment"):
        parts.append(f"Responsible individual: {response['ri_comment']}")
    parts.append(f"(Received {_day(response['received_on'])}.)")
    return "\n".join(parts)


def _factual_accuracy(w: Writer, data: ReportData) -> None:
    """What the provider disputed in the draft and what the visitor decided; opinions are never open to it."""
    shared = data.visit.get("shared") or {}
    corrections = data.visit.get("corrections", [])
    if data.draft or not (shared or corrections):
        return
    w.heading("Factual accuracy")
    w.para(f"A draft of this report was shared with the provider for factual accuracy on {_day(shared['on'])}. "
           f"The provider disputed {len(corrections)} point{'s' if len(corrections) != 1 else ''} of fact. "
           "Corrections concern matters of fact only: the opinions in this report are the independent person's own."
           if shared else "Corrections of fact recorded before the report was finalised:")
    if corrections:
        w.table(["Point disputed", "Outcome", "Reason", "What changed"],
                [[c["disputed"], c["outcome"], c["reason"], c.get("change") or "Nothing changed."]
                 for c in corrections], [5.5, 2.4, 4.6, 4.5])


def _signature(w: Writer, data: ReportData) -> None:
    """The final report ends signed and dated: name, role, organisation, date finalised."""
    w.heading("Signed")
    signed = data.visit.get("finalised_by") or {}
    if data.draft or data.visit.get("status") != "final":
        w.para("Not yet signed: this is a draft for factual accuracy.")
        return
    visitor = data.visit.get("visitor") or {}
    day = report_date(data).isoformat()
    w.table(None, [["Name", signed.get("name") or visitor.get("name") or "not recorded"],
                   ["Role", signed.get("role") or "Independent person (regulation 44)"],
                   ["Organisation", signed.get("organisation") or visitor.get("organisation") or "not recorded"],
                   ["Date", _day(day)]], [5, 11], facts=True, keep=True)


def _distribution(w: Writer, data: ReportData, audience: Audience) -> None:
    w.heading("Distribution")
    w.para("Copies go to (regulation 44(7)):")
    # The provider, manager, RI and the home's local authority are facts about the home: a local authority
    # that shares a name with another placing authority ("Northshire") is not redacted from them.
    for recipient, kind in data.recipients:
        if kind == "placing-authority" and audience.redacting and recipient != audience.authority:
            continue
        w.bullet(recipient, fact=kind != "placing-authority")
    if audience.redacting:
        w.bullet("Each other placing authority with a child at the home, in a copy that identifies only its own children")
    sent = data.visit.get("distribution", [])
    if sent:
        w.para("Sent:")
        for entry in sent:
            if entry["audience"] == "placing-authority" and audience.redacting and entry["recipient"] != audience.authority:
                continue
            w.bullet(f"{entry['recipient']} on {_day(entry['sent_on'])}", fact=entry["audience"] != "placing-authority")


def _landscape_section(doc):
    """A landscape section whose break rides on the last paragraph, not on an extra empty one.

    python-docx puts the break in a new empty paragraph, which spills onto a page of its own whenever
    the portrait part ends near the foot of a page (the "nearly blank page" before the appendix).
    """
    section = doc.add_section()
    carrier = doc.element.body.xpath("./w:p[w:pPr/w:sectPr]")[-1]
    previous = carrier.getprevious()
    if previous is not None and previous.tag == qn("w:p") and (previous.pPr is None or previous.pPr.sectPr is None):
        previous.set_sectPr(carrier.pPr.sectPr)
        carrier.getparent().remove(carrier)
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    section.left_margin = section.right_margin = Cm(1.5)
    return section


def _appendix(doc, w: Writer, data: ReportData) -> None:
    _landscape_section(doc)
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
    w.para(TREND_KEY, "Caption")
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
