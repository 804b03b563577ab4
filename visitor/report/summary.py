"""The six-monthly summary: a home's Reg 44 reports read across a period, for the reg 45 review.

What a provider needs for its reg 45 review and a placing authority for a child's review: the opinions
month by month, the themes of concern and their evidence, recommendations by quality standard (made,
considered, met, outstanding), the children's voice, the measures with a chart, and what changed since
the previous period. Every string passes through the same ``Audience`` as the visit reports.
"""

from __future__ import annotations

import calendar
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from visitor import consideration, workflow
from visitor.model import (QUALITY_STANDARDS, Child, Home, ValidationError, open_recommendations, parse_date,
                           standard_and_reference, standard_of)
from visitor.report.audience import Audience
from visitor.report.export import template_setting, safe_part, sweep_temp_files
from visitor.storage import atomic_write
from visitor.store import Store

MAX_MONTHS = 24
SUMMARY_MEASURES = ("restraints", "restraint_injuries", "prn_behaviour", "complaints_children", "whistleblowing",
                    "reg40_notifications", "lado_referrals", "missing_episodes", "hospital_attendances",
                    "agency_share", "children_not_seen_alone", "records_not_available")
CHART_MEASURES = ("restraints", "prn_behaviour", "agency_share", "children_not_seen_alone", "hospital_attendances",
                  "reg40_notifications")


def months_before(day: date, months: int) -> date:
    month = day.month - 1 - months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass
class Period:
    start: date  # exclusive
    end: date  # inclusive

    def holds(self, iso: str) -> bool:
        return self.start.isoformat() < iso <= self.end.isoformat()

    @property
    def label(self) -> str:
        first = self.start + timedelta(days=1)
        return f"{first.day} {first:%b %Y} to {self.end.day} {self.end:%b %Y}"


@dataclass
class SummaryData:
    home: Home
    children: list[Child]
    period: Period
    previous: Period
    visits: list[dict]  # final visits in the period, oldest first
    earlier_visits: list[dict]  # final visits in the previous period
    all_visits: list[dict]
    flags: list[dict]
    analysis: Any  # trends.Analysis (trends is imported lazily: it is heavy)
    concerns: dict[str, list[dict]]  # visit id -> the concerns its checklist raises
    marking: str
    template: str = ""
    problems: list[str] = field(default_factory=list)


def summary_data(store: Store, home_id: str, months: int, end: date | None = None) -> SummaryData:
    if not isinstance(months, int) or not 1 <= months <= MAX_MONTHS:
        raise ValidationError(f"The period must be 1 to {MAX_MONTHS} months (got {months!r}).")
    home = store.home(home_id)
    end = end or date.today()
    period = Period(months_before(end, months), end)
    previous = Period(months_before(period.start, months), period.start)
    visits = store.visits(home_id)
    in_period = [v for v in visits if period.holds(v["date"])]
    if not in_period:
        raise ValidationError(f"{home.name} has no final visit between {period.label}: nothing to summarise.")
    settings = store.settings()
    analysis = workflow.analyse_home(store, home_id, upto=period.end.isoformat())
    return SummaryData(home=home, children=store.children(home_id), period=period, previous=previous,
                       visits=in_period, earlier_visits=[v for v in visits if previous.holds(v["date"])],
                       all_visits=[v for v in visits if v["date"] <= period.end.isoformat()],
                       flags=_as_at(store.flags(home_id), visits, end, consideration.response_days(settings)),
                       analysis=analysis,
                       concerns={v["id"]: store.checklist_for(v).concerns(v) for v in in_period},
                       marking=settings.get("protective_marking") or "OFFICIAL-SENSITIVE",
                       template=template_setting(settings))


def _as_at(flags: list[dict], final_visits: list[dict], end: date, default_days: int) -> list[dict]:
    """The stored flags with each recommendation still not considered at the period's end told as it
    stood then: its days late counted to the end of the period, not to the day flags were last refreshed."""
    then = {f["key"]: f for f in consideration.flags(final_visits, end, default_days)}
    return [{**flag, "evidence": then[flag["key"]]["evidence"]} if flag["key"] in then else flag for flag in flags]


def authorities_in(data: SummaryData) -> list[str]:
    return sorted({c.placing_authority for c in data.children
                   if any(c.resident_on(v["date"]) for v in data.visits)})


def audiences(data: SummaryData, kind: str, authority: str | None) -> list[Audience]:
    if kind == "all":
        found = [Audience("provider", children=data.children), Audience("ofsted", children=data.children)]
        return found + [Audience("placing-authority", a, data.children) for a in authorities_in(data)]
    if kind == "placing-authority" and authority not in authorities_in(data):
        raise ValidationError(f"No child at {data.home.name} in {data.period.label} was placed by {authority!r}. "
                              f"Placing authorities: {', '.join(authorities_in(data)) or 'none'}.")
    return [Audience(kind, authority or "", data.children)]


def file_name(data: SummaryData, audience: Audience) -> str:
    label = audience.authority if audience.kind == "placing-authority" else audience.label
    suffix = f" Reg44 summary {data.period.end.isoformat()} {safe_part(label, 60)}.docx"
    return f"{safe_part(data.home.name, 180 - len(suffix.encode('utf-8')))}{suffix}"


def export_summary(store: Store, home_id: str, months: int = 6, *, kind: str = "provider",
                   authority: str | None = None, out_dir: Path, problems: list[str] | None = None,
                   end: date | None = None) -> list[Path]:
    """Write the summary for each audience asked for; returns the files written."""
    data = summary_data(store, home_id, months, end)
    folder = store.export_folder(out_dir)
    sweep_temp_files(folder)
    paths = []
    for audience in audiences(data, kind, authority):
        path = folder / file_name(data, audience)
        atomic_write(path, build_summary(data, audience))
        paths.append(path)
    if problems is not None:
        problems.extend(p for p in data.problems if p not in problems)
    return paths


# -- what the summary counts ------------------------------------------------------------------------
def recommendation_tally(data: SummaryData) -> list[list[str]]:
    """Per quality standard: made in the period, considered by the provider, met, outstanding at its end."""
    later_of = {v["id"]: [w for w in data.all_visits if w["date"] > v["date"]] for v in data.visits}
    rows: dict[str, list[int]] = {key: [0, 0, 0, 0] for key, _, _ in QUALITY_STANDARDS}
    rows[""] = [0, 0, 0, 0]
    for visit in data.visits:
        for rec in visit.get("recommendations", []):
            counts = rows[standard_of(rec)]
            counts[0] += 1
            later = later_of[visit["id"]]
            counts[1] += consideration.considered(rec["id"], visit, later)
            ratings = [w["earlier"][rec["id"]].get("rating") for w in later if rec["id"] in w.get("earlier", {})]
            latest = next((r for r in reversed(ratings) if r), "")
            counts[2] += latest == "met"
            counts[3] += latest not in ("met", "no longer relevant")
    titles = {key: f"{title} (reg {reg})" for key, reg, title in QUALITY_STANDARDS}
    titles[""] = "No quality standard given"
    table = [[titles[k], *map(str, c)] for k, c in rows.items() if c[0]]
    totals = [sum(c[i] for c in rows.values()) for i in range(4)]
    return table + [["All recommendations", *map(str, totals)]]


def outstanding_from_before(data: SummaryData) -> list[dict]:
    """Recommendations made before the period and still open at its end (not rated met or no longer
    relevant): the tally counts only those made in the period, and a reg 45 review needs these too."""
    return [r for r in open_recommendations(data.all_visits) if r["visit_date"] <= data.period.start.isoformat()]


def voice_rows(data: SummaryData) -> list[list[str]]:
    rows = []
    for visit in data.visits:
        resident = [c for c in data.children if c.resident_on(visit["date"])]
        answers = visit.get("child_answers", {})
        seen = sum(1 for c in resident if answers.get(c.id, {}).get("seen") == "yes")
        alone = sum(1 for c in resident if answers.get(c.id, {}).get("seen_alone") == "yes")
        nonverbal = [c for c in resident if c.communication == "non-verbal"]
        nonverbal_alone = sum(1 for c in nonverbal if answers.get(c.id, {}).get("seen_alone") == "yes")
        advocate = sum(1 for c in resident if c.advocate != "none")
        non_instructed = sum(1 for c in nonverbal if c.advocate == "non-instructed")
        rows.append([_month(visit["date"]), str(len(resident)), str(seen), str(alone),
                     f"{len(nonverbal)} ({nonverbal_alone} seen alone)", str(advocate),
                     f"{non_instructed} of {len(nonverbal)}"])
    return rows


def themes(data: SummaryData) -> tuple[list[dict], list[tuple[str, list[str]]]]:
    """Patterns open or raised in the period, and concerns grouped by kind with the months they arose."""
    start, end = data.period.start.isoformat(), data.period.end.isoformat()
    patterns = [f for f in data.flags if f.get("raised_on", "") <= end and
                (not f.get("resolved") or f["resolved"].get("on", "") > start)]
    grouped: dict[str, list[str]] = {}
    for visit in data.visits:
        for concern in data.concerns.get(visit["id"], []):
            months = grouped.setdefault(concern["message"], [])
            if _month(visit["date"]) not in months:
                months.append(_month(visit["date"]))
    return patterns, sorted(grouped.items(), key=lambda kv: (-len(kv[1]), kv[0]))


def changes(data: SummaryData) -> list[str]:
    """What changed against the previous period of the same length, in plain sentences."""
    if not data.earlier_visits:
        return [f"There were no visits in the previous period ({data.previous.label}) to compare with."]
    lines = []
    for key in SUMMARY_MEASURES:
        series = data.analysis.series.get(key)
        if series is None:
            continue
        now = [p.value for p in series.points if data.period.holds(p.date) and p.value is not None]
        before = [p.value for p in series.points if data.previous.holds(p.date) and p.value is not None]
        if not now or not before:
            continue
        a, b = sum(before) / len(before), sum(now) / len(now)
        if round(a, 1) != round(b, 1):
            word = "rose" if b > a else "fell"
            lines.append(f"{series.measure.label} {word} from {a:.1f} to {b:.1f} a visit on average.")
    doubts_now = _doubts(data.visits)
    doubts_before = _doubts(data.earlier_visits)
    if doubts_now != doubts_before:
        lines.append(f"Opinions that were not a clear yes: {doubts_before} in the previous period, {doubts_now} in this one.")
    made_now = sum(len(v.get("recommendations", [])) for v in data.visits)
    made_before = sum(len(v.get("recommendations", [])) for v in data.earlier_visits)
    lines.append(f"Recommendations made: {made_before} in the previous period, {made_now} in this one.")
    return lines


def _doubts(visits: list[dict]) -> int:
    return sum(1 for v in visits for o in v.get("opinions", {}).values() if o.get("answer") not in ("yes", ""))


def _month(iso: str) -> str:
    return f"{parse_date(iso):%b %Y}"


def _day(iso: str) -> str:
    d = parse_date(iso)
    return f"{d.day} {d:%b %Y}"


# -- the document -----------------------------------------------------------------------------------
def build_summary(data: SummaryData, audience: Audience) -> bytes:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, RGBColor

    from visitor import trends
    from visitor.report import chart, template
    from visitor.report.build import Writer, _field, response_text, write_themes

    w = Writer(audience, data.template, data.problems)
    doc = w.doc
    section = doc.sections[0]
    if not w.templated:
        section.left_margin = section.right_margin = Cm(2)
    paragraphs = section.header.paragraphs
    has_own = any(p.text.strip() for p in paragraphs) or section.header._element.xpath(".//w:drawing")
    header = section.header.add_paragraph() if has_own else paragraphs[0]
    mark = header.add_run(w.t(data.marking))
    mark.bold = True
    mark.font.color.rgb = RGBColor(0xA0, 0x10, 0x10)
    header.add_run(w.fact(f"    {data.home.name} · Reg 44 summary {data.period.label} · {audience.label} copy"))
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(w.t(f"{data.marking} · Page "))
    _field(footer, "PAGE")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES")
    _properties(doc, w, data, audience)
    template.drop_thumbnail(doc)

    w.heading("Summary of Regulation 44 reports", 0)
    w.paragraph("Subtitle").add_run(w.fact(f"{data.home.name} — {data.period.label}"))
    w.table(None, [["Home", data.home.name], ["Ofsted URN", data.home.urn or "not recorded"],
                   ["Registered provider", data.home.provider], ["Period", data.period.label],
                   ["Visits in the period", str(len(data.visits))],
                   ["Prepared", _day(date.today().isoformat())], ["This copy is for", audience.label]], [5, 11],
            facts=True)
    w.para("Drawn from the monthly independent person's reports, as input to the registered person's review of "
           "the quality of care under regulation 45 and to children's reviews.")

    w.heading("Opinions month by month")
    rows = []
    for visit in data.visits:
        opinions = visit.get("opinions", {})
        rows.append([_month(visit["date"]), opinions.get("safeguarded", {}).get("answer") or "not given",
                     opinions.get("safeguarded", {}).get("reasons", ""),
                     opinions.get("wellbeing", {}).get("answer") or "not given",
                     opinions.get("wellbeing", {}).get("reasons", "")])
    # Both reg 44(4) opinions with their reasons: a well-being opinion without its reasons says little.
    w.table(["Month", "Safeguarded", "Reasons", "Well-being", "Reasons"], rows, [2.2, 2.6, 4.8, 2.6, 4.8], font=9)

    w.heading("Themes of concern")
    patterns, grouped = themes(data)
    if not patterns and not grouped:
        w.para("No concerns or patterns of concern were raised in the period.")

    def status(flag: dict) -> str:
        state = "resolved " + _day(flag["resolved"]["on"]) if flag.get("resolved") else "still open"
        return f" (raised {_day(flag['raised_on'])}, {state})"

    write_themes(w, patterns, audience, status)
    if grouped:
        w.para("Concerns raised at the visits in the period, by kind:", keep=True)
        w.table(["Concern", "Visits", "Months"], [[m, str(len(months)), ", ".join(months)] for m, months in grouped],
                [9, 2, 6])

    w.heading("Recommendations by quality standard")
    w.para("Made at visits in the period; considered = the registered person's response is recorded (or a later "
           "visit found it met); met and outstanding as rated at the latest visit.")
    w.table(["Quality standard", "Made", "Considered", "Met", "Outstanding"], recommendation_tally(data),
            [8, 2, 2.6, 2, 2.8])
    carried = outstanding_from_before(data)
    if carried:
        w.para(f"Made before the period and still outstanding at its end: {len(carried)}.", keep=True)
        w.table(["Made", "Recommendation", "Quality standard / regulation", "Latest rating", "Manager's response"],
                [[_day(r["visit_date"]), r["text"], standard_and_reference(r) or "—",
                  (r["progress"] or {}).get("rating") or "not rated yet", response_text(r["provider_response"], r)]
                 for r in carried], [2.2, 5.2, 3.2, 2.2, 4.2])

    w.heading("Children's voice")
    w.table(["Month", "Children", "Seen", "Seen alone", "Non-verbal", "With an advocate", "Non-instructed advocacy"],
            voice_rows(data), [2, 2, 1.6, 2.2, 3, 2.6, 3.6], font=9)

    w.heading("Measures over the period")
    points = [v["date"] for v in data.visits]
    labels = [_month(d) for d in points]
    rows, panels = [], []
    for key in SUMMARY_MEASURES:
        series = data.analysis.series.get(key)
        if series is None:
            continue
        values = {p.date: p.value for p in series.points}
        rows.append([series.measure.label, *(trends._num(values.get(d)) for d in points)])
        if key in CHART_MEASURES:
            panels.append((series.measure.label, labels, [values.get(d) for d in points]))
    w.table(["Measure", *labels], rows, [4.5] + [12.5 / max(len(points), 1)] * len(points), font=8)
    if panels:
        doc.add_picture(io.BytesIO(chart.draw(panels)), width=Cm(16.5))
        doc_pr = doc.inline_shapes[-1]._inline.docPr
        doc_pr.set("descr", w.t("Bar charts of " + "; ".join(
            f"{title}: " + ", ".join(f"{lab} {trends._num(v)}" for lab, v in zip(labels, values))
            for title, _, values in panels)))
        doc_pr.set("title", w.t("Measures over the period"))
        w.para(f"Figure 1. Measures at the {len(points)} visits in the period; the latest visit is in red.", "Caption")

    w.heading("What changed since the previous summary")
    w.para(f"Compared with the previous period of the same length ({data.previous.label}).")
    for line in changes(data):
        w.bullet(line)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _properties(doc, w, data: SummaryData, audience: Audience) -> None:
    props = doc.core_properties
    now = datetime.now().replace(microsecond=0)
    author = w.t((data.visits[-1].get("visitor") or {}).get("name") or "Independent person")
    props.title = w.fact(f"Reg 44 summary: {data.home.name}, {data.period.label}")
    props.subject = w.t(f"Summary of Regulation 44 reports — {audience.label} copy")
    props.author = props.last_modified_by = author
    props.keywords = w.t(f"Regulation 44; Regulation 45; {data.marking}")
    props.category = w.t(data.marking)
    props.comments = w.t(f"{data.marking}. Children are referred to by initials or codes only.")
    props.created = props.modified = props.last_printed = now
    props.revision = 1
    props.language = "en-GB"
    props.content_status = "Final"
